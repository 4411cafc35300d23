"""Pure rules of the sync for accounts, transfers, user settings and exchange rates: MySQL rows as store rows,
and what a page of transfers does to the accounts' months.

Accounts, settings and rates are copies, upserted when their change_seq is newer. A transfer moves two accounts
(out of one by `amount`, into the other by `to_amount`) and nothing else: it never enters the income and
expense totals.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import astuple, dataclass, field
from decimal import Decimal

from shared.adapters.analytics.changes import MonthKey, add_to_month, e4_of, nonzero
from shared.adapters.mysql.rates import rate_text

ACCOUNT_SOURCE_COLUMNS = "user_id, id, name, type, currency, opening_balance, opening_date, closed, version, change_seq"
SETTINGS_SOURCE_COLUMNS = "user_id, home_currency, version, change_seq"
RATE_SOURCE_COLUMNS = "currency, day, per_euro, source, change_seq"
TRANSFER_SOURCE_COLUMNS = (
    "user_id, id, from_account, to_account, amount, to_amount, from_currency, to_currency, booking_date, "
    "description, recorded_at, version, change_seq, deleted"
)
TRANSFER_STORE_COLUMNS = (
    "user_id, id, from_account, to_account, amount_e4, to_amount_e4, from_currency, to_currency, booking_date, "
    "month, description, recorded_at, version, change_seq"
)


def account_tuple(source: Sequence) -> tuple:
    """A MySQL account row (ACCOUNT_SOURCE_COLUMNS order) as the store's accounts row."""
    user_id, account_id, name, kind, currency, opening, opened, closed, version, seq = source
    return (user_id, account_id, name, kind, currency, e4_of(opening), str(opened), int(bool(closed)), version, seq)


def settings_tuple(source: Sequence) -> tuple:
    return tuple(source)


def rate_tuple(source: Sequence) -> tuple:
    """A MySQL rate row as the store's: the rate as exact text, one spelling per value ("169.3")."""
    currency, day, per_euro, origin, seq = source
    return (currency, str(day), rate_text(Decimal(str(per_euro))), origin, seq)


@dataclass(frozen=True, slots=True)
class TransferRow:
    """A live transfer as the store holds it."""

    user_id: str
    id: str
    from_account: str
    to_account: str
    amount_e4: int
    to_amount_e4: int
    from_currency: str
    to_currency: str
    booking_date: str
    month: str
    description: str | None
    recorded_at: int
    version: int
    change_seq: int

    @property
    def key(self) -> tuple[str, str]:
        return (self.user_id, self.id)

    def legs(self) -> tuple[tuple[MonthKey, int], tuple[MonthKey, int]]:
        """Out of one account in its currency, into the other in its own."""
        return (
            ((self.user_id, self.from_account, self.month), -self.amount_e4),
            ((self.user_id, self.to_account, self.month), self.to_amount_e4),
        )

    def as_tuple(self) -> tuple:
        return astuple(self)


def transfer_from_source(source: Sequence) -> tuple[TransferRow, bool]:
    """A MySQL transfer row (TRANSFER_SOURCE_COLUMNS order) and whether it is deleted."""
    day = str(source[8])
    row = TransferRow(
        *(source[0], source[1], source[2], source[3], e4_of(source[4]), e4_of(source[5]), source[6], source[7]),
        *(day, day[:7], source[9], source[10], source[11], source[12]),
    )
    return row, bool(source[13])


@dataclass
class TransferPlan:
    upserts: list[TransferRow] = field(default_factory=list)
    deletes: list[tuple[str, str]] = field(default_factory=list)
    months: dict[MonthKey, list[int]] = field(default_factory=dict)  # key -> [change_e4, entries]
    applied: int = 0
    skipped: int = 0

    def _contribute(self, row: TransferRow, sign: int) -> None:
        for key, amount_e4 in row.legs():
            add_to_month(self.months, key, amount_e4, sign)

    def changed_months(self) -> list[tuple[MonthKey, list[int]]]:
        return nonzero(self.months)


def plan_transfers(
    changes: Iterable[tuple[TransferRow, bool]], existing: Mapping[tuple[str, str], TransferRow]
) -> TransferPlan:
    """As for transactions: subtract the old version's legs, add the new one's; skip what the store has."""
    plan = TransferPlan()
    for new, deleted in changes:
        old = existing.get(new.key)
        if (old is not None and old.change_seq >= new.change_seq) or (old is None and deleted):
            plan.skipped += 1
            continue
        if old is not None:
            plan._contribute(old, -1)
        if deleted:
            plan.deletes.append(new.key)
        else:
            plan.upserts.append(new)
            plan._contribute(new, +1)
        plan.applied += 1
    return plan
