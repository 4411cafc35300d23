"""JSON request bodies: the caller first, then a size limit per route, then strict parsing with orjson.

FastAPI's documented extension point: a route class whose handler reads the body through a Request subclass.
A route's limit is `openapi_extra={"x-body-limit": N}` (so the document states it); the default is 64 KiB.
FastAPI would read and validate a body before resolving any dependency; here a caller without a valid token
hears 401 before anything about the body, as from every other route.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Coroutine
from typing import Any

import orjson
from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from functions.deps import authenticate, bearer_caller
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
        needs_caller = _depends_on(self.dependant, bearer_caller)
        direct = _direct_handler(self) if takes_body else None

        async def limited(request: Request) -> Response:
            if request.method not in _WITH_BODY or not takes_body:
                return await handler(request)
            if needs_caller:
                await authenticate(request)  # remembered for the route's own dependency
            wrapped = _JsonRequest(request.scope, request.receive)
            wrapped.limit = limit
            body = await wrapped.body()  # the limit before the content type: a huge body is refused unread
            ctype = _content_type(wrapped)
            if body and ctype != "application/json" and not ctype.endswith("+json"):
                raise Problem(415, f"Send the body as application/json, not {ctype}.")
            if not body:
                raise Problem(400, "The body is empty: send a JSON object.")
            parsed = await wrapped.json()  # 400 for invalid JSON, before any field is looked at
            if direct is not None and not request.app.dependency_overrides:
                return await direct(wrapped, parsed)
            return await handler(wrapped)

        return limited


def _depends_on(dependant: Any, call: Callable) -> bool:
    return any(d.call is call or _depends_on(d, call) for d in dependant.dependencies)


def _direct_handler(route: APIRoute) -> Callable[[Request, Any], Coroutine[Any, Any, Response]] | None:
    """For a route whose parameters are one body model and dependencies that take only the request (the caller, a
    service), and whose endpoint returns a Response: a handler that validates the parsed body with the route's own
    body field and calls the endpoint, without FastAPI's per-request dependency solving (its cache keys, kinds and
    parameter passes cost ~30% of a receiver request's CPU). Errors are FastAPI's own RequestValidationError, with the
    same locations. Any other route (path, query or header parameters, deeper dependencies) gets None: FastAPI's
    handler serves it.
    """
    d, field = route.dependant, route.body_field
    if d.path_params or d.query_params or d.header_params or d.cookie_params or len(d.body_params) != 1:
        return None
    if route._embed_body_fields or field is None or not inspect.iscoroutinefunction(route.endpoint):
        return None
    if any(getattr(d, name) for name in _SPECIAL_PARAMS) or not _returns_response(route.endpoint):
        return None
    subs = [(sub.name, sub.call) for sub in d.dependencies if _takes_only_the_request(sub)]
    if len(subs) != len(d.dependencies):
        return None
    body_name, endpoint = d.body_params[0].name, route.endpoint

    async def direct(request: Request, parsed: Any) -> Response:
        value, errors = field.validate(parsed, {}, loc=("body",))
        if errors:
            raise RequestValidationError(errors, body=parsed)
        values = {body_name: value}
        for name, call in subs:
            values[name] = await call(request)
        return await endpoint(**values)

    return direct


_SPECIAL_PARAMS = (
    "request_param_name",
    "websocket_param_name",
    "http_connection_param_name",
    "response_param_name",
    "background_tasks_param_name",
    "security_scopes_param_name",
)


def _takes_only_the_request(sub: Any) -> bool:
    call = sub.call
    is_async = inspect.iscoroutinefunction(call) or inspect.iscoroutinefunction(type(call).__call__)
    others = sub.path_params or sub.query_params or sub.header_params or sub.cookie_params or sub.body_params
    special = [name for name in _SPECIAL_PARAMS if getattr(sub, name)]
    return is_async and not others and not sub.dependencies and special == ["request_param_name"]


def _returns_response(endpoint: Callable) -> bool:
    try:
        returned = typing.get_type_hints(endpoint).get("return")
    except (NameError, TypeError):
        return False
    return isinstance(returned, type) and issubclass(returned, Response)
