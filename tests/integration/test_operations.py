"""Every accepted write ends in an outcome the caller can see, in the broker's order, through the real broker,
the storage trigger and MariaDB (issue 10)."""

from __future__ import annotations

import time
import uuid
from decimal import Decimal

import httpx
import sqlalchemy as sa

from shared.domain.events import TransactionCreated, TransactionUpdated
from shared.domain.transactions import NewTransaction, TransactionChanges
from shared.services.receiver import messages
from tests.support.wait import until


def _txn(**over) -> dict:
    body = {"type": "expense", "amount": "10.00", "currency": "EUR", "category": "misc", "date": "2026-11-21"}
    return {"id": str(uuid.uuid4()), **body, **over}


def _outcome(client: httpx.Client, accepted: httpx.Response) -> dict:
    assert accepted.status_code == 202, accepted.text
    op = accepted.json()["operation"]
    assert accepted.headers["location"] == f"/api/operations/{op}"
    answer = client.get(f"/api/operations/{op}", params={"wait": 10})
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] != "pending", answer.json()
    return answer.json()


def _row(db, user: str, tid: str) -> dict | None:
    with db.connect() as conn:
        found = conn.execute(
            sa.text("SELECT amount, currency, category, version, deleted FROM transactions WHERE user_id=:u AND id=:i"),
            {"u": user, "i": tid},
        ).mappings()
        row = found.first()
    return dict(row) if row else None


def test_a_create_is_applied_and_its_operation_names_the_transaction(client, user):
    body = _txn()
    op = _outcome(client, client.post("/api/transactions", json=body))
    assert op["status"] == "applied" and op["applied"] == 1
    assert op["resource"] == f"/api/transactions/{body['id']}"
    got = client.get(op["resource"])
    assert got.headers["etag"] == '"1"' and got.json()["etag"] == '"1"'


def test_a_correction_of_the_amount_alone_keeps_the_stored_currency(client, db, user):
    body = _txn(currency="JPY", amount="1500")
    _outcome(client, client.post("/api/transactions", json=body))
    op = _outcome(client, client.patch(f"/api/transactions/{body['id']}", json={"amount": "1234"}))
    assert op["status"] == "applied"
    row = _row(db, user, body["id"])
    assert (row["amount"], row["currency"], row["version"]) == (Decimal("1234"), "JPY", 2)
    refused = _outcome(client, client.patch(f"/api/transactions/{body['id']}", json={"amount": "12.34"}))
    assert refused["status"] == "rejected" and refused["reason"]["code"] == "invalid"
    assert "JPY amounts have no decimal places" in refused["reason"]["detail"]
    assert _row(db, user, body["id"])["amount"] == Decimal("1234")


def test_deleting_another_users_transaction_is_rejected_and_the_owners_row_untouched(app_server, infra, db, user):
    owner, intruder = user, f"intruder-{uuid.uuid4().hex[:8]}"
    body = _txn()
    with (
        app_server.client(infra.issuer.token(owner)) as mine,
        app_server.client(infra.issuer.token(intruder)) as theirs,
    ):
        _outcome(mine, mine.post("/api/transactions", json=body))
        op = _outcome(theirs, theirs.delete(f"/api/transactions/{body['id']}"))
        assert op["status"] == "rejected" and op["reason"]["code"] == "not_found" and op["reason"]["status"] == 404
        assert mine.get(f"/api/operations/{op['id']}").status_code == 404  # the intruder's operation is not ours
        unknown = _outcome(theirs, theirs.patch(f"/api/transactions/{uuid.uuid4()}", json={"category": "x"}))
        assert unknown["reason"]["code"] == "not_found"
    row = _row(db, owner, body["id"])
    assert (row["deleted"], row["version"]) == (False, 1)


