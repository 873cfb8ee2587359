# SPDX-License-Identifier: MIT
"""$host.UI.RawUI as the PSRP plug-in emulates it (MS-PSRP 2.2.3.14 HostDefaultData, 2.2.3.17 host methods).

A client with a raw UI sends its state in the HostInfo's `_hostDefaultData` (keys 0-9). Reading a property
answers from that data without a host call, as Windows does in test_psrp_pshost_raw_ui_mocked_methods.yml;
a property the data lacks is asked of the client (`Get<Name>`, a host call with a call id). Setting one sends
the void call `Set<Name>` and updates the data, so the next read gives the new value (as recorded).
`ReadKey(options)` is a host call whose answer (a KeyInfo) is the output; `FlushInputBuffer()` a void call.
"""

from .clixml import PSObject, Value, enum, plain

# property (lower case) -> (HostDefaultData key, name, kind, settable)
PROPERTIES = {
    "foregroundcolor": (0, "ForegroundColor", "color", True), "backgroundcolor": (1, "BackgroundColor", "color", True),
    "cursorposition": (2, "CursorPosition", "coordinates", True),
    "windowposition": (3, "WindowPosition", "coordinates", True), "cursorsize": (4, "CursorSize", "int", True),
    "buffersize": (5, "BufferSize", "size", True), "windowsize": (6, "WindowSize", "size", True),
    "maxwindowsize": (7, "MaxWindowSize", "size", False),
    "maxphysicalwindowsize": (8, "MaxPhysicalWindowSize", "size", False),
    "windowtitle": (9, "WindowTitle", "string", True), "keyavailable": (None, "KeyAvailable", "bool", False),
}
COLORS = ["Black", "DarkBlue", "DarkGreen", "DarkCyan", "DarkRed", "DarkMagenta", "DarkYellow", "Gray", "DarkGray",
          "Blue", "Green", "Cyan", "Red", "Magenta", "Yellow", "White"]
CONTROL_KEYS = [(1, "RightAltPressed"), (2, "LeftAltPressed"), (4, "RightCtrlPressed"), (8, "LeftCtrlPressed"),
                (16, "ShiftPressed"), (32, "NumLockOn"), (64, "ScrollLockOn"), (128, "CapsLockOn"),
                (256, "EnhancedKey")]
COORDINATES = "System.Management.Automation.Host.Coordinates"
SIZE = "System.Management.Automation.Host.Size"


class RawUIError(Exception):
    """What PowerShell would throw (the pipeline fails with it)."""


def default_data(host_info):
    """HostInfo -> {key: wire value} of its HostDefaultData; None when the host has no raw UI."""
    if not isinstance(host_info, PSObject) or host_info.get("_isHostNull") is not False \
            or host_info.get("_isHostRawUINull") is not False:
        return None
    data = host_info.get("_hostDefaultData")
    table = data.get("data") if isinstance(data, PSObject) else None
    out = {}
    if isinstance(table, PSObject) and isinstance(table.value, dict):
        for k, v in table.value.items():
            if isinstance(v, PSObject):
                out[int(plain(k))] = v.get("V")
    return out


def _int(v, name):
    v = plain(v)
    if isinstance(v, str) and v.strip().lstrip("-").isdigit():
        v = int(v)
    if not isinstance(v, int) or isinstance(v, bool):
        raise RawUIError("Cannot convert value \"%s\" to type \"System.Int32\" (%s)." % (v, name))
    return v


def _pair(v, a, b):
    if isinstance(v, PSObject):
        return int(plain(v.get(a) if v.get(a) is not None else v.get(a.capitalize()))), \
            int(plain(v.get(b) if v.get(b) is not None else v.get(b.capitalize())))
    raise RawUIError("Cannot convert the value to a %s object." % ("Coordinates" if a == "x" else "Size"))


def to_wire(kind, value, name):
    """A value a script assigns -> what the host method takes (MS-PSRP 2.2.3.1 Coordinates, 2.2.3.2 Size)."""
    if kind == "color":
        v = plain(value)
        if isinstance(v, str) and v.lower() in [c.lower() for c in COLORS]:
            return [c.lower() for c in COLORS].index(v.lower())
        n = _int(v, name)
        if not 0 <= n < len(COLORS):
            raise RawUIError("Cannot convert value \"%d\" to type \"System.ConsoleColor\"." % n)
        return n
    if kind == "int":
        return _int(value, name)
    if kind == "coordinates":
        x, y = _pair(value, "x", "y")
        return PSObject(extended={"x": x, "y": y})
    if kind == "size":
        w, h = _pair(value, "width", "height")
        return PSObject(extended={"width": w, "height": h})
    return str(plain(value))


