"""The analyzer's queries: one implementation behind Kafka, HTTP and the CLI.

Each query is a name, a params model (validated at the edge, the same for every transport), a function of
(context, params) returning a JSON-ready dict, and whether it needs the admin role. Reads are scoped to
`QueryContext.user_id`, which only ever comes from a verified token; no params model has a user field.
Amounts leave as decimal strings with the currency's minor units.
"""

from __future__ import annotations

import base64
import datetime as dt
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from shared.adapters.analytics.schema import SCALE, from_e4
from shared.adapters.analytics.snapshot import freshness, open_reader, read_snapshot
from shared.domain.money import MAX_AMOUNT, format_amount
from shared.domain.transactions import FIRST_DATE, LAST_DATE, MONTH_RE

SHARE = Decimal("0.0001")
MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"  # what MONTH_RE accepts, for the document
YEARS_PATTERN = r"^(19|2[0-9])[0-9]{2}-"  # FIRST_DATE to LAST_DATE, for the document
_TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 413: "Content Too Large"}
_TITLES |= {422: "Unprocessable Content"}
_TITLES |= {500: "Internal Server Error", 503: "Service Unavailable"}


class QueryError(Exception):
    """A query that cannot be answered, with a status and a message a person can act on."""

    def __init__(self, status: int, detail: str, *, errors: list[dict[str, str]] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.title = _TITLES.get(status, "Error")
        self.detail = detail
        self.errors = errors

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status, "title": self.title, "detail": self.detail}
        if self.errors:
            out["errors"] = self.errors
        return out


@dataclass(frozen=True)
class SourceHead:
    """Where MySQL stands: its newest change_seq and how many rows changed after a watermark."""

    change_seq: int
    pending_rows: int


@dataclass(frozen=True)
class QueryContext:
    conn: sqlite3.Connection
    user_id: str
    now: dt.datetime
    source_head: Callable[[int], SourceHead] | None = None  # MySQL, for `lag` only


# -- params ---------------------------------------------------------------------------------------------


