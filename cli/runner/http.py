"""An ASGI app that serves the function app's HTTP triggers the way the Functions host routes them."""

from __future__ import annotations

import asyncio
import inspect
import logging
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote

import azure.functions as func
import orjson

from cli.runner.index import IndexedFunction, index

log = logging.getLogger("budget.runner.http")
ROUTE_PREFIX = "/api"
MAX_BODY = 4 * 1024 * 1024  # the routes enforce their own, smaller limits
_CONSTRAINTS = {"guid": r"[0-9A-Fa-f]{8}-(?:[0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}", "int": r"-?\d+", "alpha": r"[A-Za-z]+"}


@dataclass(frozen=True)
class Route:
    pattern: re.Pattern
    methods: frozenset[str]
    function: IndexedFunction
    params: int
    is_async: bool


def compile_route(template: str) -> tuple[re.Pattern, int]:
    """`budgets/{category}/{month}` -> a regex with named groups, as the host's route templates work."""
    parts, params = [], 0
    for segment in template.strip("/").split("/"):
        m = re.fullmatch(r"\{(\*)?([A-Za-z_]\w*)(?::([a-z]+))?(\?)?\}", segment)
        if not m:
            parts.append(re.escape(segment))
            continue
        params += 1
        catch_all, name, constraint, _optional = m.groups()
        body = ".*" if catch_all else _CONSTRAINTS.get(constraint or "", r"[^/]+")
        parts.append(f"(?P<{name}>{body})")
    return re.compile("^" + "/".join(parts) + "$", re.IGNORECASE), params


def routes_of(app) -> list[Route]:
    routes = []
    for fn in index(app):
        if fn.kind != "httpTrigger":
            continue
        pattern, params = compile_route(fn.trigger.get("route") or fn.name)
        methods = frozenset(m.upper() for m in fn.trigger.get("methods") or ["GET", "POST"])
        routes.append(Route(pattern, methods, fn, params, inspect.iscoroutinefunction(fn.call)))
    # Literal segments win over parameters (transactions/batch before transactions/{id}).
    return sorted(routes, key=lambda r: r.params)


def _problem(status: int, detail: str, headers: list | None = None) -> tuple[int, list, bytes]:
    body = orjson.dumps(
        {
            "type": "about:blank",
            "title": {404: "Not Found", 405: "Method Not Allowed", 413: "Content Too Large"}.get(status, "Error"),
            "status": status,
            "detail": detail,
        }
    )
    return status, [(b"content-type", b"application/problem+json"), *(headers or [])], body


class FunctionsAsgi:
    """Translate ASGI requests into func.HttpRequest, call the function, send its func.HttpResponse."""

    def __init__(self, app, *, threads: int = 32) -> None:
        self.routes = routes_of(app)
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="http-fn")

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    self._pool.shutdown(wait=False)
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        status, headers, body = await self._handle(scope, receive)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _handle(self, scope, receive) -> tuple[int, list, bytes]:
        path: str = scope["path"]
        if not path.startswith(ROUTE_PREFIX + "/"):
            return _problem(404, f"No route {path}; the API lives under {ROUTE_PREFIX}/")
        # With the raw path, match first and decode each parameter once: an encoded "/" stays in its
        # segment. Servers that give no raw path have decoded it already: nothing to decode again.
        raw_path = scope.get("raw_path")
        if raw_path:
            sub, decode = raw_path.decode("latin-1").split("?", 1)[0][len(ROUTE_PREFIX) + 1 :], unquote
        else:
            sub, decode = path[len(ROUTE_PREFIX) + 1 :], str
        sub = sub.rstrip("/")
        method = scope["method"]
        allowed: set[str] = set()
        for route in self.routes:
            match = route.pattern.match(sub)
            if not match:
                continue
            if method not in route.methods:
                allowed |= route.methods
                continue
            body = await _read_body(receive, scope)
            if body is None:
                return _problem(413, f"The body is over {MAX_BODY:,} bytes.")
            return await self._invoke(route, scope, {k: decode(v) for k, v in match.groupdict().items()}, body)
        if allowed:
            return _problem(
                405,
                f"{method} is not allowed here; use {', '.join(sorted(allowed))}.",
                [(b"allow", ", ".join(sorted(allowed)).encode())],
            )
        return _problem(404, f"No route {path}.")

    async def _invoke(self, route: Route, scope, params: dict[str, str], body: bytes) -> tuple[int, list, bytes]:
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        query = scope.get("query_string", b"").decode("latin-1")
        host = headers.get("host", "127.0.0.1")
        req = func.HttpRequest(
            method=scope["method"],
            url=f"http://{host}{scope['path']}" + (f"?{query}" if query else ""),
            headers=headers,
            params=dict(parse_qsl(query, keep_blank_values=True)),
            route_params=params,
            body=body,
        )
        kwargs = {route.function.trigger["name"]: req}
        try:
            if route.is_async:
                resp = await route.function.call(**kwargs)
            else:
                resp = await asyncio.get_running_loop().run_in_executor(
                    self._pool, lambda: route.function.call(**kwargs)
                )
        except Exception:
            incident = uuid.uuid4().hex[:12]
            log.exception("function %s failed (incident %s)", route.function.name, incident)
            body = orjson.dumps(
                {
                    "type": "about:blank",
                    "title": "Internal Server Error",
                    "status": 500,
                    "detail": f"An unexpected error occurred (incident {incident}).",
                }
            )
            return 500, [(b"content-type", b"application/problem+json")], body
        return _response(resp)


def _response(resp: func.HttpResponse) -> tuple[int, list, bytes]:
    headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in resp.headers.items()]
    if not any(k == b"content-type" for k, _ in headers):
        ctype = resp.mimetype or "text/plain"
        if resp.charset and ctype.startswith("text/"):
            ctype += f"; charset={resp.charset}"
        headers.append((b"content-type", ctype.encode()))
    return resp.status_code, headers, resp.get_body() or b""


async def _read_body(receive, scope) -> bytes | None:
    for k, v in scope["headers"]:
        if k == b"content-length" and v.isdigit() and int(v) > MAX_BODY:
            return None
    chunks, size = [], 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def create_app() -> FunctionsAsgi:
    """uvicorn factory: import the function app exactly as the host would."""
    from function_app import app

    return FunctionsAsgi(app)
