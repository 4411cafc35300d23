"""The local development issuer: an RSA key on disk, its JWKS beside it, and tokens signed with it.

The stack verifies these tokens with the same TokenVerifier as Entra ID tokens: only the
issuer, audience and JWKS location differ.
"""

from __future__ import annotations

import fcntl
import time
import uuid
from pathlib import Path

import jwt
import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

DEV_ISSUER = "https://budget.local/dev-issuer"
DEV_AUDIENCE = "api://budget-local"
ADMIN_ROLE = "Budget.Admin"


class DevIssuer:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.key_path = directory / "signing-key.pem"
        self.jwks_path = directory / "jwks.json"

    @property
    def jwks_url(self) -> str:
        return self.jwks_path.resolve().as_uri()

    def ensure(self) -> DevIssuer:
        """Create the key pair and JWKS once; later calls reuse them.

        Several services may start at once on a shared volume (docker compose): a lock makes exactly
        one of them create the pair, so the key and its JWKS always belong together.
        """
        if self.key_path.exists() and self.jwks_path.exists():
            return self
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (self.key_path.exists() and self.jwks_path.exists()):
                self._create()
        return self

    def _create(self) -> None:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        tmp = self.key_path.with_suffix(".tmp")
        tmp.write_bytes(pem)
        tmp.chmod(0o600)
        tmp.replace(self.key_path)
        jwk = orjson.loads(RSAAlgorithm.to_jwk(key.public_key()))
        jwk.update({"kid": f"dev-{uuid.uuid4().hex[:12]}", "use": "sig", "alg": "RS256"})
        tmp = self.jwks_path.with_suffix(".tmp")
        tmp.write_bytes(orjson.dumps({"keys": [jwk]}))
        tmp.replace(self.jwks_path)

    def kid(self) -> str:
        return orjson.loads(self.jwks_path.read_bytes())["keys"][0]["kid"]

    def token(self, user: str, *, admin: bool = False, ttl_s: int = 3_600, **claims) -> str:
        """A token for `user`, signed by the local key; `--admin` adds the Budget.Admin app role."""
        self.ensure()
        now = int(time.time())
        payload = {
            "iss": DEV_ISSUER,
            "aud": DEV_AUDIENCE,
            "sub": user,
            "oid": user,
            "iat": now,
            "nbf": now,
            "exp": now + ttl_s,
            "roles": [ADMIN_ROLE] if admin else [],
            **claims,
        }
        key = serialization.load_pem_private_key(self.key_path.read_bytes(), password=None)
        return jwt.encode(payload, key, algorithm="RS256", headers={"kid": self.kid()})
