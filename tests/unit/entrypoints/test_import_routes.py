"""POST /api/imports on fakes: a file becomes one operation of one event per row, ids derived over the whole file;
bad lines are named and nothing is sent; a dry run goes to the storage app when this app has no storage."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from shared.adapters.bankfiles import parse
from shared.bootstrap import Root
from shared.domain.events import TransactionImported, decode
from shared.domain.imports import import_ids
from shared.services.imports import MAX_FILE_BYTES

DATA = Path(__file__).resolve().parents[2] / "data" / "bankfiles"
ACCOUNT = str(uuid.uuid4())


@pytest.fixture
def client(api, issuer):
    with TestClient(api) as c:
        c.headers["Authorization"] = f"Bearer {issuer.token('alice')}"
        yield c


def events(publisher) -> list[TransactionImported]:
    return [decode(m.value) for m in publisher.sent]


def test_a_file_is_one_operation_of_one_event_per_row_oldest_day_first(client, publisher):
    data = (DATA / "csv_de_semicolon_bom.csv").read_bytes()
    answer = client.post("/api/imports", params={"account_id": ACCOUNT}, content=data)
    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert body["import_id"] == body["operation"] and body["rows"] == 6 and body["status"] == "accepted"
    assert answer.headers["location"] == f"/api/operations/{body['operation']}"
    sent = events(publisher)
    assert {str(e.operation_id) for e in sent} == {body["operation"]} and {e.operation_size for e in sent} == {6}
    assert sorted(e.index for e in sent) == list(range(6)) and [e.row.date for e in sent] == sorted(
        e.row.date for e in sent
    )
    expected = import_ids(parse(data).rows, user_id="alice", account_id=ACCOUNT)
    assert [e.row.id for e in sorted(sent, key=lambda e: e.index)] == expected
    first = min(sent, key=lambda e: e.index)
    assert (str(first.row.amount), first.row.payee, first.row.memo, first.row.line) == (
        "-4.35", "Bäckerei Müller", "Kartenzahlung Brötchen", 6
    )  # fmt: skip
    assert str(first.account_id) == ACCOUNT and first.match is True


def test_bad_lines_are_named_and_nothing_is_sent_unless_skip_invalid(client, publisher):
    data = (DATA / "csv_bad_rows.csv").read_bytes()
    refused = client.post("/api/imports", params={"account_id": ACCOUNT}, content=data)
    assert refused.status_code == 422 and publisher.sent == []
    problem = refused.json()
    assert [e["line"] for e in problem["errors"]][:3] == [3, 4, 5] and "skip_invalid=true" in problem["detail"]
    kept = client.post(
        "/api/imports", params={"account_id": ACCOUNT, "skip_invalid": True, "match": False}, content=data
    )
    assert kept.status_code == 202 and kept.json()["rows"] == 2
    assert [s["line"] for s in kept.json()["skipped"]] == [e["line"] for e in problem["errors"]]
    assert [e.row.line for e in events(publisher)] == [2, 13] and not any(e.match for e in events(publisher))


def test_a_form_field_file_is_read_like_a_body(client, publisher):
    data = (DATA / "qif_bank.qif").read_bytes()
    answer = client.post("/api/imports", params={"account_id": ACCOUNT}, files={"file": ("bank.qif", data)})
    assert answer.status_code == 202, answer.text
    assert answer.json()["rows"] == 5 == len(publisher.sent)


@pytest.mark.parametrize(
    ("params", "content", "status", "words"),
    [
        ({"account_id": ACCOUNT}, b"x" * (MAX_FILE_BYTES + 1), 413, "10,485,760 bytes"),
        ({"account_id": ACCOUNT}, b"%PDF-1.7 statement", 422, "PDF"),
        ({"account_id": ACCOUNT}, b"", 400, "empty"),
        ({"account_id": "not-a-uuid"}, b"a;b", 400, "account_id"),
        ({"account_id": ACCOUNT, "format": "xls"}, b"a;b", 400, "format"),
        ({"account_id": ACCOUNT, "date_column": "Nope"}, b"Datum;Betrag\n01.03.2026;1,00\n", 422, "'Nope'"),
    ],
)
def test_refusals_say_what_to_do(client, publisher, params, content, status, words):
    answer = client.post("/api/imports", params=params, content=content)
    assert answer.status_code == status, answer.text
    assert words in answer.json()["detail"] and publisher.sent == []


def test_an_ambiguous_date_order_asks_for_date_format(client, publisher):
    data = (DATA / "csv_ambiguous_dates.csv").read_bytes()
    assert "date_format" in client.post("/api/imports", params={"account_id": ACCOUNT}, content=data).json()["detail"]
    given = {"account_id": ACCOUNT, "date_format": "DD/MM/YYYY"}
    assert client.post("/api/imports", params=given, content=data).status_code == 202


def test_without_storage_a_dry_run_and_the_outcome_go_to_the_storage_app(settings, publisher, store, issuer):
    receiver_only = settings.model_copy(
        update={"services": "receiver", "dashboard_api_urls": {"storage": "https://storage.example/"}}
    )
    from functions.app import build

    root = Root(receiver_only, publisher=publisher, store=store, reads=store)
    with TestClient(build(root)[0], follow_redirects=False) as c:
        c.headers["Authorization"] = f"Bearer {issuer.token('alice')}"
        answer = c.post("/api/imports", params={"account_id": ACCOUNT, "dry_run": True}, content=b"a;b")
        assert answer.status_code == 307
        assert answer.headers["location"] == f"https://storage.example/api/imports?account_id={ACCOUNT}&dry_run=true"
        outcome = c.get(f"/api/imports/{uuid.uuid4()}")
        assert outcome.status_code == 307 and outcome.headers["location"].startswith("https://storage.example/api/")
        assert c.post("/api/imports", params={"account_id": ACCOUNT}, content=b"a;b").status_code == 422
    assert publisher.sent == []
