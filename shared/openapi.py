"""The OpenAPI 3.1 document, assembled from the function app's own HTTP bindings and their metadata."""

from __future__ import annotations

import re
from typing import Any

from cli.runner.index import index
from shared import api_schema

ROUTE_PREFIX = "/api"
_PARAM = re.compile(r"\{\*?([A-Za-z_][A-Za-z0-9_]*)(?::[^}]*)?\??\}")


def openapi_path(route: str) -> str:
    """Functions route template -> OpenAPI path: `transactions/{id:guid}` -> `/api/transactions/{id}`."""
    return f"{ROUTE_PREFIX}/{_PARAM.sub(lambda m: '{' + m.group(1) + '}', route)}"


def _responses(meta: dict) -> dict:
    out: dict[str, Any] = {}
    for status, described in meta.get("responses", {}).items():
        # A response is its description, or (description, schema of a success body).
        text, body = described if isinstance(described, tuple) else (described, {"type": "object"})
        ctype = "application/json" if status < 400 else "application/problem+json"
        schema = body if status < 400 else api_schema.PROBLEM
        out[str(status)] = {"description": text, "content": {ctype: {"schema": schema}}}
    problem = {"content": {"application/problem+json": {"schema": api_schema.PROBLEM}}}
    out.setdefault("400", {"description": "Malformed request", **problem})
    if not meta.get("public"):
        out.setdefault("401", {"description": "Missing or invalid bearer token", **problem})
    if meta.get("request"):
        out.setdefault("413", {"description": "Body over the limit", **problem})
        out.setdefault("415", {"description": "Body is not JSON", **problem})
        out.setdefault("422", {"description": "Invalid fields", **problem})
    out.setdefault("500", {"description": "Unexpected error", **problem})
    return out


def build_document(app) -> dict:
    paths: dict[str, dict] = {}
    for fn in index(app):
        binding = fn.trigger
        meta = getattr(fn.call, "__openapi__", None)
        if fn.kind != "httpTrigger" or meta is None:
            continue  # the document and docs routes describe nothing themselves
        path = openapi_path(binding.get("route") or fn.name)
        params = [
            {"name": n, "in": "path", "required": True, "schema": meta.get("path", {}).get(n, {"type": "string"})}
            for n in _PARAM.findall(binding.get("route") or "")
        ]
        for method in binding.get("methods") or ["get"]:
            op: dict[str, Any] = {
                "operationId": fn.name,
                "summary": meta["summary"],
                "tags": [meta["tag"]],
                "parameters": params + meta.get("query", []),
                "responses": _responses(meta),
            }
            if not meta.get("public"):
                op["security"] = [{"bearer": []}]
            if meta.get("request"):
                op["requestBody"] = {"required": True, "content": {"application/json": {"schema": meta["request"]}}}
            paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Budget API",
            "version": "1.0.0",
            "description": "Record income and expenses; read them back; ask questions about them.",
        },
        "servers": [{"url": "/"}],
        "paths": dict(sorted(paths.items())),
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
    }


DOCS_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Budget API</title>
<link rel="stylesheet" href="https://unpkg.com/swagger-ui-dist@5/swagger-ui.css"></head>
<body><div id="ui"><p>Loading the API description from <a href="/api/openapi.json">/api/openapi.json</a>...</p></div>
<script src="https://unpkg.com/swagger-ui-dist@5/swagger-ui-bundle.js"></script>
<script>
if (window.SwaggerUIBundle) { SwaggerUIBundle({url: "/api/openapi.json", dom_id: "#ui"}); }
else { fetch("/api/openapi.json").then(r => r.json()).then(doc => {
  const rows = Object.entries(doc.paths).flatMap(([p, ops]) => Object.entries(ops).map(([m, o]) =>
    `<tr><td>${m.toUpperCase()}</td><td><code>${p}</code></td><td>${o.summary}</td></tr>`));
  document.getElementById("ui").innerHTML = `<h1>${doc.info.title}</h1><table>${rows.join("")}</table>`; }); }
</script></body></html>
"""
