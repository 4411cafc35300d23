"""Webhooks: users register endpoints; budget alerts and finished imports are delivered to them, signed, with
retries for more than a day, each delivery under one webhook-id from its first attempt to its last.

Durability: a consumed batch's deliveries are recorded in the database (one row per webhook and source event,
so a redelivered message records nothing new) before the trigger returns and the offsets are committed; every
attempt then updates its row. An attempt first claims its row with a lease, so two deliverers never send the same
delivery at once, and one that dies mid-attempt leaves the row due again when the lease ends.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

import orjson

from shared.adapters.kafka.messages import InboundMessage
from shared.adapters.mysql.webhooks import WebhookStore
from shared.adapters.webhooks.events import Poison, SourceEvent, from_alert, from_change
from shared.adapters.webhooks.guard import AddressGuard, Refused
from shared.adapters.webhooks.sender import Outcome
from shared.adapters.webhooks.signing import new_secret
from shared.domain.webhooks import (
    DISABLE_AFTER,
    LEASE,
    MAX_PER_USER,
    AttemptResult,
    Delivery,
    NewDelivery,
    NewWebhook,
    Webhook,
    message_id,
    next_attempt,
)
from shared.problems import Problem, invalid

log = logging.getLogger("budget.webhooks")


class Sender(Protocol):
    def deliver(self, url: str, *, secret: str, message_id: str, body: bytes) -> Outcome: ...


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _iso(t: dt.datetime | None) -> str | None:
    return None if t is None else t.isoformat()


class Webhooks:
    def __init__(
        self,
        *,
        store: WebhookStore,
        sender: Sender,
        guard: AddressGuard,
        clock: Callable[[], dt.datetime] = _utcnow,
        workers: int = 8,
    ) -> None:
        self._store = store
        self._sender = sender
        self._guard = guard
        self._clock = clock
        self._workers = workers

    # -- a user's endpoints (HTTP) ----------------------------------------------------------------------

    def register(self, user_id: str, new: NewWebhook) -> dict[str, Any]:
        """201's body: the endpoint with its signing secret, which is never shown again."""
        try:
            self._guard.check(new.url)
        except Refused as exc:
            raise invalid([{"loc": ("url",), "msg": f"The URL {exc.reason}"}], what="The webhook") from None
        if self._store.count(user_id) >= MAX_PER_USER:
            raise Problem(409, f"You have {MAX_PER_USER} webhooks, the most allowed: delete one first.")
        webhook = Webhook(
            id=str(uuid.uuid4()),
            user_id=user_id,
            url=new.url,
            events=tuple(new.events),
            secret=new_secret(),
            status="active",
            disabled_reason=None,
            disabled_at=None,
            failing_since=None,
            created_at=self._clock(),
        )
        self._store.add(webhook)
        return {**_public(webhook), "secret": webhook.secret}

    def owned(self, user_id: str) -> dict[str, Any]:
        return {"items": [_public(h) for h in self._store.owned(user_id)]}

    def delete(self, user_id: str, webhook_id: str) -> None:
        if not self._store.remove(user_id, webhook_id):
            raise Problem(404, "No such webhook among yours.")

    def deliveries(self, user_id: str, webhook_id: str, *, cursor: str | None, limit: int) -> dict[str, Any]:
        if self._store.get(user_id, webhook_id) is None:
            raise Problem(404, "No such webhook among yours.")
        rows = self._store.deliveries(webhook_id, before=_decode_cursor(cursor) if cursor else None, limit=limit + 1)
        page = rows[:limit]
        more = len(rows) > limit
        return {"items": [_delivery(r) for r in page], "next_cursor": _encode_cursor(page[-1]) if more else None}

    # -- triggers ---------------------------------------------------------------------------------------

    def handle_alerts(self, messages: Sequence[InboundMessage]) -> int:
        """Record a batch from the alerts topic, then attempt what it recorded; returns the deliveries recorded."""
        return self._handle(messages, from_alert)

    def handle_changes(self, messages: Sequence[InboundMessage]) -> int:
        """The same for the change feed, where only finished imports concern webhooks."""
        return self._handle(messages, from_change)

    def retry_due(self, *, page: int = 200, pages: int = 25) -> int:
        """Attempt every delivery whose time has come (the timer), a page at a time; returns how many were attempted.

        At most `pages` pages a run, so one run ends well within a timer's interval; the next run goes on."""
        attempted = 0
        for _ in range(pages):
            due = self._store.due(self._clock(), page)
            attempted += self._attempt(due)
            if len(due) < page:
                break
        return attempted

    def _handle(self, messages: Sequence[InboundMessage], read: Callable[[bytes | None], SourceEvent | None]) -> int:
        events = []
        for m in messages:
            try:
                event = read(m.value)
            except Poison as exc:
                # Nothing to retry: a message that cannot be read now never will be. Skipped, so it never stalls.
                log.warning("skipped unreadable message %s[%d]@%d: %s", m.topic, m.partition, m.offset, exc)
                continue
            if event is not None:
                events.append(event)
        recorded = self._record(events)
        self._attempt([r.id for r in recorded])
        return len(recorded)

    def _record(self, events: Iterable[SourceEvent]) -> list[NewDelivery]:
        events = list(events)
        hooks = self._store.subscribers({e.user_id for e in events})
        now = self._clock()
        recorded = [
            NewDelivery(
                id=message_id(e.source_id, h.id),
                webhook_id=h.id,
                event_type=e.type,
                source_id=e.source_id,
                payload=orjson.dumps({"type": e.type, "timestamp": _iso(e.occurred_at or now), "data": e.data}),
                created_at=now,
            )
            for e in events
            for h in hooks
            if h.user_id == e.user_id and e.type in h.events
        ]
        self._store.record(recorded)  # raises if the database is down: the batch is retried, offsets kept
        return recorded

    def _attempt(self, delivery_ids: Sequence[str]) -> int:
        ids = list(dict.fromkeys(delivery_ids))
        if not ids:
            return 0
        with ThreadPoolExecutor(max_workers=min(self._workers, len(ids))) as pool:
            # Summing reads every result: a database failure in any attempt raises here, failing the run.
            return sum(pool.map(self._attempt_one, ids))

    def _attempt_one(self, delivery_id: str) -> int:
        now = self._clock()
        claimed = self._store.claim(delivery_id, now=now, lease_until=now + LEASE)
        if claimed is None:
            return 0  # delivered, not yet due, or another deliverer has it
        if claimed.webhook_status != "active" or claimed.url is None or claimed.secret is None:
            done = AttemptResult(
                delivery_id,
                claimed.webhook_id,
                "given_up",
                claimed.attempts,
                None,
                "the endpoint was disabled",
                None,
                now,
            )
            self._store.finish(done)
            return 0
        outcome = self._sender.deliver(claimed.url, secret=claimed.secret, message_id=delivery_id, body=claimed.payload)
        at = self._clock()
        attempts = claimed.attempts + 1
        retry = None if outcome.delivered else next_attempt(attempts, at)
        status = "delivered" if outcome.delivered else "failing" if retry else "given_up"
        since = claimed.failing_since or at
        disable = not outcome.delivered and at - since >= DISABLE_AFTER
        reason = f"Every delivery failed for 24 hours (since {since.isoformat()}); the last: {outcome.error}"
        self._store.finish(
            AttemptResult(
                delivery_id,
                claimed.webhook_id,
                status,
                attempts,
                outcome.status_code,
                outcome.error,
                retry,
                at,
                disable_reason=reason[:500] if disable else None,
            )
        )
        if disable:
            log.warning("webhook %s disabled: every delivery failed for 24 hours", claimed.webhook_id)
        return 1


def _public(h: Webhook) -> dict[str, Any]:
    return {
        "id": h.id,
        "url": h.url,
        "events": list(h.events),
        "status": h.status,
        "disabled_reason": h.disabled_reason,
        "disabled_at": _iso(h.disabled_at),
        "created_at": _iso(h.created_at),
    }


def _delivery(r: Delivery) -> dict[str, Any]:
    return {
        "id": r.id,
        "event_type": r.event_type,
        "status": r.status,
        "attempts": r.attempts,
        "last_status_code": r.last_status_code,
        "last_error": r.last_error,
        "next_attempt_at": _iso(r.next_attempt_at),
        "created_at": _iso(r.created_at),
        "delivered_at": _iso(r.delivered_at),
    }


def _encode_cursor(r: Delivery) -> str:
    raw = orjson.dumps([r.created_at.isoformat(), r.id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[dt.datetime, str]:
    try:
        at, last = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return dt.datetime.fromisoformat(at), str(last)
    except (ValueError, TypeError, orjson.JSONDecodeError):
        raise Problem(400, "cursor is not one this service handed out; start again without it") from None
