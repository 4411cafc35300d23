"""Each reason storage refuses an account write, through the real broker and MariaDB: the 202's operation ends
`rejected` with its code and status, and nothing moves."""

from __future__ import annotations

import uuid

import pytest

from tests.support.accounts import accepted, applied, balances, cents, listing, open_account, outcome

DAY = "2026-04-02"


def rejected(client, response) -> tuple[str, int, str]:
    op = outcome(client, accepted(response))
    assert op["status"] == "rejected", op
    return op["reason"]["code"], op["reason"]["status"], op["reason"]["detail"]


def txn(account: str | None, amount: str = "25.00", currency: str = "EUR", **over) -> dict:
    body = {"type": "expense", "amount": amount, "currency": currency, "category": "food", "date": DAY}
    return {**body, "account_id": account, **over}


@pytest.fixture
def other(app_server, infra):
    with app_server.client(infra.issuer.token(f"other-{uuid.uuid4().hex[:8]}")) as c:
        yield c


def test_another_users_account_is_not_found_whatever_the_write(client, other):
    mine = open_account(client, "Mine", "checking", "EUR", 10_000)
    theirs = open_account(other, "Theirs", "checking", "EUR", 0)
    assert rejected(other, other.post("/api/transactions", json=txn(mine)))[:2] == ("not_found", 404)
    sent = {"from_account": theirs, "to_account": mine, "amount": "5.00", "date": DAY}
    code, status, detail = rejected(other, other.post("/api/transfers", json=sent))
    assert (code, status) == ("not_found", 404) and mine in detail and theirs not in detail
    assert rejected(other, other.patch(f"/api/accounts/{mine}", json={"closed": True}))[:2] == ("not_found", 404)
    assert other.get(f"/api/accounts/{mine}").status_code == 404
    assert other.get(f"/api/accounts/{mine}/transactions").status_code == 404
    assert balances(client) == {mine: 10_000} and listing(client, mine) == []
    assert client.get(f"/api/accounts/{mine}").json()["closed"] is False


def test_a_closed_account_keeps_its_money_until_it_is_reopened(client):
    account = open_account(client, "Card", "credit_card", "EUR", -5_000)
    spare = open_account(client, "Spare", "cash", "EUR", 1_000)
    first = client.post("/api/transactions", json=txn(account))
    applied(client, first)
    tid = first.json()["id"]
    etag = client.get(f"/api/accounts/{account}").headers["etag"]
    applied(client, client.patch(f"/api/accounts/{account}", json={"closed": True}, headers={"If-Match": etag}))
    stale = client.patch(f"/api/accounts/{account}", json={"name": "x"}, headers={"If-Match": etag})
    assert rejected(client, stale)[:2] == ("conflict", 412)

    assert rejected(client, client.post("/api/transactions", json=txn(account)))[:2] == ("closed", 409)
    assert rejected(client, client.patch(f"/api/transactions/{tid}", json={"amount": "1.00"}))[:2] == ("closed", 409)
    assert rejected(client, client.delete(f"/api/transactions/{tid}"))[:2] == ("closed", 409)
    moved = client.patch(f"/api/transactions/{tid}", json={"account_id": spare})
    assert rejected(client, moved)[:2] == ("closed", 409)
    transfer = {"from_account": spare, "to_account": account, "amount": "10.00", "date": DAY}
    assert rejected(client, client.post("/api/transfers", json=transfer))[:2] == ("closed", 409)
    applied(client, client.patch(f"/api/transactions/{tid}", json={"category": "rent", "payee": "Landlord"}))
    assert balances(client) == {account: -7_500, spare: 1_000}  # closed, its balance still counts

    applied(client, client.patch(f"/api/accounts/{account}", json={"closed": False}))
    applied(client, client.post("/api/transfers", json=transfer))
    assert balances(client) == {account: -6_500, spare: 0}


def test_a_transaction_must_fit_its_accounts_currency_and_opening_date(client):
    account = open_account(client, "Current", "checking", "EUR", 0, day="2026-03-01")
    code, status, detail = rejected(client, client.post("/api/transactions", json=txn(account, "25.00", "USD")))
    assert (code, status) == ("currency_mismatch", 422) and "EUR" in detail
    early = client.post("/api/transactions", json=txn(account, date="2026-02-28"))
    assert rejected(client, early)[:2] == ("before_opening", 422)
    kept = client.post("/api/transactions", json=txn(account))
    applied(client, kept)
    moved_early = client.patch(f"/api/transactions/{kept.json()['id']}", json={"date": "2026-01-15"})
    assert rejected(client, moved_early)[:2] == ("before_opening", 422)
    assert balances(client) == {account: -2_500}


def test_a_cross_currency_transfer_without_to_amount_is_invalid(client):
    eur = open_account(client, "Current", "checking", "EUR", 10_000)
    usd = open_account(client, "Dollars", "savings", "USD", 0)
    sent = {"from_account": eur, "to_account": usd, "amount": "100.00", "date": DAY}
    code, status, detail = rejected(client, client.post("/api/transfers", json=sent))
    assert (code, status) == ("invalid", 422) and "to_amount is required" in detail
    assert balances(client) == {eur: 10_000, usd: 0}


def test_splits_sent_alone_that_do_not_add_up_to_the_stored_amount_are_invalid(client):
    account = open_account(client, "Current", "checking", "EUR", 0)
    parts = [{"category": "food", "amount": "15.00"}, {"category": "soap", "amount": "10.00"}]
    created = client.post("/api/transactions", json=txn(account, splits=parts))
    applied(client, created)
    tid = created.json()["id"]
    wrong = [{"category": "food", "amount": "15.00"}, {"category": "soap", "amount": "9.99"}]
    code, status, detail = rejected(client, client.patch(f"/api/transactions/{tid}", json={"splits": wrong}))
    assert (code, status) == ("invalid", 422) and "24.99" in detail and "25.00" in detail
    assert client.get(f"/api/transactions/{tid}").json()["splits"] == [{**p, "description": None} for p in parts]
    (row,) = listing(client, account)
    assert cents(row["balance"]) == -2_500 and row["version"] == 1
