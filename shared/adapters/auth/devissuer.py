"""The local development issuer: an RSA key on disk, its JWKS beside it, and tokens signed with it.

Its tokens have the shape of Entra ID's v2.0 access tokens for the app registration (iss in the v2.0
form naming a tenant, aud the bare client id, tid, oid, sub, scp, roles, azp, ver), so the stack verifies
them with the same TokenVerifier and the same rules: only the issuer, audience and JWKS location differ.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import time
import uuid
from pathlib import Path

import jwt
import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from shared.adapters.auth.tokens import SCOPE, issuer_tenant

# Fixed GUIDs standing for the development tenant and the app registration's client id (made up here).
DEV_TENANT = "0f1ba484-342d-4e86-b302-6cf509869e9e"
DEV_ISSUER = f"https://budget.local/{DEV_TENANT}/v2.0"
DEV_AUDIENCE = "0f60b856-11d0-4741-9bcd-106fac9e73f4"  # AuthAudience locally: v2.0 tokens carry the client id
ADMIN_ROLE = "Budget.Admin"


class DevIssuer:
    def __init__(self, directory: Path, *, issuer: str = DEV_ISSUER, audience: str = DEV_AUDIENCE) -> None:
        tenant = issuer_tenant(issuer)
        if tenant is None:
            raise ValueError("the development issuer needs a v2.0 issuer URL: https://<host>/<tenant id>/v2.0")
        self.issuer, self.audience, self.tenant = issuer, audience, tenant
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
        """A delegated token for `user` (its oid, kept readable), signed by the local key; `admin` adds the
        Budget.Admin app role. `claims` override the defaults; a claim given as None is left out."""
        self.ensure()
        now = int(time.time())
        payload = {
            "aud": self.audience,
            "iss": self.issuer,
            "iat": now,
            "nbf": now,
            "exp": now + ttl_s,
            "azp": self.audience,  # the dashboard is the same app registration as the API
            "oid": user,
            "roles": [ADMIN_ROLE] if admin else None,  # Entra leaves roles out when none is assigned
            "scp": SCOPE,
            # Entra's sub is pairwise (per user and application) and opaque: nothing may take it for the user.
            "sub": _pairwise(user, self.audience),
            "tid": self.tenant,
            "ver": "2.0",
            **claims,
        }
        payload = {name: value for name, value in payload.items() if value is not None}
        key = serialization.load_pem_private_key(self.key_path.read_bytes(), password=None)
        return jwt.encode(payload, key, algorithm="RS256", headers={"kid": self.kid()})


def _pairwise(user: str, audience: str) -> str:
    digest = hashlib.sha256(f"{audience}:{user}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")
