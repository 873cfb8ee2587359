#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A throwaway MIT Kerberos realm on loopback for lua-wsman's tests (see README.md next to this file).

    kdc.py start [--dir DIR] [--realm R] [--daemon] [--spn-port N]... [--enctypes LIST]
    kdc.py stop DIR
    kdc.py kinit DIR [--ccache CCACHE] [--principal P] [--forwardable]   (password on stdin)
    kdc.py add-principal DIR NAME...       (service principals, added to the acceptor keytab)

Nothing outside DIR is written and no system configuration is read or changed: every tool runs
with KRB5_CONFIG / KRB5_KDC_PROFILE pointing into DIR.
"""

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

REALM = "LUA-WSMAN.TEST"
USER = "testuser"
PASSWORD = "Passw0rd!"
HOSTS = ("localhost", "127.0.0.1")
SERVICES = ("HTTP", "WSMAN")
MASTER_PASSWORD = "lua-wsman-throwaway-master"


def tool(name):
    for d in ("/usr/sbin", "/usr/bin", "/sbin", "/bin"):
        p = os.path.join(d, name)
        if os.access(p, os.X_OK):
            return p
    p = shutil.which(name)
    if not p:
        raise SystemExit("kdc: %s not found (install krb5-kdc, krb5-admin-server and krb5-user)" % name)
    return p


def env_for(d):
    env = dict(os.environ)
    env["KRB5_CONFIG"] = os.path.join(d, "krb5.conf")
    env["KRB5_KDC_PROFILE"] = os.path.join(d, "kdc.conf")
    env["KRB5CCNAME"] = "FILE:" + os.path.join(d, "ccache")
    env["KRB5RCACHEDIR"] = d
    env.pop("KRB5_KTNAME", None)
    env.pop("KRB5_CLIENT_KTNAME", None)
    return env


def run(d, *cmd, stdin=None):
    r = subprocess.run(list(cmd), env=env_for(d), input=stdin, capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise SystemExit("kdc: %s failed (%d): %s%s" % (" ".join(cmd[:2]), r.returncode, r.stdout, r.stderr))
    return r.stdout


def kadmin(d, realm, query):
    out = run(d, tool("kadmin.local"), "-r", realm, "-q", query)
    # kadmin.local exits 0 even when a query fails; it reports on stdout/stderr
    return out


def free_port():
    """A port free on 127.0.0.1 for both TCP and UDP (krb5kdc listens on both)."""
    for _ in range(50):
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.bind(("127.0.0.1", 0))
        port = t.getsockname()[1]
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            u.close()
            t.close()
        return port
    raise SystemExit("kdc: no free port")


def write_config(d, realm, port, enctypes):
    with open(os.path.join(d, "krb5.conf"), "w") as fh:
        fh.write("""[libdefaults]
    default_realm = {realm}
    dns_lookup_kdc = false
    dns_lookup_realm = false
    dns_canonicalize_hostname = false
    rdns = false
    ignore_acceptor_hostname = true
    forwardable = true
    udp_preference_limit = 1
    permitted_enctypes = {enctypes}
    default_tkt_enctypes = {enctypes}
    default_tgs_enctypes = {enctypes}
    allow_weak_crypto = {weak}
    allow_rc4 = {weak}

[realms]
    {realm} = {{
        kdc = 127.0.0.1:{port}
    }}

[domain_realm]
    localhost = {realm}
    127.0.0.1 = {realm}
    .localhost = {realm}
""".format(realm=realm, port=port, enctypes=" ".join(enctypes),
           weak="true" if any(e.startswith(("rc4", "arcfour", "des")) for e in enctypes) else "false"))
    with open(os.path.join(d, "kdc.conf"), "w") as fh:
        fh.write("""[kdcdefaults]
    kdc_listen = 127.0.0.1:{port}
    kdc_tcp_listen = 127.0.0.1:{port}

[realms]
    {realm} = {{
        database_name = {d}/principal
        key_stash_file = {d}/stash
        acl_file = {d}/kadm5.acl
        max_life = 10h
        max_renewable_life = 7d
        supported_enctypes = {supported}
        default_principal_flags = +forwardable
    }}

