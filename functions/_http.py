"""The HTTP edge shared by every service: bearer auth, JSON bodies, RFC 9457 problem details."""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from typing import Any

import azure.functions as func
import orjson
from pydantic import ValidationError
from sqlalchemy.exc import InterfaceError, OperationalError

from shared import bootstrap
from shared.adapters.auth.tokens import AuthError, Principal, bearer_token
from shared.adapters.kafka.publisher import BrokerUnavailable

log = logging.getLogger("budget.http")

PROBLEM = "application/problem+json"
JSON = "application/json"
SINGLE_BODY_LIMIT = 64 * 1024
BATCH_BODY_LIMIT = 2 * 1024 * 1024
_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class Problem(Exception):
    """An error that leaves the edge as problem details a person can act on."""

    def __init__(self, status: int, detail: str, *, headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra


def problem_response(p: Problem) -> func.HttpResponse:
    body = {"type": "about:blank", "title": _TITLES.get(p.status, "Error"), "status": p.status, "detail": p.detail}
    body.update(p.extra)
    return func.HttpResponse(orjson.dumps(body), status_code=p.status, mimetype=PROBLEM, headers=p.headers)


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> func.HttpResponse:
    return func.HttpResponse(orjson.dumps(body), status_code=status, mimetype=JSON, headers=headers)


def field_errors(exc: ValidationError, prefix: tuple = ()) -> list[dict[str, str]]:
    """Each validation failure as {field, message}, e.g. {"field": "amount", "message": "..."}."""
    out = []
    for e in exc.errors(include_url=False):
        msg = e["msg"].removeprefix("Value error, ")
        out.append({"field": ".".join(str(p) for p in (*prefix, *e["loc"])) or "body", "message": msg})
    return out


def invalid(exc: ValidationError, prefix: tuple = ()) -> Problem:
    errors = field_errors(exc, prefix)
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
    return Problem(422, f"The request has invalid fields: {detail}", errors=errors)


def authenticate(req: func.HttpRequest) -> Principal:
    try:
        return bootstrap.verifier().verify(bearer_token(req.headers.get("authorization")))
    except AuthError as exc:
        raise Problem(401, exc.reason, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}) from None


def read_json(req: func.HttpRequest, *, limit: int) -> Any:
    body = req.get_body() or b""
    if len(body) > limit:
        raise Problem(413, f"The body has {len(body):,} bytes; the limit here is {limit:,} bytes.")
    ctype = (req.headers.get("content-type") or JSON).split(";")[0].strip().lower()
    if ctype != JSON and not ctype.endswith("+json"):
        raise Problem(415, f"Send the body as application/json, not {ctype}.")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise Problem(400, f"The body is not valid JSON: {exc}") from None


def _failure(exc: Exception, name: str) -> func.HttpResponse:
    """The problem response for a failure escaping a route."""
    if isinstance(exc, Problem):
        return problem_response(exc)
    if isinstance(exc, ValidationError):
        return problem_response(invalid(exc))
    if isinstance(exc, BrokerUnavailable):
        log.warning("broker unavailable: %s", exc)
        return problem_response(
            Problem(
                503,
                "The event broker did not confirm it in time, so it is not known to be recorded. Retry with"
                " the same id: ids are idempotency keys, so a retry never records twice.",
                headers={"Retry-After": "5"},
            )
        )
    if isinstance(exc, (OperationalError, InterfaceError)):
        log.warning("database unavailable: %s", exc)
        return problem_response(
            Problem(503, "The database is unavailable; retry shortly.", headers={"Retry-After": "5"})
        )
    log.error("unhandled error in %s", name, exc_info=exc)
    return problem_response(Problem(500, "An unexpected error occurred; it has been logged."))


def endpoint(handler: Callable[[func.HttpRequest], Any]):
    """Map every failure of a route to problem details; never let a broker failure look like success.

    Async routes stay async (they await the broker); sync routes (database reads) stay sync so the
    host runs them on its thread pool instead of blocking the event loop.
    """
    if inspect.iscoroutinefunction(handler):

        @functools.wraps(handler)
        async def async_wrapper(req: func.HttpRequest) -> func.HttpResponse:
            try:
                return await handler(req)
            except Exception as exc:  # noqa: BLE001 - every failure becomes a problem response
                return _failure(exc, handler.__name__)

        return async_wrapper

    @functools.wraps(handler)
    def wrapper(req: func.HttpRequest) -> func.HttpResponse:
        try:
            return handler(req)
        except Exception as exc:  # noqa: BLE001
            return _failure(exc, handler.__name__)

    return wrapper
