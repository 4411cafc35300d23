"""Webhook use cases on fakes: registration rules, recording once per event, retries on a clock, disabling."""

from __future__ import annotations

import dataclasses
import datetime as dt

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError
from standardwebhooks import Webhook as Verifier

from shared.adapters.kafka.messages import InboundMessage
from shared.adapters.webhooks.guard import AddressGuard
from shared.adapters.webhooks.sender import Outcome
from shared.adapters.webhooks.signing import signed_headers
from shared.bootstrap import Root
from shared.domain.webhooks import OPEN, RETRY_DELAYS, Attempt, AttemptResult, Delivery, NewWebhook, Webhook
from shared.problems import Problem
from shared.services.webhooks import Webhooks

START = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
DNS = {"hooks.example.com": ["93.184.215.14"], "localhost": ["127.0.0.1"], "intra.example.com": ["10.0.0.9"]}


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, delta: dt.timedelta) -> None:
        self.now += delta


class FakeStore:
    """The WebhookStore protocol in memory; `down` fails every call as an unreachable database does."""

    def __init__(self) -> None:
        self.hooks: dict[str, Webhook] = {}
        self.rows: dict[str, dict] = {}
        self.down = False

    def _check(self) -> None:
        if self.down:
            raise OperationalError("SELECT 1", {}, Exception("Can't connect to MySQL server"))

    def add(self, webhook: Webhook) -> None:
        self._check()
        self.hooks[webhook.id] = webhook

    def count(self, user_id: str) -> int:
        return len(self.owned(user_id))

    def owned(self, user_id: str) -> list[Webhook]:
        self._check()
        return [h for h in self.hooks.values() if h.user_id == user_id]

    def get(self, user_id: str, webhook_id: str) -> Webhook | None:
        h = self.hooks.get(webhook_id)
        return h if h and h.user_id == user_id else None

    def remove(self, user_id: str, webhook_id: str) -> bool:
        if not self.get(user_id, webhook_id):
            return False
        del self.hooks[webhook_id]
        self.rows = {k: r for k, r in self.rows.items() if r["webhook_id"] != webhook_id}
        return True

    def subscribers(self, user_ids) -> list[Webhook]:
        self._check()
        return [h for h in self.hooks.values() if h.user_id in user_ids and h.status == "active"]

    def record(self, deliveries) -> None:
        self._check()
        for n in deliveries:
            self.rows.setdefault(
                n.id,
                {**n.__dict__, "status": "pending", "attempts": 0, "code": None, "error": None, "next": n.created_at},
            )
            self.rows[n.id].setdefault("delivered_at", None)

    def due(self, now, limit) -> list[str]:
        self._check()
        due = [r for r in self.rows.values() if r["status"] in OPEN and r["next"] <= now]
        return [r["id"] for r in sorted(due, key=lambda r: r["next"])][:limit]

    def claim(self, delivery_id, *, now, lease_until) -> Attempt | None:
        self._check()
        r = self.rows.get(delivery_id)
        if r is None or r["status"] not in OPEN or r["next"] > now:
            return None
        r["next"] = lease_until
        h = self.hooks.get(r["webhook_id"])
        return Attempt(
            delivery_id,
            r["webhook_id"],
            r["payload"],
            r["attempts"],
            h and h.url,
            h and h.secret,
            h and h.status,
            h and h.failing_since,
        )

    def finish(self, result: AttemptResult) -> None:
        self._check()
        r = self.rows[result.delivery_id]
        r.update(status=result.status, attempts=result.attempts, code=result.status_code, error=result.error)
        r.update(next=result.next_attempt_at, delivered_at=result.at if result.status == "delivered" else None)
        h = self.hooks[result.webhook_id]
        streak = None if result.status == "delivered" else h.failing_since or result.at
        h = dataclasses.replace(h, failing_since=streak)
        if result.disable_reason and h.status == "active":
            h = dataclasses.replace(h, status="disabled", disabled_reason=result.disable_reason, disabled_at=result.at)
            for other in self.rows.values():
                if other["webhook_id"] == h.id and other["status"] in OPEN:
                    other.update(status="given_up", next=None, error="the endpoint was disabled")
        self.hooks[h.id] = h

    def deliveries(self, webhook_id, *, before, limit) -> list[Delivery]:
        rows = sorted(
            (r for r in self.rows.values() if r["webhook_id"] == webhook_id), key=lambda r: (r["created_at"], r["id"])
        )
        rows = [r for r in reversed(rows) if before is None or (r["created_at"], r["id"]) < before]
        return [
            Delivery(
                r["id"],
                webhook_id,
                r["event_type"],
                r["status"],
                r["attempts"],
                r["code"],
                r["error"],
                r["next"],
                r["created_at"],
                r["delivered_at"],
            )
            for r in rows[:limit]
        ]


