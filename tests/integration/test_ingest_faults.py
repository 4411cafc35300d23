"""Faults on the ingest path: stale corrections, poison messages, the database and the broker going away."""

from __future__ import annotations

import uuid
from decimal import Decimal

import sqlalchemy as sa
from confluent_kafka import Consumer

from shared.adapters.kafka.messages import OutboundMessage
from shared.domain.events import TransactionCreated, TransactionUpdated
from shared.domain.transactions import NewTransaction, TransactionChanges
from shared.services import receiver as ingest
from tests.support.wait import until


def _txn(**over) -> dict:
    body = {
        "id": str(uuid.uuid4()),
        "type": "expense",
        "amount": "10.00",
        "currency": "EUR",
        "category": "misc",
        "date": "2026-11-21",
    }
    body.update(over)
    return body


def _count(db, user: str) -> int:
    with db.connect() as conn:
        return conn.execute(sa.text("SELECT COUNT(*) FROM transactions WHERE user_id = :u"), {"u": user}).scalar()


def _amount(db, user: str, tid: str):
    with db.connect() as conn:
        return conn.execute(
            sa.text("SELECT amount FROM transactions WHERE user_id = :u AND id = :i"), {"u": user, "i": tid}
        ).scalar()


def _publish(root, events) -> None:
    root.publisher.publish_blocking(ingest.messages(events, root.settings.transactions_topic))


def test_the_broker_s_order_decides_whatever_the_clocks_and_a_redelivery_changes_nothing(app_server, root, db, user):
    # Versions stamped by two receivers with skewed clocks (3,000 then 2,000): storage ignores them, applies the
    # user's events in partition order and numbers the versions itself. The last correction sent wins.
    created = TransactionCreated(user_id=user, version=1_000, transaction=NewTransaction.model_validate(_txn()))
    tid = created.transaction.id
    first = TransactionUpdated(
        user_id=user,
        transaction_id=tid,
        version=3_000,
        changes=TransactionChanges.model_validate({"amount": "30.00", "currency": "EUR"}),
    )
    second = TransactionUpdated(
        user_id=user,
        transaction_id=tid,
        version=2_000,
        changes=TransactionChanges.model_validate({"amount": "20.00"}),
    )
    _publish(root, [created, first, second])
    marker = TransactionCreated(user_id=user, transaction=NewTransaction.model_validate(_txn()))
    _publish(root, [marker])  # same user, same partition: stored after the three above
    until(lambda: _amount(db, user, str(marker.transaction.id)), what="the marker")
    assert _amount(db, user, str(tid)) == Decimal("20.00")
    assert _version(db, user, str(tid)) == 3
    # A redelivery of the whole sequence changes nothing.
    _publish(root, [created, first, second])
    marker2 = TransactionCreated(user_id=user, transaction=NewTransaction.model_validate(_txn()))
    _publish(root, [marker2])
    until(lambda: _amount(db, user, str(marker2.transaction.id)), what="the second marker")
    assert (_amount(db, user, str(tid)), _version(db, user, str(tid))) == (Decimal("20.00"), 3)
    assert _count(db, user) == 3


def _version(db, user: str, tid: str) -> int:
    with db.connect() as conn:
        return conn.execute(
            sa.text("SELECT version FROM transactions WHERE user_id = :u AND id = :i"), {"u": user, "i": tid}
        ).scalar()


def _dead_letters(root, key: bytes, expected: int) -> list:
    consumer = Consumer(
        {
            "bootstrap.servers": root.settings.kafka_broker_list,
            "group.id": f"dlt-reader-{uuid.uuid4().hex[:6]}",
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([root.settings.dead_letter_topic])
    found: list = []

    def poll():
        for m in consumer.consume(100, timeout=0.5):
            if m.error() is None and m.key() == key:
                found.append(m)
        return len(found) >= expected

    try:
        until(poll, timeout=30, interval=0, what=f"{expected} dead letters")
    finally:
        consumer.close()
    return found


def test_poison_goes_to_the_dead_letter_topic_and_the_next_good_message_is_stored(app_server, root, db, user):
    topic = root.settings.transactions_topic
    key = user.encode()
    poison = [
        OutboundMessage(topic, key, b"{this is not json"),
        OutboundMessage(topic, key, b'{"schema_version": 1, "event_type": "transaction.created", "user_id": "x"}'),
        OutboundMessage(topic, key, b'{"schema_version": 99}'),
        OutboundMessage(topic, key, b"\xff\xfe binary"),
    ]
    root.publisher.publish_blocking(poison)
    good = TransactionCreated(user_id=user, transaction=NewTransaction.model_validate(_txn()))
    _publish(root, [good])
    until(lambda: _amount(db, user, str(good.transaction.id)), what="the good message after the poison")
    letters = _dead_letters(root, key, expected=4)
    reasons = [dict(m.headers())["dlt.reason"].decode() for m in letters]
    assert any("not JSON" in r for r in reasons)
    assert any("schema violation" in r for r in reasons)
    assert any("schema_version" in r for r in reasons)
    assert all(dict(m.headers())["dlt.original.topic"].decode() == topic for m in letters)
    assert letters[0].value() == b"{this is not json"  # the original bytes, unchanged


def test_database_down_mid_stream_loses_nothing(app_server, client, db, infra, user):
    first = [_txn(amount=f"{i}.00") for i in range(1, 21)]
    for body in first:
        assert client.post("/api/transactions", json=body).status_code == 202
    until(lambda: _count(db, user) == 20, what="the first 20 rows")
    infra.db_proxy.cut()
    try:
        second = [_txn(amount=f"{i}.00") for i in range(21, 51)]
        for body in second:
            # The receiver needs only the broker: it keeps accepting while the database is down.
            assert client.post("/api/transactions", json=body).status_code == 202
        health = client.get("/api/health")
        assert health.status_code == 503
        assert "database" in health.json()["detail"]
        assert _count(db, user) == 20  # storage cannot write, and must not skip ahead either
    finally:
        infra.db_proxy.restore()
    until(lambda: _count(db, user) == 50, timeout=90, what="all 50 rows after the database returned")
    with db.connect() as conn:
        total = conn.execute(sa.text("SELECT SUM(amount) FROM transactions WHERE user_id = :u"), {"u": user}).scalar()
    assert total == sum(Decimal(i) for i in range(1, 51))


def test_broker_down_the_receiver_answers_503_never_202_and_recovers(app_server, client, db, infra, user):
    infra.pause_broker()
    refused = _txn()
    try:
        r = client.post("/api/transactions", json=refused)
        assert r.status_code == 503
        assert r.headers["content-type"] == "application/problem+json"
        assert int(r.headers["retry-after"]) > 0
        health = client.get("/api/health")
        assert health.status_code == 503 and "broker" in health.json()["detail"]
    finally:
        infra.resume_broker()
    # A 503 means "not confirmed", not "not stored": a request already in the broker's socket can still
    # be written once it wakes. The client's remedy is the same id again, which never records twice.
    until(lambda: client.post("/api/transactions", json=refused).status_code == 202, timeout=90, interval=1,
          what="the receiver to accept the retried id")  # fmt: skip
    marker = _txn()
    assert client.post("/api/transactions", json=marker).status_code == 202
    until(lambda: _amount(db, user, marker["id"]), timeout=60, what="a row accepted after recovery")
    assert _amount(db, user, refused["id"]) == Decimal("10.00")
    assert _count(db, user) == 2
