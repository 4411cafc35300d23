"""The HTTP API: one FastAPI app with each hosted service's router, errors as problem details, one document."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from functions import analyzer, errors, platform, receiver, storage, webhooks
from shared.adapters.telemetry.setup import FASTAPI as FASTAPI_TELEMETRY
from shared.bootstrap import Root

_ROUTERS = {
    "receiver": (receiver.router,),
    "storage": (storage.router,),
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
        docs_url="/api/docs",
        redoc_url=None,
        telemetry=FASTAPI_TELEMETRY,  # traced and timed natively once telemetry is configured
    )
    api.state.root = root
    errors.install(api)
    api.include_router(platform.router)
    for name in services:
        for service_router in _ROUTERS.get(name, ()):
            api.include_router(service_router)
    api.openapi = lambda: _document(api)  # type: ignore[method-assign]
    return api


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
