"""The analyzer's administrator reports: totals across users, activity, and how far the store lags.

They read every user: from the store itself, or from every file of a published snapshot (snapshot.store_parts),
each file with the condition that picks the users read from it. Every user is counted in exactly one file, so the
sums, and the distinct users, of the files add up.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from shared.adapters.analytics.reports import QueryContext, current_month, totals
from shared.adapters.analytics.snapshot import freshness, store_parts
from shared.domain.calendar import month_window
from shared.domain.report_params import MonthParams, MonthsParams, NoParams
from shared.problems import Problem


def _across(ctx: QueryContext, sql: str, params: tuple) -> list[tuple]:
    """The rows of `sql` (with `{users}` where the condition on user_id goes) over every part of the store."""
    rows: list[tuple] = []
    for conn, users in store_parts(ctx.store or ctx.conn):
        rows += [tuple(r) for r in conn.execute(sql.format(users=users), params)]
    return rows


def _add(rows: list[tuple], width: int) -> dict[Any, list[int]]:
    """Sum the numbers after the first column, per value of the first column."""
    out: dict[Any, list[int]] = {}
    for key, *numbers in rows:
        acc = out.setdefault(key, [0] * width)
        for i, n in enumerate(numbers):
            acc[i] += n or 0
    return out


def all_users_summary(ctx: QueryContext, p: MonthParams) -> dict[str, Any]:
    by_currency = _add(
        _across(
            ctx,
            "SELECT currency, SUM(income_e4), SUM(expense_e4), SUM(transactions), COUNT(DISTINCT user_id) "
            "FROM monthly_totals WHERE month = ? AND count > 0{users} GROUP BY currency",
            (p.month,),
        ),
        4,
    )
    users = _across(
        ctx, "SELECT COUNT(DISTINCT user_id) FROM monthly_totals WHERE month = ? AND count > 0{users}", (p.month,)
    )
    currencies = {
        c: {**totals(income, expense, n, c), "users": people}
        for c, (income, expense, n, people) in sorted(by_currency.items())
    }
    return {"month": p.month, "users": sum(n for (n,) in users), "currencies": currencies}


def active_users(ctx: QueryContext, p: MonthsParams) -> dict[str, Any]:
    window = month_window(p.until or current_month(ctx), p.months)
    counts = _add(
        _across(
            ctx,
            "SELECT month, COUNT(DISTINCT user_id) FROM monthly_totals "
            "WHERE month BETWEEN ? AND ? AND count > 0{users} GROUP BY month",
            (window[0], window[-1]),
        ),
        1,
    )
    distinct = _across(
        ctx,
        "SELECT COUNT(DISTINCT user_id) FROM monthly_totals WHERE month BETWEEN ? AND ? AND count > 0{users}",
        (window[0], window[-1]),
    )
    return {
        "months": [{"month": m, "active_users": counts.get(m, [0])[0]} for m in window],
        "distinct_users": sum(n for (n,) in distinct),
    }


def lag(ctx: QueryContext, p: NoParams) -> dict[str, Any]:  # noqa: ARG001 - every query takes its params
    if ctx.source_head is None:
        raise Problem(503, "The system of record is not reachable from here, so the lag cannot be measured.")
    fresh = freshness(ctx.conn)
    head = ctx.source_head(fresh["watermark"])
    age = None
    if fresh["synced_at"]:
        synced = dt.datetime.fromisoformat(fresh["synced_at"])
        synced = synced if synced.tzinfo else synced.replace(tzinfo=dt.UTC)
        age = round((ctx.now - synced).total_seconds(), 3)
    return {
        "store_watermark": fresh["watermark"],
        "source_change_seq": head.change_seq,
        "changes_behind": max(0, head.change_seq - fresh["watermark"]),
        "rows_behind": head.pending_rows,
        "synced_at": fresh["synced_at"],
        "rebuilt_at": fresh["rebuilt_at"],
        "rebuild_reason": fresh["rebuild_reason"],
        "seconds_since_sync": age,
    }
