"""Queries over Kafka: a request message becomes exactly one reply message, never silence.

Request: `{request_id, reply_to?, token, query: {name, params}}` on the queries topic.
Reply, keyed by request_id, on reply_to (default: the results topic):
`{request_id, ok: true, result}` or `{request_id, ok: false, error: {status, title, detail, errors?}}`.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

import orjson

from shared.adapters.auth.tokens import AuthError, TokenVerifier
from shared.adapters.kafka.messages import InboundMessage
from shared.adapters.kafka.publisher import OutboundMessage
from shared.services.queries import QueryError, SourceHead, answer

log = logging.getLogger("budget.analyzer.queries")

_TOPIC = re.compile(r"^[A-Za-z0-9._-]{1,249}$")
_HEADERS = (("content-type", b"application/json"),)
REQUEST_LIMIT = 64 * 1024  # as an HTTP body: a query request is a token and a few params


def reply_topic_allowed(reply_to: str, results_topic: str) -> bool:
    """Only the results topic or a private `<results>.<client>` topic: a request must never be able to make
    the analyzer write into another topic (the transactions topic, say)."""
    return bool(_TOPIC.match(reply_to)) and (reply_to == results_topic or reply_to.startswith(results_topic + "."))


class _Refused(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.error = QueryError(status, detail)


def _request_id(data: dict) -> str:
    rid = data.get("request_id")
    if not isinstance(rid, str) or not 1 <= len(rid) <= 128 or not rid.isprintable():
        raise _Refused(400, "request_id must be a string of 1-128 printable characters")
    return rid


def answer_message(
    message: InboundMessage,
    *,
    verifier: TokenVerifier,
    results_topic: str,
    store_path: str,
    source_head: Callable[[int], SourceHead] | None = None,
) -> OutboundMessage:
    """The reply to one request: the answer, or an error saying what to fix."""
    request_id: str | None = None
    topic = results_topic
    try:
        try:
            data = orjson.loads(message.value or b"")
        except orjson.JSONDecodeError as exc:
            raise _Refused(400, f"the request is not JSON: {exc}") from None
        if not isinstance(data, dict):
            raise _Refused(400, "the request must be a JSON object {request_id, reply_to, token, query}")
        request_id = _request_id(data)
        reply_to = data.get("reply_to")
        if reply_to is not None:
            if not isinstance(reply_to, str) or not reply_topic_allowed(reply_to, results_topic):
                raise _Refused(400, f"reply_to must be {results_topic} or a private topic {results_topic}.<client>")
            topic = reply_to
        if len(message.value) > REQUEST_LIMIT:
            raise _Refused(413, f"the request has {len(message.value):,} bytes; the limit is {REQUEST_LIMIT:,}")
        token = data.get("token")
        if not isinstance(token, str) or not token:
            raise _Refused(401, "missing token: send the bearer token in the request's token field")
        try:
            principal = verifier.verify(token)
        except AuthError as exc:
            raise _Refused(401, exc.reason) from None
        query = data.get("query")
        if not isinstance(query, dict) or not isinstance(query.get("name"), str):
            raise _Refused(400, 'query must be an object {"name": ..., "params": {...}}')
        result = answer(
            query["name"],
            query.get("params"),
            user_id=principal.user_id,
            is_admin=principal.is_admin,
            store_path=store_path,
            source_head=source_head,
        )
        body: dict[str, Any] = {"request_id": request_id, "ok": True, "result": result}
    except _Refused as exc:
        body = _error(request_id, exc.error, message)
    except QueryError as exc:
        body = _error(request_id, exc, message)
    except sqlite3.OperationalError as exc:
        log.warning("analytics store unavailable for request %s: %s", request_id, exc)
        body = _error(request_id, QueryError(503, "The analytics store is busy; retry shortly."), message)
    except Exception:  # noqa: BLE001 - the caller still gets a reply; the cause goes to the log
        log.exception("query request %s failed", request_id)
        body = _error(request_id, QueryError(500, "An unexpected error occurred; it has been logged."), message)
    key = request_id.encode() if request_id else None
    return OutboundMessage(topic=topic, key=key, value=orjson.dumps(body), headers=_HEADERS)


def _error(request_id: str | None, error: QueryError, message: InboundMessage) -> dict[str, Any]:
    if error.status in (400, 401, 500):
        log.warning(
            "refused query request %s from %s[%d]@%d: %s",
            request_id,
            message.topic,
            message.partition,
            message.offset,
            error.detail,
        )
    return {"request_id": request_id, "ok": False, "error": error.to_json()}


def answer_messages(messages: Sequence[InboundMessage], **deps: Any) -> list[OutboundMessage]:
    return [answer_message(m, **deps) for m in messages]
