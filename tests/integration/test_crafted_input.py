"""Crafted input over HTTP against the real stack: each is refused with a 4xx problem, never a 500 and never
accepted only to be dead-lettered by MySQL later (issue 11, defect 10)."""

from __future__ import annotations

import base64
import uuid
from urllib.parse import quote

import httpx
import orjson
import pytest

from shared.adapters.analytics.sync import sync
from shared.bootstrap import Root
from tests.support.stack import AppServer


def cursor_of(*position: object) -> str:
    """A cursor as the service writes one (base64url of a JSON array), holding whatever a client put there."""
    return base64.urlsafe_b64encode(orjson.dumps(list(position))).decode().rstrip("=")


def raw_cursor(json_text: str) -> str:
    return base64.urlsafe_b64encode(json_text.encode()).decode().rstrip("=")


TID = str(uuid.uuid4())
CURSORS = {
    "recorded_at 2^63": cursor_of("2026-11-01", 2**63, TID),
    "recorded_at 2^64 + 1": raw_cursor(f'["2026-11-01", {2**64 + 1}, "{TID}"]'),
    "recorded_at 1e300": raw_cursor(f'["2026-11-01", 1e300, "{TID}"]'),
    "recorded_at -1": cursor_of("2026-11-01", -1, TID),
    "recorded_at true": cursor_of("2026-11-01", True, TID),
    "date 99999-01-01": cursor_of("99999-01-01", 1, TID),
    "date with newline": cursor_of("2026-11-01\n", 1, TID),
    "an object": raw_cursor('{"a": 1, "b": 2, "c": 3}'),
    "not base64": "%%%",
    "non-ASCII": "é" * 8,
}
MONTHS = {
    "trailing newline": "2026-11\n",
    "fullwidth digits": "２０２６-１１",
    "Arabic-Indic digits": "٢٠٢٦-١١",
    "Devanagari digits": "२०२६-११",
    "month 13": "2026-13",
}
LIMITS = ["²", "５０", "١٠", "1e3", "0x10", "9" * 30, "-1", "0", "501", "1.5"]


@pytest.fixture(scope="module")
def server(infra, app_server, tmp_path_factory):
    """The app over a built analytics store of this module's own (search reads it), no triggers."""
    store_path = tmp_path_factory.mktemp("crafted") / "analytics.db"
    root = Root(infra.settings(analytics_store_path=str(store_path)))
    sync(engine=root.engine, path=store_path)
    server = AppServer(root, kafka_functions=()).start()
    yield server
    server.stop()
    root.close()


@pytest.fixture
def api(server, infra, user):
    with server.client(infra.issuer.token(user)) as client:
        yield client


def refused(response: httpx.Response, naming: str) -> int:
    """The status of a refusal, after checking it is a 4xx problem naming the parameter at fault."""
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert response.headers["content-type"] == "application/problem+json", response.text
    problem = response.json()
    assert problem["status"] == response.status_code and naming in response.text, response.text
    return response.status_code


@pytest.mark.parametrize("limit", LIMITS)
def test_a_limit_that_is_no_ascii_integer_in_range_is_refused(api, limit):
    # The listing's query parameters are the route's own (400); a report's go through its params model (422).
    assert refused(api.get("/api/transactions", params={"limit": limit}), "limit") == 400
    assert refused(api.get("/api/reports/search", params={"limit": limit}), "limit") == 422


@pytest.mark.parametrize("name", CURSORS)
def test_a_crafted_search_cursor_is_400(api, name):
    assert refused(api.get("/api/reports/search", params={"cursor": CURSORS[name]}), "cursor") == 400


@pytest.mark.parametrize("name", CURSORS)
def test_a_crafted_listing_cursor_is_400(api, name):
    assert refused(api.get("/api/transactions", params={"cursor": CURSORS[name]}), "cursor") == 400


@pytest.mark.parametrize("name", MONTHS)
def test_a_month_that_is_not_yyyy_mm_in_ascii_is_422_in_every_place_a_month_goes(api, name):
    month = MONTHS[name]
    assert refused(api.get("/api/reports/monthly-summary", params={"month": month}), "month") == 422
    assert refused(api.get("/api/reports/trend", params={"until": month}), "until") == 422
    budget = {"currency": "EUR", "amount": "100.00"}
    assert refused(api.put(f"/api/budgets/food/{quote(month, safe='')}", json=budget), "month") == 422


@pytest.mark.parametrize("day", ["2026-11-01\n", "٢٠٢٦-١١-٠١", "２０２６-11-01", "+2026-11-01", "2026-11-01T00:00"])
def test_a_booking_date_that_is_not_an_ascii_iso_date_is_422(api, day):
    body = {"id": str(uuid.uuid4()), "type": "expense", "amount": "1.00", "currency": "EUR", "category": "food"}
    assert refused(api.post("/api/transactions", json={**body, "date": day}), "date") == 422


@pytest.mark.parametrize("day", ["2026-11-01\n", "٢٠٢٦-١١-٠١"])
def test_a_search_period_that_is_not_an_ascii_iso_date_is_refused(api, day):
    assert refused(api.get("/api/reports/search", params={"from": day}), "from") == 422
    assert refused(api.get("/api/transactions", params={"from": day}), "from") == 400
