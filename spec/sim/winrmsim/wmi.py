# SPDX-License-Identifier: MIT
"""The WMI plug-in: data store for root/cimv2 classes and the resource handler for .../wmi/root/cimv2/.

Get (keys, singletons, fragments), Put (whole, fragment), Create, Delete, Invoke (see wmi_methods.py)
and Enumerate (plain, WQL, SelectorFilter, AssociationFilter).
"""

import contextlib
import copy
import glob
import json
import os
import pickle
import threading
from xml.sax.saxutils import escape

from . import fragment, ns, wmi_methods, wql
from .cim import CimClass, CimTypeError, format_scalar
from .faults import WMI_PROVIDER, WSManFault, wmi_fault
from .handlers import ResourceHandler
from .soap import epr_inner, selector_set

CIMV2_NS = "root/cimv2"
DEFAULT_COMPUTER_NAME = "WINRM-SIM"   # the data files' computer name (CSName, DNSHostName, ...)

_SPECS = {}
_SPECS_LOCK = threading.Lock()


def class_specs(data_dir):
    """The data directory's classes, built once per process (a fleet of hosts shares them): -> [(CimClass
    template, its instances)]. A store copies the template shallowly (the schema is shared) and reads the
    shared instances until its first modification (WmiStore.writing) gives it private copies."""
    key = os.path.abspath(data_dir)
    with _SPECS_LOCK:
        specs = _SPECS.get(key)
        if specs is None:
            specs = []
            for path in sorted(glob.glob(os.path.join(data_dir, "*.json"))):
                with open(path, encoding="utf-8") as fh:
                    spec = json.load(fh)
                if "class" in spec:
                    specs.append((CimClass(spec, ns.CIMV2), spec.get("instances", [])))
            _SPECS[key] = specs
        return specs


def instance_key(cls, inst):
    """The key values of an instance, strings lower-cased (selectors match them case-insensitively)."""
    values = []
    for k in cls.keys:
        v = inst.get(k)
        values.append(v.lower() if isinstance(v, str) else v)
    return tuple(values)


_BASES = {}
HOST_MARK = "\x00WINRM-SIM-HOST\x00"   # a host's computer name in the renderings hosts share


class FleetData:
    """What every host of a data directory (and --processes count) starts from, built once per process:
    the instances (the data files' plus the generated processes), the same instances naming HOST_MARK as
    their computer, and renderings of those (made at first use). A host whose instances are still these
    (renamed) renders one by putting its own name into the shared rendering, see WmiStore.render."""

    def __init__(self, data_dir, extra_processes):
        self.instances = {}
        for template, shared in class_specs(data_dir):
            if template.name.lower() == "win32_process" and extra_processes:
                shared = shared + wmi_methods.generated_processes(extra_processes)
            self.instances[template.name.lower()] = shared
        self.marked = {key: rename_computer(insts, HOST_MARK) for key, insts in self.instances.items()}
        self.rendered = {}   # (class key, position, location) -> XML naming HOST_MARK
        self.positions = {}  # class key -> {instance_key(): position}, or None when a key names the computer

    @staticmethod
    def of(data_dir, extra_processes):
        key = (os.path.abspath(data_dir), extra_processes)
        with _SPECS_LOCK:
            data = _BASES.get(key)
        if data is None:
            data = FleetData(data_dir, extra_processes)
            with _SPECS_LOCK:
                data = _BASES.setdefault(key, data)
        return data

    def key_positions(self, cls):
        """{instance_key(): position} of the instances of cls (the first of equal keys), the same for every host
        unless a key value names the computer (then None); made at first use."""
        key = cls.name.lower()
        positions = self.positions.get(key, False)
        if positions is False:
            insts = self.instances[key]
            if any(inst.get(k) != twin.get(k) for inst, twin in zip(insts, self.marked[key]) for k in cls.keys):
                positions = None
            else:
                positions = {}
                for n, inst in enumerate(insts):
                    positions.setdefault(instance_key(cls, inst), n)
            self.positions[key] = positions
        return positions

    def render(self, cls, position, location):
        """The marked twin of instance `position` of cls, rendered (cached)."""
        key = (cls.name.lower(), position, location)
        xml = self.rendered.get(key)
        if xml is None:
            xml = self.rendered[key] = cls.render(self.marked[key[0]][position], location=location)
        return xml


