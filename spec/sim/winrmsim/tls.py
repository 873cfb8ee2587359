# SPDX-License-Identifier: MIT
"""Self-signed CA and server certificate (127.0.0.1, ::1, localhost) for --tls.

A CA already in the directory (ca.pem + ca.key, e.g. from an earlier run with the same --tls-dir) is
reused, so client certificates it issued stay valid; the server certificate is issued afresh.

Uses python3-cryptography when present, else the openssl command. Only the files are created;
the process-wide OpenSSL configuration is never touched.
"""

import datetime
import ipaddress
import os
import subprocess


DEFAULT_NAMES = ("localhost", "127.0.0.1", "::1")


def _is_ip(name):
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return False


def generate(directory, names=DEFAULT_NAMES, sig_hash="sha256"):
    """Write ca.pem, server.pem, server.key into directory; return their absolute paths.

    ``names``: the host names / IP addresses the server certificate is valid for (the first is the CN).
    ``sig_hash``: the server certificate's signature hash (sha256, sha384, sha512), which decides the
    hash of RFC 5929 channel bindings.
    """
    os.makedirs(directory, exist_ok=True)
    paths = tuple(os.path.abspath(os.path.join(directory, n)) for n in ("ca.pem", "server.pem", "server.key"))
    try:
        _with_cryptography(*paths, names=names, sig_hash=sig_hash)
    except ImportError:
        _with_openssl(directory, *paths, names=names, sig_hash=sig_hash)
    return paths


def tls_server_end_point(cert_path):
    """RFC 5929 channel-binding application data for a PEM certificate: "tls-server-end-point:" + hash(DER),
    hash = the certificate's signature hash, except MD5/SHA-1 (or unknown) -> SHA-256 (section 4.1)."""
    import hashlib
    import ssl
    with open(cert_path) as fh:
        der = ssl.PEM_cert_to_DER_cert(fh.read())
    name = "sha256"
    try:
        from cryptography import x509
        algo = x509.load_der_x509_certificate(der).signature_hash_algorithm
        if algo is not None and algo.name in ("sha384", "sha512", "sha256"):
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


def _with_cryptography(ca_path, cert_path, key_path, names, sig_hash="sha256"):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5)
    later = now + datetime.timedelta(days=30)
    ca_key_path = os.path.join(os.path.dirname(ca_path), "ca.key")
    reuse = _existing_ca(ca_path, ca_key_path)
    if reuse:
        ca, ca_key = reuse
        ca_name = ca.subject
        later = min(later, ca.not_valid_after.replace(tzinfo=datetime.timezone.utc))
    else:
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "winrm-sim test CA")])
    ca = ca if reuse else (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now).not_valid_after(later)
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(later)
            .add_extension(x509.SubjectAlternativeName([
                x509.IPAddress(ipaddress.ip_address(n)) if _is_ip(n) else x509.DNSName(n) for n in names]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, {"sha384": hashes.SHA384(), "sha512": hashes.SHA512()}.get(sig_hash, hashes.SHA256())))
    if not reuse:
        with open(ca_path, "wb") as fh:
            fh.write(ca.public_bytes(serialization.Encoding.PEM))
        # ca.key (as the openssl fallback writes it): certauth.issue() signs test client certificates with it
        fd = os.open(ca_key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(ca_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    with open(cert_path, "wb") as fh:
        fh.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as fh:
        fh.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption()))
    os.chmod(key_path, 0o600)


def _with_openssl(directory, ca_path, cert_path, key_path, names, sig_hash="sha256"):
    ca_key = os.path.join(directory, "ca.key")
    csr = os.path.join(directory, "server.csr")
    ext = os.path.join(directory, "server.ext")
    with open(ext, "w") as fh:
        fh.write("subjectAltName=%s\nbasicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n"
                 % ",".join(("IP:" if _is_ip(n) else "DNS:") + n for n in names))
    run = lambda *a: subprocess.run(["openssl", *a], check=True, capture_output=True)  # noqa: E731
    if not (os.path.exists(ca_path) and os.path.exists(ca_key)):
        run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", ca_key,
            "-out", ca_path, "-days", "30", "-subj", "/CN=winrm-sim test CA")
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key_path,
        "-out", csr, "-subj", "/CN=" + names[0])
    run("x509", "-req", "-in", csr, "-CA", ca_path, "-CAkey", ca_key, "-CAcreateserial", "-out", cert_path,
        "-days", "30", "-extfile", ext, "-" + sig_hash)