class FakeSender:
    """Records every delivery and answers with `status` (None: the endpoint cannot be reached)."""

    def __init__(self, clock: Clock) -> None:
        self.sent: list[tuple[str, dict[str, str], bytes]] = []
        self.status: int | None = 200
        self.clock = clock

    def deliver(self, url: str, *, secret: str, message_id: str, body: bytes) -> Outcome:
        self.sent.append((url, signed_headers(secret, message_id, body, dt.datetime.now(dt.UTC)), body))
        if self.status is None:
            return Outcome(None, "ConnectError: connection refused")
        return Outcome(self.status, None if self.status < 300 else f"answered HTTP {self.status}")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def sender(clock) -> FakeSender:
    return FakeSender(clock)


def service(store, sender, clock, *, allow_loopback: bool = True) -> Webhooks:
    guard = AddressGuard(allow_loopback=allow_loopback, resolver=lambda host, port: DNS[host])
    return Webhooks(store=store, sender=sender, guard=guard, clock=clock, workers=2)


@pytest.fixture
def webhooks(store, sender, clock) -> Webhooks:
    return service(store, sender, clock)


def alert(user: str, alert_id: str = "a-1", threshold: int = 80, offset: int = 0) -> InboundMessage:
    value = {
        "alert_id": alert_id,
        "type": "budget.threshold_reached",
        "user_id": user,
        "category": "food",
        "month": "2026-11",
        "threshold": threshold,
        "currency": "EUR",
        "budget": "100.00",
        "spent": "80.00",
        "share_used": "0.8000",
        "detected_at": "2026-11-30T11:59:00+00:00",
    }
    return InboundMessage("budget-alerts", 0, offset, user.encode(), orjson.dumps(value))


def imported(user: str, op_id: str = "op-1") -> InboundMessage:
    record = {
        "kind": "operation",
        "seq": 3,
        "user_id": user,
        "operation": {
            "id": op_id,
            "type": "import",
            "status": "applied",
            "applied": 2,
            "duplicates": 0,
            "rejected": 1,
            "resource": "/api/imports/i-1",
        },
    }
    return InboundMessage("changes", 0, 5, user.encode(), orjson.dumps(record))


def register(webhooks: Webhooks, user: str = "alice", events=("budget.threshold", "import.completed")) -> dict:
    return webhooks.register(user, NewWebhook(url="https://hooks.example.com/in", events=list(events)))


def test_registration_hands_out_the_secret_once_and_the_listing_never_shows_it(webhooks):
    created = register(webhooks)
    assert created["secret"].startswith("whsec_") and created["status"] == "active"
    assert created["created_at"] == START.isoformat()
    (listed,) = webhooks.owned("alice")["items"]
    assert "secret" not in listed
    assert listed == {k: v for k, v in created.items() if k != "secret"}
    assert webhooks.owned("bob") == {"items": []}