[logging]
    kdc = FILE:{d}/kdc.log
    admin_server = FILE:{d}/kadmin.log
    default = FILE:{d}/krb5.log
""".format(realm=realm, port=port, d=d, supported=" ".join(e + ":normal" for e in enctypes)))
    with open(os.path.join(d, "kadm5.acl"), "w") as fh:
        fh.write("*/admin@%s *\n" % realm)


def spns(ports):
    names = ["%s/%s" % (s, h) for s in SERVICES for h in HOSTS]
    for p in ports:
        names += ["%s/%s:%d" % (s, h, p) for s in SERVICES for h in HOSTS]
    return names


def add_services(d, realm, names):
    keytab = os.path.join(d, "http.keytab")
    for n in names:
        kadmin(d, realm, "addprinc -randkey +ok_as_delegate %s@%s" % (n, realm))
        kadmin(d, realm, "ktadd -k %s %s@%s" % (keytab, n, realm))
    os.chmod(keytab, 0o600)


def wait_ready(d, proc, port, realm, deadline=20.0):
    """Polls (bounded) until the KDC accepts TCP connections, then gets testuser's TGT with kinit."""
    end = time.monotonic() + deadline
    while True:
        if proc.poll() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if time.monotonic() > end:
                return False
            time.sleep(0.02)
    kinit(d, "FILE:" + os.path.join(d, "ccache"), "%s@%s" % (USER, realm), PASSWORD, forwardable=True)
    return True


def kinit(d, ccache, principal, password, forwardable=False):
    cmd = [tool("kinit"), "-c", ccache]
    if forwardable:
        cmd.append("-f")
    cmd.append(principal)
    run(d, *cmd, stdin=password + "\n")