def rename_computer(value, name):
    """The data with every string that names the simulator's computer (any case, also as the COMPUTER part
    of COMPUTER\\user) naming `name` instead;
    the parts without such a string are the same objects (hosts share them)."""
    if name == DEFAULT_COMPUTER_NAME:
        return value
    if isinstance(value, str):
        upper = value.upper()
        if upper == DEFAULT_COMPUTER_NAME:
            return name.lower() if value.islower() else name
        if upper.startswith(DEFAULT_COMPUTER_NAME + "\\"):   # COMPUTER\user
            return name + value[len(DEFAULT_COMPUTER_NAME):]
        return value
    if isinstance(value, list):
        new = [rename_computer(v, name) for v in value]
        return value if all(a is b for a, b in zip(new, value)) else new
    if isinstance(value, dict):
        new = {k: rename_computer(v, name) for k, v in value.items()}
        return value if all(new[k] is v for k, v in value.items()) else new
    return value


class WmiStore:
    """All WMI classes, loaded from the data directory's JSON files (config.json excluded)."""

    def __init__(self, data_dir, extra_processes=0, computer_name=DEFAULT_COMPUTER_NAME):
        self.lock = threading.RLock()
        self.data_dir = data_dir
        self.extra_processes = extra_processes
        self.computer_name = computer_name
        self.classes = {}
        self._shared = {}      # class key -> instances shared with other stores (never modified)
        self.private = False   # whether the classes hold this store's own copies of the instances
        self._base = fleet = FleetData.of(data_dir, extra_processes)
        for template, _ in class_specs(data_dir):
            cls = copy.copy(template)
            self._shared[cls.name.lower()] = rename_computer(fleet.instances[cls.name.lower()], computer_name)
            cls.store = self
            self.classes[cls.name.lower()] = cls
        # a renamed host renders its shared instances from the fleet's renderings (rename_computer leaves
        # everything as it is for the default name, so that host renders, and caches, its own)
        self._fleet = fleet if computer_name != DEFAULT_COMPUTER_NAME else None
        self._names = ((HOST_MARK, escape(computer_name)), (HOST_MARK.lower(), escape(computer_name.lower())))
        self._positions = {}   # class key -> {id(shared instance): its position}
        self.next_pid = 5000
        self.version = 0
        self._render_cache = {}
        self._index_cache = {}
        self.reset()

    def changed(self):
        """Call after any modification of instances: drops the render and key caches."""
        self.version += 1
        self._render_cache.clear()
        self._index_cache.clear()

    def render(self, cls, inst, location=False):
        """cls.render(inst): from the fleet's shared rendering while inst is one of the instances this host
        shares, else cached per host (instances only change under the lock, followed by changed())."""
        if self._fleet is not None:
            position = self._shared_position(cls, inst)
            if position is not None:
                xml = self._fleet.render(cls, position, location)
                for mark, name in self._names:
                    xml = xml.replace(mark, name)
                return xml
        key = (id(inst), location)
        xml = self._render_cache.get(key)
        if xml is None:
            version = self.version
            xml = cls.render(inst, location=location)
            if version == self.version:   # not racing a modification (see changed())
                self._render_cache[key] = xml
        return xml

    def _shared_position(self, cls, inst):
        """Position of inst among the shared (never modified) instances of cls, or None (a private copy)."""
        key = cls.name.lower()
        positions = self._positions.get(key)
        if positions is None:
            positions = self._positions[key] = {id(i): n for n, i in enumerate(self._shared[key])}
        return positions.get(id(inst))

    def cls(self, name):
        return self.classes.get(name.lower())

    def reset(self):
        with self.lock:
            for key, cls in self.classes.items():
                cls.instances = self._shared[key]
            self.private = False
            self.next_pid = 5000
            self.changed()

    @contextlib.contextmanager
    def writing(self):
        """`with store.writing():` around any modification of instances (find them inside it): holds the
        lock and first gives this store private copies of the shared instances."""
        with self.lock:
            self._own()
            yield

    def _own(self):
        if not self.private:
            for key, cls in self.classes.items():
                cls.instances = pickle.loads(pickle.dumps(self._shared[key], pickle.HIGHEST_PROTOCOL))
            self.private = True
            self.changed()

    def new_pid(self):
        with self.lock:
            used = {i.get("ProcessId") for i in self.cls("Win32_Process").instances} \
                if self.cls("Win32_Process") else set()
            while self.next_pid in used:
                self.next_pid += 4
            pid = self.next_pid
            self.next_pid += 4
            return pid

    # ---- selectors ---------------------------------------------------------------------------
    def find(self, cls, selectors):
        """The instance the selectors designate, with Windows' selector faults."""
        sels = [s for s in selectors if s.name and s.name.lower() != "__cimnamespace"]
        for s in selectors:
            if s.name and s.name.lower() == "__cimnamespace" and (s.value or "").replace("\\", "/").lower() \
                    != CIMV2_NS:
                raise WSManFault("UNEXPECTED_SELECTORS", provider=WMI_PROVIDER)
        if not sels:
            if cls.singleton:
                if not cls.instances:
                    raise not_found(cls, "GetInstance")
                return cls.instances[0]
            raise wmi_fault("INVALID_URI_WMI_SINGLETON")
        if cls.singleton:
            raise wmi_fault("UNEXPECTED_SELECTORS")
        names = [s.name.lower() for s in sels]
        if len(set(names)) != len(names):
            raise wmi_fault("DUPLICATE_SELECTORS")
        wanted = {}
        for s in sels:
            prop = cls.prop(s.name)
            if prop is None or prop not in cls.keys:
                raise wmi_fault("UNEXPECTED_SELECTORS")
            wanted[prop] = s
        if len(wanted) < len(cls.keys):
            raise wmi_fault("INSUFFICIENT_SELECTORS")
        if not any(cls.types[k].startswith("ref:") for k in cls.keys):
            inst = self._lookup(cls, tuple(self._norm(cls, k, wanted[k]) for k in cls.keys))
            if inst is None:
                raise not_found(cls, "GetInstance")
            return inst
        matchers = [(prop, self._matcher(cls, prop, s)) for prop, s in wanted.items()]
        for inst in cls.instances:
            if all(m(inst.get(prop)) for prop, m in matchers):
                return inst
        raise not_found(cls, "GetInstance")

    def _lookup(self, cls, key):
        """The instance of cls whose instance_key() is key, or None."""
        insts = cls.instances
        if insts is self._shared[cls.name.lower()]:   # not modified: the fleet's index holds
            positions = self._base.key_positions(cls)
            if positions is not None:
                n = positions.get(key)
                return None if n is None else insts[n]
        index = self._index_cache.get(cls.name)
        if index is None:
            index = {}
            for inst in insts:
                index.setdefault(instance_key(cls, inst), inst)
            self._index_cache[cls.name] = index
        return index.get(key)

    def _norm(self, cls, prop, sel):
        """A selector value normalised like instance_key() (faults on a reference or a bad number)."""
        if sel.epr is not None:
            raise wmi_fault("SELECTOR_TYPEMISMATCH")
        ctype = cls.types[prop]
        if ctype in ("string", "datetime", "interval"):
            return (sel.value or "").lower()
        try:
            from .cim import parse_scalar
            return parse_scalar(ctype, sel.value or "")
        except CimTypeError:
            raise wmi_fault("SELECTOR_TYPEMISMATCH")

    def _matcher(self, cls, prop, sel):
        ctype = cls.types[prop]
        if ctype.startswith("ref:"):
            if sel.epr is None:
                raise wmi_fault("SELECTOR_TYPEMISMATCH")
            uri, nested = sel.epr
            want = {s.name.lower(): (s.value or "").lower() for s in nested}
            target = ctype[4:].lower()
            return lambda v: v is not None and uri.lower().rstrip("/").endswith("/" + target) and \
                {k.lower(): str(x).lower() for k, x in v.items()} == want
        if sel.epr is not None:
            raise wmi_fault("SELECTOR_TYPEMISMATCH")
        text = sel.value or ""
        if ctype in ("string", "datetime", "char16") or ctype.endswith("[]"):
            low = text.lower()
            return lambda v: v is not None and str(v).lower() == low
        try:
            from .cim import parse_scalar
            want = parse_scalar(ctype, text)
        except CimTypeError:
            raise wmi_fault("SELECTOR_TYPEMISMATCH")
        return lambda v: v == want

    def refers_to(self, ref, cls, inst):
        """Does a reference value (dict of key selectors) designate ``inst`` of ``cls``?"""
        if ref is None:
            return False
        want = {k.lower(): str(v).lower() for k, v in ref.items()}
        have = {k.lower(): format_scalar(cls.types[k], inst.get(k)).lower() for k in cls.keys}
        return want == have

    def deref(self, ref_type, ref):
        target = self.cls(ref_type[4:])
        if target is None or ref is None:
            return None, None
        for inst in target.instances:
            if self.refers_to(ref, target, inst):
                return target, inst
        return target, None