def _check_month(value: object) -> str:
    if not isinstance(value, str) or not MONTH_RE.match(value):
        raise ValueError("must be a month written YYYY-MM, e.g. 2026-11")
    return value


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def echo(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class NoParams(_Params):
    pass


class MonthParams(_Params):
    month: str = Field(json_schema_extra={"pattern": MONTH_PATTERN})

    @field_validator("month", mode="before")
    @classmethod
    def _month(cls, value: object) -> str:
        return _check_month(value)


class PeriodParams(_Params):
    # Bounded like booking dates: a period reaching year 1 or 9999 has no month before or after it.
    start: dt.date = Field(alias="from", ge=FIRST_DATE, le=LAST_DATE, json_schema_extra={"pattern": YEARS_PATTERN})
    end: dt.date = Field(alias="to", ge=FIRST_DATE, le=LAST_DATE, json_schema_extra={"pattern": YEARS_PATTERN})

    @model_validator(mode="after")
    def _ordered(self) -> PeriodParams:
        if self.end < self.start:
            raise ValueError("'to' must not be before 'from'")
        return self


class MonthsParams(_Params):
    months: int = Field(12, ge=1, le=120)
    until: str | None = Field(None, json_schema_extra={"pattern": MONTH_PATTERN})  # None: the current month

    @field_validator("until", mode="before")
    @classmethod
    def _until(cls, value: object) -> str | None:
        return None if value is None else _check_month(value)


class TopParams(PeriodParams):
    limit: int = Field(10, ge=1, le=100)
    type: Literal["income", "expense"] = "expense"


class SearchParams(_Params):
    start: dt.date | None = Field(None, alias="from")
    end: dt.date | None = Field(None, alias="to")
    category: str | None = Field(None, min_length=1, max_length=64)
    type: Literal["income", "expense"] | None = None
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    # Bounded like every stored amount, so the bound fits an SQLite integer at the store's scale.
    min_amount: Decimal | None = Field(None, ge=0, le=MAX_AMOUNT, allow_inf_nan=False)
    max_amount: Decimal | None = Field(None, ge=0, le=MAX_AMOUNT, allow_inf_nan=False)
    q: str | None = Field(None, min_length=1, max_length=100, description="text in the description")
    tag: str | None = Field(None, min_length=1, max_length=32)
    cursor: str | None = Field(None, max_length=512)
    limit: int = Field(50, ge=1, le=500)


# -- helpers --------------------------------------------------------------------------------------------


def _money(e4: int, currency: str) -> str:
    return format_amount(from_e4(e4), currency)


def _share(part: int, whole: int) -> str | None:
    return str((Decimal(part) / Decimal(whole)).quantize(SHARE, ROUND_HALF_EVEN)) if whole else None


def _totals(income: int, expense: int, count: int, currency: str) -> dict[str, Any]:
    return {
        "income": _money(income, currency),
        "expense": _money(expense, currency),
        "net": _money(income - expense, currency),
        "transactions": count,
    }


def month_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def shift_month(month: str, delta: int) -> str:
    index = int(month[:4]) * 12 + int(month[5:]) - 1 + delta
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_window(until: str, months: int) -> list[str]:
    """The `months` months ending with `until`, oldest first."""
    return [shift_month(until, -i) for i in range(months - 1, -1, -1)]


def split_period(start: dt.date, end: dt.date) -> tuple[tuple[str, str] | None, list[tuple[dt.date, dt.date]]]:
    """Whole months of [start, end] (answered from monthly_totals) and the partial days at either edge."""
    first_full = start if start.day == 1 else (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    next_day = end + dt.timedelta(days=1)
    last_full = end if next_day.day == 1 else end.replace(day=1) - dt.timedelta(days=1)
    if first_full > last_full:
        return None, [(start, end)]
    edges = []
    if start < first_full:
        edges.append((start, first_full - dt.timedelta(days=1)))
    if last_full < end:
        edges.append((last_full + dt.timedelta(days=1), end))
    return (month_of(first_full), month_of(last_full)), edges


def _by_currency(rows) -> dict[str, dict[str, Any]]:
    return {r["currency"]: _totals(r["income"], r["expense"], r["n"], r["currency"]) for r in rows}


def _current_month(ctx: QueryContext) -> str:
    return month_of(ctx.now.date())


# -- user queries ---------------------------------------------------------------------------------------


def monthly_summary(ctx: QueryContext, p: MonthParams) -> dict[str, Any]:
    rows = ctx.conn.execute(
        "SELECT currency, SUM(income_e4) AS income, SUM(expense_e4) AS expense, SUM(count) AS n "
        "FROM monthly_totals WHERE user_id = ? AND month = ? GROUP BY currency HAVING SUM(count) > 0 "
        "ORDER BY currency",
        (ctx.user_id, p.month),
    ).fetchall()
    return {"month": p.month, "currencies": _by_currency(rows)}


def _category_sums(ctx: QueryContext, user_id: str, start: dt.date, end: dt.date) -> dict[tuple[str, str], list[int]]:
    """(category, currency) -> [income_e4, expense_e4, count] over [start, end], exact."""
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
                "FROM transactions WHERE user_id = ? AND booking_date BETWEEN ? AND ? GROUP BY category, currency",
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
                **_totals(income, expense, n, currency),
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
                "budget": _money(b["budget"], b["currency"]),
                "spent": _money(b["spent"], b["currency"]),
                "remaining": _money(b["budget"] - b["spent"], b["currency"]),
                "share_used": _share(b["spent"], b["budget"]),
                "over_budget": b["spent"] > b["budget"],
            }
            for b in budgets
        ],
        # Expenses no budget covers (another category, or another currency than the category's budget).
        "unbudgeted": [
            {"category": s["category"], "currency": s["currency"], "spent": _money(s["spent"], s["currency"])}
            for s in spending
            if (s["category"], s["currency"]) not in budgeted
        ],
    }


def trend(ctx: QueryContext, p: MonthsParams) -> dict[str, Any]:
    window = month_window(p.until or _current_month(ctx), p.months)
    rows = ctx.conn.execute(
        "SELECT month, currency, SUM(income_e4) AS income, SUM(expense_e4) AS expense, SUM(count) AS n "
        "FROM monthly_totals WHERE user_id = ? AND month BETWEEN ? AND ? "
        "GROUP BY month, currency HAVING SUM(count) > 0 ORDER BY month, currency",
        (ctx.user_id, window[0], window[-1]),
    ).fetchall()
    by_month: dict[str, dict[str, Any]] = {m: {} for m in window}
    for r in rows:
        by_month[r["month"]][r["currency"]] = _totals(r["income"], r["expense"], r["n"], r["currency"])
    return {"months": [{"month": m, "currencies": by_month[m]} for m in window]}


