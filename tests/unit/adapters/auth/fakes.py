"""A JWKS source and a clock that tests steer: the source implements JwksSource, as UrlJwksSource does."""

from __future__ import annotations

import threading
from typing import Any

import orjson

from shared.adapters.auth.devissuer import DevIssuer


class FakeClock:
    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeJwksSource:
    """Serves the JWKS of the issuers it is given; `down` fails as an unreachable endpoint does, with the
    kind of detail (a URL, a path) that must never reach a caller; `hang()` makes fetches wait for `release()`."""

    def __init__(self, clock: FakeClock, *issuers: DevIssuer) -> None:
        self.clock = clock
        self.keys: list[dict[str, Any]] = []
        self.serve(*issuers)
        self.down = False
        self.fetched_at: list[float] = []
        self._gate = threading.Event()
        self._gate.set()

    def serve(self, *issuers: DevIssuer) -> None:
        self.keys = [key for issuer in issuers for key in orjson.loads(issuer.jwks_path.read_bytes())["keys"]]

    def hang(self) -> None:
        self._gate.clear()

    def release(self) -> None:
        self._gate.set()

    @property
    def hung(self) -> bool:
        """A fetch is being held back (hang() without release())."""
        return not self._gate.is_set()

    def fetch(self) -> dict[str, Any]:
        self.fetched_at.append(self.clock())
        self._gate.wait(timeout=30)
        if self.down:
            raise OSError("[Errno 111] Connection refused: https://login.example/secret-tenant/keys /srv/app/jwks.json")
        return {"keys": list(self.keys)}
