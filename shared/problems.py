"""RFC 9457 problem details: the one shape in which every error leaves, over HTTP and in Kafka replies."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

MEDIA_TYPE = "application/problem+json"
TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    412: "Precondition Failed",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    428: "Precondition Required",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class Problem(Exception):
    """An error with a status and a message a person can act on; `extra` members (errors, checks) go along."""

    def __init__(self, status: int, detail: str, *, headers: Mapping[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = dict(headers or {})
        self.extra = extra

    @property
    def title(self) -> str:
        return TITLES.get(self.status, "Error")

    def to_json(self) -> dict[str, Any]:
        return {"type": "about:blank", "title": self.title, "status": self.status, "detail": self.detail, **self.extra}


def field_errors(errors: Iterable[Mapping[str, Any]], *, skip: int = 0, whole: str = "body") -> list[dict[str, str]]:
    """pydantic errors as [{field, message}], e.g. {"field": "amount", "message": "..."}; never the input values.

    `skip` drops leading location parts that name the container rather than the field ("body", "query");
    an error about the whole (no field) is named `whole`.
    """
    out = []
    for e in errors:
        loc = tuple(e.get("loc") or ())[skip:]
        message = str(e.get("msg", "is invalid")).removeprefix("Value error, ")
        out.append({"field": ".".join(str(part) for part in loc) or whole, "message": message})
    return out


def describe(errors: list[dict[str, str]], *, limit: int = 5) -> str:
    """A one-line account of field errors: `amount: ...; date: ...`."""
    return "; ".join(f"{e['field']}: {e['message']}" for e in errors[:limit])


def invalid(
    errors: Iterable[Mapping[str, Any]], *, what: str = "The request", skip: int = 0, whole: str = "body", **extra: Any
) -> Problem:
    """422 naming each invalid field."""
    listed = field_errors(errors, skip=skip, whole=whole)
    return Problem(422, f"{what} has invalid fields: {describe(listed)}", errors=listed, **extra)
