"""The analyzer's Kafka request protocol: every request gets exactly one reply, on a safe topic."""

from __future__ import annotations

import orjson
import pytest

from shared.adapters.auth.tokens import AuthError, Principal, TokenVerifier
from shared.adapters.kafka.messages import InboundMessage
from shared.services.analyzer import Analyzer, reply_topic_allowed
from tests.unit.fakes import FakePublisher


@pytest.mark.parametrize(
    "topic,allowed",
    [
        ("query-results", True),
        ("query-results.cli-alice", True),
        ("query-results.a.b_c-1", True),
        ("transactions", False),
        ("query-resultsx", False),
        ("query-results.", True),
        ("query-results./x", False),
        ("query-results. x", False),
        ("", False),
        ("query-results." + "x" * 300, False),
    ],
)
def test_replies_go_only_to_the_results_topic_or_its_private_children(topic, allowed):
    assert reply_topic_allowed(topic, "query-results") is allowed


class FakeVerifier(TokenVerifier):
    def __init__(self) -> None:
        super().__init__(issuer="i", audience="a", jwks_url="file:///nowhere", admin_role="Budget.Admin")

    def verify(self, token: str) -> Principal:
        if token != "good":
            raise AuthError("token expired")
        return Principal(user_id="alice", roles=frozenset(), admin_role="Budget.Admin")


def _ask(value: bytes):
    message = InboundMessage(topic="queries", partition=0, offset=7, key=None, value=value)
    analyzer = Analyzer(
        store_path="/nonexistent/x.db",
        source_head=None,
        verifier=FakeVerifier(),
        publisher=FakePublisher(),
        results_topic="results",
        topics=FakePublisher(),
    )
    out = analyzer.reply(message)
    return out, orjson.loads(out.value)


def _request(**over) -> bytes:
    body = {"request_id": "r-1", "token": "good", "query": {"name": "monthly-summary", "params": {"month": "2026-01"}}}
    return orjson.dumps({**body, **over})


@pytest.mark.parametrize(
    "value,request_id,status",
    [
        (b"not json", None, 400),
        (b"", None, 400),
        (b"[1, 2]", None, 400),
        (orjson.dumps({"token": "good"}), None, 400),
        (orjson.dumps({"request_id": 5}), None, 400),
        (_request(token="bad"), "r-1", 401),
        (_request(token=None), "r-1", 401),
        (_request(reply_to="transactions"), "r-1", 400),
        (_request(query="monthly-summary"), "r-1", 400),
        (_request(query={"name": "nope"}), "r-1", 404),
        (_request(query={"name": "lag"}), "r-1", 403),
        (_request(query={"name": "trend", "params": {"months": "many"}}), "r-1", 422),
        (_request(), "r-1", 503),  # the store is not there
    ],
)
def test_every_request_gets_one_error_reply_on_a_safe_topic(value, request_id, status):
    out, reply = _ask(value)
    assert out.topic == "results"
    assert out.key == (request_id.encode() if request_id else None)
    assert reply["request_id"] == request_id and reply["ok"] is False
    assert reply["error"]["status"] == status and reply["error"]["detail"]


def test_a_private_reply_topic_is_honoured():
    out, reply = _ask(_request(reply_to="results.cli-7", query={"name": "nope"}))
    assert out.topic == "results.cli-7" and reply["error"]["status"] == 404


def test_a_reply_that_could_never_be_delivered_becomes_an_error_reply_saying_why():
    publisher = FakePublisher(topics={"results", "results.cli-7"})
    analyzer = Analyzer(
        store_path="/nonexistent/x.db",
        source_head=None,
        verifier=FakeVerifier(),
        publisher=publisher,
        results_topic="results",
        topics=publisher,
    )
    nowhere = InboundMessage("queries", 0, 1, None, _request(request_id="r-2", reply_to="results.gone"))
    analyzer.answer_requests([nowhere])
    (reply,) = publisher.sent
    body = orjson.loads(reply.value)
    assert reply.topic == "results" and body["request_id"] == "r-2"
    assert body["error"]["status"] == 400 and "results.gone" in body["error"]["detail"]
