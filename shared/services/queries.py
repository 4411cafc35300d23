"""The analyzer's catalogue of reports, and answering one for a verified caller: one implementation behind
HTTP, Kafka and the CLI. Each report is a name, its params model, a function over the analytics store, and
whether it needs the admin role."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from shared.adapters.analytics import admin_reports, budget_report, listings, networth, reports
from shared.adapters.analytics.reports import QueryContext
from shared.adapters.analytics.snapshot import freshness, open_reader, read_snapshot
from shared.adapters.mysql.source import SourceHead
from shared.domain.report_params import (
    MonthParams,
    MonthReport,
    MonthsParams,
    MonthsReport,
    NoParams,
    Params,
    PeriodReport,
    SearchParams,
    TopParams,
)
from shared.problems import Problem, invalid

_NOT_BUILT = "The analytics store is not built yet: the processor has not synced."


@dataclass(frozen=True)
class Query:
    name: str
    summary: str
    params: type[Params]
    run: Callable[[QueryContext, Any], dict[str, Any]]
    admin_only: bool = False


REGISTRY: dict[str, Query] = {
    q.name: q
    for q in (
        Query(
            "monthly-summary", "Income, expense and net per currency for a month", MonthReport, reports.monthly_summary
        ),
        Query(
            "category-breakdown",
            "Income and expense per category over a period",
            PeriodReport,
            reports.category_breakdown,
        ),
        Query(
            "budget-status", "Each budget of a month against what was spent", MonthReport, budget_report.budget_status
        ),
        Query("trend", "Monthly totals over the last N months", MonthsReport, reports.trend),
        Query("top", "Largest transactions and top categories over a period", TopParams, listings.top),
        Query("search", "Your transactions in the store, filtered, newest first", SearchParams, listings.search),
        Query(
            "net-worth",
            "Month-end balances of your accounts per currency, assets and liabilities apart",
            MonthsReport,
            networth.net_worth,
        ),
        Query(
            "all-users-summary",
            "Totals across all users for a month",
            MonthParams,
            admin_reports.all_users_summary,
            True,
        ),
        Query("active-users", "Users with transactions, per month", MonthsParams, admin_reports.active_users, True),
        Query("lag", "How far the analytics store lags behind MySQL", NoParams, admin_reports.lag, True),
    )
}


def lookup(name: str, *, is_admin: bool) -> Query:
    """The query by name, or a 404/403 Problem; admin powers come from a verified token only."""
    query = REGISTRY.get(name)
    if query is None:
        raise Problem(404, f"No query named {name!r}; the queries are: {', '.join(REGISTRY)}.")
    if query.admin_only and not is_admin:
        raise Problem(403, f"{name} is for administrators: the token lacks the admin app role.")
    return query


def validate(query: Query, raw: object) -> Params:
    """Params from any transport (query string or JSON object), checked by the query's model, or 422."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise Problem(422, "params must be an object of name -> value")
    try:
        return query.params.model_validate(raw)
    except ValidationError as exc:
        raise invalid(exc.errors(include_url=False), what="The query", whole="params") from None


def answer(
    name: str,
    raw_params: object,
    *,
    user_id: str,
    is_admin: bool,
    store_path: str,
    source_head: Callable[[int], SourceHead] | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Run a query for a verified caller against one consistent snapshot of the store."""
    query = lookup(name, is_admin=is_admin)
    params = validate(query, raw_params)
    try:
        conn = open_reader(store_path)
    except (FileNotFoundError, sqlite3.OperationalError):
        raise Problem(503, _NOT_BUILT) from None
    try:
        with read_snapshot(conn):
            ctx = QueryContext(conn, user_id, now or dt.datetime.now(dt.UTC), source_head)
            result = query.run(ctx, params)
            fresh = freshness(conn)
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            raise Problem(503, _NOT_BUILT) from None
        raise
    finally:
        conn.close()
    return {
        "query": name,
        "params": params.echo(),
        "freshness": {"watermark": fresh["watermark"], "synced_at": fresh["synced_at"]},
        "data": result,
    }
