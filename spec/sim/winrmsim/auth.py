"""HTTP authentication schemes, as a registry the server consults.

Basic is implemented. Negotiate, Kerberos and CredSSP are advertised in the 401 challenge when enabled
(--auth) so clients see Windows' WWW-Authenticate list; their token exchange and message encryption
belong to a later feature, which replaces the AdvertisedOnly entries below with real schemes.
"""

import base64
import binascii
import hmac
import json

DEFAULT_USERS = {"testuser": "Passw0rd!"}
SECPROFILE = "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/"


class Scheme:
    name = ""          # HTTP scheme name (Authorization / WWW-Authenticate)
    config_key = ""    # winrm/config/service/auth element
    encrypts = False   # provides message encryption over plain HTTP

    def challenge(self):
        return self.name

    def authenticate(self, token, conn, users):
        """-> user name, or None to answer 401."""
        return None

    def profiles(self, tls):
        return []


class BasicScheme(Scheme):
    name = "Basic"
    config_key = "Basic"

    def challenge(self):
        return 'Basic realm="WSMAN"'

    def authenticate(self, token, conn, users):
        try:
            raw = base64.b64decode(token.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        user, sep, password = raw.partition(":")
        if not sep:
            return None
        bare = user.split("\\")[-1] if user.startswith(".\\") else user
        for name, secret in users.items():
            if name.lower() == bare.lower() and hmac.compare_digest(secret.encode("utf-8"),
                                                                    password.encode("utf-8")):
                return name
        return None

    def profiles(self, tls):
        return [SECPROFILE + ("https/basic" if tls else "http/basic")]


class AdvertisedOnly(Scheme):
    """A scheme Windows would offer; tokens for it are refused (401) until it is implemented."""

    def __init__(self, name, config_key, encrypts=True):
        self.name = name
        self.config_key = config_key
        self.encrypts = encrypts

    def profiles(self, tls):
        return [SECPROFILE + ("https/spnego-kerberos" if tls else "http/spnego-kerberos")] \
            if self.name == "Negotiate" else []


# Windows' order of WWW-Authenticate headers.
SCHEMES = {
    "negotiate": lambda: AdvertisedOnly("Negotiate", "Negotiate"),
    "kerberos": lambda: AdvertisedOnly("Kerberos", "Kerberos"),
    "basic": BasicScheme,
    "credssp": lambda: AdvertisedOnly("CredSSP", "CredSSP"),
}


def register(key, factory):
    """Add or replace a scheme (used by later authentication features)."""
    SCHEMES[key] = factory


def build(names):
    """--auth list -> ordered scheme objects; raises ValueError for unknown names."""
    wanted = [n.strip().lower() for n in names if n.strip()]
    for n in wanted:
        if n not in SCHEMES:
            raise ValueError("unknown authentication scheme %r (known: %s)" % (n, ", ".join(SCHEMES)))
    return [SCHEMES[k]() for k in SCHEMES if k in wanted]


def load_users(path):
    if not path:
        return dict(DEFAULT_USERS)
    with open(path, encoding="utf-8") as fh:
        users = json.load(fh)
    if not isinstance(users, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in users.items()):
        raise ValueError("--users file must hold a JSON object of user name -> password strings")
    return users