@pytest.mark.parametrize(
    ("url", "allow_loopback", "why"),
    [
        ("http://localhost:8080/hook", False, "must use https"),
        ("https://intra.example.com/hook", True, "10.0.0.9"),
        ("http://hooks.example.com/hook", True, "plain http only to a loopback"),
    ],
)
def test_urls_that_may_not_receive_webhooks_are_refused_with_422_naming_the_url(
    store, sender, clock, url, allow_loopback, why
):
    webhooks = service(store, sender, clock, allow_loopback=allow_loopback)
    with pytest.raises(Problem) as refused:
        webhooks.register("alice", NewWebhook(url=url, events=["budget.threshold"]))
    assert refused.value.status == 422
    assert refused.value.extra["errors"][0]["field"] == "url"
    assert why in refused.value.detail
    assert store.hooks == {}


def test_loopback_http_is_accepted_while_the_development_issuer_is_on(webhooks):
    assert webhooks.register("alice", NewWebhook(url="http://localhost:8080/hook", events=["budget.threshold"]))["id"]


def test_an_alert_reaches_each_subscribed_endpoint_signed_as_standard_webhooks_say(webhooks, sender, store):
    created = register(webhooks)
    register(webhooks, events=("import.completed",))  # not subscribed to alerts
    register(webhooks, user="bob")  # someone else's
    assert webhooks.handle_alerts([alert("alice")]) == 1
    ((url, headers, body),) = sender.sent
    assert url == "https://hooks.example.com/in"
    payload = Verifier(created["secret"]).verify(body, headers)
    assert payload["type"] == "budget.threshold" and payload["timestamp"] == "2026-11-30T11:59:00+00:00"
    assert payload["data"]["alert_id"] == "a-1" and payload["data"]["spent"] == "80.00"
    assert headers["webhook-id"].startswith("msg_")
    (item,) = webhooks.deliveries("alice", created["id"], cursor=None, limit=10)["items"]
    assert item | {"id": None} == {
        "id": None,
        "event_type": "budget.threshold",
        "status": "delivered",
        "attempts": 1,
        "last_status_code": 200,
        "last_error": None,
        "next_attempt_at": None,
        "created_at": START.isoformat(),
        "delivered_at": START.isoformat(),
    }
    assert item["id"] == headers["webhook-id"]


def test_a_finished_import_is_announced_as_import_completed(webhooks, sender):
    created = register(webhooks)
    webhooks.handle_changes([imported("alice")])
    ((_, headers, body),) = sender.sent
    payload = Verifier(created["secret"]).verify(body, headers)
    assert payload["type"] == "import.completed" and payload["timestamp"] == START.isoformat()
    assert payload["data"] == {
        "operation_id": "op-1",
        "status": "applied",
        "applied": 2,
        "duplicates": 0,
        "rejected": 1,
        "resource": "/api/imports/i-1",
    }


def test_a_redelivered_message_records_and_sends_nothing_new(webhooks, sender, store):
    register(webhooks)
    webhooks.handle_alerts([alert("alice")])
    webhooks.handle_alerts([alert("alice"), alert("alice")])  # the broker redelivers, twice in one batch
    assert len(store.rows) == 1 and len(sender.sent) == 1


def test_a_failed_delivery_is_retried_on_schedule_with_the_same_webhook_id_and_the_same_body(webhooks, sender, clock):
    created = register(webhooks)
    sender.status = 503
    webhooks.handle_alerts([alert("alice")])
    (item,) = webhooks.deliveries("alice", created["id"], cursor=None, limit=10)["items"]
    assert (item["status"], item["attempts"], item["last_status_code"]) == ("failing", 1, 503)
    assert item["next_attempt_at"] == (START + dt.timedelta(seconds=5)).isoformat()
    clock.advance(dt.timedelta(seconds=4))
    assert webhooks.retry_due() == 0  # not yet
    sender.status = 200
    clock.advance(dt.timedelta(seconds=1))
    assert webhooks.retry_due() == 1
    first, second = sender.sent
    assert first[1]["webhook-id"] == second[1]["webhook-id"] == item["id"]
    assert first[2] == second[2]
    (item,) = webhooks.deliveries("alice", created["id"], cursor=None, limit=10)["items"]
    assert (item["status"], item["attempts"], item["last_status_code"]) == ("delivered", 2, 200)
    assert webhooks.retry_due() == 0


