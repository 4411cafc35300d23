"""Pure rules of the sync: a MySQL transaction row as a store row, and what a page of them does to the totals.

No I/O here: the writer fetches rows, this module decides what to write. A transaction counts in the totals by
its parts (`category_amounts`: each split under its own category, else the whole amount), and in its account's
month by its signed amount; a change subtracts what the old version contributed and adds the new one's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import orjson

from shared.adapters.analytics.schema import to_e4

# Column order of the MySQL read, shared by the incremental sync and the rebuild.
SOURCE_COLUMNS = (
    "user_id, id, type, amount, currency, category, description, booking_date, tags, "
    "recorded_at, version, change_seq, deleted, account_id, splits"
)
BUDGET_SOURCE_COLUMNS = "user_id, category, month, amount, currency, accounts, version, change_seq"

# Column order of the store's `transactions` table as the writer inserts it.
STORE_COLUMNS = (
    "user_id, id, type, amount_e4, currency, category, description, booking_date, month, tags, "
    "recorded_at, version, change_seq, account_id"
)

TotalsKey = tuple[str, str, str, str]  # user_id, month, category, currency
MonthKey = tuple[str, str, str]  # user_id, account_id, month
Split = tuple[str, int]  # category, amount_e4


@dataclass(frozen=True, slots=True)
class StoreRow:
    """A live transaction as the analytics store holds it; `splits` live in their own table."""

    user_id: str
    id: str
    type: str
    amount_e4: int
    currency: str
    category: str
    description: str | None
    booking_date: str
    month: str
    tags: str
    recorded_at: int
    version: int
    change_seq: int
    account_id: str | None = None
    splits: tuple[Split, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        return (self.user_id, self.id)

    def parts(self) -> list[Split]:
        """What category totals count: each split under its own category, else the whole amount."""
        return list(self.splits) or [(self.category, self.amount_e4)]

    @property
    def signed_e4(self) -> int:
        """The transaction's effect on its account's balance: income +, expense −."""
        return self.amount_e4 if self.type == "income" else -self.amount_e4

    def as_tuple(self) -> tuple:
        """The `transactions` row, in STORE_COLUMNS order."""
        return (
            self.user_id,
            self.id,
            self.type,
            self.amount_e4,
            self.currency,
            self.category,
            self.description,
            self.booking_date,
            self.month,
            self.tags,
            self.recorded_at,
            self.version,
            self.change_seq,
            self.account_id,
        )

    def split_rows(self) -> list[tuple]:
        """The `transaction_splits` rows: (user_id, transaction_id, idx, category, amount_e4)."""
        return [(self.user_id, self.id, i, c, a) for i, (c, a) in enumerate(self.splits)]


@dataclass(frozen=True, slots=True)
class Change:
    """One MySQL transaction row read by the sync: its current state, or its deletion."""

    row: StoreRow
    deleted: bool


def e4_of(value: object) -> int:
    """Amounts arrive as Decimal (MySQL DECIMAL) or exact text (the SQLite stand-in, JSON)."""
    return to_e4(value if isinstance(value, Decimal) else Decimal(str(value)))


def parse_splits(text: str | None) -> tuple[Split, ...]:
    """The `splits` column (JSON array of Split.to_json, NULL when not split) as (category, amount_e4) pairs."""
    if not text:
        return ()
    return tuple((s["category"], e4_of(s["amount"])) for s in orjson.loads(text))


def store_row(source: Sequence) -> StoreRow:
    """A MySQL row (SOURCE_COLUMNS order) as a store row. Dates arrive as date or text."""
    booking_date = str(source[7])
    return StoreRow(
        *(source[0], source[1], source[2], e4_of(source[3]), source[4], source[5], source[6]),
        *(booking_date, booking_date[:7], source[8], source[9], source[10], source[11]),
        account_id=source[13],
        splits=parse_splits(source[14]),
    )


def change_from_source(source: Sequence) -> Change:
    return Change(store_row(source), bool(source[12]))


def budget_tuple(source: Sequence) -> tuple:
    """A MySQL budget row (BUDGET_SOURCE_COLUMNS order) as the store's budgets row."""
    return (source[0], source[1], source[2], e4_of(source[3]), source[4], source[5], source[6], source[7])


def add_to_month(months: dict[MonthKey, list[int]], key: MonthKey, amount_e4: int, sign: int) -> None:
    """An entry's contribution to its account's month: [change_e4, entries]."""
    delta = months.setdefault(key, [0, 0])
    delta[0] += sign * amount_e4
    delta[1] += sign


def nonzero(deltas: Mapping) -> list:
    """Deltas that are not all zero (an edit of the description moves nothing)."""
    return [(k, d) for k, d in deltas.items() if any(d)]


@dataclass
class Plan:
    """What one page of transaction changes does to the store."""

    upserts: list[StoreRow] = field(default_factory=list)
    deletes: list[tuple[str, str]] = field(default_factory=list)
    # key -> [income_e4, expense_e4, parts, transactions]: a split transaction is counted once, at its first part
    totals: dict[TotalsKey, list[int]] = field(default_factory=dict)
    months: dict[MonthKey, list[int]] = field(default_factory=dict)  # key -> [change_e4, entries]
    live_delta: int = 0  # change in the number of live transactions
    applied: int = 0  # changes that altered the store
    skipped: int = 0  # changes the store already reflects (redo after a rebuild), or deletions of unseen rows

    def _contribute(self, row: StoreRow, sign: int) -> None:
        for index, (category, amount_e4) in enumerate(row.parts()):
            delta = self.totals.setdefault((row.user_id, row.month, category, row.currency), [0, 0, 0, 0])
            delta[0 if row.type == "income" else 1] += sign * amount_e4
            delta[2] += sign
            delta[3] += sign if index == 0 else 0
        if row.account_id is not None:
            add_to_month(self.months, (row.user_id, row.account_id, row.month), row.signed_e4, sign)

    def changed_totals(self) -> list[tuple[TotalsKey, list[int]]]:
        return nonzero(self.totals)

    def changed_months(self) -> list[tuple[MonthKey, list[int]]]:
        return nonzero(self.months)

    def replaced(self) -> list[tuple[str, str]]:
        """Keys whose splits are replaced: every row deleted or rewritten."""
        return self.deletes + [r.key for r in self.upserts]


def plan_page(changes: Iterable[Change], existing: Mapping[tuple[str, str], StoreRow]) -> Plan:
    """Subtract each old version's contribution, add the new one's; skip what the store already has.

    `existing` holds the store's current rows (with their splits) for the page's keys. A key appears at most once
    per page (MySQL's primary key), so each change is planned against the store as it was before the page.
    """
    plan = Plan()
    for change in changes:
        new = change.row
        old = existing.get(new.key)
        if old is not None and old.change_seq >= new.change_seq:
            plan.skipped += 1
            continue
        if old is None and change.deleted:
            plan.skipped += 1  # created and deleted between two syncs: the store never had it
            continue
        if old is not None:
            plan._contribute(old, -1)
        if change.deleted:
            plan.deletes.append(new.key)
            plan.live_delta -= 1
        else:
            plan.upserts.append(new)
            plan._contribute(new, +1)
            if old is None:
                plan.live_delta += 1
        plan.applied += 1
    return plan
