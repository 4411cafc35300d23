"""The `net-worth` report: for each month end, the sum of the caller's accounts' balances per currency, assets
and liabilities apart; converting, each account's month-end balance at the rate of that month's end.

Balances come from the accounts (opening balance and date) and `account_months` (each account's net movement per
month, transactions signed and both legs of transfers), through the phase-1 rules of shared/domain/balances.py.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from shared.adapters.analytics.conversion import Conversion, conversion, rate_day
from shared.adapters.analytics.reports import QueryContext, current_month
from shared.adapters.analytics.schema import from_e4
from shared.domain.accounts import Account, AccountType
from shared.domain.balances import month_end_balances
from shared.domain.balances import net_worth as positions
from shared.domain.calendar import month_end, month_window
from shared.domain.money import format_amount
from shared.domain.report_params import MonthsReport


def _accounts(ctx: QueryContext) -> list[Account]:
    rows = ctx.conn.execute(
        "SELECT id, name, type, currency, opening_balance_e4, opening_date, closed FROM accounts WHERE user_id = ?",
        (ctx.user_id,),
    )
    return [
        Account(i, name, AccountType(kind), currency, from_e4(opening), dt.date.fromisoformat(opened), bool(closed))
        for i, name, kind, currency, opening, opened, closed in rows
    ]


def _changes(ctx: QueryContext, last_month: str) -> dict[str, dict[str, Decimal]]:
    """account -> month -> net movement, for every month up to `last_month` (a balance sums them all)."""
    changes: dict[str, dict[str, Decimal]] = {}
    for account, month, change in ctx.conn.execute(
        "SELECT account_id, month, change_e4 FROM account_months WHERE user_id = ? AND month <= ?",
        (ctx.user_id, last_month),
    ):
        changes.setdefault(account, {})[month] = from_e4(change)
    return changes


def net_worth(ctx: QueryContext, p: MonthsReport) -> dict[str, Any]:
    window = month_window(p.until or current_month(ctx), p.months)
    accounts = _accounts(ctx)
    changes = _changes(ctx, window[-1])
    by_month = positions(accounts, changes, window)
    months = [
        {
            "month": month,
            "end": month_end(month).isoformat(),
            "currencies": {currency: position.to_json(currency) for currency, position in by_month[month].items()},
        }
        for month in window
    ]
    if conv := conversion(ctx.conn, ctx.user_id, p.convert_to):
        _convert(conv, months, accounts, changes, window, ctx.now.date())
    return {"months": months}


def _convert(
    conv: Conversion,
    months: list[dict[str, Any]],
    accounts: list[Account],
    changes: dict[str, dict[str, Decimal]],
    window: list[str],
    today: dt.date,
) -> None:
    """Each month: every account's month-end balance converted at the month end's rate, assets and liabilities
    apart; net is their sum, so it adds up to the last digit (or is null when either side lacks a rate)."""
    ends = {a.id: month_end_balances(a, changes.get(a.id, {}), window) for a in accounts}
    for entry in months:
        day = rate_day(month_end(entry["month"]), today)
        held = [(a, ends[a.id][entry["month"]]) for a in accounts if entry["month"] in ends[a.id]]
        out = conv.amounts(
            assets=[(balance, a.currency, day) for a, balance in held if not a.type.is_liability],
            liabilities=[(balance, a.currency, day) for a, balance in held if a.type.is_liability],
        )
        known = out["assets"] is not None and out["liabilities"] is not None
        net = Decimal(out["assets"]) + Decimal(out["liabilities"]) if known else None
        entry["converted"] = {
            "currency": out["currency"],
            "assets": out["assets"],
            "liabilities": out["liabilities"],
            "net": None if net is None else format_amount(net, conv.currency),
            "rate_dates": out["rate_dates"],
            "missing_rates": out["missing_rates"],
        }
