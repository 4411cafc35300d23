"""Bearer-token verification: RS256 only, against the issuer's JWKS, issuer and audience."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from urllib.request import urlopen

import jwt
import orjson
from jwt import PyJWK

ALGORITHMS = ["RS256"]
_JWKS_TTL_S = 3_600
_REFRESH_FLOOR_S = 30  # an unknown kid re-reads the JWKS at most this often
_CACHE_MAX = 10_000
_CACHE_TTL_S = 300  # a verified token is trusted again without re-checking for at most this long


class AuthError(Exception):
    """The token cannot be trusted; `reason` is safe to show the caller."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Principal:
    user_id: str
    roles: frozenset[str]
    admin_role: str

    @property
    def is_admin(self) -> bool:
        return self.admin_role in self.roles


class _Jwks:
    """Signing keys by kid, cached; re-read when a token names a kid we do not know (key rollover)."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._keys: dict[str, PyJWK] = {}
        self._fetched = 0.0
        self._lock = threading.Lock()

    def key(self, kid: str) -> PyJWK:
        with self._lock:
            now = time.monotonic()
            stale = now - self._fetched > _JWKS_TTL_S
            if stale or (kid not in self._keys and now - self._fetched > _REFRESH_FLOOR_S):
                self._keys = self._load()
                self._fetched = now
            try:
                return self._keys[kid]
            except KeyError:
                raise AuthError("token signed by an unknown key") from None

    def _load(self) -> dict[str, PyJWK]:
        try:
            with urlopen(self._url, timeout=5) as response:  # noqa: S310 - https or file:// enforced by settings
                document = orjson.loads(response.read())
        except OSError as exc:
            raise AuthError(f"signing keys unavailable: {exc}") from None
        keys = {}
        for jwk in document.get("keys", []):
            if jwk.get("kty") == "RSA" and jwk.get("kid") and jwk.get("use", "sig") == "sig":
                keys[jwk["kid"]] = PyJWK(jwk, algorithm="RS256")
        return keys


class TokenVerifier:
    def __init__(self, *, issuer: str, audience: str, jwks_url: str, admin_role: str, leeway_s: int = 60) -> None:
        self._issuer = issuer
        self._audience = audience
        self._admin_role = admin_role
        self._leeway = leeway_s
        self._jwks = _Jwks(jwks_url)
        # RS256 verification costs ~130 µs; a client sends the same token many times. Entries end at
        # the token's own expiry (or after five minutes, so a withdrawn signing key stops working).
        self._verified: dict[str, tuple[Principal, float]] = {}
        self._cache_lock = threading.Lock()

    def cached(self, token: str) -> Principal | None:
        """The caller of a token verified lately and not expired since; None when it must be verified."""
        cached = self._verified.get(token)
        if cached is not None and cached[1] > time.time():
            return cached[0]
        return None

    def verify(self, token: str) -> Principal:
        cached = self.cached(token)
        if cached is not None:
            return cached
        principal, expires = self._verify(token)
        with self._cache_lock:
            if len(self._verified) >= _CACHE_MAX:
                self._verified.pop(next(iter(self._verified)))
            self._verified[token] = (principal, min(expires, time.time() + _CACHE_TTL_S))
        return principal

    def _verify(self, token: str) -> tuple[Principal, float]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise AuthError("malformed token") from None
        if header.get("alg") not in ALGORITHMS:
            raise AuthError(f"token algorithm {header.get('alg')!r} is not accepted; RS256 only")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise AuthError("token has no key id (kid)")
        key = self._jwks.key(kid)
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=ALGORITHMS,
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iat", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise AuthError("token expired") from None
        except jwt.ImmatureSignatureError:
            raise AuthError("token not yet valid") from None
        except jwt.InvalidAudienceError:
            raise AuthError("token is for another audience") from None
        except jwt.InvalidIssuerError:
            raise AuthError("token is from another issuer") from None
        except jwt.PyJWTError as exc:
            raise AuthError(f"invalid token: {exc}") from None
        user_id = claims.get("oid") or claims.get("sub")
        if not isinstance(user_id, str) or not user_id or len(user_id) > 128:
            raise AuthError("token names no user (oid or sub)")
        roles = claims.get("roles") or []
        if not isinstance(roles, list):
            roles = []
        principal = Principal(
            user_id=user_id, roles=frozenset(r for r in roles if isinstance(r, str)), admin_role=self._admin_role
        )
        return principal, float(claims["exp"])


def bearer_token(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer ...` header, or AuthError."""
    if not authorization:
        raise AuthError("missing bearer token: send 'Authorization: Bearer <token>'")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("Authorization header must be 'Bearer <token>'")
    return token.strip()
