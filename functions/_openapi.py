"""OpenAPI metadata attached to each HTTP function; the document is assembled from the app's own bindings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ATTRIBUTE = "__openapi__"


def operation(
    summary: str,
    *,
    tag: str,
    request: dict[str, Any] | None = None,
    responses: dict[int, str | tuple[str, dict[str, Any]]] | None = None,
    query: list[dict[str, Any]] | None = None,
    path: dict[str, dict[str, Any]] | None = None,
    public: bool = False,
) -> Callable:
    """Describe a route for the OpenAPI document; the route and methods come from its binding.

    `path` gives the schema of a route parameter (a plain string when absent).
    """

    def attach(fn: Callable) -> Callable:
        setattr(
            fn,
            ATTRIBUTE,
            {
                "summary": summary,
                "tag": tag,
                "request": request,
                "responses": responses or {},
                "query": query or [],
                "path": path or {},
                "public": public,
            },
        )
        return fn

    return attach
