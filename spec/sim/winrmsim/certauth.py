# SPDX-License-Identifier: MIT
"""Client certificate authentication (wsman:secprofile/https/mutual) and test client certificates.

Mapping, like Windows' certmapping (MS-WSMV 3.1.4.1.35): the certificate must chain to the simulator's
CA (or a --client-ca), and its user principal name (SAN otherName 1.3.6.1.4.1.311.20.2.3, e.g.
testuser@localhost) or, when it has none, its subject CN names an account of --users (the part before any
'@', case-insensitive). Anything else is refused with 401, as Windows answers a client whose certificate
it cannot map ("the specified credentials were rejected by the server").

issue() writes a client certificate and key signed by the simulator's CA (ca.pem + ca.key of the TLS
directory) for the client specs: PEM certificate, PEM key, the same key encrypted with a password
(PKCS#8, AES-256-CBC), and the certificate's SHA-1 thumbprint (what CertificateThumbprint selects).
"""

import datetime
import hashlib
import os
import ssl
import subprocess

UPN_OID = "1.3.6.1.4.1.311.20.2.3"
MUTUAL = "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual"
KEY_PASSWORD = "Passw0rd!"


def _der_utf8(text):
    raw = text.encode("utf-8")
    if len(raw) < 128:
        return b"\x0c" + bytes([len(raw)]) + raw
    n = len(raw).to_bytes((len(raw).bit_length() + 7) // 8, "big")
    return b"\x0c" + bytes([0x80 | len(n)]) + n + raw


def _der_string(value):
    """Value of a DER string (UTF8String, IA5String, ...) or None."""
    if len(value) < 2 or value[0] not in (0x0c, 0x16, 0x13, 0x1e):
        return None
    n = value[1]
    pos = 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(value[2:2 + k], "big")
        pos = 2 + k
    raw = value[pos:pos + n]
    return raw.decode("utf-16-be" if value[0] == 0x1e else "utf-8", "replace")


def identities(der):
    """-> (list of UPNs, subject CN or None) of a DER certificate."""
    try:
        from cryptography import x509
        from cryptography.x509.oid import NameOID
    except ImportError:
        return [], _cn_without_cryptography(der)
    cert = x509.load_der_x509_certificate(der)
    upns = []
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        for gn in san:
            if isinstance(gn, x509.OtherName) and gn.type_id.dotted_string == UPN_OID:
                v = _der_string(gn.value)
                if v:
                    upns.append(v)
    except x509.ExtensionNotFound:
        pass
    cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return upns, (cns[0].value if cns else None)


def _cn_without_cryptography(der):
    import tempfile
    with tempfile.NamedTemporaryFile("w", suffix=".pem") as fh:
        fh.write(ssl.DER_cert_to_PEM_cert(der))
        fh.flush()
        try:
            info = ssl._ssl._test_decode_cert(fh.name)  # noqa: SLF001 (stdlib helper, no public equivalent)
        except Exception:
            return None
    for rdn in info.get("subject", ()):
        for k, v in rdn:
            if k == "commonName":
                return v
    return None


def map_certificate(der, users):
    """-> the account a client certificate maps to, or None."""
    if not der:
        return None
    upns, cn = identities(der)
    # the UPN when the certificate has one (what WinRM's certmapping matches), else the subject CN
    for candidate in upns or ([cn] if cn else []):
        bare = candidate.split("@")[0].split("\\")[-1]
        for account in users:
            if account.lower() == bare.lower():
                return account
    return None


def thumbprint(pem_path):
    with open(pem_path) as fh:
        der = ssl.PEM_cert_to_DER_cert(fh.read())
    return hashlib.sha1(der).hexdigest().upper()


def issue(directory, ca_pem, ca_key, name, upn=None, password=KEY_PASSWORD, file_stem=None):
    """Client certificate for `name` (CN=name, UPN upn or name@localhost). -> dict of paths and thumbprint."""
    os.makedirs(directory, exist_ok=True)
    stem = os.path.join(directory, file_stem or name)
    paths = {"cert": stem + ".pem", "key": stem + ".key", "key_encrypted": stem + ".enc.key"}
    upn = upn or "%s@localhost" % name
    try:
        _issue_cryptography(paths, ca_pem, ca_key, name, upn, password)
    except ImportError:
        _issue_openssl(paths, ca_pem, ca_key, name, upn, password)
    for p in (paths["key"], paths["key_encrypted"]):
        os.chmod(p, 0o600)
    paths = {k: os.path.abspath(v) for k, v in paths.items()}
    paths["thumbprint"] = thumbprint(paths["cert"])
    paths["password"] = password
    return paths


def _issue_cryptography(paths, ca_pem, ca_key, name, upn, password):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

    with open(ca_pem, "rb") as fh:
        ca = x509.load_pem_x509_certificate(fh.read())
    with open(ca_key, "rb") as fh:
        cakey = serialization.load_pem_private_key(fh.read(), None)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(ca.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([
                x509.OtherName(ObjectIdentifier(UPN_OID), _der_utf8(upn))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=False, content_commitment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(cakey.public_key()), critical=False)
            .sign(cakey, hashes.SHA256()))
    with open(paths["cert"], "wb") as fh:
        fh.write(cert.public_bytes(serialization.Encoding.PEM))
    for path, enc in ((paths["key"], serialization.NoEncryption()),
                      (paths["key_encrypted"], serialization.BestAvailableEncryption(password.encode()))):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc))


def _issue_openssl(paths, ca_pem, ca_key, name, upn, password):
    base = paths["cert"][:-4]
    csr, ext = base + ".csr", base + ".ext"
    with open(ext, "w") as fh:
        fh.write("subjectAltName=otherName:%s;UTF8:%s\nbasicConstraints=critical,CA:FALSE\n"
                 "keyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n" % (UPN_OID, upn))

    def run(*a):
        subprocess.run(["openssl", *a], check=True, capture_output=True)
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", paths["key"],
        "-out", csr, "-subj", "/CN=" + name)
    run("x509", "-req", "-in", csr, "-CA", ca_pem, "-CAkey", ca_key, "-CAcreateserial", "-out", paths["cert"],
        "-days", "30", "-extfile", ext)
    run("pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", paths["key"], "-out", paths["key_encrypted"],
        "-passout", "pass:" + password)
    for p in (csr, ext):
        os.unlink(p)
