"""Bearer-token verification: exactly the v2.0 access tokens Entra ID issues for this API (RS256, JWKS keys)."""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import jwt

from shared.adapters.auth.jwks import SigningKeys, UnknownKey, UrlJwksSource

ALGORITHMS = ["RS256"]
SCOPE = "access_as_user"  # the delegated scope the app registration exposes
V1_REFUSED = "a v1.0 token: the app registration must issue v2.0 tokens (accessTokenAcceptedVersion 2)"
_CACHE_TTL_S = 300  # a verified token is trusted again without re-checking for at most this long
# Entra's v2.0 issuer names the tenant: https://login.microsoftonline.com/<tenant>/v2.0 (the dev issuer alike).
_V2_ISSUER_PATH = re.compile(r"/([0-9a-fA-F-]{36})/v2\.0/?")
_V1_HOSTS = ("sts.windows.net",)

log = logging.getLogger("budget.auth")


class AuthError(Exception):
    """The token cannot be trusted; `reason` is safe to show the caller (details go to the log)."""

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


def issuer_tenant(issuer: str) -> str | None:
    """The tenant id an Entra-style v2.0 issuer names, or None for another kind of issuer."""
    parts = urlsplit(issuer)
    match = _V2_ISSUER_PATH.fullmatch(parts.path) if parts.scheme == "https" else None
    return match.group(1).lower() if match else None


class _Verified:
    """Verified tokens, least recently used first out, each until its own expiry; keyed by the token's hash."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[bytes, tuple[Principal, float]] = OrderedDict()
        self._lock = threading.Lock()  # held only for dictionary operations: safe on the event loop

    def get(self, token: str, now: float) -> Principal | None:
        digest = hashlib.sha256(token.encode()).digest()
        with self._lock:
            entry = self._entries.get(digest)
            if entry is None:
                return None
            if entry[1] <= now:
                del self._entries[digest]
                return None
            self._entries.move_to_end(digest)
            return entry[0]

    def put(self, token: str, principal: Principal, until: float) -> None:
        if self._size <= 0:
            return
        digest = hashlib.sha256(token.encode()).digest()
        with self._lock:
            self._entries[digest] = (principal, until)
            self._entries.move_to_end(digest)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


class TokenVerifier:
    """Accepts v2.0 access tokens from `issuer` for `audience` (the API's client id).

    Delegated tokens must carry `scope` in `scp`; app-only tokens (no `scp`) must carry one of `app_roles`
    (by default only the admin role). The user is `oid`, never `sub` (pairwise per application).
    """

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        admin_role: str,
        jwks_url: str | None = None,
        signing_keys: SigningKeys | None = None,
        scope: str = SCOPE,
        app_roles: Iterable[str] | None = None,
        leeway_s: int = 60,
        cache_size: int = 10_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`cache_size` bounds the verified-token cache (0: none); `clock` is its wall clock."""
        if signing_keys is None and jwks_url is None:
            raise ValueError("TokenVerifier needs jwks_url or signing_keys")
        self._issuer = issuer
        self._tenant = issuer_tenant(issuer)
        self._audience = audience
        self._admin_role = admin_role
        self._scope = scope
        self._app_roles = frozenset(app_roles) if app_roles is not None else frozenset({admin_role})
        self._leeway = leeway_s
        self._keys = signing_keys or SigningKeys(UrlJwksSource(jwks_url or ""))
        # RS256 verification costs ~130 µs; a client sends the same token many times. Entries end at
        # the token's own expiry (or after five minutes, so a withdrawn signing key stops working).
        self._verified = _Verified(cache_size)
        self._clock = clock

    def cached(self, token: str) -> Principal | None:
        """The caller of a token verified lately and not expired since; None when it must be verified."""
        return self._verified.get(token, self._clock())

    def verify(self, token: str) -> Principal:
        """The caller a token names, or AuthError; SigningKeysUnavailable (503) when no key can be had."""
        cached = self.cached(token)
        if cached is not None:
            return cached
        principal, expires = self._verify(token)
        self._verified.put(token, principal, min(expires, self._clock() + _CACHE_TTL_S))
        return principal

    def _verify(self, token: str) -> tuple[Principal, float]:
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise AuthError("malformed token") from None
        alg = header.get("alg")
        if alg not in ALGORITHMS:
            shown = repr(alg) if isinstance(alg, str) and len(alg) <= 16 else "of this kind"
            raise AuthError(f"token algorithm {shown} is not accepted; RS256 only")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise AuthError("token has no key id (kid)")
        # Refusing on unverified claims is safe (nothing is granted) and names the usual misconfiguration.
        if unverified.get("ver") == "1.0" or urlsplit(str(unverified.get("iss", ""))).hostname in _V1_HOSTS:
            log.info("refused a v1.0 token (iss %r, aud %r)", unverified.get("iss"), unverified.get("aud"))
            raise AuthError(V1_REFUSED)
        try:
            key = self._keys.key(kid)
        except UnknownKey:
            raise AuthError("token signed by an unknown key") from None
        claims = self._decode(token, key.key)
        return self._principal(claims), float(claims["exp"])

    def _decode(self, token: str, key: object) -> dict:
        try:
            return jwt.decode(
                token,
                key,
                algorithms=ALGORITHMS,
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iat", "nbf", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise AuthError("token expired") from None
        except jwt.ImmatureSignatureError:
            raise AuthError("token not yet valid") from None
        except jwt.InvalidAudienceError:
            raise AuthError("token is for another audience") from None
        except jwt.InvalidIssuerError:
            raise AuthError("token is from another issuer") from None
        except jwt.MissingRequiredClaimError as exc:
            raise AuthError(f"token lacks the {exc.claim} claim") from None
        except jwt.InvalidSignatureError:
            raise AuthError("token signature does not verify") from None
        except jwt.PyJWTError as exc:
            log.info("refused a token: %s", exc)
            raise AuthError("invalid token") from None

    def _principal(self, claims: dict) -> Principal:
        if claims.get("ver") != "2.0":
            raise AuthError("token is not a v2.0 access token (ver)")
        if self._tenant is not None and str(claims.get("tid", "")).lower() != self._tenant:
            raise AuthError("token is from another tenant")
        user_id = claims.get("oid")
        if not isinstance(user_id, str) or not user_id or len(user_id) > 128:
            raise AuthError("token names no user (oid)")
        roles = claims.get("roles")
        granted = frozenset(r for r in roles if isinstance(r, str)) if isinstance(roles, list) else frozenset()
        if "scp" in claims:
            scopes = claims["scp"]
            if not isinstance(scopes, str) or self._scope not in scopes.split():
                raise AuthError(f"token lacks the {self._scope} scope")
        elif not granted & self._app_roles:
            raise AuthError("an application token needs an app role of this API")
        return Principal(user_id=user_id, roles=granted, admin_role=self._admin_role)


def bearer_token(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer ...` header, or AuthError."""
    if not authorization:
        raise AuthError("missing bearer token: send 'Authorization: Bearer <token>'")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("Authorization header must be 'Bearer <token>'")
    return token.strip()
