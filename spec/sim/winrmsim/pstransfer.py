# SPDX-License-Identifier: MIT
"""File copy/fetch scripts of the PSRP plug-in, on files in the simulator's sandbox directory.

A script is recognised by a marker line (``#lua-wsman:copy`` or ``#lua-wsman:fetch``, case-insensitive,
anywhere in the script) or by a line of pypsrp's own scripts (the recordings' test_client_copy_* and
test_client_fetch_*). The behaviour is that of those scripts as recorded on Windows:

copy  arguments (path, expand_variables): the input objects are base64 strings of consecutive chunks; the
      last input object is the base64 of the lower-case hex SHA-1 of the whole file. The data goes to a
      temporary file (lua-wsman's script: beside the destination, created before any input is read;
      pypsrp's: in the sandbox); on a hash match it replaces the destination and the full Windows path is
      output; on a mismatch the pipeline fails with "Transport failure, hash mismatch\r\nActual: A\r\n
      Expected: E" and the destination is untouched.
fetch arguments (path, expand_variables[, chunk_size]): outputs the file as base64 strings of chunk_size
      bytes (default: the whole file in one string, as pypsrp's script), then the lower-case hex SHA-1.
      A directory fails with "The path at 'P' is a directory, src must be a file", a missing file with
      "The path at 'P' does not exist".

Windows paths map into the sandbox: ``C:\\X\\Y`` -> ``<sandbox>/C/X/Y`` (case-insensitive lookup of each
part), a relative path is relative to the user's Documents folder, ``%VAR%`` is expanded from a small
Windows-like environment when expand_variables is true. ``C:\\Windows`` and below are read-only (writes
fail with "Access to the path 'P' is denied.").
"""

import base64
import hashlib
import os
import re
import tempfile
import uuid

from . import psrecords as rec

COPY_MARKER = "#lua-wsman:copy"
FETCH_MARKER = "#lua-wsman:fetch"
PYPSRP_COPY = "[System.IO.File]::Move($path, $output_path)"
PYPSRP_FETCH = "Write-Output -InputObject ([System.Convert]::ToBase64String($bytes))"
READ_BLOCK = 1 << 20


def recognise(script):
    low = script.lower()
    if COPY_MARKER in low:
        return copy
    if PYPSRP_COPY.lower() in low:
        return copy_pypsrp
    if FETCH_MARKER in low or PYPSRP_FETCH.lower() in low:
        return fetch
    return None


def environment(user, computer="WINRM-SIM"):
    home = "C:\\Users\\%s" % user
    return {"TEMP": home + "\\AppData\\Local\\Temp", "TMP": home + "\\AppData\\Local\\Temp",
            "USERPROFILE": home, "HOMEDRIVE": "C:", "HOMEPATH": "\\Users\\" + user, "USERNAME": user,
            "APPDATA": home + "\\AppData\\Roaming", "LOCALAPPDATA": home + "\\AppData\\Local",
            "WINDIR": "C:\\Windows", "SYSTEMROOT": "C:\\Windows", "SYSTEMDRIVE": "C:",
            "PROGRAMDATA": "C:\\ProgramData", "PROGRAMFILES": "C:\\Program Files", "PUBLIC": "C:\\Users\\Public",
            "COMPUTERNAME": computer}


class Sandbox:
    def __init__(self, root, user, computer="WINRM-SIM"):
        self.root = root
        self.user = user
        self.computer = computer
        for d in ("Windows\\System32", "Users\\%s\\Documents" % user, "Users\\%s\\AppData\\Local\\Temp" % user,
                  "Users\\%s\\AppData\\Roaming" % user, "ProgramData"):
            os.makedirs(os.path.join(root, "C", *d.split("\\")), exist_ok=True)

    def expand(self, path):
        env = environment(self.user, self.computer)
        return re.sub(r"%([^%]+)%", lambda m: env.get(m.group(1).upper(), m.group(0)), path)

    def windows_path(self, path):
        """Absolute Windows path (GetUnresolvedProviderPathFromPSPath relative to Documents)."""
        path = path.replace("/", "\\")
        if not re.match(r"^[A-Za-z]:\\", path):
            path = "C:\\Users\\%s\\Documents\\%s" % (self.user, path)
        parts = []
        for p in path[3:].split("\\"):
            if p in ("", "."):
                continue
            if p == "..":
                if parts:
                    parts.pop()
                continue
            parts.append(p)
        return path[0].upper() + ":\\" + "\\".join(parts)

    def local(self, winpath):
        """The sandbox file for a Windows path (existing parts matched case-insensitively)."""
        cur = os.path.join(self.root, winpath[0].upper())
        for part in winpath[3:].split("\\"):
            if not part:
                continue
            exact = os.path.join(cur, part)
            if not os.path.exists(exact) and os.path.isdir(cur):
                for name in os.listdir(cur):
                    if name.lower() == part.lower():
                        exact = os.path.join(cur, name)
                        break
            cur = exact
        return cur

    @staticmethod
    def read_only(winpath):
        return winpath.lower() == "c:\\windows" or winpath.lower().startswith("c:\\windows\\")