def test_a_stale_if_match_ends_in_conflict_and_changes_nothing(client, db, user):
    body = _txn()
    _outcome(client, client.post("/api/transactions", json=body))
    etag = client.get(f"/api/transactions/{body['id']}").headers["etag"]
    assert _outcome(client, client.patch(f"/api/transactions/{body['id']}", json={"category": "a"}))["status"] == (
        "applied"
    )
    stale = client.patch(f"/api/transactions/{body['id']}", json={"category": "b"}, headers={"If-Match": etag})
    op = _outcome(client, stale)
    assert op["status"] == "rejected" and op["reason"]["code"] == "conflict" and op["reason"]["status"] == 412
    gone = _outcome(client, client.delete(f"/api/transactions/{body['id']}", headers={"If-Match": etag}))
    assert gone["reason"]["code"] == "conflict"
    assert _row(db, user, body["id"])["category"] == "a"
    fresh = client.get(f"/api/transactions/{body['id']}").headers["etag"]
    ok = _outcome(client, client.delete(f"/api/transactions/{body['id']}", headers={"If-Match": fresh}))
    assert ok["status"] == "applied"


def test_a_retried_idempotency_key_records_once(client, db, user):
    body = _txn()
    _outcome(client, client.post("/api/transactions", json=body))
    key = {"Idempotency-Key": f"key-{uuid.uuid4()}"}
    first = client.patch(f"/api/transactions/{body['id']}", json={"category": "rent"}, headers=key)
    again = client.patch(f"/api/transactions/{body['id']}", json={"category": "rent"}, headers=key)
    assert first.json()["operation"] == again.json()["operation"]
    op = _outcome(client, again)
    assert (op["status"], op["applied"]) == ("applied", 1)
    assert _row(db, user, body["id"])["version"] == 2  # applied once, not twice


def test_a_create_retried_after_a_503_records_once(client, db, infra, user):
    body = _txn()
    del body["id"]  # the client sent none: the 503 must say which id the server gave it
    infra.pause_broker()
    try:
        refused = client.post("/api/transactions", json=body, timeout=30)
    finally:
        infra.resume_broker()
    assert refused.status_code == 503, refused.text
    assigned = refused.json()["id"]
    retried = client.post("/api/transactions", json={**body, "id": assigned})
    op = _outcome(client, retried)
    assert op["status"] == "applied"  # applied, or a duplicate of the first request if the broker had it after all
    with db.connect() as conn:
        count = conn.execute(sa.text("SELECT COUNT(*) FROM transactions WHERE user_id = :u"), {"u": user}).scalar()
    assert count == 1


def test_receivers_with_skewed_clocks_never_lose_a_correction(root, db, user):
    """Two receivers 5 s apart stamp their events with their clocks; storage ignores the stamps and applies the
    user's events in partition order, each over the previous, so every correction is applied."""
    created = TransactionCreated(user_id=user, transaction=NewTransaction.model_validate(_txn()))
    now_us = time.time_ns() // 1_000
    corrections = [
        TransactionUpdated(
            user_id=user,
            transaction_id=created.transaction.id,
            version=now_us + (5_000_000 if i % 2 else -5_000_000),  # the two receivers' clocks
            changes=TransactionChanges.model_validate({"amount": f"{i + 11}.00"}),
        )
        for i in range(6)
    ]
    root.publisher.publish_blocking(messages([created, *corrections], root.settings.transactions_topic))
    tid = str(created.transaction.id)
    until(lambda: (_row(db, user, tid) or {}).get("version") == 7, what="every correction applied")
    assert _row(db, user, tid)["amount"] == Decimal("16.00")  # the last one sent


def test_a_batch_with_a_correction_of_nothing_lists_it_by_index(client, user):
    ok = _txn()
    op = _outcome(client, client.post("/api/transactions/batch", json={"transactions": [ok, _txn()]}))
    assert (op["status"], op["applied"], op["expected"]) == ("applied", 2, 2)
    assert op["type"] == "transaction.create.batch" and "resource" not in op
