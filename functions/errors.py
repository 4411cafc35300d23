"""Every failure leaves the HTTP edge as RFC 9457 problem details that say what the caller can do."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Match

from shared.adapters.kafka.publisher import BrokerUnavailable
from shared.problems import MEDIA_TYPE, Problem, describe, field_errors, invalid
from shared.services.receiver import batch_refused

log = logging.getLogger("budget.http")
JSON_TYPES = ("application/json",)


class JsonResponse(Response):
    """JSON rendered with orjson (amounts are already strings: nothing lossy to encode)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def problem_response(problem: Problem) -> Response:
    return Response(orjson.dumps(problem.to_json()), problem.status, problem.headers, media_type=MEDIA_TYPE)


async def _problem(_: Request, exc: Problem) -> Response:
    return problem_response(exc)


async def _invalid(request: Request, exc: RequestValidationError) -> Response:
    """Path parameters that cannot name anything (404, whatever else is wrong: there is nothing to ask about),
    query parameters and headers out of range (400), bodies of the wrong shape (422)."""
    errors = list(exc.errors())
    if any(e.get("loc", ("",))[0] == "path" for e in errors):
        return problem_response(Problem(404, f"No route {request.url.path}: it names nothing that can exist."))
    if all(e.get("loc", ("",))[0] in ("query", "header") for e in errors):
        listed = field_errors(errors, skip=1)
        return problem_response(Problem(400, f"Invalid parameters: {describe(listed)}", errors=listed))
    items = [e for e in errors if tuple(e.get("loc", ()))[:2] == ("body", "transactions") and len(e["loc"]) >= 3]
    if items and len(items) == len(errors):
        return problem_response(_batch_refused(items, exc.body))
    return problem_response(invalid(errors, skip=1))


def _batch_refused(errors: list[dict], body: Any) -> Problem:
    """A batch is refused whole; each bad item is named by its index, with its own field errors."""
    by_index: dict[int, list[dict]] = {}
    for e in errors:
        by_index.setdefault(e["loc"][2], []).append(e)
    listed = [{"index": i, "errors": field_errors(errs, skip=3)} for i, errs in sorted(by_index.items())]
    container = body.get(errors[0]["loc"][1]) if isinstance(body, dict) else None
    total = len(container) if isinstance(container, list) else len(listed)
    return batch_refused(listed, total)


async def _http(request: Request, exc: HTTPException) -> Response:
    """The framework's own refusals (404, 405, an unreadable body), as problem details."""
    if exc.status_code == 404:
        return problem_response(Problem(404, f"No route {request.url.path}."))
    if exc.status_code == 405:
        allowed = _allowed_methods(request)
        detail = f"{request.method} is not allowed here; use {', '.join(allowed)}."
        return problem_response(Problem(405, detail, headers={"Allow": ", ".join(allowed)}))
    if exc.status_code == 400:
        return problem_response(Problem(400, "The body is not valid JSON: it could not be read as UTF-8 text."))
    return problem_response(Problem(exc.status_code, str(exc.detail), headers=exc.headers))


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (Starlette names only the first route's)."""
    return [
        method
        for method in ("DELETE", "GET", "PATCH", "POST", "PUT")
        if any(route.matches({**request.scope, "method": method})[0] == Match.FULL for route in request.app.routes)
    ]


async def _broker(_: Request, exc: BrokerUnavailable) -> Response:
    log.warning("broker unavailable: %s", exc)
    detail = (
        "The event broker did not confirm it in time, so it is not known to be recorded. Retry with the same"
        " id: ids are idempotency keys, so a retry never records twice."
    )
    return problem_response(Problem(503, detail, headers={"Retry-After": "5"}))


async def _database(_: Request, exc: Exception) -> Response:
    log.warning("database unavailable: %s", exc)
    return problem_response(Problem(503, "The database is unavailable; retry shortly.", headers={"Retry-After": "5"}))


async def _unexpected(request: Request, exc: Exception) -> Response:
    incident = uuid.uuid4().hex[:12]
    log.error("%s %s failed (incident %s)", request.method, request.url.path, incident, exc_info=exc)
    return problem_response(Problem(500, f"An unexpected error occurred (incident {incident})."))


def install(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _problem)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(BrokerUnavailable, _broker)
    app.add_exception_handler(OperationalError, _database)
    app.add_exception_handler(InterfaceError, _database)
    app.add_exception_handler(Exception, _unexpected)
