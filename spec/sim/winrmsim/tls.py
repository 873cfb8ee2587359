# SPDX-License-Identifier: MIT
"""Self-signed CA and server certificates for --tls.

A single host gets one certificate for 127.0.0.1, ::1, localhost (or the --cert-host names). A fleet
(--hosts) gets a certificate per host naming only that host's address, as each Windows host has its own
(HostCertificates), unless --cert-host names one certificate for all.

A CA already in the directory (ca.pem + ca.key, e.g. from an earlier run with the same --tls-dir) is
reused, so client certificates it issued stay valid; server certificates are issued afresh.

Uses python3-cryptography when present, else the openssl command. Only the files are created;
the process-wide OpenSSL configuration is never touched.
"""

import datetime
import hashlib
import ipaddress
import os
import random
import ssl
import subprocess
import threading


DEFAULT_NAMES = ("localhost", "127.0.0.1", "::1")
VALID_DAYS = 30
END_POINT_HASHES = ("sha256", "sha384", "sha512")   # RFC 5929 4.1: MD5, SHA-1 and others -> SHA-256


def _is_ip(name):
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return False


def generate(directory, names=DEFAULT_NAMES, sig_hash="sha256"):
    """Write ca.pem, server.pem, server.key into directory; return their absolute paths.

    ``names``: the host names / IP addresses the server certificate is valid for (the first is the CN);
    none: only the CA and the key pair (HostCertificates issues the certificates), and the server.pem path
    returned is None.
    ``sig_hash``: the server certificate's signature hash (sha256, sha384, sha512), which decides the
    hash of RFC 5929 channel bindings.
    """
    os.makedirs(directory, exist_ok=True)
    ca_path, cert_path, key_path = (os.path.abspath(os.path.join(directory, n))
                                    for n in ("ca.pem", "server.pem", "server.key"))
    if not names:
        cert_path = None
    try:
        _with_cryptography(ca_path, cert_path, key_path, names=names, sig_hash=sig_hash)
    except ImportError:
        _with_openssl(directory, ca_path, cert_path, key_path, names=names, sig_hash=sig_hash)
    return ca_path, cert_path, key_path


def end_point_data(der):
    """RFC 5929 channel-binding application data of a DER certificate: "tls-server-end-point:" + hash(DER),
    hash = the certificate's signature hash, except MD5/SHA-1 (or unknown) -> SHA-256 (section 4.1)."""
    name = "sha256"
    try:
        from cryptography import x509
        algo = x509.load_der_x509_certificate(der).signature_hash_algorithm
        if algo is not None and algo.name in END_POINT_HASHES:
            name = algo.name
    except Exception:  # no python3-cryptography, or no hash in the signature (Ed25519): SHA-256
        pass
    return b"tls-server-end-point:" + hashlib.new(name, der).digest()


def _existing_ca(ca_path, ca_key_path):
    """(certificate, key) of a CA already in the --tls-dir (kept across runs so that client certificates
    issued by it stay valid), or None."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    try:
        with open(ca_path, "rb") as fh:
            ca = x509.load_pem_x509_certificate(fh.read())
        with open(ca_key_path, "rb") as fh:
            key = serialization.load_pem_private_key(fh.read(), None)
    except (OSError, ValueError):
        return None
    if ca.not_valid_after < datetime.datetime.utcnow() + datetime.timedelta(days=1):
        return None
    return ca, key


def _ca_of(ca_path, now, later):
    """(CA certificate, CA key, reused?) of the --tls directory: the one there, else a new one."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    reuse = _existing_ca(ca_path, os.path.join(os.path.dirname(ca_path), "ca.key"))
    if reuse:
        return reuse[0], reuse[1], True
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "winrm-sim test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now).not_valid_after(later)
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    return ca, ca_key, False


def _validity(ca=None):
    """(not before, not after) of a new certificate: 30 days, within the CA's own validity."""
    now = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5)
    later = now + datetime.timedelta(days=VALID_DAYS)
    if ca is not None:
        later = min(later, ca.not_valid_after.replace(tzinfo=datetime.timezone.utc))
    return now, later


def _leaf(ca, ca_key, public_key, names, sig_hash, now, later):
    """A server certificate for `names` (the first is the CN) with `public_key`, signed by the CA."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    return (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
            .issuer_name(ca.subject).public_key(public_key).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(later)
            .add_extension(x509.SubjectAlternativeName([
                x509.IPAddress(ipaddress.ip_address(n)) if _is_ip(n) else x509.DNSName(n) for n in names]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, {"sha384": hashes.SHA384(), "sha512": hashes.SHA512()}.get(sig_hash, hashes.SHA256())))


def _with_cryptography(ca_path, cert_path, key_path, names, sig_hash="sha256"):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    now, later = _validity()
    ca, ca_key, reused = _ca_of(ca_path, now, later)
    now, later = _validity(ca)
    key = ec.generate_private_key(ec.SECP256R1())
    if not reused:
        with open(ca_path, "wb") as fh:
            fh.write(ca.public_bytes(serialization.Encoding.PEM))
        # ca.key (as the openssl fallback writes it): certauth.issue() signs test client certificates with it
        _write_key(os.path.join(os.path.dirname(ca_path), "ca.key"), ca_key)
    if cert_path:
        with open(cert_path, "wb") as fh:
            fh.write(_leaf(ca, ca_key, key.public_key(), names, sig_hash, now, later)
                     .public_bytes(serialization.Encoding.PEM))
    _write_key(key_path, key)


def _write_key(path, key):
    """A private key as unencrypted PKCS#8 PEM, readable by the owner only."""
    from cryptography.hazmat.primitives import serialization

    if os.path.exists(path):
        os.remove(path)   # a new file gets the mode below; an older one may have another
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption()))


