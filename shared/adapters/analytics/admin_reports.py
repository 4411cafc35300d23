"""The analyzer's administrator reports: totals across users, activity, and how far the store lags."""

from __future__ import annotations

import datetime as dt
from typing import Any

from shared.adapters.analytics.reports import QueryContext, current_month, totals
from shared.adapters.analytics.snapshot import freshness
from shared.domain.calendar import month_window
from shared.domain.report_params import MonthParams, MonthsParams, NoParams
from shared.problems import Problem


def all_users_summary(ctx: QueryContext, p: MonthParams) -> dict[str, Any]:
    rows = ctx.conn.execute(
        "SELECT currency, SUM(income_e4) AS income, SUM(expense_e4) AS expense, SUM(transactions) AS n, "
        "COUNT(DISTINCT user_id) AS users FROM monthly_totals WHERE month = ? AND count > 0 "
        "GROUP BY currency ORDER BY currency",
        (p.month,),
    ).fetchall()
    users = ctx.conn.execute(
        "SELECT COUNT(DISTINCT user_id) FROM monthly_totals WHERE month = ? AND count > 0", (p.month,)
    ).fetchone()[0]
    currencies = {r["currency"]: {**totals(r["income"], r["expense"], r["n"], r["currency"]), "users": r["users"]}
                  for r in rows}  # fmt: skip
    return {"month": p.month, "users": users, "currencies": currencies}


def active_users(ctx: QueryContext, p: MonthsParams) -> dict[str, Any]:
    window = month_window(p.until or current_month(ctx), p.months)
    counts = dict(
        ctx.conn.execute(
            "SELECT month, COUNT(DISTINCT user_id) FROM monthly_totals "
            "WHERE month BETWEEN ? AND ? AND count > 0 GROUP BY month",
            (window[0], window[-1]),
        ).fetchall()
    )
    distinct = ctx.conn.execute(
        "SELECT COUNT(DISTINCT user_id) FROM monthly_totals WHERE month BETWEEN ? AND ? AND count > 0",
        (window[0], window[-1]),
    ).fetchone()[0]
    return {"months": [{"month": m, "active_users": counts.get(m, 0)} for m in window], "distinct_users": distinct}


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