def test_the_retry_timer_pages_through_every_due_delivery(webhooks, sender, clock):
    register(webhooks)
    sender.status = 503
    webhooks.handle_alerts([alert("alice", alert_id=f"a-{n}", offset=n) for n in range(7)])
    sender.status = 200
    clock.advance(dt.timedelta(minutes=1))
    assert webhooks.retry_due(page=2) == 7
    assert webhooks.retry_due(page=2, pages=1) == 0
    assert len(sender.sent) == 14


def test_retries_back_off_for_more_than_a_day_then_the_delivery_is_given_up(webhooks, sender, clock, store):
    register(webhooks)
    register(webhooks, user="alice")  # a second endpoint that keeps working, so neither is disabled early
    hooks = list(store.hooks.values())
    sender.status = None
    webhooks.handle_alerts([alert("alice")])
    attempted_at = [START]
    while any(r["status"] in OPEN for r in store.rows.values()):
        clock.now = min(r["next"] for r in store.rows.values() if r["status"] in OPEN)
        attempted_at.append(clock.now)
        webhooks.retry_due()
    gaps = [b - a for a, b in zip(attempted_at, attempted_at[1:], strict=False)]
    assert gaps == list(RETRY_DELAYS)
    assert attempted_at[-1] - START >= dt.timedelta(hours=24)
    assert {r["status"] for r in store.rows.values()} == {"given_up"}
    assert {r["attempts"] for r in store.rows.values()} == {len(RETRY_DELAYS) + 1}
    assert len({h["webhook-id"] for _, h, _ in sender.sent}) == len(hooks)


def test_an_endpoint_whose_every_delivery_failed_for_24_hours_is_disabled_and_says_why(webhooks, sender, clock, store):
    created = register(webhooks)
    sender.status = 500
    for hour in range(0, 25):
        clock.now = START + dt.timedelta(hours=hour)
        webhooks.handle_alerts([alert("alice", alert_id=f"a-{hour}")])
        webhooks.retry_due()
    (listed,) = webhooks.owned("alice")["items"]
    assert listed["status"] == "disabled"
    assert listed["disabled_reason"].startswith("Every delivery failed for 24 hours (since 2026-11-30T12:00:00+00:00)")
    assert "answered HTTP 500" in listed["disabled_reason"]
    assert listed["disabled_at"] == (START + dt.timedelta(hours=24)).isoformat()
    assert {r["status"] for r in store.rows.values()} == {"given_up"}
    sent = len(sender.sent)
    sender.status = 200
    clock.advance(dt.timedelta(days=2))
    webhooks.handle_alerts([alert("alice", alert_id="after")])
    webhooks.retry_due()
    assert len(sender.sent) == sent  # a disabled endpoint gets nothing more
    assert created["id"] in store.hooks


def test_one_success_resets_the_failing_streak(webhooks, sender, clock, store):
    register(webhooks)
    sender.status = 500
    webhooks.handle_alerts([alert("alice", alert_id="early")])
    clock.advance(dt.timedelta(hours=20))
    sender.status = 200
    webhooks.handle_alerts([alert("alice", alert_id="ok")])
    sender.status = 500
    clock.advance(dt.timedelta(hours=5))
    webhooks.handle_alerts([alert("alice", alert_id="late")])
    assert [h.status for h in store.hooks.values()] == ["active"]


def test_poison_is_skipped_and_the_rest_of_the_batch_delivered(webhooks, sender):
    register(webhooks)
    bad = InboundMessage("budget-alerts", 0, 1, b"alice", b"{oops")
    assert webhooks.handle_alerts([bad, alert("alice", offset=2)]) == 1
    assert len(sender.sent) == 1