def start(args):
    realm = args.realm
    own_dir = args.dir is None
    d = os.path.abspath(args.dir or tempfile.mkdtemp(prefix="lua-wsman-kdc-"))
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o700)
    enctypes = [e.strip() for e in args.enctypes.split(",") if e.strip()]
    proc = None
    for attempt in range(5):
        port = args.port or free_port()
        write_config(d, realm, port, enctypes)
        if attempt == 0:
            run(d, tool("kdb5_util"), "-r", realm, "-P", MASTER_PASSWORD, "create", "-s")
            kadmin(d, realm, "addprinc -pw %s %s@%s" % (PASSWORD, USER, realm))
            kadmin(d, realm, "ktadd -k %s -norandkey %s@%s" % (os.path.join(d, "testuser.keytab"), USER, realm))
            add_services(d, realm, spns(args.spn_port or []))
        log = open(os.path.join(d, "krb5kdc.out"), "ab")
        proc = subprocess.Popen([tool("krb5kdc"), "-n", "-r", realm, "-P", os.path.join(d, "krb5kdc.pid")],
                                env=env_for(d), stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                start_new_session=True, preexec_fn=None if args.daemon else _die_with_parent)
        log.close()
        try:
            ready = wait_ready(d, proc, port, realm)
        except SystemExit:
            proc.terminate()
            proc.wait(10)
            if own_dir:
                shutil.rmtree(d, ignore_errors=True)
            raise
        if ready:
            break
        if proc.poll() is None:
            proc.terminate()
            proc.wait(10)
        proc = None
        if args.port:
            break
    if proc is None:
        tail = ""
        for name in ("krb5kdc.out", "kdc.log"):
            try:
                with open(os.path.join(d, name)) as fh:
                    tail += fh.read()[-2000:]
            except OSError:
                pass
        if own_dir:
            shutil.rmtree(d, ignore_errors=True)
        raise SystemExit("kdc: krb5kdc did not start\n" + tail)
    with open(os.path.join(d, "pid"), "w") as fh:
        fh.write("%d\n" % proc.pid)
    if own_dir:
        open(os.path.join(d, ".remove-on-stop"), "w").close()
    lines = [
        "KDC_DIR=%s" % d,
        "KDC_PID=%d" % proc.pid,
        "KDC_PORT=%d" % port,
        "KRB5_REALM=%s" % realm,
        "KRB5_CONFIG=%s" % os.path.join(d, "krb5.conf"),
        "KRB5_KTNAME=FILE:%s" % os.path.join(d, "http.keytab"),
        "KRB5CCNAME=FILE:%s" % os.path.join(d, "ccache"),
        "KRB5_CLIENT_KTNAME=FILE:%s" % os.path.join(d, "testuser.keytab"),
        "KRB5RCACHEDIR=%s" % d,
        "KRB5_PRINCIPAL=%s@%s" % (USER, realm),
    ]
    sys.stdout.write("\n".join(lines) + "\n\n")
    sys.stdout.flush()
    if args.daemon:
        return 0
    stopping = []

    def on_signal(signum, frame):
        stopping.append(signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    parent = os.getppid()
    while not stopping and proc.poll() is None and os.getppid() == parent:   # also ends when the parent goes
        try:
            proc.wait(0.5)
        except subprocess.TimeoutExpired:
            pass
    stop_dir(d)
    return 0


def _die_with_parent():
    """In the foreground KDC child: SIGTERM when start.py dies, even by SIGKILL (Linux prctl)."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def stop_dir(d):
    d = os.path.abspath(d)
    pid = None
    for name in ("pid", "krb5kdc.pid"):
        try:
            with open(os.path.join(d, name)) as fh:
                pid = int(fh.read().strip())
            break
        except (OSError, ValueError):
            continue
    if pid:
        try:
            os.kill(pid, signal.SIGTERM)
            for _ in range(200):   # bounded wait for the KDC to go
                os.kill(pid, 0)
                try:
                    if os.waitpid(pid, os.WNOHANG)[0] == pid:
                        break
                except ChildProcessError:
                    pass
                time.sleep(0.025)
        except ProcessLookupError:
            pass
    if os.path.exists(os.path.join(d, ".remove-on-stop")):
        shutil.rmtree(d, ignore_errors=True)
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(prog="kdc.py", description="Throwaway Kerberos realm for lua-wsman's tests.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("start", help="create the realm, start krb5kdc, print key=value lines and an empty line")
    s.add_argument("--dir", help="directory for everything (default: a new temp dir, removed at stop)")
    s.add_argument("--realm", default=REALM)
    s.add_argument("--port", type=int, default=0, help="KDC port (default: a free one)")
    s.add_argument("--daemon", action="store_true", help="return after printing; stop later with 'stop DIR'")
    s.add_argument("--spn-port", type=int, action="append", metavar="N",
                   help="also create HTTP/host:N and WSMAN/host:N (SessionFlagEnableSPNServerPort); repeatable")
    s.add_argument("--enctypes", default="aes256-cts-hmac-sha1-96,aes128-cts-hmac-sha1-96",
                   help="comma-separated enctypes of keys and tickets (e.g. rc4-hmac for RC4 wrap tokens)")
    t = sub.add_parser("stop", help="stop the KDC started in DIR (and remove DIR if start created it)")
    t.add_argument("dir")
    k = sub.add_parser("kinit", help="get a TGT into a credential cache; the password is read from stdin")
    k.add_argument("dir")
    k.add_argument("--ccache", help="cache (default FILE:DIR/ccache)")
    k.add_argument("--principal", help="default testuser@REALM")
    k.add_argument("--forwardable", action="store_true")
    a = sub.add_parser("add-principal", help="add service principals (e.g. HTTP/localhost:5985) to the keytab")
    a.add_argument("dir")
    a.add_argument("names", nargs="+")
    args = ap.parse_args(argv)
    if args.cmd == "start":
        return start(args)
    if args.cmd == "stop":
        return stop_dir(args.dir)
    d = os.path.abspath(args.dir)
    realm = realm_of(d)
    if args.cmd == "kinit":
        password = sys.stdin.readline().rstrip("\r\n")
        kinit(d, args.ccache or "FILE:" + os.path.join(d, "ccache"), args.principal or "%s@%s" % (USER, realm),
              password, args.forwardable)
        return 0
    add_services(d, realm, [n.split("@")[0] for n in args.names])
    return 0


def realm_of(d):
    with open(os.path.join(d, "krb5.conf")) as fh:
        for line in fh:
            k, _, v = line.partition("=")
            if k.strip() == "default_realm":
                return v.strip()
    raise SystemExit("kdc: no realm in %s/krb5.conf" % d)


if __name__ == "__main__":
    sys.exit(main())
