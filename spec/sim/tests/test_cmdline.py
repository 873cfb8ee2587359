# SPDX-License-Identifier: MIT
"""Windows command lines: the MSVCRT split and cmd.exe's operators, as /bin/sh runs them."""

import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from winrmsim import cmdline  # noqa: E402


class SplitTest(unittest.TestCase):
    def test_msvcrt_rules(self):
        cases = [
            ('a b  c', ["a", "b", "c"]),
            ('"a b" c', ["a b", "c"]),
            (r'a\\b', [r"a\\b"]),
            (r'"a\\" b', ["a\\", "b"]),
            (r'a\"b', ['a"b']),
            (r'a\\\"b', ['a\\"b']),
            ('""', [""]),
            ('"say ""hi"""', ['say "hi"']),
            ('x"y z"w', ["xy zw"]),
        ]
        for line, argv in cases:
            self.assertEqual(argv, cmdline.split(line), line)


class CmdTest(unittest.TestCase):
    def run_sh(self, line):
        r = subprocess.run(["/bin/sh", "-c", cmdline.to_sh(line)], capture_output=True, text=True)
        return r.stdout, r.stderr, r.returncode

    def test_operators_outside_quotes_only(self):
        self.assertEqual(("a&b\n", "", 0), self.run_sh('echo "a&b"'))
        self.assertEqual(("a\nb\n", "", 0), self.run_sh("echo a & echo b"))
        self.assertEqual(("out\n", "err\n", 3), self.run_sh("echo out && echo err>&2 && exit 3"))
        self.assertEqual(("x|y\n", "", 0), self.run_sh("echo x^|y"))

    def test_posix_characters_are_literal(self):
        self.assertEqual(("$HOME it's ;ls *\n", "", 0), self.run_sh("echo $HOME it's ;ls *"))


if __name__ == "__main__":
    unittest.main()
