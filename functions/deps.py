"""FastAPI dependencies: the composition root, the caller's verified identity, and each service."""

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

# Declares the scheme in the API document; the header itself is read below, for precise messages.
_bearer = HTTPBearer(
    scheme_name="bearer",
    bearerFormat="JWT",
    auto_error=False,
    description="An Entra ID access token; locally `budget token --user NAME`.",
)
_CHALLENGE = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


async def get_root(request: Request) -> Root:
    return request.app.state.root


RootDep = Annotated[Root, Depends(get_root)]


async def authenticate(request: Request, root: RootDep, _: Annotated[object, Security(_bearer)] = None) -> Principal:
    """The caller named by a verified bearer token, or 401; verified once per request."""
    known = getattr(request.state, "caller", None)
    if known is not None:
        return known
    verifier = root.verifier
    try:
        token = bearer_token(request.headers.get("authorization"))
        # A token not seen lately is verified off the event loop: it may mean fetching the signing keys.
        caller = verifier.cached(token) or await asyncio.to_thread(verifier.verify, token)
    except AuthError as exc:
        raise Problem(401, exc.reason, headers=_CHALLENGE) from None
    request.state.caller = caller
    return caller


Caller = Annotated[Principal, Depends(authenticate)]


async def _receiver(root: RootDep) -> Receiver:
    return root.receiver


async def _storage(root: RootDep) -> Storage:
    return root.storage


async def _analyzer(root: RootDep) -> Analyzer:
    return root.analyzer


async def _alerts(root: RootDep) -> Alerts:
    return root.alerts


ReceiverDep = Annotated[Receiver, Depends(_receiver)]
StorageDep = Annotated[Storage, Depends(_storage)]
AnalyzerDep = Annotated[Analyzer, Depends(_analyzer)]
AlertsDep = Annotated[Alerts, Depends(_alerts)]
