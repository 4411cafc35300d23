"""The analyzer's user reports: SQL over the analytics store, scoped to the caller, amounts exact.

Each report is a function of (context, params) returning a JSON-ready dict; amounts leave as decimal strings with
the currency's minor units. `QueryContext.user_id` only ever comes from a verified token.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING, Any

import orjson

from shared.adapters.analytics.schema import SCALE, from_e4
from shared.domain.calendar import month_of, month_window, split_period
from shared.domain.cursor import decode_cursor, encode_cursor
from shared.domain.ledger import etag
from shared.domain.money import format_amount
from shared.domain.report_params import MonthParams, MonthsParams, PeriodParams, SearchParams, TopParams

if TYPE_CHECKING:
    from shared.adapters.mysql.source import SourceHead

SHARE = Decimal("0.0001")


@dataclass(frozen=True)
class QueryContext:
    conn: sqlite3.Connection
    user_id: str
    now: dt.datetime
    source_head: Callable[[int], SourceHead] | None = None  # MySQL, for `lag` only


# -- helpers --------------------------------------------------------------------------------------------


def money(e4: int, currency: str) -> str:
    return format_amount(from_e4(e4), currency)


def _share(part: int, whole: int) -> str | None:
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


def monthly_summary(ctx: QueryContext, p: MonthParams) -> dict[str, Any]:
    rows = ctx.conn.execute(
        "SELECT currency, SUM(income_e4) AS income, SUM(expense_e4) AS expense, SUM(transactions) AS n "
        "FROM monthly_totals WHERE user_id = ? AND month = ? GROUP BY currency HAVING SUM(count) > 0 "
        "ORDER BY currency",
        (ctx.user_id, p.month),
    ).fetchall()
    return {"month": p.month, "currencies": _by_currency(rows)}


def _category_sums(ctx: QueryContext, user_id: str, start: dt.date, end: dt.date) -> dict[tuple[str, str], list[int]]:
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


def category_breakdown(ctx: QueryContext, p: PeriodParams) -> dict[str, Any]:
    sums = _category_sums(ctx, ctx.user_id, p.start, p.end)
    expense_by_currency: dict[str, int] = {}
    for (_, currency), (_, expense, _) in sums.items():
        expense_by_currency[currency] = expense_by_currency.get(currency, 0) + expense
    ordered = sorted(sums.items(), key=lambda kv: (kv[0][1], -kv[1][1], -kv[1][0], kv[0][0]))
    return {
        "from": p.start.isoformat(),
        "to": p.end.isoformat(),
        "categories": [
            {
                "category": category,
                "currency": currency,
                **totals(income, expense, n, currency),
                "share_of_expense": _share(expense, expense_by_currency[currency]),
            }
            for (category, currency), (income, expense, n) in ordered
        ],
    }


def budget_status(ctx: QueryContext, p: MonthParams) -> dict[str, Any]:
    budgets = ctx.conn.execute(
        "SELECT b.category, b.currency, b.amount_e4 AS budget, COALESCE(t.expense_e4, 0) AS spent "
        "FROM budgets AS b LEFT JOIN monthly_totals AS t ON t.user_id = b.user_id AND t.month = b.month "
        "AND t.category = b.category AND t.currency = b.currency "
        "WHERE b.user_id = ? AND b.month = ? ORDER BY b.category",
        (ctx.user_id, p.month),
    ).fetchall()
    budgeted = {(b["category"], b["currency"]) for b in budgets}
    spending = ctx.conn.execute(
        "SELECT category, currency, expense_e4 AS spent FROM monthly_totals "
        "WHERE user_id = ? AND month = ? AND expense_e4 > 0 ORDER BY category, currency",
        (ctx.user_id, p.month),
    ).fetchall()
    return {
        "month": p.month,
        "budgets": [
            {
                "category": b["category"],
                "currency": b["currency"],
                "budget": money(b["budget"], b["currency"]),
                "spent": money(b["spent"], b["currency"]),
                "remaining": money(b["budget"] - b["spent"], b["currency"]),
                "share_used": _share(b["spent"], b["budget"]),
                "over_budget": b["spent"] > b["budget"],
            }
            for b in budgets
        ],
        # Expenses no budget covers (another category, or another currency than the category's budget).
        "unbudgeted": [
            {"category": s["category"], "currency": s["currency"], "spent": money(s["spent"], s["currency"])}
            for s in spending
            if (s["category"], s["currency"]) not in budgeted
        ],
    }


def trend(ctx: QueryContext, p: MonthsParams) -> dict[str, Any]:
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
    return {"months": [{"month": m, "currencies": by_month[m]} for m in window]}


def _item(r) -> dict[str, Any]:
    return {
        "id": r["id"],
        "type": r["type"],
        "amount": money(r["amount_e4"], r["currency"]),
        "currency": r["currency"],
        "category": r["category"],
        "description": r["description"],
        "date": r["booking_date"],
        "tags": orjson.loads(r["tags"]),
        "version": r["version"],
        "etag": etag(r["version"]),  # as storage's listing: what If-Match sends back
    }


_ITEM_COLUMNS = "id, type, amount_e4, currency, category, description, booking_date, tags, version, recorded_at"


def top(ctx: QueryContext, p: TopParams) -> dict[str, Any]:
    """Per currency (amounts in different currencies do not compare): the largest transactions and categories."""
    rows = ctx.conn.execute(
        f"SELECT {_ITEM_COLUMNS} FROM (SELECT {_ITEM_COLUMNS}, ROW_NUMBER() OVER "
        "(PARTITION BY currency ORDER BY amount_e4 DESC, booking_date DESC, id) AS rank FROM transactions "
        "WHERE user_id = ? AND booking_date BETWEEN ? AND ? AND type = ?) WHERE rank <= ? "
        "ORDER BY currency, amount_e4 DESC, booking_date DESC, id",
        (ctx.user_id, p.start.isoformat(), p.end.isoformat(), p.type, p.limit),
    ).fetchall()
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        out.setdefault(r["currency"], {"largest": [], "categories": []})["largest"].append(_item(r))
    column = 0 if p.type == "income" else 1
    sums = _category_sums(ctx, ctx.user_id, p.start, p.end)
    ranked = sorted(
        ((currency, category, v[column]) for (category, currency), v in sums.items() if v[column] > 0),
        key=lambda t: (t[0], -t[2], t[1]),
    )
    for currency, category, amount in ranked:
        cats = out.setdefault(currency, {"largest": [], "categories": []})["categories"]
        if len(cats) < p.limit:
            cats.append({"category": category, "amount": money(amount, currency)})
    return {"from": p.start.isoformat(), "to": p.end.isoformat(), "type": p.type, "currencies": out}


def search(ctx: QueryContext, p: SearchParams) -> dict[str, Any]:
    """Newest first (booking date, then recording time), keyset-paginated on the store's listing index."""
    where, args = ["user_id = ?"], [ctx.user_id]
    for clause, value in (
        ("booking_date >= ?", p.start and p.start.isoformat()),
        ("booking_date <= ?", p.end and p.end.isoformat()),
        ("category = ?", p.category),
        ("type = ?", p.type),
        ("currency = ?", p.currency),
        ("amount_e4 >= ?", None if p.min_amount is None else int(p.min_amount * SCALE)),
        ("amount_e4 <= ?", None if p.max_amount is None else int(p.max_amount * SCALE)),
        ("instr(lower(coalesce(description, '')), ?) > 0", p.q and p.q.lower()),
        ("EXISTS (SELECT 1 FROM json_each(transactions.tags) WHERE value = ?)", p.tag),
    ):
        if value is not None:
            where.append(clause)
            args.append(value)
    if p.cursor:
        d, rec, tid = decode_cursor(p.cursor)
        where.append("(booking_date, recorded_at, id) < (?, ?, ?)")
        args += [d.isoformat(), rec, tid]
    rows = ctx.conn.execute(
        f"SELECT {_ITEM_COLUMNS} FROM transactions WHERE {' AND '.join(where)} "
        "ORDER BY booking_date DESC, recorded_at DESC, id DESC LIMIT ?",
        (*args, p.limit + 1),
    ).fetchall()
    more = len(rows) > p.limit
    rows = rows[: p.limit]
    last = rows[-1] if more else None
    cursor = encode_cursor(last["booking_date"], last["recorded_at"], last["id"]) if last else None
    return {"items": [_item(r) for r in rows], "next_cursor": cursor}
