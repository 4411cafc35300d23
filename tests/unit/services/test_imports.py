"""The import service on fakes: the preview says what storage would do by the same rule; a publish the broker does
not confirm is a 503 whose retry is safe."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import pytest

from shared.adapters.kafka.publisher import BrokerUnavailable
from shared.domain.accounts import Account, AccountType
from shared.domain.imports import import_ids
from shared.domain.ledger import Record
from shared.problems import Problem
from shared.services.imports import ImportOptions, Imports, read_file
from tests.unit.fakes import FakePublisher

DATA = Path(__file__).resolve().parents[2] / "data" / "bankfiles"
ACCOUNT_ID = uuid.uuid4()


class FakeImportReads:
    """The account, the ids already stored and the hand-entered rows, as the SQL adapter answers them."""

    def __init__(self, *, currency: str = "EUR", known: Sequence[str] = (), typed: Sequence[Record] = ()) -> None:
        self.stored = Account(
            str(ACCOUNT_ID), "Current", AccountType.checking, currency, Decimal(0), dt.date(2026, 1, 1)
        )
        self.ids, self.typed, self.asked = set(known), list(typed), []

    def account(self, *, user_id: str, account_id: str) -> Account | None:
        return self.stored if (user_id, account_id) == ("alice", str(ACCOUNT_ID)) else None

    def known(self, *, user_id: str, account_id: str, ids: Sequence[str]) -> set[str]:
        return self.ids & set(ids)

    def candidates(self, *, user_id: str, account_id: str, start: dt.date, end: dt.date) -> list[Record]:
        self.asked.append((start, end))
        return [r for r in self.typed if start <= r.date <= end]


def typed(amount: str, day: str) -> Record:
    return Record(user_id="alice", id=str(uuid.uuid4()), type="expense", amount=Decimal(amount), currency="EUR",
                  category="food", description="Brötchen", date=dt.date.fromisoformat(day), tags=(), version=3,
                  deleted=False, recorded_at=1, account_id=str(ACCOUNT_ID))  # fmt: skip


def preview(name: str, reads: FakeImportReads, **options) -> dict:
    parsed = read_file((DATA / name).read_bytes(), ImportOptions(**options))
    return Imports.preview(reads, "alice", ACCOUNT_ID, parsed, ImportOptions(**options))


def test_the_preview_proposes_links_counts_duplicates_and_records_nothing():
    parsed = read_file((DATA / "csv_overlap_1.csv").read_bytes(), ImportOptions())
    first_id = str(import_ids(parsed.rows, user_id="alice", account_id=str(ACCOUNT_ID))[0])
    rent = typed("86.50", "2026-03-12")
    reads = FakeImportReads(known=[first_id], typed=[rent, typed("86.50", "2026-03-30")])
    shown = preview("csv_overlap_1.csv", reads)
    assert (shown["format"], shown["rows"], shown["errors"]) == ("csv", 6, [])
    assert (shown["new"], shown["duplicates"], shown["matched"], shown["rejected"]) == (4, 1, 1, 0)
    (link,) = shown["matches"]
    assert (link["line"], link["amount"], link["days_apart"], link["transaction"]["id"]) == (7, "86.50", 2, rent.id)
    assert [t["status"] for t in shown["transactions"]] == ["duplicate", "new", "new", "new", "new", "matched"]
    salary = shown["transactions"][1]
    assert (salary["type"], salary["amount"], salary["currency"], salary["category"]) == ("income", "3250.00", "EUR",
                                                                                          "uncategorized")  # fmt: skip
    assert reads.asked == [(dt.date(2026, 2, 24), dt.date(2026, 3, 15))]  # the rows' days, five on either side
    assert preview("csv_overlap_1.csv", reads, match=False)["matches"] == []


def test_the_preview_lists_unreadable_lines_and_rows_the_account_would_refuse():
    shown = preview("ofx2_creditcard.ofx", FakeImportReads(currency="EUR"))  # a USD statement, a EUR account
    assert shown["new"] == 0 and shown["rejected"] == shown["rows"] == 4
    assert {e["line"] for e in shown["errors"]} == {t["line"] for t in shown["transactions"]}
    assert "is in EUR; a USD amount" in shown["errors"][0]["reason"]
    bad = preview("csv_bad_rows.csv", FakeImportReads())
    assert bad["rows"] == 2 and [e["line"] for e in bad["errors"]][:2] == [3, 4]


def test_a_preview_of_another_users_account_is_not_found():
    parsed = read_file((DATA / "qif_bank.qif").read_bytes(), ImportOptions())
    with pytest.raises(Problem) as refused:
        Imports.preview(FakeImportReads(), "mallory", ACCOUNT_ID, parsed, ImportOptions())
    assert refused.value.status == 404


class _Flaky(FakePublisher):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    async def publish(self, messages) -> None:
        self.calls += 1
        if self.calls == 2:
            raise BrokerUnavailable("gone")
        await super().publish(messages)


def test_rows_go_out_in_chunks_and_an_unconfirmed_chunk_is_a_503_naming_the_operation():
    publisher = _Flaky()
    imports = Imports(publisher=publisher, topic="t", chunk=2)
    parsed = read_file((DATA / "csv_overlap_1.csv").read_bytes(), ImportOptions())
    prepared = imports.prepare("alice", ACCOUNT_ID, parsed, ImportOptions())
    with pytest.raises(Problem) as unconfirmed:
        asyncio.run(imports.publish(prepared))
    assert unconfirmed.value.status == 503 and unconfirmed.value.extra["operation"] == str(prepared.import_id)
    assert len(publisher.sent) == 2  # the first chunk was taken; a retry derives the same ids for its rows
    again = imports.prepare("alice", ACCOUNT_ID, parsed, ImportOptions())
    assert sorted(m.value for m in again.messages) != sorted(m.value for m in prepared.messages)  # a new operation
    assert asyncio.run(Imports(publisher=FakePublisher(), topic="t").publish(again)).rows == 6
