# SPDX-License-Identifier: MIT
"""Command line, startup protocol and lifetime of the simulator process."""

import argparse
import os
import shutil
import signal
import sys
import tempfile
import threading
import time

from . import auth, certauth, gss, replay, tls
from . import security as sec
from .server import Service, ThreadedServer, make_ssl_context
from .state import SimState, Settings

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse_args(argv):
    p = argparse.ArgumentParser(prog="winrm-sim", description="WinRM (WS-Management) host simulator.")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="TCP port; 0 picks a free one (default)")
    p.add_argument("--prefix", default="wsman", help="URL path of the endpoint (default wsman)")
    p.add_argument("--tls", action="store_true", help="HTTPS with a generated CA and server certificate")
    p.add_argument("--tls-dir", help="where --tls writes ca.pem/server.pem/server.key (default: a temp dir)")
    p.add_argument("--cert-host", action="append", metavar="NAME",
                   help="with --tls: a host name or IP address the server certificate is issued for, instead "
                        "of localhost/127.0.0.1/::1 (repeatable; e.g. to test host name checks)")
    p.add_argument("--users", help='JSON file {"user": "password", ...} (default testuser / Passw0rd!)')
    p.add_argument("--allow-unencrypted", action="store_true",
                   help="accept Basic over plain HTTP (Windows' AllowUnencrypted=true)")
    p.add_argument("--auth", default="basic",
                   help="schemes to offer: basic,negotiate,kerberos,certificate,digest,credssp (default basic)")
    p.add_argument("--cbt", choices=("strict", "relaxed", "none"), default="relaxed",
                   help="with --tls: channel binding check for Negotiate/Kerberos (CbtHardeningLevel; default "
                        "relaxed: wrong bindings are refused, missing ones accepted; strict: required)")
    p.add_argument("--require-authorization", action="store_true",
                   help="as Microsoft's OMI server: a request without an Authorization header on a connection "
                        "that is not authenticated is never answered (the connection is held until the client "
                        "closes it); no 401 tells the client which schemes are offered")
    p.add_argument("--keytab", help="Kerberos acceptor keytab (default: $KRB5_KTNAME); see spec/kdc/")
    p.add_argument("--client-ca", action="append", metavar="FILE",
                   help="with --tls and certificate auth: also trust client certificates issued by this CA "
                        "(PEM; repeatable). The simulator's own CA is always trusted")
    p.add_argument("--cert-hash", choices=("sha256", "sha384", "sha512"), default="sha256",
                   help="with --tls: signature hash of the server certificate (decides the channel-binding hash)")
    p.add_argument("--make-client-cert", metavar="DIR",
                   help="issue a client certificate for --user signed by the CA in --tls-dir (created if "
                        "missing) into DIR, print its paths as key=value lines, and exit")
    p.add_argument("--user", default="testuser", help="with --make-client-cert: the certificate's user")
    p.add_argument("--key-password", default=certauth.KEY_PASSWORD,
                   help="with --make-client-cert: password of the encrypted key copy (default Passw0rd!)")
    p.add_argument("--data", default=os.path.join(HERE, "data"), help="data directory (default spec/sim/data)")
    p.add_argument("--enum-timeout", type=int, default=60000, help="idle enumeration context expiry, ms")
    p.add_argument("--max-envelope-kb", type=int, default=500, help="service MaxEnvelopeSizekb (default 500)")
    p.add_argument("--max-batch-items", type=int, default=32000, help="service MaxBatchItems (default 32000)")
    p.add_argument("--grow-enum-context", type=int, default=0, metavar="BYTES",
                   help="a misbehaving host: each Pull's new EnumerationContext is BYTES longer than the last, "
                        "and replies ignore MaxEnvelopeSize")
    p.add_argument("--proxy-auth", metavar="USER:PASSWORD",
                   help="as an HTTP proxy (absolute-form requests), answer 407 unless Proxy-Authorization "
                        "carries these Basic credentials")
    p.add_argument("--processes", type=int, default=0, help="add N generated Win32_Process instances")
    p.add_argument("--max-shells-per-user", type=int, default=30,
                   help="winrm/config/winrs MaxShellsPerUser the simulator starts with (default 30)")
    p.add_argument("--ps-sandbox", metavar="DIR",
                   help="directory holding the PSRP plug-in's C: drive for file copy/fetch (default: a temp dir)")
    p.add_argument("--ps-config", action="append", type=ps_config, metavar="NAME=CMD,CMD",
                   help="a JEA session configuration NAME exposing only these emulated commands (repeatable)")
    p.add_argument("--ps-protocol", choices=("2.1", "2.2", "2.3"), default="2.3",
                   help="the PowerShell host's PSRP protocol version (default 2.3, PowerShell 5.1)")
    p.add_argument("--replay", help="serve the responses of a recorded exchange file (pypsrp YAML), in order")
    p.add_argument("--exit-with-parent", action="store_true", help="exit when the parent process goes away")
    p.add_argument("--log", help="request log file (never contains credentials)")
    args = p.parse_args(argv)
    if args.max_envelope_kb < 32:
        p.error("--max-envelope-kb must be at least 32")
    if args.enum_timeout < 0 or args.max_batch_items < 1 or args.processes < 0 or args.grow_enum_context < 0:
        p.error("--max-batch-items must be positive, --enum-timeout, --processes and --grow-enum-context not "
                "negative")
    if args.proxy_auth is not None and ":" not in args.proxy_auth:
        p.error("--proxy-auth takes USER:PASSWORD")
    if args.cert_host and not args.tls:
        p.error("--cert-host needs --tls")
    if args.make_client_cert and not args.tls_dir:
        p.error("--make-client-cert needs --tls-dir (the CA directory of the simulator)")
    return args