def not_found(cls, operation):
    return wmi_fault("RESOURCE_NOT_FOUND", "not_found", operation=operation)


class Item:
    """An enumeration item: an instance (or a WQL projection of it)."""

    __slots__ = ("cls", "inst", "props")

    def __init__(self, cls, inst, props=None):
        self.cls = cls
        self.inst = inst
        self.props = props

    def obj(self):
        if self.props is not None:
            return self.cls.render_fragment_props(self.inst, self.props)
        return self.cls.store.render(self.cls, self.inst)

    def epr(self):
        return self.cls.epr(self.inst)


class WmiHandler(ResourceHandler):
    """Resource handler for http://schemas.microsoft.com/wbem/wsman/1/wmi/..."""

    def __init__(self, store):
        self.store = store

    def reset(self):
        self.store.reset()

    # ---- resource URI -> class ---------------------------------------------------------------
    def resolve(self, uri, allow_star=False):
        rest = uri[len(ns.WMI_ROOT):].strip("/")
        namespace, _, name = rest.rpartition("/")
        if namespace.lower() != CIMV2_NS:
            raise wmi_fault("INVALID_RESOURCE_URI",
                            "The WS-Management service cannot process the request. The WMI namespace %s does not "
                            "exist on this computer." % namespace.replace("/", "\\"))
        if name == "*":
            if allow_star:
                return None
            raise wmi_fault("INVALID_RESOURCE_URI")
        cls = self.store.cls(name)
        if cls is None:
            raise wmi_fault("INVALID_RESOURCE_URI", "invalid_class",
                            message="The WS-Management service cannot process the request. The WMI class %s does "
                                    "not exist in the namespace root\\cimv2." % name)
        return cls

    # ---- transfer ----------------------------------------------------------------------------
    def get(self, op):
        req = op.req
        cls = self.resolve(req.resource_uri)
        with self.store.lock:
            inst = self.store.find(cls, req.selectors)
            if req.fragment is not None:
                frag = fragment.parse(req.fragment, req.fragment_dialect, cls)
                return fragment.render(frag, cls, inst, req.fragment)
            return self.store.render(cls, inst, location=True)

    def put(self, op):
        req = op.req
        cls = self.resolve(req.resource_uri)
        with self.store.writing():
            inst = self.store.find(cls, req.selectors)
            if req.fragment is not None:
                frag = fragment.parse(req.fragment, req.fragment_dialect, cls)
                value = fragment.apply_put(frag, cls, inst, req.payload, req.fragment)
                self._check_writable(cls, inst, {frag.prop: value})
                inst[frag.prop] = value
                self.store.changed()
                return fragment.render(frag, cls, inst, req.fragment)
            changes = self._parse_representation(cls, req.payload)
            self._check_writable(cls, inst, changes)
            inst.update(changes)
            self.store.changed()
            return cls.render(inst, location=True)

    def create(self, op):
        req = op.req
        cls = self.resolve(req.resource_uri)
        if not cls.creatable:
            raise wmi_fault("ACTION_NOT_SUPPORTED", "not_supported", operation="PutInstance")
        with self.store.writing():
            values = self._parse_representation(cls, req.payload)
            missing = [k for k in cls.keys if values.get(k) in (None, "")]
            if missing:
                raise WSManFault("INVALID_REPRESENTATION",
                                 "The WS-Management service cannot process the request. The key property %s is "
                                 "missing from the input XML." % missing[0], provider=WMI_PROVIDER)
            for inst in cls.instances:
                if all(str(inst.get(k)).lower() == str(values[k]).lower() for k in cls.keys):
                    raise wmi_fault("ALREADY_EXISTS", "already_exists", operation="PutInstance")
            inst = {p: None for p, _ in cls.props}
            inst.update(cls.defaults)
            inst.update(values)
            cls.instances.append(inst)
            self.store.changed()
            sels = cls.selectors(inst)
        return ("<x:ResourceCreated>%s</x:ResourceCreated>" % epr_inner(cls.uri, sels, address=req.to))

    def delete(self, op):
        req = op.req
        cls = self.resolve(req.resource_uri)
        if not cls.deletable:
            raise wmi_fault("ACTION_NOT_SUPPORTED", "not_supported", operation="DeleteInstance")
        with self.store.writing():
            inst = self.store.find(cls, req.selectors)
            cls.instances.remove(inst)
            self.store.changed()
        return ""

    def invoke(self, op, method):
        req = op.req
        cls = self.resolve(req.resource_uri)
        impl = wmi_methods.lookup(cls.name, method)
        if impl is None:
            raise wmi_fault("ACTION_NOT_SUPPORTED", "invalid_method", operation="ExecMethod", parameter=method)
        static, fn, in_types = impl
        payload = req.payload
        root = "%s_INPUT" % method
        if payload is None or payload.tag.rpartition("}")[2] != root:
            got = payload.tag.rpartition("}")[2] if payload is not None else "(empty body)"
            raise WSManFault("INVALID_PARAMETER",
                             "The WS-Management service cannot process the request. The root element of the input "
                             "XML must be %s, not %s (the name is case-sensitive)." % (root, got),
                             provider=WMI_PROVIDER)
        if payload.tag.partition("}")[0][1:].lower().rstrip("/") != cls.uri.lower():
            raise WSManFault("INVALID_XML_NAMESPACE", provider=WMI_PROVIDER)
        args = {}
        for e in payload:
            local = e.tag.rpartition("}")[2]
            ctype = in_types.get(local)
            if ctype is None:
                raise wmi_fault("INVALID_PARAMETER", "invalid_method_parameters", operation="ExecMethod",
                                message="The WS-Management service cannot process the request. %s is not a "
                                        "parameter of %s.%s." % (local, cls.name, method))
            try:
                from .cim import parse_scalar
                nil = e.get("{%s}nil" % ns.XSI) in ("true", "1")
                args[local] = None if nil else parse_scalar(ctype, e.text or "")
            except CimTypeError as exc:
                raise wmi_fault("INVALID_PARAMETER", "invalid_method_parameters", operation="ExecMethod",
                                message="The WS-Management service cannot process the request. %s." % exc)
        with self.store.writing():
            inst = None
            if not static or req.selectors:
                inst = self.store.find(cls, req.selectors)
            out = fn(self.store, cls, inst, args)
            self.store.changed()
        body = "".join("<p:%s>%s</p:%s>" % (k, escape(format_scalar(t, v)), k) for k, t, v in out)
        return '<p:%s_OUTPUT xmlns:p="%s">%s</p:%s_OUTPUT>' % (method, cls.uri, body, method)

    # ---- enumeration -------------------------------------------------------------------------
    def enumerate(self, op, dialect, filter_elem):
        req = op.req
        star = req.resource_uri.rstrip("/").endswith("/*")
        d = (dialect or "").lower().rstrip("/")
        if d == ns.WQL.lower():
            if not star or req.selectors:
                raise wmi_fault("INVALID_URI_WMI_ENUM_WQL")
            self.resolve(req.resource_uri, allow_star=True)
            return self._wql(filter_elem)
        if d in ns.ASSOCIATION_FILTERS:
            self.resolve(req.resource_uri, allow_star=True)
            return self._association(filter_elem)
        cls = self.resolve(req.resource_uri)
        if req.selectors:
            raise wmi_fault("ENUMERATE_WMI_INVALID_KEY")
        if dialect is None:
            with self.store.lock:
                return [Item(cls, inst) for inst in cls.instances]
        if d == ns.SELECTOR_FILTER.lower():
            return self._selector_filter(cls, filter_elem)
        raise WSManFault("FILTER_DIALECT_UNAVAILABLE", provider=WMI_PROVIDER)

    def _wql(self, filter_elem):
        from .soap import element_text
        text = element_text(filter_elem).strip()
        try:
            query = wql.parse(text)
        except wql.WqlError as exc:
            raise _filter_fault("invalid_query", text, str(exc))
        cls = self.store.cls(query.cls)
        if cls is None:
            raise _filter_fault("invalid_class", text)
        props = None
        if query.props is not None:
            props = set()
            for p in query.props:
                canon = cls.prop(p)
                if canon is None:
                    raise _filter_fault("invalid_query", text, "no property %s in %s" % (p, cls.name))
                props.add(canon)
        for p in query.props_used:
            if cls.prop(p) is None:
                raise _filter_fault("invalid_query", text, "no property %s in %s" % (p, cls.name))
        with self.store.lock:
            out = []
            for inst in cls.instances:
                if query.where is not None:
                    try:
                        if not query.where(lambda name: inst.get(cls.prop(name))):
                            continue
                    except wql.WqlError as exc:
                        raise _filter_fault("invalid_query", text, str(exc))
                out.append(Item(cls, inst, props))
            return out

    def _selector_filter(self, cls, filter_elem):
        from .soap import parse_selector_set
        sset = filter_elem.find("{%s}SelectorSet" % ns.W) if filter_elem is not None else None
        if sset is None:
            raise WSManFault("CANNOT_PROCESS_FILTER", provider=WMI_PROVIDER)
        sels = parse_selector_set(sset)
        names = [s.name.lower() for s in sels]
        if len(set(names)) != len(names):
            raise WSManFault("CANNOT_PROCESS_FILTER", "The selector filter contains duplicate names.",
                             provider=WMI_PROVIDER)
        tests = []
        for s in sels:
            prop = cls.prop(s.name or "")
            if prop is None:
                raise WSManFault("CANNOT_PROCESS_FILTER", "The property %s does not exist in %s." % (s.name, cls.name),
                                 provider=WMI_PROVIDER)
            ctype = cls.types[prop]
            if ctype.endswith("[]") or ctype in ("datetime", "interval") or ctype.startswith("ref:") \
                    or s.epr is not None or '"' in (s.value or "") or "'" in (s.value or ""):
                raise WSManFault("CANNOT_PROCESS_FILTER",
                                 "The selector filter cannot use the property %s or its value." % prop,
                                 provider=WMI_PROVIDER)
            tests.append((prop, self.store._matcher(cls, prop, s)))
        with self.store.lock:
            return [Item(cls, inst) for inst in cls.instances if all(t(inst.get(p)) for p, t in tests)]

    def _association(self, filter_elem):
        from .soap import parse_epr
        if filter_elem is None or not len(filter_elem):
            raise WSManFault("CANNOT_PROCESS_FILTER", provider=WMI_PROVIDER)
        spec = filter_elem[0]
        kind = spec.tag.rpartition("}")[2]
        if kind not in ("AssociatedInstances", "AssociationInstances"):
            raise WSManFault("CANNOT_PROCESS_FILTER", "Unknown association filter element %s." % kind,
                             provider=WMI_PROVIDER)
        fields = {}
        obj = None
        for e in spec:
            local = e.tag.rpartition("}")[2]
            if local == "Object":
                obj = parse_epr(e)
            else:
                fields[local] = (e.text or "").strip()
        if obj is None:
            raise WSManFault("CANNOT_PROCESS_FILTER", "The association filter has no Object.", provider=WMI_PROVIDER)
        src_uri, src_sels = obj
        if "://" in src_uri and not src_uri.lower().startswith(ns.CIMV2.lower()):
            raise WSManFault("CANNOT_PROCESS_FILTER", "The Object EPR is not a root/cimv2 resource.",
                             provider=WMI_PROVIDER)
        src_cls = self.store.cls(src_uri.rstrip("/").rpartition("/")[2])
        if src_cls is None:
            raise _filter_fault("invalid_class", src_uri)
        with self.store.lock:
            src = self.store.find(src_cls, src_sels)
            assoc_name = fields.get("AssociationClassName", "").lower()
            role = fields.get("Role", "").lower()
            result_class = fields.get("ResultClassName", "").lower()
            result_role = fields.get("ResultRole", "").lower()
            out = []
            for acls in self.store.classes.values():
                refs = [p for p, t in acls.props if t.startswith("ref:")]
                if len(refs) < 2 or (assoc_name and acls.name.lower() != assoc_name):
                    continue
                for ainst in acls.instances:
                    for near in refs:
                        if role and near.lower() != role:
                            continue
                        if acls.types[near][4:].lower() != src_cls.name.lower() or \
                                not self.store.refers_to(ainst.get(near), src_cls, src):
                            continue
                        if kind == "AssociationInstances":
                            if not result_class or acls.name.lower() == result_class:
                                out.append(Item(acls, ainst))
                            break
                        for far in refs:
                            if far == near or (result_role and far.lower() != result_role):
                                continue
                            tcls, tinst = self.store.deref(acls.types[far], ainst.get(far))
                            if tinst is None or (result_class and tcls.name.lower() != result_class):
                                continue
                            if not any(i.inst is tinst for i in out):
                                out.append(Item(tcls, tinst))
            return out

    def _parse_representation(self, cls, payload):
        """Put/Create body -> {property: value}; Windows' representation faults."""
        if payload is None:
            raise WSManFault("INVALID_REPRESENTATION", provider=WMI_PROVIDER)
        nsuri, _, local = payload.tag[1:].partition("}") if payload.tag.startswith("{") else ("", "", payload.tag)
        if local != cls.name:
            raise WSManFault("INVALID_REPRESENTATION",
                             "The WS-Management service cannot process the request. The root element of the input "
                             "XML must be %s (case-sensitive), not %s." % (cls.name, local), provider=WMI_PROVIDER)
        if nsuri.lower().rstrip("/") != cls.uri.lower():
            raise WSManFault("INVALID_XML_NAMESPACE", provider=WMI_PROVIDER)
        groups = {}
        for e in payload:
            plocal = e.tag.rpartition("}")[2]
            if e.tag.startswith("{%s}" % ns.CIM) and plocal == "Location":
                continue
            prop = plocal if plocal in cls.types else cls.prop(plocal)
            if prop is None:
                raise WSManFault("INVALID_REPRESENTATION",
                                 "The WS-Management service cannot process the request. The property %s does not "
                                 "exist in class %s." % (plocal, cls.name), provider=WMI_PROVIDER)
            groups.setdefault(prop, []).append(e)
        values = {}
        for prop, elems in groups.items():
            try:
                values[prop] = cls.parse_property(prop, elems)
            except CimTypeError as exc:
                raise WSManFault("INVALID_REPRESENTATION",
                                 "The WS-Management service cannot process the request. The value of %s is not "
                                 "valid: %s." % (prop, exc), provider=WMI_PROVIDER)
        return values

    def _check_writable(self, cls, inst, changes):
        for prop, value in changes.items():
            if prop in cls.keys or prop in cls.readonly:
                if value != inst.get(prop) and not (isinstance(value, str) and isinstance(inst.get(prop), str)
                                                    and value.lower() == inst.get(prop).lower()):
                    raise wmi_fault("INVALID_REPRESENTATION", "read_only", operation="PutInstance",
                                    message="The WS-Management service cannot process the request. The property %s "
                                            "is a key or read-only property and cannot be changed." % prop)


def _filter_fault(kind, query, detail=None):
    f = wmi_fault("CANNOT_PROCESS_FILTER", kind, operation="ExecQuery", parameter=query)
    if detail:
        f.message = "%s (%s)" % (f.message, detail)
    return f


def selectors_xml(cls, inst):
    return selector_set(cls.selectors(inst))
