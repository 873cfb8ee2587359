"""Command line, startup protocol and lifetime of the simulator process."""

import argparse
import os
import shutil
import signal
import sys
import tempfile
import threading
import time

from . import auth, replay, tls
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
    p.add_argument("--auth", default="basic", help="schemes to offer: basic,negotiate,kerberos,credssp")
    p.add_argument("--data", default=os.path.join(HERE, "data"), help="data directory (default spec/sim/data)")
    p.add_argument("--enum-timeout", type=int, default=60000, help="idle enumeration context expiry, ms")
    p.add_argument("--max-envelope-kb", type=int, default=500, help="service MaxEnvelopeSizekb (default 500)")
    p.add_argument("--max-batch-items", type=int, default=32000, help="service MaxBatchItems (default 32000)")
    p.add_argument("--processes", type=int, default=0, help="add N generated Win32_Process instances")
    p.add_argument("--replay", help="serve the responses of a recorded exchange file (pypsrp YAML), in order")
    p.add_argument("--exit-with-parent", action="store_true", help="exit when the parent process goes away")
    p.add_argument("--log", help="request log file (never contains credentials)")
    args = p.parse_args(argv)
    if args.max_envelope_kb < 32:
        p.error("--max-envelope-kb must be at least 32")
    if args.enum_timeout < 0 or args.max_batch_items < 1 or args.processes < 0:
        p.error("--max-batch-items must be positive, --enum-timeout and --processes not negative")
    if args.cert_host and not args.tls:
        p.error("--cert-host needs --tls")
    return args


def main(argv=None, parent=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
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
    cleanup = []
    ssl_context = None
    ca_file = None
    if args.tls:
        directory = args.tls_dir
        if not directory:
            directory = tempfile.mkdtemp(prefix="winrm-sim-tls-")
            cleanup.append(directory)
        ca_file, cert, key = tls.generate(directory, tuple(args.cert_host or tls.DEFAULT_NAMES))
        ssl_context = make_ssl_context(cert, key)
    log = open(args.log, "a", encoding="utf-8") if args.log else None
    settings = Settings(args, schemes)
    server = ThreadedServer((args.host, args.port), None, ssl_context, ipv6=":" in args.host)
    settings.port = server.server_address[1]
    state = SimState(settings, replayer)
    server.service = Service(state, users, log)
    stop = threading.Event()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    host = "[%s]" % args.host if ":" in args.host else args.host
    out = ["%s://%s:%d/%s" % ("https" if args.tls else "http", host, settings.port, settings.prefix),
           "pid=%d" % os.getpid()]
    if ca_file:
        out.append("ca_file=%s" % ca_file)
    sys.stdout.write("\n".join(out) + "\n\n")
    sys.stdout.flush()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
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
    if log:
        log.close()
    for d in cleanup:
        shutil.rmtree(d, ignore_errors=True)
    return 0
