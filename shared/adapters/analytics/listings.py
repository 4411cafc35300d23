"""The analyzer's listings of single transactions: the largest ones (`top`) and a filtered search, each item
with its amount converted (at its own day's rate) when the report converts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson

from shared.adapters.analytics.conversion import Conversion, conversion, grouped, parts
from shared.adapters.analytics.reports import QueryContext, category_sums, money
from shared.adapters.analytics.schema import SCALE, from_e4
from shared.domain.cursor import decode_cursor, encode_cursor
from shared.domain.ledger import etag
from shared.domain.report_params import SearchParams, TopParams


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


def _items(rows, conv: Conversion | None) -> list[dict[str, Any]]:
    """Items as listed; converting, each with its amount at its own day's rate (a whole transaction, not a part)."""
    items = [_item(r) for r in rows]
    if conv is not None:
        for item, r in zip(items, rows, strict=True):
            day = dt.date.fromisoformat(r["booking_date"])
            item["converted"] = conv.amounts(amount=[(from_e4(r["amount_e4"]), r["currency"], day)])
    return items


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
    conv = conversion(ctx.conn, ctx.user_id, p.convert_to)
    out: dict[str, dict[str, Any]] = {}
    for r, item in zip(rows, _items(rows, conv), strict=True):
        out.setdefault(r["currency"], {"largest": [], "categories": []})["largest"].append(item)
    column = 0 if p.type == "income" else 1
    sums = category_sums(ctx, ctx.user_id, p.start, p.end)
    ranked = sorted(
        ((currency, category, v[column]) for (category, currency), v in sums.items() if v[column] > 0),
        key=lambda t: (t[0], -t[2], t[1]),
    )
    for currency, category, amount in ranked:
        cats = out.setdefault(currency, {"largest": [], "categories": []})["categories"]
        if len(cats) < p.limit:
            cats.append({"category": category, "amount": money(amount, currency)})
    if conv is not None:  # each category's parts of the period, converted one by one
        kind = [x for x in parts(ctx.conn, ctx.user_id, p.start, p.end) if x.type == p.type]
        by_category = grouped(kind, lambda x: (x.category, x.currency))
        for currency, listed in out.items():
            for cat in listed["categories"]:
                inside = by_category.get((cat["category"], currency), [])
                cat["converted"] = conv.amounts(amount=[x.item for x in inside])
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
    return {"items": _items(rows, conversion(ctx.conn, ctx.user_id, p.convert_to)), "next_cursor": cursor}