def to_output(kind, wire):
    """A wire value -> the object PowerShell outputs for the property (shapes of the recording)."""
    if kind == "color":
        n = int(plain(wire))
        return enum(["System.ConsoleColor"], COLORS[n] if 0 <= n < len(COLORS) else str(n), n)
    if kind == "coordinates":
        x, y = _pair(wire, "x", "y")
        return PSObject([COORDINATES, "System.ValueType", "System.Object"], "%d,%d" % (x, y), props={"X": x, "Y": y})
    if kind == "size":
        w, h = _pair(wire, "width", "height")
        return PSObject([SIZE, "System.ValueType", "System.Object"], "%d,%d" % (w, h),
                        props={"Width": w, "Height": h})
    if kind in ("int", "bool"):
        return plain(wire)
    return str(plain(wire))


def key_info(mr):
    """ReadKey's answer (MS-PSRP 2.2.3.3 KeyInfo) -> the KeyInfo object PowerShell outputs."""
    if not isinstance(mr, PSObject):
        raise RawUIError("The host's ReadKey answer is not a KeyInfo.")
    code = int(plain(mr.get("virtualKeyCode")) or 0)
    char = plain(mr.get("character"))
    char = char if isinstance(char, str) else chr(int(char or 0))
    state = int(plain(mr.get("controlKeyState")) or 0)
    down = plain(mr.get("keyDown")) is not False
    names = ", ".join(n for bit, n in CONTROL_KEYS if state & bit) or "0"
    return PSObject(["System.Management.Automation.Host.KeyInfo", "System.ValueType", "System.Object"],
                    "%d,%s,%s,%s" % (code, char, names, down),
                    props={"VirtualKeyCode": code, "Character": Value("C", str(ord(char))) if char else None,
                           "ControlKeyState": names, "KeyDown": down})


def new_object(type_name, args):
    """New-Object -TypeName <Coordinates|Size> -ArgumentList a, b; None for another type."""
    t = type_name.lower()
    if t in (COORDINATES.lower(), SIZE.lower()):
        if len(args) != 2:
            raise RawUIError("Cannot find an overload for \"%s\" and the argument count: \"%d\"."
                             % (type_name.rsplit(".", 1)[-1], len(args)))
        a, b = (_int(v, type_name) for v in args)
        if t == COORDINATES.lower():
            return to_output("coordinates", PSObject(extended={"x": a, "y": b}))
        return to_output("size", PSObject(extended={"width": a, "height": b}))
    return None


class RawUI:
    """$host.UI.RawUI of one pipeline: its host's data (the pipeline's, or the pool's when it uses the pool's
    host) and its host channel (pipe.host_call / host_void)."""

    def __init__(self, pipe):
        self.pipe = pipe

    def data(self):
        data = self.pipe.raw_ui
        if data is None:
            raise RawUIError("The method or operation is not implemented.")   # no host, or no raw UI
        return data

    def get(self, prop):
        key, name, kind, _ = self.lookup(prop)
        data = self.data()
        if key is not None and key in data:
            return to_output(kind, data[key])
        return to_output(kind, self.pipe.host_call("Get" + name, []))

    def set(self, prop, value):
        key, name, kind, settable = self.lookup(prop)
        if not settable:
            raise RawUIError("'%s' is a ReadOnly property." % name)
        data = self.data()
        wire = to_wire(kind, value, name)
        self.pipe.host_void("Set" + name, [wire])
        data[key] = wire

    def call(self, method, args):
        self.data()
        m = method.lower()
        if m == "readkey":
            options = _int(args[0], "ReadKey") if args else 4      # ReadKeyOptions.IncludeKeyDown
            return key_info(self.pipe.host_call("ReadKey", [options]))
        if m == "flushinputbuffer":
            self.pipe.host_void("FlushInputBuffer", [])
            return None
        raise RawUIError("Method invocation failed because [System.Management.Automation.Internal.Host."
                         "InternalHostRawUserInterface] does not contain a method named '%s'." % method)

    @staticmethod
    def lookup(prop):
        found = PROPERTIES.get(prop.lower())
        if found is None:
            raise RawUIError("The property '%s' cannot be found on this object. Verify that the property exists."
                             % prop)
        return found