def _openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def _with_openssl(directory, ca_path, cert_path, key_path, names, sig_hash="sha256"):
    ca_key = os.path.join(directory, "ca.key")
    csr = os.path.join(directory, "server.csr")
    if not (os.path.exists(ca_path) and os.path.exists(ca_key)):
        _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", ca_key,
                 "-out", ca_path, "-days", str(VALID_DAYS), "-subj", "/CN=winrm-sim test CA")
    _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key_path,
             "-out", csr, "-subj", "/CN=" + (names[0] if names else "winrm-sim host"))
    if cert_path:
        _openssl_leaf(directory, csr, cert_path, names, sig_hash)


def _openssl_leaf(directory, csr, cert_path, names, sig_hash):
    """Sign the request `csr` as a server certificate for `names` (the first is the CN) with the CA."""
    ext = cert_path + ".ext"
    with open(ext, "w") as fh:
        fh.write("subjectAltName=%s\nbasicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n"
                 % ",".join(("IP:" if _is_ip(n) else "DNS:") + n for n in names))
    try:
        _openssl("x509", "-req", "-in", csr, "-subj", "/CN=" + names[0], "-CA", os.path.join(directory, "ca.pem"),
                 "-CAkey", os.path.join(directory, "ca.key"), "-set_serial", str(random.getrandbits(63)),
                 "-out", cert_path, "-days", str(VALID_DAYS), "-extfile", ext, "-" + sig_hash)
    finally:
        os.remove(ext)


class SharedCertificate:
    """One server certificate for every host (a single host, or --cert-host): one SSL context."""

    def __init__(self, cert_path, key_path, configure):
        self.path = cert_path
        self._context = server_context(cert_path, key_path, configure)
        with open(cert_path) as fh:
            self._end_point = end_point_data(ssl.PEM_cert_to_DER_cert(fh.read()))

    def context(self, address):
        return self._context

    def end_point(self, address):
        return self._end_point


class HostCertificates:
    """A certificate per host of a fleet, as every Windows host has its own: the host's address is its CN and
    its only IP SAN, signed by the simulator's CA (ca.pem) with the signature hash of --cert-hash; all hosts
    share one key pair (server.key), so issuing takes about a millisecond. A host's certificate and SSL
    context are made at its first connection (a large fleet starts at once) and its certificate is kept as
    <directory>/hosts/<address>.pem."""

    def __init__(self, directory, sig_hash, configure):
        self.directory = os.path.abspath(directory)
        self.hosts_dir = os.path.join(self.directory, "hosts")
        self.key_path = os.path.join(self.directory, "server.key")
        self.sig_hash = sig_hash
        self._configure = configure
        self._lock = threading.Lock()
        self._made = {}         # address -> (SSL context, RFC 5929 application data)
        self._issuer = None     # (CA certificate, CA key, the hosts' public key), loaded at the first issue
        os.makedirs(self.hosts_dir, exist_ok=True)

    def context(self, address):
        return self._host(address)[0]

    def end_point(self, address):
        return self._host(address)[1]

    def path(self, address):
        return os.path.join(self.hosts_dir, address + ".pem")

    def _host(self, address):
        with self._lock:
            made = self._made.get(address)
            if made is None:
                path = self.path(address)
                self._issue(address, path)
                with open(path) as fh:
                    der = ssl.PEM_cert_to_DER_cert(fh.read())
                made = self._made[address] = (server_context(path, self.key_path, self._configure),
                                              end_point_data(der))
            return made

    def _issue(self, address, path):
        try:
            from cryptography.hazmat.primitives import serialization
        except ImportError:
            csr = os.path.join(self.directory, "server.csr")
            return _openssl_leaf(self.directory, csr, path, (address,), self.sig_hash)
        if self._issuer is None:
            ca, ca_key = _existing_ca(os.path.join(self.directory, "ca.pem"), os.path.join(self.directory, "ca.key"))
            with open(self.key_path, "rb") as fh:
                public_key = serialization.load_pem_private_key(fh.read(), None).public_key()
            self._issuer = (ca, ca_key, public_key, _validity(ca))
        ca, ca_key, public_key, (now, later) = self._issuer
        cert = _leaf(ca, ca_key, public_key, (address,), self.sig_hash, now, later)
        with open(path, "wb") as fh:
            fh.write(cert.public_bytes(serialization.Encoding.PEM))
        return None


def server_context(cert_path, key_path, configure=None):
    """A TLS server context with this certificate; configure(context) adds what every context needs."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert_path, key_path)
    if configure is not None:
        configure(ctx)
    return ctx
