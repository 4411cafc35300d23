"""Balances, exactly: an account's balance is its opening balance plus its signed entries, and net worth is the
sum of month-end balances per currency, assets and liabilities apart.

Signs: income +, expense −, transfer in +, transfer out −, and what is owed is negative (a credit card with
200.00 spent on it has balance -200.00), so net worth is assets + liabilities.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import accumulate
from typing import Any

from shared.domain.accounts import Account, NewTransfer
from shared.domain.calendar import month_of
from shared.domain.money import format_amount
from shared.domain.transactions import Kind


@dataclass(frozen=True, slots=True)
class Entry:
    """One signed movement of one account."""

    account_id: str
    day: dt.date
    amount: Decimal


def signed(kind: Kind, amount: Decimal) -> Decimal:
    """A transaction's effect on its account's balance."""
    return amount if kind is Kind.income else -amount


def transfer_entries(transfer: NewTransfer) -> tuple[Entry, Entry]:
    """A transfer's two movements: out of one account in its currency, into the other in its own."""
    return (
        Entry(str(transfer.from_account), transfer.date, -transfer.amount),
        Entry(str(transfer.to_account), transfer.date, transfer.arriving()),
    )


def balance(opening: Decimal, amounts: Iterable[Decimal]) -> Decimal:
    """The opening balance plus every signed amount (Decimal addition is exact at these sizes)."""
    return sum(amounts, opening)


def running_balances(start: Decimal, amounts: Iterable[Decimal]) -> list[Decimal]:
    """The balance after each amount, in the listing's order; `start` is the balance before the first one."""
    return list(accumulate(amounts, initial=start))[1:]


def monthly_changes(entries: Iterable[Entry]) -> dict[str, dict[str, Decimal]]:
    """Each account's net movement per month (account id → month → sum): what the analytics store keeps."""
    changes: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for entry in entries:
        changes[entry.account_id][month_of(entry.day)] += entry.amount
    return {account: dict(months) for account, months in changes.items()}


def month_end_balances(account: Account, changes: Mapping[str, Decimal], months: Sequence[str]) -> dict[str, Decimal]:
    """The account's balance at the end of each of `months` from the one it opened in; `changes` is by month."""
    opened = month_of(account.opening_date)
    moves = sorted(changes.items())
    balances: dict[str, Decimal] = {}
    running, taken = account.opening_balance, 0
    for month in sorted(months):
        while taken < len(moves) and moves[taken][0] <= month:
            running += moves[taken][1]
            taken += 1
        if month >= opened:
            balances[month] = running
    return balances


@dataclass(frozen=True, slots=True)
class Position:
    """Month-end balances of one currency: assets and liabilities apart (liabilities are usually negative)."""

    assets: Decimal
    liabilities: Decimal

    @property
    def net(self) -> Decimal:
        return self.assets + self.liabilities

    def to_json(self, currency: str) -> dict[str, Any]:
        return {
            "assets": format_amount(self.assets, currency),
            "liabilities": format_amount(self.liabilities, currency),
            "net": format_amount(self.net, currency),
        }


def net_worth(
    accounts: Iterable[Account], changes: Mapping[str, Mapping[str, Decimal]], months: Sequence[str]
) -> dict[str, dict[str, Position]]:
    """Month → currency → Position, over the accounts open by each month's end (closed ones keep counting)."""
    sums: dict[str, dict[str, list[Decimal]]] = {month: {} for month in months}
    for account in accounts:
        ends = month_end_balances(account, changes.get(account.id, {}), months)
        for month, amount in ends.items():
            pair = sums[month].setdefault(account.currency, [Decimal(0), Decimal(0)])
            pair[1 if account.type.is_liability else 0] += amount
    return {month: {currency: Position(*sums[month][currency]) for currency in sorted(sums[month])} for month in months}
