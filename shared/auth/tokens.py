"""Access tokens: EdDSA (Ed25519) JWTs with a fixed algorithm list, exp/aud/iss checked, keys published as JWKS."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from shared.domain.errors import Unauthorized

ALGORITHMS = ["EdDSA"]  # fixed: never taken from the token's header
REFRESH_SECONDS = 30
VERIFIED_CACHE_SIZE = 512


def load_or_create_signing_key(path: Path) -> Ed25519PrivateKey:
    """Read the PEM private key at path, creating it (mode 0600) on first start."""
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
    return serialization.load_pem_private_key(path.read_bytes(), password=None)


def key_id(public_key: Ed25519PublicKey) -> str:
    """Return a stable key id: a thumbprint of the raw public key."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.urlsafe_b64encode(hashlib.sha256(raw).digest()[:12]).decode().rstrip("=")


def jwks(public_keys: list[Ed25519PublicKey]) -> dict:
    """Return the JSON Web Key Set that verifiers use."""
    keys = []
    for key in public_keys:
        jwk = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(key))
        keys.append({**jwk, "kid": key_id(key), "use": "sig", "alg": "EdDSA"})
    return {"keys": keys}


@dataclass(frozen=True)
class TokenGrant:
    """What a successful login returns."""

    access_token: str
    expires_in: int
    token_type: str = "Bearer"


class TokenIssuer:
    """Sign access tokens for users."""

    def __init__(self, private_key: Ed25519PrivateKey, *, issuer: str, audience: str, ttl_seconds: int):
        self._key = private_key
        self._kid = key_id(private_key.public_key())
        self.issuer, self.audience, self.ttl = issuer, audience, ttl_seconds

    def issue(self, subject: str, *, audience: str | None = None, ttl: int | None = None,
              now: float | None = None) -> TokenGrant:
        """Return a signed token for a user (or, with another audience, for a calling service)."""
        issued, ttl = int(now if now is not None else time.time()), ttl or self.ttl
        claims = {"sub": subject, "iss": self.issuer, "aud": audience or self.audience, "iat": issued,
                  "exp": issued + ttl}
        token = jwt.encode(claims, self._key, algorithm="EdDSA", headers={"kid": self._kid})
        return TokenGrant(token, ttl)


class TokenVerifier:
    """Check tokens against a JWKS: signature, algorithm, exp, iss and aud all required."""

    def __init__(self, key_set: dict | Callable[[], dict], *, issuer: str, audience: str, leeway: int = 5):
        self._load = key_set if callable(key_set) else (lambda: key_set)
        self._keys: dict | None = None
        self._loaded_at = 0.0
        self.issuer, self.audience, self.leeway = issuer, audience, leeway
        self._verified: OrderedDict[str, tuple[str, int]] = OrderedDict()  # token -> (subject, exp)
        self._verified_lock = threading.Lock()

    def _key(self, kid: str | None):
        # Keys are fetched on first use and again when an unknown key id shows up (rotation),
        # at most every REFRESH_SECONDS so forged kids cannot make us hammer the key server.
        stale = time.monotonic() - self._loaded_at > REFRESH_SECONDS
        if self._keys is None or (kid not in self._keys and stale):
            self._keys = {k.key_id: k for k in jwt.PyJWKSet.from_dict(self._load()).keys}
            self._loaded_at = time.monotonic()
        return self._keys.get(kid)

    def subject(self, token: str) -> str:
        """Return the token's subject, or raise Unauthorized; a token already verified is only checked for expiry."""
        with self._verified_lock:
            known = self._verified.get(token)
        if known is not None and known[1] + self.leeway > time.time():
            return known[0]
        subject, expires = self._verify(token)
        with self._verified_lock:
            # Every hop of a request checks the same token again: remembering a few hundred verified tokens
            # saves a signature check per call. The signature of a given token string cannot change.
            self._verified[token] = (subject, expires)
            while len(self._verified) > VERIFIED_CACHE_SIZE:
                self._verified.popitem(last=False)
        return subject

    def _verify(self, token: str) -> tuple[str, int]:
        try:
            key = self._key(jwt.get_unverified_header(token).get("kid"))
            if key is None:
                raise Unauthorized("The token was signed by an unknown key.")
            claims = jwt.decode(token, key.key, algorithms=ALGORITHMS, audience=self.audience, issuer=self.issuer,
                                leeway=self.leeway, options={"require": ["exp", "iat", "sub", "aud", "iss"]})
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("The token has expired; log in again.") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"The token is not valid: {exc}") from exc
        return claims["sub"], int(claims["exp"])