def _resolve(runner, args):
    box = runner.pool.sandbox
    raw = str(args[0]) if args else ""
    if len(args) > 1 and args[1] is True:
        raw = box.expand(raw)
    winpath = box.windows_path(raw)
    return box, winpath, box.local(winpath)


def _fail(runner, message):
    from .psengine import Terminate
    raise Terminate(rec.runtime_error(message, runner.script))


def _method_error(runner, method, args, message):
    from .psengine import Terminate
    text = 'Exception calling "%s" with "%d" argument(s): "%s"' % (method, args, message)
    raise Terminate(rec.error_record(text, "System.Management.Automation.MethodInvocationException",
                                     ["System.Management.Automation.MethodException",
                                      "System.Management.Automation.RuntimeException"],
                                     category="NotSpecified", activity="", reason="MethodInvocationException",
                                     fqid="UnauthorizedAccessException", script=runner.script,
                                     write_stream=False))


def copy(runner, args):
    """lua-wsman's copy.ps1: the temporary file is created beside the destination before any input is
    read, so a missing or read-only directory fails at once (File.Create's error)."""
    box, winpath, local = _resolve(runner, args)
    parent, _, _ = winpath.rpartition("\\")
    temp_win = "%s\\.lua-wsman-%s.part" % (parent, uuid.uuid4().hex)
    if box.read_only(temp_win):
        _method_error(runner, "Create", 1, "Access to the path '%s' is denied." % temp_win)
    if not os.path.isdir(os.path.dirname(local)):
        _method_error(runner, "Create", 1, "Could not find a part of the path '%s'." % temp_win)
    return _receive(runner, box, winpath, local, os.path.join(os.path.dirname(local),
                                                                  temp_win.rpartition("\\")[2]))


def copy_pypsrp(runner, args):
    """pypsrp's copy script: the temporary file is GetTempFileName(); errors come when the destination is
    replaced at the end."""
    box, winpath, local = _resolve(runner, args)
    fd, tmp = tempfile.mkstemp(dir=box.root, prefix=".upload-")
    os.close(fd)
    return _receive(runner, box, winpath, local, tmp)


def _receive(runner, box, winpath, local, tmp):
    algo = hashlib.sha1()
    previous = None
    try:
        with open(tmp, "wb") as out:
            for item in runner.pipe.input():
                if previous is not None:
                    algo.update(previous)
                    out.write(previous)
                previous = base64.b64decode(str(item))
        expected = (previous or b"").decode("utf-8", "replace")
        actual = algo.hexdigest()
        if actual != expected:
            _fail(runner, "Transport failure, hash mismatch\r\nActual: %s\r\nExpected: %s" % (actual, expected))
        if box.read_only(winpath) or os.path.isdir(local):
            _method_error(runner, "Delete", 1, "Access to the path '%s' is denied." % winpath)
        if not os.path.isdir(os.path.dirname(local)):
            _method_error(runner, "Delete", 1, "Could not find a part of the path '%s'." % winpath)
        os.replace(tmp, local)
        tmp = None
        yield winpath
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)


def fetch(runner, args):
    box, winpath, local = _resolve(runner, args)
    if os.path.isdir(local):
        _fail(runner, "The path at '%s' is a directory, src must be a file" % winpath)
    if not os.path.exists(local):
        _fail(runner, "The path at '%s' does not exist" % winpath)
    chunk = int(args[2]) if len(args) > 2 and args[2] else None
    algo = hashlib.sha1()
    with open(local, "rb") as fh:
        if chunk is None:
            data = fh.read()
            algo.update(data)
            yield base64.b64encode(data).decode("ascii")
        else:
            while True:
                data = fh.read(chunk)
                if not data:
                    break
                algo.update(data)
                yield base64.b64encode(data).decode("ascii")
    yield algo.hexdigest()
