"""Bank-file imports through the real broker, the storage trigger and MariaDB (issue 13), with each format's
samples: the rows stored equal the file's, a second import adds nothing, an overlapping statement adds exactly its
new days, a hand-entered row is linked not doubled (and the preview proposed it), a bad line is named and nothing is
recorded unless skip_invalid."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from shared.adapters.bankfiles import parse
from tests.support.accounts import applied, open_account

DATA = Path(__file__).resolve().parents[1] / "data" / "bankfiles"
# format -> (sample, the account's currency, overlap pair)
FORMATS = {
    "csv": ("csv_de_semicolon_bom.csv", "EUR", ("csv_overlap_1.csv", "csv_overlap_2.csv")),
    "ofx": ("ofx1_bank.ofx", "EUR", ("ofx_overlap_1.ofx", "ofx_overlap_2.ofx")),
    "qfx": ("qfx_bank.qfx", "USD", None),
    "qif": ("qif_bank.qif", "USD", ("qif_overlap_1.qif", "qif_overlap_2.qif")),
    "camt053": ("camt053_v02.xml", "EUR", ("camt053_overlap_1.xml", "camt053_overlap_2.xml")),
    "camt053.08": ("camt053_v08.xml", "CHF", None),
}


def imported(client: httpx.Client, account: str, name: str, **params) -> dict:
    """The import's outcome, once storage has applied every row of it."""
    answer = client.post("/api/imports", params={"account_id": account, **params}, content=(DATA / name).read_bytes())
    assert answer.status_code == 202, answer.text
    body = answer.json()
    outcome = client.get(f"/api/imports/{body['import_id']}", params={"wait": 10}).json()
    assert outcome["status"] != "pending", outcome
    assert outcome["rows"] == body["rows"]
    op = client.get(answer.headers["location"]).json()
    assert (op["type"], op["resource"]) == ("import", f"/api/imports/{body['import_id']}")
    return outcome


def stored(client: httpx.Client, account: str) -> list[dict]:
    answer = client.get("/api/transactions", params={"account_id": account, "limit": 500})
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def signed(t: dict) -> Decimal:
    return -Decimal(t["amount"]) if t["type"] == "expense" else Decimal(t["amount"])


def as_file(rows) -> list[tuple]:
    return sorted((r.date.isoformat(), r.amount, r.payee, r.memo) for r in rows)


def as_stored(items: list[dict]) -> list[tuple]:
    return sorted((t["date"], signed(t), t["payee"], t["description"]) for t in items)


@pytest.mark.parametrize("name", FORMATS)
def test_a_file_is_imported_exactly_once(client, name):
    sample, currency, _ = FORMATS[name]
    account = open_account(client, "Bank", "checking", currency, 0)
    rows = parse((DATA / sample).read_bytes()).rows
    first = imported(client, account, sample)
    assert (first["new"], first["duplicates"], first["matched"], first["rejected"]) == (len(rows), 0, 0, 0)
    items = stored(client, account)
    assert as_stored(items) == as_file(rows)  # amounts exact, dates, payees and memos as the bank wrote them
    assert {(t["category"], t["currency"]) for t in items} == {("uncategorized", currency)}
    again = imported(client, account, sample)
    assert (again["new"], again["duplicates"]) == (0, len(rows))
    assert len(stored(client, account)) == len(rows)


@pytest.mark.parametrize("name", [n for n, (_, _, pair) in FORMATS.items() if pair])
def test_an_overlapping_statement_adds_exactly_its_new_rows(client, name):
    _, currency, (older, newer) = FORMATS[name]
    account = open_account(client, "Bank", "checking", currency, 0)
    imported(client, account, older)
    first, second = (parse((DATA / f).read_bytes()).rows for f in (older, newer))
    outcome = imported(client, account, newer)
    shared_days = {r.date for r in first} & {r.date for r in second}
    new = [r for r in second if r.date not in shared_days]
    assert (outcome["new"], outcome["duplicates"]) == (len(new), len(second) - len(new))
    assert as_stored(stored(client, account)) == as_file([*first, *new])


