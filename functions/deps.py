"""FastAPI dependencies: the composition root, the caller's verified identity, and each service (read from the
request's app, not through a dependency on the root: each level of dependencies costs FastAPI work per request)."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPBearer

from shared.adapters.auth.tokens import AuthError, Principal, bearer_token
from shared.bootstrap import Root
from shared.problems import Problem
from shared.services.alerts import Alerts
from shared.services.analyzer import Analyzer
from shared.services.receiver import Receiver
from shared.services.storage import Storage

_CHALLENGE = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


async def get_root(request: Request) -> Root:
    return request.app.state.root


RootDep = Annotated[Root, Depends(get_root)]


async def authenticate(request: Request) -> Principal:
    """The caller named by a verified bearer token, or 401; verified once per request."""
    known = getattr(request.state, "caller", None)
    if known is not None:
        return known
    verifier = request.app.state.root.verifier
    try:
        token = bearer_token(request.headers.get("authorization"))
        # A token not seen lately is verified off the event loop: it may mean fetching the signing keys.
        caller = verifier.cached(token) or await asyncio.to_thread(verifier.verify, token)
    except AuthError as exc:
        raise Problem(401, exc.reason, headers=_CHALLENGE) from None
    request.state.caller = caller
    return caller


class _BearerCaller(HTTPBearer):
    """The bearer scheme as the API document states it, whose call is the verified caller.

    One dependency with no dependencies of its own: FastAPI works out each dependency's cache key and kind on every
    request, and a tree of five (caller, root, scheme, service, root) was ~18% of a receiver request's CPU.
    """

    async def __call__(self, request: Request) -> Principal:  # type: ignore[override]
        return await authenticate(request)


bearer_caller = _BearerCaller(
    scheme_name="bearer",
    bearerFormat="JWT",
    auto_error=False,
    description="An Entra ID access token; locally `budget token --user NAME`.",
)
Caller = Annotated[Principal, Security(bearer_caller)]


async def _receiver(request: Request) -> Receiver:
    return request.app.state.root.receiver


async def _storage(request: Request) -> Storage:
    return request.app.state.root.storage


async def _analyzer(request: Request) -> Analyzer:
    return request.app.state.root.analyzer


async def _alerts(request: Request) -> Alerts:
    return request.app.state.root.alerts


ReceiverDep = Annotated[Receiver, Depends(_receiver)]
StorageDep = Annotated[Storage, Depends(_storage)]
AnalyzerDep = Annotated[Analyzer, Depends(_analyzer)]
AlertsDep = Annotated[Alerts, Depends(_alerts)]
