"""Sends one signed delivery over HTTP (httpx), to the address the guard vetted just now."""

from __future__ import annotations

import datetime as dt
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlunsplit

import httpx

from shared.adapters.webhooks.guard import AddressGuard, Refused, Target
from shared.adapters.webhooks.signing import signed_headers

TIMEOUT_S = 10.0
_ERROR_LIMIT = 500


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class HttpSender:
    """One POST per delivery; any answer but 2xx, a timeout or a refused address is a failed attempt."""

    def __init__(
        self,
        *,
        guard: AddressGuard,
        timeout_s: float = TIMEOUT_S,
        transport: httpx.BaseTransport | None = None,
        wall_clock: Callable[[], dt.datetime] = _now,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        """`verify`: the certificate authorities to trust (the system's by default; a test's own CA in tests)."""
        self._guard = guard
        self._timeout_s = timeout_s
        self._wall_clock = wall_clock
        # No redirects (a 3xx could point anywhere), no proxy from the environment (we connect to the vetted
        # address ourselves), no kept-alive connections (one made for one host's SNI is never reused for another's).
        self._client = httpx.Client(
            timeout=timeout_s,
            follow_redirects=False,
            trust_env=False,
            limits=httpx.Limits(max_keepalive_connections=0),
            transport=transport,
            verify=verify,
        )

    def deliver(self, url: str, *, secret: str, message_id: str, body: bytes) -> Outcome:
        """Resolve and vet the host again, then POST the body signed at this moment (the sender's own clock)."""
        try:
            target = self._guard.check(url)
        except Refused as exc:
            return Outcome(None, f"refused: the URL {exc.reason}"[:_ERROR_LIMIT])
        headers = {
            **signed_headers(secret, message_id, body, self._wall_clock()),
            "Host": target.host_header,
            "Content-Type": "application/json",
            "User-Agent": "budget-webhooks/1",
        }
        # The TLS handshake names the original host (SNI) and checks its certificate against that name.
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        try:
            with self._client.stream(
                "POST", pinned_url(target), content=body, headers=headers, extensions=extensions
            ) as response:
                code = response.status_code  # the body is never read: only the status counts
        except httpx.TimeoutException:
            return Outcome(None, f"timed out after {self._timeout_s:g} s")
        except httpx.HTTPError as exc:
            return Outcome(None, f"{type(exc).__name__}: {exc}"[:_ERROR_LIMIT])
        return Outcome(code, None if 200 <= code < 300 else f"answered HTTP {code}")

    def close(self) -> None:
        self._client.close()


def pinned_url(target: Target) -> str:
    """The URL with its host replaced by the first vetted address: nothing resolves the name again."""
    address = target.addresses[0]
    host = f"[{address}]" if address.version == 6 else str(address)
    return urlunsplit((target.scheme, f"{host}:{target.port}", target.path, target.query, ""))
