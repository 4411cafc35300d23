"""The analyzer's use cases: answer a report for a verified caller, over HTTP or as Kafka request/reply.

Request: `{request_id, reply_to?, token, query: {name, params}}` on the queries topic.
Reply, keyed by request_id, on reply_to (default: the results topic):
`{request_id, ok: true, result}` or `{request_id, ok: false, error: <problem details>}`. Never silence.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

import orjson

from shared.adapters.auth.tokens import AuthError, Principal, TokenVerifier
from shared.adapters.kafka.messages import (
    MESSAGE_LIMIT,
    EventPublisher,
    InboundMessage,
    OutboundMessage,
    TopicDirectory,
)
from shared.adapters.mysql.source import SourceHead
from shared.problems import Problem
from shared.services.queries import answer

log = logging.getLogger("budget.analyzer.queries")

_TOPIC = re.compile(r"^[A-Za-z0-9._-]{1,249}$")
_HEADERS = (("content-type", b"application/json"),)
REQUEST_LIMIT = 64 * 1024  # as an HTTP body: a query request is a token and a few params


def reply_topic_allowed(reply_to: str, results_topic: str) -> bool:
    """Only the results topic or a private `<results>.<client>` topic: a request must never be able to make
    the analyzer write into another topic (the transactions topic, say)."""
    return bool(_TOPIC.match(reply_to)) and (reply_to == results_topic or reply_to.startswith(results_topic + "."))


class Analyzer:
    def __init__(
        self,
        *,
        store_path: str,
        source_head: Callable[[int], SourceHead] | None,
        verifier: TokenVerifier,
        publisher: EventPublisher,
        results_topic: str,
        topics: TopicDirectory,
    ) -> None:
        self._topics = topics
        self._store_path = store_path
        self._source_head = source_head
        self._verifier = verifier
        self._publisher = publisher
        self._results_topic = results_topic

    def answer(self, name: str, params: object, caller: Principal) -> dict[str, Any]:
        """A report for the caller, or a Problem (404 unknown, 403 admin only, 422 params, 503 not built)."""
        return answer(
            name,
            params,
            user_id=caller.user_id,
            is_admin=caller.is_admin,
            store_path=self._store_path,
            source_head=self._source_head,
        )

    def answer_requests(self, messages: Sequence[InboundMessage]) -> None:
        """Every request gets a reply; only a broker failure raises (the batch is retried, replies are keyed).

        A reply that could never be delivered (over the message limit, or to a reply topic that does not exist)
        becomes an error reply on the results topic saying why: a retry would fail the same way for ever.
        """
        replies = [self._deliverable(self.reply(m), m) for m in messages]
        self._publisher.publish_blocking(replies)

    def _deliverable(self, reply: OutboundMessage, message: InboundMessage) -> OutboundMessage:
        request_id = reply.key.decode() if reply.key else None
        if reply.size > MESSAGE_LIMIT:
            error = Problem(
                413,
                f"The answer has {reply.size:,} bytes, over the {MESSAGE_LIMIT:,} a message may carry: ask for less "
                "(a smaller limit, a shorter period), or ask over HTTP.",
            )
        elif reply.topic != self._results_topic and not self._topics.topic_exists(reply.topic):
            error = Problem(400, f"reply_to names {reply.topic}, a topic that does not exist: create it first")
        else:
            return reply
        body = _error(request_id, error, message)
        return OutboundMessage(self._results_topic, reply.key, orjson.dumps(body), _HEADERS)

    def reply(self, message: InboundMessage) -> OutboundMessage:
        """The reply to one request: the answer, or an error saying what to fix."""
        request_id: str | None = None
        topic = self._results_topic
        try:
            data = _request(message)
            request_id = _request_id(data)
            topic = self._reply_topic(data)
            if len(message.value or b"") > REQUEST_LIMIT:
                raise Problem(413, f"the request has {len(message.value):,} bytes; the limit is {REQUEST_LIMIT:,}")
            query = data.get("query")
            caller = self._caller(data)
            if not isinstance(query, dict) or not isinstance(query.get("name"), str):
                raise Problem(400, 'query must be an object {"name": ..., "params": {...}}')
            body: dict[str, Any] = {"request_id": request_id, "ok": True}
            body["result"] = self.answer(query["name"], query.get("params"), caller)
        except Problem as exc:
            body = _error(request_id, exc, message)
        except sqlite3.OperationalError as exc:
            log.warning("analytics store unavailable for request %s: %s", request_id, exc)
            body = _error(request_id, Problem(503, "The analytics store is busy; retry shortly."), message)
        except Exception:  # noqa: BLE001 - the caller still gets a reply; the cause goes to the log
            log.exception("query request %s failed", request_id)
            body = _error(request_id, Problem(500, "An unexpected error occurred; it has been logged."), message)
        key = request_id.encode() if request_id else None
        return OutboundMessage(topic=topic, key=key, value=orjson.dumps(body), headers=_HEADERS)

    def _reply_topic(self, data: dict) -> str:
        reply_to = data.get("reply_to")
        if reply_to is None:
            return self._results_topic
        if not isinstance(reply_to, str) or not reply_topic_allowed(reply_to, self._results_topic):
            results = self._results_topic
            raise Problem(400, f"reply_to must be {results} or a private topic {results}.<client>")
        return reply_to

    def _caller(self, data: dict) -> Principal:
        token = data.get("token")
        if not isinstance(token, str) or not token:
            raise Problem(401, "missing token: send the bearer token in the request's token field")
        try:
            return self._verifier.verify(token)
        except AuthError as exc:
            raise Problem(401, exc.reason) from None


def _request(message: InboundMessage) -> dict:
    try:
        data = orjson.loads(message.value or b"")
    except orjson.JSONDecodeError as exc:
        raise Problem(400, f"the request is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise Problem(400, "the request must be a JSON object {request_id, reply_to, token, query}")
    return data


def _request_id(data: dict) -> str:
    rid = data.get("request_id")
    if not isinstance(rid, str) or not 1 <= len(rid) <= 128 or not rid.isprintable():
        raise Problem(400, "request_id must be a string of 1-128 printable characters")
    return rid


def _error(request_id: str | None, error: Problem, message: InboundMessage) -> dict[str, Any]:
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
