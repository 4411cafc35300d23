"""The analyzer's pure logic: periods, month windows, the query registry's checks, the request protocol."""

from __future__ import annotations

import datetime as dt
import uuid

import orjson
import pytest

from shared.adapters.auth.tokens import AuthError, Principal, TokenVerifier
from shared.adapters.kafka.messages import InboundMessage
from shared.services.alerts import alert_id
from shared.services.analyzer import answer_message, reply_topic_allowed
from shared.services.queries import (
    REGISTRY,
    QueryError,
    lookup,
    month_window,
    shift_month,
    split_period,
    validate,
)

D = dt.date


@pytest.mark.parametrize(
    "start,end,months,edges",
    [
        (D(2026, 1, 1), D(2026, 3, 31), ("2026-01", "2026-03"), []),
        (D(2026, 1, 15), D(2026, 3, 31), ("2026-02", "2026-03"), [(D(2026, 1, 15), D(2026, 1, 31))]),
        (D(2026, 1, 1), D(2026, 3, 30), ("2026-01", "2026-02"), [(D(2026, 3, 1), D(2026, 3, 30))]),
        (D(2026, 1, 15), D(2026, 2, 10), None, [(D(2026, 1, 15), D(2026, 2, 10))]),
        (D(2026, 2, 3), D(2026, 2, 3), None, [(D(2026, 2, 3), D(2026, 2, 3))]),
        (D(2024, 2, 1), D(2024, 2, 29), ("2024-02", "2024-02"), []),
        (D(2025, 12, 31), D(2026, 1, 1), None, [(D(2025, 12, 31), D(2026, 1, 1))]),
        (
            D(2025, 12, 31),
            D(2026, 2, 1),
            ("2026-01", "2026-01"),
            [(D(2025, 12, 31), D(2025, 12, 31)), (D(2026, 2, 1), D(2026, 2, 1))],
        ),
    ],
)
def test_a_period_splits_into_whole_months_and_edges(start, end, months, edges):
    assert split_period(start, end) == (months, edges)


def test_every_day_of_a_period_is_covered_exactly_once():
    for start in (D(2025, 11, 1) + dt.timedelta(days=i) for i in range(0, 120, 7)):
        for length in (0, 1, 27, 31, 45, 90):
            end = start + dt.timedelta(days=length)
            months, edges = split_period(start, end)
            days = [d for lo, hi in edges for d in (lo + dt.timedelta(n) for n in range((hi - lo).days + 1))]
            if months:
                m = months[0]
                while m <= months[1]:
                    first = D(int(m[:4]), int(m[5:]), 1)
                    days += [
                        first + dt.timedelta(n) for n in range(40) if (first + dt.timedelta(n)).month == first.month
                    ]
                    m = shift_month(m, 1)
            assert sorted(days) == [start + dt.timedelta(n) for n in range(length + 1)]


def test_month_arithmetic_crosses_years():
    assert shift_month("2026-01", -1) == "2025-12"
    assert shift_month("2025-12", 1) == "2026-01"
    assert month_window("2026-02", 3) == ["2025-12", "2026-01", "2026-02"]


def test_unknown_queries_are_404_and_admin_queries_403_for_users():
    with pytest.raises(QueryError) as unknown:
        lookup("everything", is_admin=True)
    assert unknown.value.status == 404
    for name, query in REGISTRY.items():
        if query.admin_only:
            with pytest.raises(QueryError) as refused:
                lookup(name, is_admin=False)
            assert refused.value.status == 403
        assert lookup(name, is_admin=True) is query


@pytest.mark.parametrize("name", list(REGISTRY))
def test_no_query_takes_a_user_from_its_params(name):
    fields = {f.alias or n for n, f in REGISTRY[name].params.model_fields.items()}
    assert not fields & {"user", "user_id", "oid", "sub", "users"}
    with pytest.raises(QueryError) as exc:
        validate(REGISTRY[name], {"user_id": "someone-else"})
    assert exc.value.status == 422 and any(e["field"] == "user_id" for e in exc.value.errors)


def test_params_from_a_query_string_and_from_json_validate_alike():
    trend = REGISTRY["trend"]
    assert validate(trend, {"months": "3"}) == validate(trend, {"months": 3})
    period = validate(REGISTRY["category-breakdown"], {"from": "2026-01-01", "to": "2026-01-31"})
    assert period.echo() == {"from": "2026-01-01", "to": "2026-01-31"}
    with pytest.raises(QueryError):
        validate(trend, ["months", 3])


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
    out = answer_message(message, verifier=FakeVerifier(), results_topic="results", store_path="/nonexistent/x.db")
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


def test_alert_ids_are_deterministic_per_threshold():
    a = alert_id("alice", "food", "2026-01", 80)
    assert a == alert_id("alice", "food", "2026-01", 80)
    assert uuid.UUID(a).version == 5
    others = {alert_id("alice", "food", "2026-01", 100), alert_id("alice", "food", "2026-02", 80)}
    others |= {alert_id("bob", "food", "2026-01", 80), alert_id("alice", "fun", "2026-01", 80)}
    assert a not in others and len(others) == 4
    # No separator trick makes two different budgets collide.
    assert alert_id("a|b", "c", "2026-01", 80) != alert_id("a", "b|c", "2026-01", 80)
