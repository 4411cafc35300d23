"""The dashboard: the page, its hashed assets, its config, the API docs page and the development sign-in.

`dashboard_router(...)` returns a FastAPI router for the app that also serves the API under /api. Every
answer it gives carries a strict Content-Security-Policy: scripts and styles only from this origin, no
inline script, no eval; the page may talk only to this origin, the configured API origins and the Entra ID
authority.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import jwt
import orjson
from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from functions.errors import problem_response
from shared.problems import Problem, invalid

SERVICES = ("receiver", "storage", "analyzer")
_ASSET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")  # one path segment, no dot-files, no traversal
_ASSET_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
}
_HTML = "text/html; charset=utf-8"
_NOT_BUILT = b"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Dashboard not built</title></head>
<body><h1>The dashboard is not built yet</h1>
<p>Build it with <code>make web</code> (or <code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code>),
then reload this page. The API under <a href="/api/health">/api</a> works without it.</p></body></html>
"""


def _origin(url: str, what: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(f"{what} must be an http(s) URL without query or fragment; got {url!r}")
    return f"{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True)
class DashboardConfig:
    """What the page needs to know: how people sign in and where each service's API lives."""

    dev_sign_in: bool  # the local development issuer is on: the sign-in form mints tokens
    authority: str | None = None  # Entra ID: https://login.microsoftonline.com/<tenant id>
    client_id: str | None = None  # the app registration's client id (SPA + API in one registration)
    scope: str | None = None  # e.g. api://<client id>/access_as_user
    api_urls: dict[str, str] = field(default_factory=dict)  # receiver|storage|analyzer -> base URL; "" = here

    def __post_init__(self) -> None:
        entra = (self.authority, self.client_id, self.scope)
        if any(entra) and not all(entra):
            raise ValueError("Entra ID sign-in needs all of authority, client_id and scope")
        if self.authority and urlsplit(self.authority).scheme != "https":
            raise ValueError(f"the Entra ID authority must be https; got {self.authority!r}")
        for name, url in self.api_urls.items():
            if name not in SERVICES:
                raise ValueError(f"api_urls names unknown service {name!r}; known: {', '.join(SERVICES)}")
            if url:
                _origin(url, f"api_urls[{name!r}]")

    def page_config(self, *, dev_sign_in: bool) -> dict:
        """The page's view of the config: public values only (a client id and an authority are not secrets)."""
        entra = {"authority": self.authority, "client_id": self.client_id, "scope": self.scope}
        return {
            "dev_sign_in": dev_sign_in,
            "entra": entra if self.authority else None,
            "api_urls": {name: self.api_urls.get(name, "").rstrip("/") for name in SERVICES},
        }


def security_headers(config: DashboardConfig) -> dict[str, str]:
    """The headers every dashboard answer carries."""
    connect = ["'self'", *sorted({_origin(u, "api url") for u in config.api_urls.values() if u})]
    frame = "'none'"
    if config.authority:
        # MSAL.js fetches the authority's metadata and tokens, and renews silently in a hidden frame.
        connect.append(_origin(config.authority, "authority"))
        frame = _origin(config.authority, "authority")
    policy = {
        "default-src": "'none'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self' data:",  # Swagger UI's stylesheet draws its icons as data: SVGs
        "font-src": "'self'",
        "connect-src": " ".join(connect),
        "frame-src": frame,
        "frame-ancestors": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
        "object-src": "'none'",
    }
    return {
        "Content-Security-Policy": "; ".join(f"{k} {v}" for k, v in policy.items()),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
    }


def _secured_route(headers: dict[str, str]) -> type[APIRoute]:
    class SecuredRoute(APIRoute):
        """Adds the security headers to whatever the route answers."""

        def get_route_handler(self):
            handler = super().get_route_handler()

            async def secured(request: Request) -> Response:
                # A refusal is rendered here, not by the app's handler, so it carries the headers too.
                try:
                    response = await handler(request)
                except Problem as refused:
                    response = problem_response(refused)
                response.headers.update(headers)
                return response

            return secured

    return SecuredRoute


class DevTokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    user: str
    admin: bool = False

    @field_validator("user")
    @classmethod
    def _user(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}", v):
            raise ValueError("user must be 1-64 letters, digits or . _ @ -, starting with a letter or a digit")
        return v


def dashboard_router(
    config: DashboardConfig, dist: Path, mint_dev_token: Callable[[str, bool], str] | None
) -> APIRouter:
    """The dashboard's routes; `mint_dev_token(user, admin)` is the development issuer's, or None."""
    router = APIRouter(route_class=_secured_route(security_headers(config)), include_in_schema=False)
    page_config = orjson.dumps(config.page_config(dev_sign_in=config.dev_sign_in and mint_dev_token is not None))

    def page(name: str) -> Response:
        path = dist / name
        if not path.is_file():
            return Response(_NOT_BUILT, status_code=503, media_type=_HTML, headers={"Retry-After": "30"})
        return Response(path.read_bytes(), media_type=_HTML, headers={"Cache-Control": "no-cache"})

    @router.get("/")
    def index() -> Response:
        return page("index.html")

    @router.get("/api/docs")
    def docs() -> Response:
        return page("docs.html")

    @router.get("/config.json")
    def page_config_json() -> Response:
        return Response(page_config, media_type="application/json", headers={"Cache-Control": "no-cache"})

    @router.get("/assets/{name}")
    def asset(name: str) -> Response:
        if not (dist / "index.html").is_file():
            return Response(_NOT_BUILT, status_code=503, media_type=_HTML, headers={"Retry-After": "30"})
        path = dist / "assets" / name
        if not _ASSET_NAME.fullmatch(name) or not path.is_file():
            raise Problem(404, f"No asset {name!r}: the page may be older than the last build; reload it.")
        # Names carry a content hash: a changed file gets a new name, so an old one never goes stale.
        return FileResponse(
            path,
            media_type=_ASSET_TYPES.get(path.suffix, "application/octet-stream"),
            headers={"Cache-Control": "public, max-age=31536000, immutable"},
        )

    if mint_dev_token is not None:

        @router.post("/api/dev/token")
        async def dev_token(request: Request) -> Response:
            if not config.dev_sign_in:
                raise Problem(404, "The development issuer is off: sign in with Microsoft instead.")
            if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
                raise Problem(415, "Send the body as application/json.")
            body = await request.body()
            if len(body) > 4096:
                raise Problem(413, "The body is over 4,096 bytes.")
            try:
                wanted = DevTokenRequest.model_validate_json(body)
            except ValidationError as exc:
                found = exc.errors(include_url=False, include_input=False)
                if any(e["type"] == "json_invalid" for e in found):
                    raise Problem(400, 'The body is not JSON; send {"user": "alice", "admin": false}.') from None
                raise invalid(found) from None
            token = mint_dev_token(wanted.user, wanted.admin)
            expires = jwt.decode(token, options={"verify_signature": False}).get("exp", 0)
            answer = {"access_token": token, "token_type": "Bearer", "expires_in": max(0, int(expires - time.time()))}
            return Response(orjson.dumps(answer), media_type="application/json", headers={"Cache-Control": "no-store"})

    return router