def test_a_database_outage_fails_the_batch_so_it_is_retried(webhooks, store):
    register(webhooks)
    store.down = True
    with pytest.raises(OperationalError):
        webhooks.handle_alerts([alert("alice")])
    store.down = False
    assert webhooks.handle_alerts([alert("alice")]) == 1


def test_deliveries_page_newest_first_with_a_cursor(webhooks, clock):
    created = register(webhooks)
    for n in range(5):
        clock.advance(dt.timedelta(seconds=1))
        webhooks.handle_alerts([alert("alice", alert_id=f"a-{n}")])
    first = webhooks.deliveries("alice", created["id"], cursor=None, limit=3)
    second = webhooks.deliveries("alice", created["id"], cursor=first["next_cursor"], limit=3)
    times = [i["created_at"] for i in first["items"] + second["items"]]
    assert times == sorted(times, reverse=True) and len(set(times)) == 5
    assert second["next_cursor"] is None
    with pytest.raises(Problem) as bad:
        webhooks.deliveries("alice", created["id"], cursor="nonsense", limit=3)
    assert bad.value.status == 400


def test_someone_elses_webhook_is_not_found(webhooks):
    created = register(webhooks)
    for call in (
        lambda: webhooks.delete("bob", created["id"]),
        lambda: webhooks.deliveries("bob", created["id"], cursor=None, limit=5),
    ):
        with pytest.raises(Problem) as missing:
            call()
        assert missing.value.status == 404
    webhooks.delete("alice", created["id"])
    assert webhooks.owned("alice") == {"items": []}


# -- over HTTP --------------------------------------------------------------------------------------------


@pytest.fixture
def http(settings, publisher, store, sender, clock, issuer):
    from functions.app import build

    root = Root(settings, publisher=publisher, webhooks=service(store, sender, clock))
    with TestClient(build(root)[0]) as client:
        client.headers["Authorization"] = f"Bearer {issuer.token('alice')}"
        yield client


def test_the_routes_create_list_and_delete(http, issuer):
    created = http.post("/api/webhooks", json={"url": "https://hooks.example.com/in", "events": ["budget.threshold"]})
    assert created.status_code == 201
    assert created.headers["location"] == f"/api/webhooks/{created.json()['id']}"
    assert set(created.json()) == {
        "id",
        "url",
        "events",
        "secret",
        "status",
        "disabled_reason",
        "disabled_at",
        "created_at",
    }
    listed = http.get("/api/webhooks").json()["items"]
    assert [h["id"] for h in listed] == [created.json()["id"]] and "secret" not in listed[0]
    other = {"Authorization": f"Bearer {issuer.token('bob')}"}
    assert http.delete(f"/api/webhooks/{created.json()['id']}", headers=other).status_code == 404
    assert http.get(f"/api/webhooks/{created.json()['id']}/deliveries", headers=other).status_code == 404
    assert http.get(f"/api/webhooks/{created.json()['id']}/deliveries").json() == {"items": [], "next_cursor": None}
    assert http.delete(f"/api/webhooks/{created.json()['id']}").status_code == 204
    assert http.get("/api/webhooks").json() == {"items": []}


def test_an_unknown_event_type_is_refused_naming_the_known_ones(http):
    refused = http.post("/api/webhooks", json={"url": "https://hooks.example.com/in", "events": ["budget.overspent"]})
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    (error,) = refused.json()["errors"]
    assert error == {
        "field": "events",
        "message": "unknown event type 'budget.overspent'; known: budget.threshold, import.completed",
    }


@pytest.mark.parametrize(
    "body", [{"url": "https://hooks.example.com/in", "events": []}, {"events": ["budget.threshold"]}]
)
def test_missing_url_or_no_events_is_refused_naming_the_field(http, body):
    refused = http.post("/api/webhooks", json=body)
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["events" if "url" in body else "url"]