def test_a_hand_entered_row_is_proposed_then_linked_not_doubled(client):
    account = open_account(client, "Current", "checking", "EUR", 0)
    typed = {"type": "expense", "amount": "86.50", "currency": "EUR", "category": "utilities", "date": "2026-03-11"}
    applied(client, client.post("/api/transactions", json={**typed, "account_id": account, "description": "power"}))
    typed_id = stored(client, account)[0]["id"]
    params = {"account_id": account, "dry_run": True}
    preview = client.post("/api/imports", params=params, content=(DATA / "csv_overlap_1.csv").read_bytes())
    assert preview.status_code == 200, preview.text
    shown = preview.json()
    (link,) = shown["matches"]
    assert (link["line"], link["amount"], link["days_apart"], link["transaction"]["id"]) == (7, "86.50", 1, typed_id)
    assert (shown["new"], shown["matched"], shown["duplicates"], len(shown["transactions"])) == (5, 1, 0, 6)
    assert len(stored(client, account)) == 1  # a preview records nothing

    outcome = imported(client, account, "csv_overlap_1.csv")
    assert (outcome["new"], outcome["matched"]) == (5, 1)
    items = stored(client, account)
    assert len(items) == 6
    (kept,) = [t for t in items if t["id"] == typed_id]
    assert (kept["category"], kept["description"], kept["payee"], kept["version"]) == (
        "utilities", "power", "Stadtwerke München", 2
    )  # fmt: skip
    again = imported(client, account, "csv_overlap_1.csv")
    assert (again["new"], again["matched"], again["duplicates"]) == (0, 0, 6)  # the link is found again
    repeat = client.post("/api/imports", params=params, content=(DATA / "csv_overlap_1.csv").read_bytes()).json()
    assert (repeat["duplicates"], repeat["matches"]) == (6, [])


BAD = [
    ("csv_bad_rows.csv", "EUR"),
    ("qif_bad_rows.qif", "USD"),
    ("ofx_bad_rows.ofx", "EUR"),
    ("camt053_bad_rows.xml", "EUR"),
]


@pytest.mark.parametrize(("sample", "currency"), BAD)
def test_a_bad_line_is_named_and_nothing_recorded_unless_skip_invalid(client, sample, currency):
    account = open_account(client, "Bank", "checking", currency, 0)
    parsed = parse((DATA / sample).read_bytes())
    refused = client.post("/api/imports", params={"account_id": account}, content=(DATA / sample).read_bytes())
    assert refused.status_code == 422
    assert [e["line"] for e in refused.json()["errors"]] == [e.line for e in parsed.errors]
    assert all(str(e.line) in refused.json()["detail"] for e in parsed.errors[:5])
    assert stored(client, account) == []
    kept = imported(client, account, sample, skip_invalid=True)
    assert kept["new"] == len(parsed.rows)
    assert as_stored(stored(client, account)) == as_file(parsed.rows)


def test_rows_the_account_refuses_end_rejected_naming_their_lines(client):
    account = open_account(client, "Euro", "checking", "EUR", 0, day="2026-03-10")
    outcome = imported(client, account, "ofx2_creditcard.ofx")  # a USD statement into a EUR account
    assert (outcome["status"], outcome["new"], outcome["rejected"]) == ("rejected", 0, 4)
    reasons = [item["reason"] for item in outcome["rejected_items"]]
    assert {r["code"] for r in reasons} == {"currency_mismatch"} and reasons[0]["detail"].startswith("line 21: ")
    mixed = imported(client, account, "csv_overlap_1.csv")  # days before the account opened are refused
    assert (mixed["status"], mixed["new"], mixed["rejected"]) == ("applied", 1, 5)
    assert {i["reason"]["code"] for i in mixed["rejected_items"]} == {"before_opening"}


def test_multipart_form_and_the_outcome_of_someone_elses_import(client, app_server, infra):
    account = open_account(client, "Bank", "checking", "USD", 0)
    body = {"file": ("bank.qif", (DATA / "qif_bank.qif").read_bytes(), "application/octet-stream")}
    answer = client.post("/api/imports", params={"account_id": account}, files=body)
    assert answer.status_code == 202, answer.text
    with app_server.client(infra.issuer.token("someone-else")) as other:
        assert other.get(f"/api/imports/{answer.json()['import_id']}").status_code == 404
    assert client.get(f"/api/imports/{answer.json()['import_id']}", params={"wait": 10}).json()["new"] == 5
