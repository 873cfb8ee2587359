# SPDX-License-Identifier: MIT
"""Command line, startup protocol and lifetime of the simulator process."""

import argparse
import copy
import os
import shutil
import signal
import sys
import tempfile

from . import auth, certauth, frontend, gss, replay, tls
from . import security as sec
from .server import Service
from .state import SimState, Settings

FLEET_FIRST_ADDRESS = "127.0.0.2"
FLEET_PORTS = (5985, 5986)        # WinRM's HTTP and HTTPS ports
PARENT_POLL = 0.25                # seconds between --exit-with-parent checks

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse_args(argv):
    p = argparse.ArgumentParser(prog="winrm-sim", description="WinRM (WS-Management) host simulator.")
    p.add_argument("--host", help="address to listen on (default 127.0.0.1); with --hosts the first host's "
                                  "address (default 127.0.0.2)")
    p.add_argument("--port", type=int, help="TCP port; 0 picks a free one (default without --hosts; with "
                                            "--hosts the default is 5985, or 5986 with --tls)")
    p.add_argument("--hosts", type=int, metavar="N",
                   help="serve N independent hosts, each on its own loopback address from --host on "
                        "(127.0.0.2, 127.0.0.3, ...), with its own state and computer name WINRM-SIM-<i>")
    p.add_argument("--latency", metavar="MS|MIN-MAX", default="0",
                   help="delay every reply by MS milliseconds (or a random delay between MIN and MAX)")
    p.add_argument("--down", type=int, default=0, metavar="K",
                   help="with --hosts: the last K hosts refuse connections (nothing listens there)")
    p.add_argument("--slow", type=int, default=0, metavar="K",
                   help="with --hosts: K hosts (before the down ones) accept and read requests but never answer")
    p.add_argument("--summary", action="store_true",
                   help="at exit, print requests, connections and the request rate on stderr (default with --hosts)")
    p.add_argument("--workers", type=int, default=frontend.DEFAULT_WORKERS,
                   help="most requests processed at once (worker threads; default %d)" % frontend.DEFAULT_WORKERS)
    p.add_argument("--prefix", default="wsman", help="URL path of the endpoint (default wsman)")
    p.add_argument("--tls", action="store_true", help="HTTPS with a generated CA and server certificate")
    p.add_argument("--tls-dir", help="where --tls writes ca.pem/server.pem/server.key (with --hosts: "
                                     "hosts/<address>.pem; default: a temp dir)")
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
    check_fleet_args(p, args)
    return args


def check_fleet_args(p, args):
    """Defaults and checks of --host/--port/--hosts/--latency/--down/--slow/--workers."""
    fleet = args.hosts is not None
    if fleet and args.hosts < 1:
        p.error("--hosts must be at least 1")
    if (args.down or args.slow) and not fleet:
        p.error("--down and --slow need --hosts")
    if args.down < 0 or args.slow < 0 or (fleet and args.down + args.slow > args.hosts):
        p.error("--down and --slow must not be negative and together at most --hosts")
    if args.workers < 1:
        p.error("--workers must be positive")
    if args.host is None:
        args.host = FLEET_FIRST_ADDRESS if fleet else "127.0.0.1"
    args.port_fallback = args.port is None and fleet
    if args.port is None:
        args.port = FLEET_PORTS[1 if args.tls else 0] if fleet else 0
    if not 0 <= args.port <= 65535:
        p.error("--port must be between 0 and 65535")
    try:
        args.latency_s = frontend.parse_latency(args.latency)
        args.addresses = frontend.host_addresses(args.host, args.hosts if fleet else 1)
    except ValueError as exc:
        p.error(str(exc))


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
        messages = replay.load(args.replay) if args.replay else None
        replayer = replay.Replayer(messages) if messages is not None else None
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
    certs, ca_file, cert_info = tls_setup(args, schemes, users, cleanup)
    if not args.ps_sandbox:
        args.ps_sandbox = tempfile.mkdtemp(prefix="winrm-sim-ps-")
        cleanup.append(args.ps_sandbox)
    if args.hosts is not None:
        raise_fd_limit()
    log = open(args.log, "a", encoding="utf-8") if args.log else None
    base = Settings(args, schemes)
    root_security = sec.Security(base, users, cbt=args.cbt)   # owns the process' NTLM credential file
    make = service_factory(args, base, users, log, root_security, messages, replayer, certs)
    hosts = make_hosts(args, make)
    try:
        host_tls = (lambda host: certs.context(host.address)) if certs is not None else None
        front = frontend.FrontEnd(hosts, args.port, host_tls, args.latency_s, args.workers, args.port_fallback)
    except OSError as exc:
        print("winrm-sim: %s; choose another --port or --host" % exc.strerror, file=sys.stderr)
        remove_dirs(cleanup)
        return 2
    make.stats = front.stats
    if args.hosts is None:
        hosts[0].service()   # a single host starts ready (errors in its data show at once)
    early = []

    def on_signal(signum, frame):
        early.append(signum)

    # before the startup lines: a SIGTERM right after reading them must still end with status 0
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    print_startup(args, hosts, front, schemes, ca_file, cert_info)

    def setup(loop, stop):
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        if early:
            stop.set()
        if args.exit_with_parent:
            watch_parent(loop, stop, os.getppid() if parent is None else parent)

    front.serve(setup)
    front.close_sockets()
    if args.summary or args.hosts is not None:
        print(front.stats.summary(), file=sys.stderr)
    for host in hosts:
        for service in host.services():
            service.security.close()
    root_security.close()
    if log:
        log.close()
    remove_dirs(cleanup)
    return 0


def remove_dirs(dirs):
    for d in dirs:
        shutil.rmtree(d, ignore_errors=True)


