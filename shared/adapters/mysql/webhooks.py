"""The webhooks' durable state: endpoints, and delivery rows recorded once per (webhook, source event)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, sqlite
from sqlalchemy.engine import Engine

from shared.adapters.mysql.engine import is_mysql
from shared.adapters.mysql.webhook_tables import webhook_deliveries as d
from shared.adapters.mysql.webhook_tables import webhooks as w
from shared.domain.webhooks import OPEN, Attempt, AttemptResult, Delivery, NewDelivery, Webhook

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_US = dt.timedelta(microseconds=1)


class WebhookStore(Protocol):
    def add(self, webhook: Webhook) -> None: ...
    def count(self, user_id: str) -> int: ...
    def owned(self, user_id: str) -> list[Webhook]: ...
    def get(self, user_id: str, webhook_id: str) -> Webhook | None: ...
    def remove(self, user_id: str, webhook_id: str) -> bool: ...
    def subscribers(self, user_ids: Collection[str]) -> list[Webhook]: ...
    def record(self, deliveries: Sequence[NewDelivery]) -> None: ...
    def due(self, now: dt.datetime, limit: int) -> list[str]: ...
    def claim(self, delivery_id: str, *, now: dt.datetime, lease_until: dt.datetime) -> Attempt | None: ...
    def finish(self, result: AttemptResult) -> None: ...
    def deliveries(self, webhook_id: str, *, before: tuple[dt.datetime, str] | None, limit: int) -> list[Delivery]: ...


def to_us(t: dt.datetime | None) -> int | None:
    return None if t is None else (t - _EPOCH) // _US


def from_us(us: int | None) -> dt.datetime | None:
    return None if us is None else _EPOCH + us * _US


def _webhook(r: sa.Row) -> Webhook:
    return Webhook(
        r.id,
        r.user_id,
        r.url,
        tuple(r.events.split(",")),
        r.secret,
        r.status,
        r.disabled_reason,
        from_us(r.disabled_at),
        from_us(r.failing_since),
        from_us(r.created_at),
    )


class SqlWebhookStore:
    """MySQL in Azure, SQLite for `make run`; every write is one short transaction."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._mysql = is_mysql(engine)

    def add(self, webhook: Webhook) -> None:
        row = {**webhook.__dict__, "events": ",".join(webhook.events)}
        for key in ("disabled_at", "failing_since", "created_at"):
            row[key] = to_us(row[key])
        with self._engine.begin() as c:
            c.execute(w.insert().values(**row))

    def count(self, user_id: str) -> int:
        with self._engine.connect() as c:
            return c.execute(sa.select(sa.func.count()).where(w.c.user_id == user_id)).scalar_one()

    def owned(self, user_id: str) -> list[Webhook]:
        with self._engine.connect() as c:
            rows = c.execute(sa.select(w).where(w.c.user_id == user_id).order_by(w.c.created_at, w.c.id))
            return [_webhook(r) for r in rows]

    def get(self, user_id: str, webhook_id: str) -> Webhook | None:
        with self._engine.connect() as c:
            r = c.execute(sa.select(w).where(w.c.id == webhook_id, w.c.user_id == user_id)).first()
        return None if r is None else _webhook(r)

    def remove(self, user_id: str, webhook_id: str) -> bool:
        with self._engine.begin() as c:
            gone = c.execute(w.delete().where(w.c.id == webhook_id, w.c.user_id == user_id)).rowcount
            if gone:
                c.execute(d.delete().where(d.c.webhook_id == webhook_id))
        return bool(gone)

    def subscribers(self, user_ids: Collection[str]) -> list[Webhook]:
        if not user_ids:
            return []
        with self._engine.connect() as c:
            rows = c.execute(sa.select(w).where(w.c.user_id.in_(sorted(user_ids)), w.c.status == "active"))
            return [_webhook(r) for r in rows]

    def record(self, deliveries: Sequence[NewDelivery]) -> None:
        """Insert each delivery unless its row exists: a redelivered event changes nothing."""
        if not deliveries:
            return
        rows = [
            {
                "id": n.id,
                "webhook_id": n.webhook_id,
                "event_type": n.event_type,
                "source_id": n.source_id,
                "payload": n.payload.decode(),
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": to_us(n.created_at),
                "created_at": to_us(n.created_at),
            }
            for n in deliveries
        ]
        if self._mysql:
            stmt = mysql.insert(d).on_duplicate_key_update(id=d.c.id)
        else:
            stmt = sqlite.insert(d).on_conflict_do_nothing(index_elements=["id"])
        with self._engine.begin() as c:
            c.execute(stmt, rows)

    def due(self, now: dt.datetime, limit: int) -> list[str]:
        query = (
            sa.select(d.c.id)
            .where(d.c.next_attempt_at <= to_us(now), d.c.status.in_(OPEN))
            .order_by(d.c.next_attempt_at)
            .limit(limit)
        )
        with self._engine.connect() as c:
            return list(c.execute(query).scalars())

    def claim(self, delivery_id: str, *, now: dt.datetime, lease_until: dt.datetime) -> Attempt | None:
        """Take a due delivery by moving its next attempt to `lease_until`: one claimant wins; a claimant that
        dies mid-attempt leaves it due again once the lease ends."""
        with self._engine.begin() as c:
            won = c.execute(
                d.update()
                .where(d.c.id == delivery_id, d.c.status.in_(OPEN), d.c.next_attempt_at <= to_us(now))
                .values(next_attempt_at=to_us(lease_until))
            ).rowcount
            if not won:
                return None
            r = c.execute(
                sa.select(d.c.webhook_id, d.c.payload, d.c.attempts, w.c.url, w.c.secret, w.c.status, w.c.failing_since)
                .select_from(d.outerjoin(w, w.c.id == d.c.webhook_id))
                .where(d.c.id == delivery_id)
            ).one()
        return Attempt(
            delivery_id,
            r.webhook_id,
            r.payload.encode(),
            r.attempts,
            r.url,
            r.secret,
            r.status,
            from_us(r.failing_since),
        )

    def finish(self, result: AttemptResult) -> None:
        """The attempt's outcome, the endpoint's failing streak and, when it is over the limit, its disabling."""
        at = to_us(result.at)
        with self._engine.begin() as c:
            c.execute(
                d.update()
                .where(d.c.id == result.delivery_id)
                .values(
                    status=result.status,
                    attempts=result.attempts,
                    last_status_code=result.status_code,
                    last_error=result.error,
                    next_attempt_at=to_us(result.next_attempt_at),
                    delivered_at=at if result.status == "delivered" else None,
                )
            )
            streak = None if result.status == "delivered" else sa.func.coalesce(w.c.failing_since, at)
            c.execute(w.update().where(w.c.id == result.webhook_id).values(failing_since=streak))
            if result.disable_reason:
                c.execute(
                    w.update()
                    .where(w.c.id == result.webhook_id, w.c.status == "active")
                    .values(status="disabled", disabled_reason=result.disable_reason, disabled_at=at)
                )
                c.execute(
                    d.update()
                    .where(d.c.webhook_id == result.webhook_id, d.c.status.in_(OPEN))
                    .values(status="given_up", next_attempt_at=None, last_error="the endpoint was disabled")
                )

    def deliveries(self, webhook_id: str, *, before: tuple[dt.datetime, str] | None, limit: int) -> list[Delivery]:
        """Newest first, from just before `before` (created_at, id)."""
        query = sa.select(d).where(d.c.webhook_id == webhook_id)
        if before is not None:
            at, last = to_us(before[0]), before[1]
            query = query.where(sa.or_(d.c.created_at < at, sa.and_(d.c.created_at == at, d.c.id < last)))
        query = query.order_by(d.c.created_at.desc(), d.c.id.desc()).limit(limit)
        with self._engine.connect() as c:
            rows = c.execute(query).all()
        return [
            Delivery(
                r.id,
                r.webhook_id,
                r.event_type,
                r.status,
                r.attempts,
                r.last_status_code,
                r.last_error,
                from_us(r.next_attempt_at),
                from_us(r.created_at),
                from_us(r.delivered_at),
            )
            for r in rows
        ]