def ps_config(text):
    name, _, cmds = text.partition("=")
    if not name.strip() or "/" in name:
        raise argparse.ArgumentTypeError("--ps-config wants NAME=Command,Command (got %r)" % text)
    return name.strip(), [c.strip() for c in cmds.split(",") if c.strip()]


def make_client_cert(args):
    ca_pem = os.path.join(args.tls_dir, "ca.pem")
    ca_key = os.path.join(args.tls_dir, "ca.key")
    if not (os.path.exists(ca_pem) and os.path.exists(ca_key)):
        tls.generate(args.tls_dir, tuple(args.cert_host or tls.DEFAULT_NAMES), args.cert_hash)
    info = certauth.issue(args.make_client_cert, ca_pem, ca_key, args.user, password=args.key_password)
    print("client_cert=%s\nclient_key=%s\nclient_key_encrypted=%s\nclient_key_password=%s\n"
          "client_cert_thumbprint=%s\nca_file=%s\n" % (info["cert"], info["key"], info["key_encrypted"],
                                                      info["password"], info["thumbprint"], os.path.abspath(ca_pem)))
    return 0


def main(argv=None, parent=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.make_client_cert:
        return make_client_cert(args)
    if args.keytab:
        os.environ["KRB5_KTNAME"] = "FILE:" + os.path.abspath(args.keytab) if ":" not in args.keytab[:6] \
            else args.keytab
    try:
        schemes = auth.build(args.auth.split(","))
        users = auth.load_users(args.users)
        replayer = replay.Replayer(replay.load(args.replay)) if args.replay else None
    except (ValueError, OSError) as exc:
        print("winrm-sim: %s" % exc, file=sys.stderr)
        return 2
    if not schemes:
        print("winrm-sim: --auth needs at least one scheme", file=sys.stderr)
        return 2
    if any(s.per_connection for s in schemes) and not gss.available():
        print("winrm-sim: warning: python3-gssapi is not installed; Negotiate/Kerberos tokens will be refused",
              file=sys.stderr)
    if any(s.requires_tls for s in schemes) and not args.tls:
        print("winrm-sim: certificate authentication needs --tls", file=sys.stderr)
        return 2
    cleanup = []
    ssl_context = None
    ca_file = None
    if args.tls:
        directory = args.tls_dir
        if not directory:
            directory = tempfile.mkdtemp(prefix="winrm-sim-tls-")
            cleanup.append(directory)
        ca_file, cert, key = tls.generate(directory, tuple(args.cert_host or tls.DEFAULT_NAMES), args.cert_hash)
        ssl_context = make_ssl_context(cert, key)
        cert_info = client_certificates(args, schemes, users, directory, ca_file, ssl_context)
    if not args.ps_sandbox:
        args.ps_sandbox = tempfile.mkdtemp(prefix="winrm-sim-ps-")
        cleanup.append(args.ps_sandbox)
    log = open(args.log, "a", encoding="utf-8") if args.log else None
    settings = Settings(args, schemes)
    server = ThreadedServer((args.host, args.port), None, ssl_context, ipv6=":" in args.host)
    settings.port = server.server_address[1]
    state = SimState(settings, replayer)
    server.service = Service(state, users, log)
    security = sec.Security(settings, users, cbt=args.cbt,
                            cbt_data=tls.tls_server_end_point(cert) if args.tls else None, state=state)
    server.service.security = security
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    # before the startup lines: a SIGTERM right after reading them must still end with status 0
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    host = "[%s]" % args.host if ":" in args.host else args.host
    out = ["%s://%s:%d/%s" % ("https" if args.tls else "http", host, settings.port, settings.prefix),
           "pid=%d" % os.getpid(), "ps_sandbox=%s" % os.path.abspath(args.ps_sandbox)]
    if ca_file:
        out.append("ca_file=%s" % ca_file)
        out.extend("%s=%s" % kv for kv in cert_info)
    if any(s.per_connection for s in schemes):
        out.append("gss_mechs=%s" % ",".join(sorted(gss.mechs())))
        if args.tls:
            out.append("cbt=%s" % args.cbt)
    sys.stdout.write("\n".join(out) + "\n\n")
    sys.stdout.flush()

    if args.exit_with_parent:
        parent = os.getppid() if parent is None else parent

        def watch():
            while not stop.is_set():
                if os.getppid() != parent:
                    stop.set()
                time.sleep(0.25)
        threading.Thread(target=watch, daemon=True).start()
    while not stop.wait(0.5):
        pass
    server.shutdown()
    server.server_close()
    security.close()
    if log:
        log.close()
    for d in cleanup:
        shutil.rmtree(d, ignore_errors=True)
    return 0


def client_certificates(args, schemes, users, directory, ca_file, ssl_context):
    """With certificate auth: ask TLS clients for a certificate and issue test certificates. -> [(k, v)]."""
    if not any(isinstance(s, auth.CertificateScheme) for s in schemes):
        return []
    import ssl
    ssl_context.verify_mode = ssl.CERT_OPTIONAL
    ssl_context.load_verify_locations(ca_file)
    for extra in args.client_ca or ():
        ssl_context.load_verify_locations(extra)
    ca_key = os.path.join(directory, "ca.key")
    certs = os.path.join(directory, "client-certs")
    user = sorted(users)[0] if "testuser" not in users else "testuser"
    mapped = certauth.issue(certs, ca_file, ca_key, user)
    stranger = "nobody"
    while stranger in {u.lower() for u in users}:
        stranger += "x"
    unmapped = certauth.issue(os.path.join(directory, "client-certs-unmapped"), ca_file, ca_key, stranger)
    return [("client_cert", mapped["cert"]), ("client_key", mapped["key"]),
            ("client_key_encrypted", mapped["key_encrypted"]), ("client_key_password", mapped["password"]),
            ("client_cert_thumbprint", mapped["thumbprint"]), ("client_cert_dir", os.path.abspath(certs)),
            ("client_cert_unmapped", unmapped["cert"]), ("client_key_unmapped", unmapped["key"])]
