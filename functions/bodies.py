"""JSON request bodies: the caller first, then a size limit per route, then strict parsing with orjson.

FastAPI's documented extension point: a route class whose handler reads the body through a Request subclass.
A route's limit is `openapi_extra={"x-body-limit": N}` (so the document states it); the default is 64 KiB.
FastAPI would read and validate a body before resolving any dependency; here a caller without a valid token
hears 401 before anything about the body, as from every other route.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import orjson
from fastapi import Request, Response
from fastapi.routing import APIRoute

from functions.deps import authenticate, get_root
from shared.problems import Problem

DEFAULT_LIMIT = 64 * 1024
_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


def body_limit(limit: int) -> dict[str, Any]:
    """`openapi_extra` for a route whose bodies may be up to `limit` bytes."""
    return {"x-body-limit": limit}


class _JsonRequest(Request):
    limit = DEFAULT_LIMIT

    async def body(self) -> bytes:
        if not hasattr(self, "_body"):
            declared = self.headers.get("content-length", "")
            if declared.isascii() and declared.isdigit() and int(declared) > self.limit:
                raise _too_large(self.limit)
            chunks, size = [], 0
            async for chunk in self.stream():
                size += len(chunk)
                if size > self.limit:
                    raise _too_large(self.limit)
                chunks.append(chunk)
            self._body = b"".join(chunks)
        return self._body

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            try:
                self._json = orjson.loads(await self.body())
            except orjson.JSONDecodeError as exc:
                raise Problem(400, f"The body is not valid JSON: {exc}") from None
        return self._json


def _too_large(limit: int) -> Problem:
    return Problem(413, f"The body is over the limit: send at most {limit:,} bytes here.")


def _content_type(request: Request) -> str:
    return (request.headers.get("content-type") or "application/json").split(";")[0].strip().lower()


class JsonRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        limit = int((self.openapi_extra or {}).get("x-body-limit", DEFAULT_LIMIT))
        takes_body = self.body_field is not None
        needs_caller = _depends_on(self.dependant, authenticate)

        async def limited(request: Request) -> Response:
            if request.method not in _WITH_BODY or not takes_body:
                return await handler(request)
            if needs_caller:
                await authenticate(request, await get_root(request))  # remembered for the route's own dependency
            wrapped = _JsonRequest(request.scope, request.receive)
            wrapped.limit = limit
            body = await wrapped.body()  # the limit before the content type: a huge body is refused unread
            ctype = _content_type(wrapped)
            if body and ctype != "application/json" and not ctype.endswith("+json"):
                raise Problem(415, f"Send the body as application/json, not {ctype}.")
            if not body:
                raise Problem(400, "The body is empty: send a JSON object.")
            await wrapped.json()  # 400 for invalid JSON, before any field is looked at
            return await handler(wrapped)

        return limited


def _depends_on(dependant: Any, call: Callable) -> bool:
    return any(d.call is call or _depends_on(d, call) for d in dependant.dependencies)
