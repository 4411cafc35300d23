"""The HTTP API: one FastAPI app with each hosted service's router, errors as problem details, one document."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from functions import analyzer, errors, imports, platform, rates, receiver, storage, webhooks
from functions.dashboard import DashboardConfig, dashboard_router
from shared.adapters.auth.devissuer import DEV_ISSUER, DevIssuer
from shared.adapters.telemetry.setup import FASTAPI as FASTAPI_TELEMETRY
from shared.bootstrap import Root
from shared.settings import Settings

WEB_DIST = Path(__file__).resolve().parents[1] / "web" / "dist"  # built by `make web` (the image's web stage)

_ROUTERS = {
    "receiver": (receiver.router,),
    "storage": (storage.router, rates.router),
    "analyzer": (analyzer.router, webhooks.router),
}
_PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "array"},
    },
}


def create_api(root: Root, services: Iterable[str]) -> FastAPI:
    """The ASGI app the Function App wraps (and the local runner serves): routes of the services it hosts."""
    api = FastAPI(
        title="Budget API",
        version="1.0.0",
        description="Record income and expenses; read them back; ask questions about them.",
        openapi_url="/api/openapi.json",
        docs_url=None,  # the dashboard serves Swagger UI from its own build: no CDN
        redoc_url=None,
        telemetry=FASTAPI_TELEMETRY,  # traced and timed natively once telemetry is configured
    )
    api.state.root = root
    errors.install(api)
    api.include_router(platform.router)
    for name in services:
        for service_router in _ROUTERS.get(name, ()):
            api.include_router(service_router)
    if {"receiver", "storage"} & set(services):  # once, though locally one app hosts both
        api.include_router(imports.router)
    if "receiver" in services:  # in Azure the receiver's app serves the dashboard; locally, the one app does
        api.include_router(_dashboard(root.settings))
    api.openapi = lambda: _document(api)  # type: ignore[method-assign]
    return api


def _dashboard(s: Settings):
    """The dashboard's router for these settings: the development sign-in form, or Entra ID through MSAL."""
    dev = s.auth_issuer == DEV_ISSUER
    entra = bool(s.auth_client_id and s.auth_scope) and not dev
    config = DashboardConfig(
        dev_sign_in=dev,
        authority=s.auth_issuer.removesuffix("/v2.0") if entra else None,
        client_id=s.auth_client_id if entra else None,
        scope=s.auth_scope if entra else None,
        api_urls=s.dashboard_api_urls,
    )
    minter = None
    if dev and s.auth_jwks_url.startswith("file:"):
        issuer = DevIssuer(Path(urlsplit(s.auth_jwks_url).path).parent)  # its signing key lies beside its JWKS
        minter = lambda user, admin: issuer.token(user, admin=admin)  # noqa: E731
    return dashboard_router(config, WEB_DIST, minter)


def _document(api: FastAPI) -> dict[str, Any]:
    """FastAPI's document, with every refusal the edge can answer documented as problem details."""
    if api.openapi_schema:
        return api.openapi_schema
    doc = get_openapi(title=api.title, version=api.version, description=api.description, routes=api.routes)
    problem = {"content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    for ops in doc.get("paths", {}).values():
        for op in ops.values():
            responses = op.setdefault("responses", {})
            for status, response in responses.items():
                if int(status) >= 400:
                    response["content"] = problem["content"]
            responses.setdefault("400", {"description": "Malformed request", **problem})
            if op.get("security"):
                responses.setdefault("401", {"description": "Missing or invalid bearer token", **problem})
            if "requestBody" in op:
                op["requestBody"]["required"] = True
                responses.setdefault("413", {"description": "Body over the limit", **problem})
                responses.setdefault("415", {"description": "Body is not JSON", **problem})
                responses.setdefault("422", {"description": "Invalid fields", **problem})
            elif responses.get("422", {}).get("description") == "Validation Error":
                del responses["422"]  # FastAPI's default for parameters: the edge answers 400 for those
            responses.setdefault("500", {"description": "Unexpected error", **problem})
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    schemas["Problem"] = _PROBLEM_SCHEMA
    doc["servers"] = [{"url": "/"}]
    api.openapi_schema = doc
    return doc
