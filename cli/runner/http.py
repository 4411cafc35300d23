"""The HTTP side of the local runner: uvicorn serves the very ASGI app the Function App wraps."""

from __future__ import annotations

from fastapi import FastAPI


def create_app() -> FastAPI:
    """uvicorn factory: the function app's FastAPI app, built from the settings in the environment."""
    from function_app import api

    return api