def tls_setup(args, schemes, users, cleanup):
    """--tls: the CA, the server certificates (tls.SharedCertificate for a single host or --cert-host, else
    tls.HostCertificates: one per host of a fleet) and client certificates
    -> (certificates, CA file, startup key/value pairs)."""
    if not args.tls:
        return None, None, []
    directory = args.tls_dir
    if not directory:
        directory = tempfile.mkdtemp(prefix="winrm-sim-tls-")
        cleanup.append(directory)
    per_host = args.hosts is not None and not args.cert_host
    names = () if per_host else tuple(args.cert_host or tls.DEFAULT_NAMES)
    ca_file, cert, key = tls.generate(directory, names, args.cert_hash)
    configure, info = client_certificates(args, schemes, users, directory, ca_file)
    if per_host:
        return tls.HostCertificates(directory, args.cert_hash, configure), ca_file, info
    return tls.SharedCertificate(cert, key, configure), ca_file, info


def raise_fd_limit():
    """A fleet holds a listening socket per host and many connections: raise the open-file limit to the
    hard limit."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            pass


def host_mode(index, count, down, slow):
    """Hosts 1..count: the last `down` are down, the `slow` before them slow."""
    if index > count - down:
        return frontend.DOWN
    if index > count - down - slow:
        return frontend.SLOW
    return frontend.UP


def make_hosts(args, make):
    if args.hosts is None:
        return [frontend.Host(1, args.addresses[0], frontend.UP, make)]
    return [frontend.Host(i + 1, addr, host_mode(i + 1, args.hosts, args.down, args.slow), make)
            for i, addr in enumerate(args.addresses)]


def service_factory(args, base, users, log, root_security, messages, replayer, certs):
    """-> make(host): the Service of one host (its own settings, state, replay position and security)."""
    fleet = args.hosts is not None

    def make(host):
        settings = copy.copy(base)
        settings.enabled = dict(base.enabled)
        settings.ps_configs = dict(base.ps_configs)
        settings.host = host.address
        settings.port = host.port
        if fleet:
            settings.computer_name = "WINRM-SIM-%04d" % host.index
            settings.ps_sandbox = os.path.join(args.ps_sandbox, "host%d" % host.index)
        own_replayer = replayer if not fleet or messages is None else replay.Replayer(messages)
        state = SimState(settings, own_replayer)
        state.fleet = make.stats
        service = Service(state, users, log)
        cbt_data = certs.end_point(host.address) if certs is not None else None
        service.security = sec.Security(settings, users, cbt=args.cbt, cbt_data=cbt_data, state=state,
                                         ntlm_owner=root_security)
        return service

    make.stats = None
    return make


def print_startup(args, hosts, front, schemes, ca_file, cert_info):
    scheme = "https" if args.tls else "http"

    def url(host):
        addr = "[%s]" % host.address if ":" in host.address else host.address
        return "%s://%s:%d/%s" % (scheme, addr, host.port, args.prefix.strip("/"))

    out = [url(hosts[0]), "pid=%d" % os.getpid(), "ps_sandbox=%s" % os.path.abspath(args.ps_sandbox)]
    if ca_file:
        out.append("ca_file=%s" % ca_file)
        out.extend("%s=%s" % kv for kv in cert_info)
    if any(s.per_connection for s in schemes):
        out.append("gss_mechs=%s" % ",".join(sorted(gss.mechs())))
        if args.tls:
            out.append("cbt=%s" % args.cbt)
    if args.hosts is not None:
        out.append("hosts=%d" % len(hosts))
        if len({h.port for h in hosts}) == 1:
            out.append("port=%d" % front.port)
        out.extend("host_%d=%s" % (h.index, url(h)) for h in hosts)
        out.append("down=%s" % ",".join(h.address for h in hosts if h.mode == frontend.DOWN))
        out.append("slow=%s" % ",".join(h.address for h in hosts if h.mode == frontend.SLOW))
    sys.stdout.write("\n".join(out) + "\n\n")
    sys.stdout.flush()


def watch_parent(loop, stop, parent):
    """--exit-with-parent: stop when the parent process goes away."""
    def check():
        if os.getppid() != parent:
            stop.set()
        else:
            loop.call_later(PARENT_POLL, check)
    check()


def client_certificates(args, schemes, users, directory, ca_file):
    """With certificate auth: issue test certificates
    -> (configure(ssl context): ask TLS clients for a certificate issued by a trusted CA, [(k, v)])."""
    if not any(isinstance(s, auth.CertificateScheme) for s in schemes):
        return None, []
    import ssl
    trusted = [ca_file] + list(args.client_ca or ())

    def configure(ssl_context):
        ssl_context.verify_mode = ssl.CERT_OPTIONAL
        for path in trusted:
            ssl_context.load_verify_locations(path)

    ca_key = os.path.join(directory, "ca.key")
    certs = os.path.join(directory, "client-certs")
    user = sorted(users)[0] if "testuser" not in users else "testuser"
    mapped = certauth.issue(certs, ca_file, ca_key, user)
    stranger = "nobody"
    while stranger in {u.lower() for u in users}:
        stranger += "x"
    unmapped = certauth.issue(os.path.join(directory, "client-certs-unmapped"), ca_file, ca_key, stranger)
    return configure, [("client_cert", mapped["cert"]), ("client_key", mapped["key"]),
                       ("client_key_encrypted", mapped["key_encrypted"]), ("client_key_password", mapped["password"]),
                       ("client_cert_thumbprint", mapped["thumbprint"]), ("client_cert_dir", os.path.abspath(certs)),
                       ("client_cert_unmapped", unmapped["cert"]), ("client_key_unmapped", unmapped["key"])]