def _item(r) -> dict[str, Any]:
    return {
        "id": r["id"],
        "type": r["type"],
        "amount": _money(r["amount_e4"], r["currency"]),
        "currency": r["currency"],
        "category": r["category"],
        "description": r["description"],
        "date": r["booking_date"],
        "tags": orjson.loads(r["tags"]),
        "version": r["version"],
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
            cats.append({"category": category, "amount": _money(amount, currency)})
    return {"from": p.start.isoformat(), "to": p.end.isoformat(), "type": p.type, "currencies": out}


def _encode_cursor(r) -> str:
    raw = orjson.dumps([r["booking_date"], r["recorded_at"], r["id"]])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[str, int, str]:
    try:
        d, rec, tid = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return dt.date.fromisoformat(d).isoformat(), int(rec), str(tid)
    except (ValueError, TypeError, orjson.JSONDecodeError):
        raise QueryError(400, "cursor is not one this service handed out; start again without it") from None


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
        d, rec, tid = _decode_cursor(p.cursor)
        where.append("(booking_date, recorded_at, id) < (?, ?, ?)")
        args += [d, rec, tid]
    rows = ctx.conn.execute(
        f"SELECT {_ITEM_COLUMNS} FROM transactions WHERE {' AND '.join(where)} "
        "ORDER BY booking_date DESC, recorded_at DESC, id DESC LIMIT ?",
        (*args, p.limit + 1),
    ).fetchall()
    more = len(rows) > p.limit
    rows = rows[: p.limit]
    return {"items": [_item(r) for r in rows], "next_cursor": _encode_cursor(rows[-1]) if more else None}


# -- admin queries --------------------------------------------------------------------------------------


def all_users_summary(ctx: QueryContext, p: MonthParams) -> dict[str, Any]:
    rows = ctx.conn.execute(
        "SELECT currency, SUM(income_e4) AS income, SUM(expense_e4) AS expense, SUM(count) AS n, "
        "COUNT(DISTINCT user_id) AS users FROM monthly_totals WHERE month = ? AND count > 0 "
        "GROUP BY currency ORDER BY currency",
        (p.month,),
    ).fetchall()
    users = ctx.conn.execute(
        "SELECT COUNT(DISTINCT user_id) FROM monthly_totals WHERE month = ? AND count > 0", (p.month,)
    ).fetchone()[0]
    currencies = {r["currency"]: {**_totals(r["income"], r["expense"], r["n"], r["currency"]), "users": r["users"]}
                  for r in rows}  # fmt: skip
    return {"month": p.month, "users": users, "currencies": currencies}


def active_users(ctx: QueryContext, p: MonthsParams) -> dict[str, Any]:
    window = month_window(p.until or _current_month(ctx), p.months)
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
        raise QueryError(503, "The system of record is not reachable from here, so the lag cannot be measured.")
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
        "seconds_since_sync": age,
    }


# -- the registry ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    name: str
    summary: str
    params: type[_Params]
    run: Callable[[QueryContext, Any], dict[str, Any]]
    admin_only: bool = False


REGISTRY: dict[str, Query] = {
    q.name: q
    for q in (
        Query("monthly-summary", "Income, expense and net per currency for a month", MonthParams, monthly_summary),
        Query("category-breakdown", "Income and expense per category over a period", PeriodParams, category_breakdown),
        Query("budget-status", "Each budget of a month against what was spent", MonthParams, budget_status),
        Query("trend", "Monthly totals over the last N months", MonthsParams, trend),
        Query("top", "Largest transactions and top categories over a period", TopParams, top),
        Query("search", "Your transactions in the store, filtered, newest first", SearchParams, search),
        Query("all-users-summary", "Totals across all users for a month", MonthParams, all_users_summary, True),
        Query("active-users", "Users with transactions, per month", MonthsParams, active_users, True),
        Query("lag", "How far the analytics store lags behind MySQL", NoParams, lag, True),
    )
}


def lookup(name: str, *, is_admin: bool) -> Query:
    """The query by name, or QueryError 404/403; admin powers come from a verified token only."""
    query = REGISTRY.get(name)
    if query is None:
        raise QueryError(404, f"No query named {name!r}; the queries are: {', '.join(REGISTRY)}.")
    if query.admin_only and not is_admin:
        raise QueryError(403, f"{name} is for administrators: the token lacks the admin app role.")
    return query


def validate(query: Query, raw: object) -> _Params:
    """Params from any transport (query string or JSON object), checked by the query's model, or 422."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise QueryError(422, "params must be an object of name -> value")
    try:
        return query.params.model_validate(raw)
    except ValidationError as exc:
        errors = [
            {"field": ".".join(str(x) for x in e["loc"]) or "params", "message": e["msg"].removeprefix("Value error, ")}
            for e in exc.errors(include_url=False)
        ]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        raise QueryError(422, f"The query has invalid params: {detail}", errors=errors) from None


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
        raise QueryError(503, "The analytics store is not built yet: the processor has not synced.") from None
    try:
        with read_snapshot(conn):
            ctx = QueryContext(conn, user_id, now or dt.datetime.now(dt.UTC), source_head)
            result = query.run(ctx, params)
            fresh = freshness(conn)
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            raise QueryError(503, "The analytics store is not built yet: the processor has not synced.") from None
        raise
    finally:
        conn.close()
    return {
        "query": name,
        "params": params.echo(),
        "freshness": {"watermark": fresh["watermark"], "synced_at": fresh["synced_at"]},
        "data": result,
    }
