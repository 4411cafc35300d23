"""The ingest path against the real broker and the real MariaDB: HTTP -> Kafka -> storage -> rows."""

from __future__ import annotations

import uuid
from decimal import Decimal

import sqlalchemy as sa

from tests.support.wait import until


def _txn(**over) -> dict:
    body = {
        "id": str(uuid.uuid4()),
        "type": "expense",
        "amount": "12.50",
        "currency": "EUR",
        "category": "groceries",
        "date": "2026-11-20",
        "description": "Bäckerei Müller ☕",
        "tags": ["food"],
    }
    body.update(over)
    return body


def _rows(db, user: str, **where) -> list[dict]:
    sql = "SELECT * FROM transactions WHERE user_id = :u" + "".join(f" AND {k} = :{k}" for k in where)
    with db.connect() as conn:
        return [dict(r) for r in conn.execute(sa.text(sql), {"u": user, **where}).mappings()]


def test_a_post_becomes_a_row_with_exact_money(client, db, user):
    body = _txn(amount="1234.56")
    r = client.post("/api/transactions", json=body)
    assert r.status_code == 202, r.text
    operation = r.json()["operation"]
    assert r.json() == {"id": body["id"], "status": "accepted", "operation": operation}
    assert r.headers["location"] == f"/api/operations/{operation}"
    row = until(lambda: _rows(db, user, id=body["id"]), what="the row")[0]
    assert row["amount"] == Decimal("1234.56")
    assert row["currency"] == "EUR"
    assert row["description"] == "Bäckerei Müller ☕"
    assert row["last_updated"] is not None and row["change_seq"] > 0
    got = client.get(f"/api/transactions/{body['id']}")
    assert got.status_code == 200
    assert got.json()["amount"] == "1234.56"


def test_the_same_id_posted_50_times_is_one_row(client, db, user):
    body = _txn()
    for _ in range(50):
        assert client.post("/api/transactions", json=body).status_code == 202
    marker = _txn()
    assert client.post("/api/transactions", json=marker).status_code == 202
    until(lambda: _rows(db, user, id=marker["id"]), what="the marker row posted after the 50")
    assert len(_rows(db, user, id=body["id"])) == 1
    assert len(_rows(db, user)) == 2


def test_yen_and_dinar_keep_their_minor_units(client, db, user):
    yen, dinar = _txn(amount="1500", currency="JPY"), _txn(amount="3.125", currency="KWD")
    assert client.post("/api/transactions", json=yen).status_code == 202
    assert client.post("/api/transactions", json=dinar).status_code == 202
    until(lambda: len(_rows(db, user)) == 2, what="both rows")
    assert client.get(f"/api/transactions/{yen['id']}").json()["amount"] == "1500"
    assert client.get(f"/api/transactions/{dinar['id']}").json()["amount"] == "3.125"
    bad = client.post("/api/transactions", json=_txn(amount="1.5", currency="JPY"))
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"
    assert bad.json()["errors"][0]["field"] == "amount"


def test_a_correction_then_a_deletion_travel_through_kafka(client, db, user):
    body = _txn()
    client.post("/api/transactions", json=body)
    until(lambda: _rows(db, user, id=body["id"]), what="the row")
    r = client.patch(f"/api/transactions/{body['id']}", json={"amount": "20.00", "currency": "EUR", "category": "rent"})
    assert r.status_code == 202, r.text
    until(lambda: _rows(db, user, id=body["id"], category="rent"), what="the correction")
    assert _rows(db, user, id=body["id"])[0]["amount"] == Decimal("20.00")
    assert client.delete(f"/api/transactions/{body['id']}").status_code == 202
    until(lambda: _rows(db, user, id=body["id"])[0]["deleted"], what="the deletion")
    assert client.get(f"/api/transactions/{body['id']}").status_code == 404


def test_a_batch_is_stored_whole(client, db, user):
    items = [_txn(amount=f"{i}.01") for i in range(1, 1001)]
    r = client.post("/api/transactions/batch", json={"transactions": items})
    assert r.status_code == 202, r.text
    assert len(r.json()["ids"]) == 1000
    until(lambda: len(_rows(db, user)) == 1000, timeout=60, what="1000 rows")
    with db.connect() as conn:
        total = conn.execute(sa.text("SELECT SUM(amount) FROM transactions WHERE user_id = :u"), {"u": user}).scalar()
    assert total == sum(Decimal(f"{i}.01") for i in range(1, 1001))


def test_a_bad_batch_is_refused_naming_each_bad_item(client, db, user):
    items = [_txn() for _ in range(5)]
    items[1]["amount"] = "-3"
    items[3]["currency"] = "XYZ"
    r = client.post("/api/transactions/batch", json={"transactions": items})
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert [e["index"] for e in r.json()["errors"]] == [1, 3]
    marker = _txn()
    client.post("/api/transactions", json=marker)
    until(lambda: _rows(db, user, id=marker["id"]), what="the marker row")
    assert len(_rows(db, user)) == 1  # nothing of the refused batch


def test_a_budget_is_stored(client, db, user):
    r = client.put("/api/budgets/eating out/2026-11", json={"amount": "250", "currency": "EUR"})
    assert r.status_code == 202, r.text
    assert r.json()["amount"] == "250.00"

    def stored():
        with db.connect() as conn:
            return conn.execute(sa.text("SELECT amount, category FROM budgets WHERE user_id = :u"), {"u": user}).all()

    assert until(stored, what="the budget") == [(Decimal("250.0000"), "eating out")]
