"""The issuer's signing keys: fetched in the background, kept through outages, re-read on key rollover."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol
from urllib.request import urlopen

import jwt
import orjson
from jwt import PyJWK

from shared.problems import Problem

log = logging.getLogger("budget.auth")


class JwksSource(Protocol):
    """Where the JWKS document comes from; `fetch` raises when it cannot be read."""

    def fetch(self) -> dict[str, Any]: ...


class UrlJwksSource:
    """The JWKS at a URL: https for Entra ID, file:// or loopback http for the development issuer."""

    def __init__(self, url: str, *, timeout_s: float = 10) -> None:
        self.url = url
        self._timeout_s = timeout_s

    def fetch(self) -> dict[str, Any]:
        with urlopen(self.url, timeout=self._timeout_s) as response:  # noqa: S310 - https or file:// enforced by settings
            document = orjson.loads(response.read())
        if not isinstance(document, dict):
            raise ValueError("the JWKS is not a JSON object")
        return document


class SigningKeysUnavailable(Problem):
    """No key to verify with and none to be had right now: the server's fault, so 503, never 401."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(
            503,
            "Tokens cannot be verified right now: the identity provider's signing keys are unavailable. Retry shortly.",
            headers={"Retry-After": str(retry_after_s)},
        )


class UnknownKey(LookupError):
    """The token names a key the issuer does not publish (even after a re-read allowed by the floor)."""


def usable_keys(document: dict[str, Any]) -> dict[str, PyJWK]:
    """The document's RSA signing keys by kid; other and unreadable entries are skipped."""
    keys = {}
    for jwk in document.get("keys") or []:
        if not isinstance(jwk, dict) or jwk.get("kty") != "RSA" or jwk.get("use", "sig") != "sig":
            continue
        kid = jwk.get("kid")
        if isinstance(kid, str) and kid:
            try:
                keys[kid] = PyJWK(jwk, algorithm="RS256")
            except jwt.PyJWTError:
                continue
    return keys


class SigningKeys:
    """Signing keys by kid. Nothing here fetches on the caller's thread: a fetch runs in the background,
    one at a time, and a caller that needs it waits at most `wait_s`.

    - Known kid: answered from memory at once; past `ttl_s` a background re-read starts, and until it
      succeeds the last good keys stay in use (stale-if-error), however long the outage.
    - Unknown kid (key rollover, or a forgery): at most one re-read per `floor_s`.
    - Failed fetches back off exponentially (`backoff_s`, doubling, up to `max_backoff_s`).
    - No keys yet and none to be had: SigningKeysUnavailable (503 with Retry-After).
    """

    def __init__(
        self,
        source: JwksSource,
        *,
        ttl_s: float = 3_600,
        floor_s: float = 30,
        backoff_s: float = 1,
        max_backoff_s: float = 60,
        wait_s: float = 2,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._source = source
        self._ttl_s, self._floor_s, self._wait_s = ttl_s, floor_s, wait_s
        self._backoff_s, self._max_backoff_s = backoff_s, max_backoff_s
        self._clock = clock
        self._changed = threading.Condition()  # guards everything below; never held during a fetch
        self._keys: dict[str, PyJWK] = {}
        self._fetched_at = -math.inf
        self._attempted_at = -math.inf
        self._retry_at = -math.inf
        self._failures = 0
        self._fetching = False

    def key(self, kid: str) -> PyJWK:
        """The key named `kid`; UnknownKey when the issuer does not publish it; SigningKeysUnavailable."""
        with self._changed:
            now = self._clock()
            key = self._keys.get(kid)
            if key is not None:
                if now - self._fetched_at >= self._ttl_s:
                    self._start_fetch(now)
                return key
            if not self._keys or now - self._attempted_at >= self._floor_s:
                self._start_fetch(now)
            if self._fetching:
                self._changed.wait_for(lambda: not self._fetching, timeout=self._wait_s)
            key = self._keys.get(kid)
            if key is not None:
                return key
            if self._fetching or not self._keys:
                raise SigningKeysUnavailable(self._retry_after(self._clock()))
            raise UnknownKey(kid)

    def wait_idle(self, timeout_s: float) -> bool:
        """True once no fetch is in flight (a test's next step, a process shutting down)."""
        with self._changed:
            return self._changed.wait_for(lambda: not self._fetching, timeout=timeout_s)

    def _start_fetch(self, now: float) -> None:
        if self._fetching or now < self._retry_at:
            return
        self._fetching = True
        self._attempted_at = now
        threading.Thread(target=self._fetch, name="jwks-fetch", daemon=True).start()

    def _fetch(self) -> None:
        try:
            keys = usable_keys(self._source.fetch())
            if not keys:
                raise ValueError("the JWKS holds no RSA signing key")
        except Exception as exc:  # noqa: BLE001 - any failure keeps the last good keys; the cause goes to the log
            with self._changed:
                self._failures += 1
                failures, kept = self._failures, len(self._keys)
            delay = min(self._max_backoff_s, self._backoff_s * 2 ** (failures - 1))
            # Logged before the waiting callers are told, so their refusal never precedes its cause in the log.
            log.warning(
                "signing keys: fetch failed (%d in a row; keeping %d keys; next attempt in %.0f s): %r",
                failures,
                kept,
                delay,
                exc,
            )
            with self._changed:
                self._retry_at = self._clock() + delay
                self._fetching = False
                self._changed.notify_all()
            return
        with self._changed:
            self._keys = keys
            self._fetched_at = self._clock()
            self._failures = 0
            self._retry_at = -math.inf
            self._fetching = False
            self._changed.notify_all()

    def _retry_after(self, now: float) -> int:
        return max(1, math.ceil(self._retry_at - now)) if not self._fetching else 1
