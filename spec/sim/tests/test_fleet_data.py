#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Hosts of a fleet share the WMI data, its renderings and its key index until one modifies its own: what
a host answers from the shared data equals what it renders and finds from its own instances."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from winrmsim import wmi  # noqa: E402
from winrmsim.cim import format_scalar  # noqa: E402
from winrmsim.soap import Selector  # noqa: E402

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")
NAMES = ("WINRM-SIM-0001", "winrm-sim-0002", "A&B<C>", wmi.DEFAULT_COMPUTER_NAME)


def keyed_classes(store):
    return [c for c in store.classes.values()
            if not c.singleton and not any(c.types[k].startswith("ref:") for k in c.keys)]


class SharedDataTest(unittest.TestCase):
    def check_store(self, store):
        for cls in store.classes.values():
            for inst in cls.instances:
                for location in (False, True):
                    self.assertEqual(store.render(cls, inst, location), cls.render(inst, location=location),
                                     (store.computer_name, cls.name))
        for cls in keyed_classes(store):
            for inst in cls.instances:
                sels = [Selector(k, format_scalar(cls.types[k], inst.get(k)).swapcase()) for k in cls.keys]
                self.assertIs(store.find(cls, sels), inst, (store.computer_name, cls.name))

    def test_shared_renderings_and_keys_equal_the_hosts_own(self):
        for name in NAMES:
            for extra in (0, 5):
                store = wmi.WmiStore(DATA, extra, name)
                self.check_store(store)
                self.assertFalse(store.private)

    def test_a_modified_host_renders_its_own_instances(self):
        store = wmi.WmiStore(DATA, 5, "WINRM-SIM-0003")
        other = wmi.WmiStore(DATA, 5, "WINRM-SIM-0004")
        with store.writing():
            svc = store.find(store.cls("Win32_Service"), [Selector("Name", "Spooler")])
            svc["State"] = "Stopped"
            procs = store.cls("Win32_Process")
            procs.instances.remove(procs.instances[0])
            store.changed()
        self.check_store(store)
        self.assertIn("<p:State>Stopped</p:State>", store.render(store.cls("Win32_Service"), svc))
        theirs = other.find(other.cls("Win32_Service"), [Selector("Name", "Spooler")])
        self.assertIn("<p:State>Running</p:State>", other.render(other.cls("Win32_Service"), theirs))
        self.check_store(other)
        store.reset()
        self.assertFalse(store.private)
        self.check_store(store)

    def test_hosts_name_themselves(self):
        store = wmi.WmiStore(DATA, 0, "WINRM-SIM-0042")
        cs = store.cls("Win32_ComputerSystem")
        xml = store.render(cs, cs.instances[0], True)
        self.assertIn("WINRM-SIM-0042", xml)
        self.assertNotIn("\x00", xml)


if __name__ == "__main__":
    unittest.main()
