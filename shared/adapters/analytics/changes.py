"""Pure rules of the sync: a MySQL row as a store row, and what a page of changes does to the totals.

No I/O here: the writer fetches rows, this module decides what to write.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from shared.adapters.analytics.schema import to_e4

# Column order of the MySQL read, shared by the incremental sync and the rebuild.
SOURCE_COLUMNS = (
    "user_id, id, type, amount, currency, category, description, booking_date, tags, "
    "recorded_at, version, change_seq, deleted"
)
BUDGET_SOURCE_COLUMNS = "user_id, category, month, amount, currency, version, change_seq"

# Column order of the store's `transactions` table as the writer inserts it.
STORE_COLUMNS = (
    "user_id, id, type, amount_e4, currency, category, description, booking_date, month, tags, "
    "recorded_at, version, change_seq"
)

TotalsKey = tuple[str, str, str, str]  # user_id, month, category, currency


@dataclass(frozen=True, slots=True)
class StoreRow:
    """A live transaction as the analytics store holds it."""

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

    @property
    def key(self) -> tuple[str, str]:
        return (self.user_id, self.id)

    @property
    def totals_key(self) -> TotalsKey:
        return (self.user_id, self.month, self.category, self.currency)

    def as_tuple(self) -> tuple:
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
        )


@dataclass(frozen=True, slots=True)
class Change:
    """One MySQL transaction row read by the sync: its current state, or its deletion."""

    row: StoreRow
    deleted: bool


def store_tuple(source: Sequence) -> tuple:
    """A MySQL row (SOURCE_COLUMNS order, without `deleted`) as a store tuple (STORE_COLUMNS order).

    Amounts arrive as Decimal (MySQL DECIMAL) or exact text (the SQLite stand-in); dates as date or text.
    """
    booking_date = str(source[7])
    return (
        source[0],
        source[1],
        source[2],
        to_e4(Decimal(source[3]) if not isinstance(source[3], Decimal) else source[3]),
        source[4],
        source[5],
        source[6],
        booking_date,
        booking_date[:7],
        source[8],
        source[9],
        source[10],
        source[11],
    )


def change_from_source(source: Sequence) -> Change:
    return Change(StoreRow(*store_tuple(source)), bool(source[12]))


def budget_tuple(source: Sequence) -> tuple:
    """A MySQL budget row (BUDGET_SOURCE_COLUMNS order) as the store's budgets row."""
    amount = source[3] if isinstance(source[3], Decimal) else Decimal(source[3])
    return (source[0], source[1], source[2], to_e4(amount), source[4], source[5], source[6])


@dataclass
class Plan:
    """What one page of changes does to the store."""

    upserts: list[StoreRow] = field(default_factory=list)
    deletes: list[tuple[str, str]] = field(default_factory=list)
    totals: dict[TotalsKey, list[int]] = field(default_factory=dict)  # key -> [income_e4, expense_e4, count]
    live_delta: int = 0  # change in the number of live transactions
    applied: int = 0  # changes that altered the store
    skipped: int = 0  # changes the store already reflects (redo after a rebuild), or deletions of unseen rows

    def _contribute(self, row: StoreRow, sign: int) -> None:
        delta = self.totals.setdefault(row.totals_key, [0, 0, 0])
        delta[0 if row.type == "income" else 1] += sign * row.amount_e4
        delta[2] += sign

    def changed_totals(self) -> list[tuple[TotalsKey, list[int]]]:
        """Totals deltas that are not all zero (an edit of the description moves nothing)."""
        return [(k, d) for k, d in self.totals.items() if any(d)]


def plan_page(changes: Iterable[Change], existing: Mapping[tuple[str, str], StoreRow]) -> Plan:
    """Subtract each old version's contribution, add the new one's; skip what the store already has.

    `existing` holds the store's current rows for the page's keys. A key appears at most once per page
    (MySQL's primary key), so each change is planned against the store as it was before the page.
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
