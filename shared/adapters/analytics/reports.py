"""The analyzer's user reports: SQL over the analytics store, scoped to the caller, amounts exact.

Each report is a function of (context, params) returning a JSON-ready dict; amounts leave as decimal strings with
the currency's minor units. `QueryContext.user_id` only ever comes from a verified token. With a currency to
convert to (`convert_to`, else the user's home currency) each total also carries `converted` (conversion.py).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING, Any

from shared.adapters.analytics.conversion import conversion, grouped, parts
from shared.adapters.analytics.schema import from_e4
from shared.adapters.analytics.snapshot import user_connection
from shared.domain.calendar import month_end, month_of, month_window, split_period
from shared.domain.money import format_amount
from shared.domain.report_params import MonthReport, MonthsReport, PeriodReport

if TYPE_CHECKING:
    from shared.adapters.mysql.source import SourceHead

SHARE = Decimal("0.0001")


@dataclass(frozen=True)
class QueryContext:
    """`conn` is what the caller's reports read: given the root of a published snapshot, the file that holds the
    caller; `store` stays the whole, for the administrators' reports (snapshot.store_parts)."""

    conn: sqlite3.Connection
    user_id: str
    now: dt.datetime
    source_head: Callable[[int], SourceHead] | None = None  # MySQL, for `lag` only
    store: sqlite3.Connection | None = None

    def __post_init__(self) -> None:
        if self.store is None:
            object.__setattr__(self, "store", self.conn)
            object.__setattr__(self, "conn", user_connection(self.conn, self.user_id))


# -- helpers --------------------------------------------------------------------------------------------


def money(e4: int, currency: str) -> str:
    return format_amount(from_e4(e4), currency)


def share(part: int, whole: int) -> str | None:
    return str((Decimal(part) / Decimal(whole)).quantize(SHARE, ROUND_HALF_EVEN)) if whole else None


def totals(income: int, expense: int, count: int, currency: str) -> dict[str, Any]:
    return {
        "income": money(income, currency),
        "expense": money(expense, currency),
        "net": money(income - expense, currency),
        "transactions": count,
    }


def _by_currency(rows) -> dict[str, dict[str, Any]]:
    return {r["currency"]: totals(r["income"], r["expense"], r["n"], r["currency"]) for r in rows}


def current_month(ctx: QueryContext) -> str:
    return month_of(ctx.now.date())


# -- user queries ---------------------------------------------------------------------------------------


def month_start(month: str) -> dt.date:
    return dt.date.fromisoformat(f"{month}-01")


def monthly_summary(ctx: QueryContext, p: MonthReport) -> dict[str, Any]:
    rows = ctx.conn.execute(
        "SELECT currency, SUM(income_e4) AS income, SUM(expense_e4) AS expense, SUM(transactions) AS n "
        "FROM monthly_totals WHERE user_id = ? AND month = ? GROUP BY currency HAVING SUM(count) > 0 "
        "ORDER BY currency",
        (ctx.user_id, p.month),
    ).fetchall()
    data = {"month": p.month, "currencies": _by_currency(rows)}
    if conv := conversion(ctx.conn, ctx.user_id, p.convert_to):
        by_currency = grouped(month_parts := parts(ctx.conn, ctx.user_id, month_start(p.month), month_end(p.month)))
        for currency, entry in data["currencies"].items():
            entry["converted"] = conv.flows(by_currency.get(currency, []))
        data["converted"] = conv.flows(month_parts)
    return data


def category_sums(ctx: QueryContext, user_id: str, start: dt.date, end: dt.date) -> dict[tuple[str, str], list[int]]:
    """(category, currency) -> [income_e4, expense_e4, parts] over [start, end], exact: each split under its own
    category; the whole months from the monthly totals, the days at either edge from the parts themselves."""
    sums: dict[tuple[str, str], list[int]] = {}

    def add(rows) -> None:
        for r in rows:
            acc = sums.setdefault((r["category"], r["currency"]), [0, 0, 0])
            acc[0] += r["income"]
            acc[1] += r["expense"]
            acc[2] += r["n"]

    months, edges = split_period(start, end)
    if months:
        add(
            ctx.conn.execute(
                "SELECT category, currency, SUM(income_e4) AS income, SUM(expense_e4) AS expense, SUM(count) AS n "
                "FROM monthly_totals WHERE user_id = ? AND month BETWEEN ? AND ? GROUP BY category, currency",
                (user_id, *months),
            )
        )
    for lo, hi in edges:
        add(
            ctx.conn.execute(
                "SELECT category, currency, "
                "SUM(CASE WHEN type = 'income' THEN amount_e4 ELSE 0 END) AS income, "
                "SUM(CASE WHEN type = 'expense' THEN amount_e4 ELSE 0 END) AS expense, COUNT(*) AS n "
                "FROM transaction_parts WHERE user_id = ? AND booking_date BETWEEN ? AND ? GROUP BY category, currency",
                (user_id, lo.isoformat(), hi.isoformat()),
            )
        )
    return {k: v for k, v in sums.items() if v[2] > 0}


def category_breakdown(ctx: QueryContext, p: PeriodReport) -> dict[str, Any]:
    sums = category_sums(ctx, ctx.user_id, p.start, p.end)
    expense_by_currency: dict[str, int] = {}
    for (_, currency), (_, expense, _) in sums.items():
        expense_by_currency[currency] = expense_by_currency.get(currency, 0) + expense
    ordered = sorted(sums.items(), key=lambda kv: (kv[0][1], -kv[1][1], -kv[1][0], kv[0][0]))
    data = {
        "from": p.start.isoformat(),
        "to": p.end.isoformat(),
        "categories": [
            {
                "category": category,
                "currency": currency,
                **totals(income, expense, n, currency),
                "share_of_expense": share(expense, expense_by_currency[currency]),
            }
            for (category, currency), (income, expense, n) in ordered
        ],
    }
    if conv := conversion(ctx.conn, ctx.user_id, p.convert_to):
        period = parts(ctx.conn, ctx.user_id, p.start, p.end)
        by_category = grouped(period, lambda x: (x.category, x.currency))
        for row in data["categories"]:
            row["converted"] = conv.flows(by_category.get((row["category"], row["currency"]), []))
        data["converted"] = conv.flows(period)
    return data


def trend(ctx: QueryContext, p: MonthsReport) -> dict[str, Any]:
    window = month_window(p.until or current_month(ctx), p.months)
    rows = ctx.conn.execute(
        "SELECT month, currency, SUM(income_e4) AS income, SUM(expense_e4) AS expense, SUM(transactions) AS n "
        "FROM monthly_totals WHERE user_id = ? AND month BETWEEN ? AND ? "
        "GROUP BY month, currency HAVING SUM(count) > 0 ORDER BY month, currency",
        (ctx.user_id, window[0], window[-1]),
    ).fetchall()
    by_month: dict[str, dict[str, Any]] = {m: {} for m in window}
    for r in rows:
        by_month[r["month"]][r["currency"]] = totals(r["income"], r["expense"], r["n"], r["currency"])
    data = {"months": [{"month": m, "currencies": by_month[m]} for m in window]}
    if conv := conversion(ctx.conn, ctx.user_id, p.convert_to):
        window_parts = parts(ctx.conn, ctx.user_id, month_start(window[0]), month_end(window[-1]))
        by_key = grouped(window_parts, lambda x: (x.month, x.currency))
        for entry in data["months"]:
            for currency, totals_ in entry["currencies"].items():
                totals_["converted"] = conv.flows(by_key.get((entry["month"], currency), []))
            entry["converted"] = conv.flows(x for x in window_parts if x.month == entry["month"])
    return data
