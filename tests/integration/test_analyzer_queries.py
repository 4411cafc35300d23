"""The analyzer's queries over HTTP, against a real SQLite store built here from raw rows.

Every expected answer is computed in this file from the raw rows, with plain Python and Decimal,
never with the code under test. Rows live in a random far-future year, so answers over all users
(admin queries) see only this module's rows even though the store file is shared by the session.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sqlite3
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from shared.adapters.analytics.changes import STORE_COLUMNS
from shared.adapters.analytics.schema import DDL

DIGITS = {"EUR": 2, "JPY": 0, "KWD": 3}
CATEGORIES = ["groceries", "rent", "travel", "salary", "fun"]


def fmt(value: Decimal, currency: str) -> str:
    return str(value.quantize(Decimal(1).scaleb(-DIGITS[currency])))


def share(part: Decimal, whole: Decimal) -> str | None:
    return str((part / whole).quantize(Decimal("0.0001"))) if whole else None


@dataclass
class Row:
    user_id: str
    id: str
    type: str
    amount: Decimal
    currency: str
    category: str
    date: dt.date
    description: str | None = None
    tags: list[str] = field(default_factory=list)
    recorded_at: int = 0
    version: int = 1

    @property
    def month(self) -> str:
        return self.date.isoformat()[:7]


@dataclass
class BudgetRow:
    user_id: str
    category: str
    month: str
    amount: Decimal
    currency: str


def random_rows(rng: random.Random, user: str, year: int, n: int) -> list[Row]:
    rows = []
    for i in range(n):
        currency = rng.choice(["EUR", "EUR", "EUR", "JPY", "KWD"])
        digits = DIGITS[currency]
        amount = Decimal(rng.randint(1, 50_000 * 10**digits)).scaleb(-digits)
        month = rng.randint(3, 5)
        day = rng.choice([1, 2, 10, 15, 28, 30, 31]) if month != 4 else rng.choice([1, 5, 6, 15, 29, 30])
        kind = "income" if rng.random() < 0.25 else "expense"
        rows.append(
            Row(
                user_id=user,
                id=str(uuid.UUID(int=rng.getrandbits(128))),
                type=kind,
                amount=amount,
                currency=currency,
                category="salary" if kind == "income" else rng.choice(CATEGORIES),
                date=dt.date(year, month, day),
                description=rng.choice([None, "Coffee at Müller", "TRAIN ticket", "coffee beans"]),
                tags=rng.sample(["food", "work", "trip"], rng.randint(0, 2)),
                recorded_at=1_700_000_000_000_000 + rng.randint(0, 10**6) * 10 + i % 10,
                version=1_700_000_000_000_000 + i,
            )
        )
    return rows


def build_store(path: str, rows: list[Row], budgets: list[BudgetRow]) -> None:
    """The store as the processor leaves it: schema from the contract, rows, and monthly totals computed here."""
    totals: dict[tuple, list] = defaultdict(lambda: [0, 0, 0])
    for r in rows:
        acc = totals[(r.user_id, r.month, r.category, r.currency)]
        acc[0 if r.type == "income" else 1] += int(r.amount * 10_000)
        acc[2] += 1
    conn = sqlite3.connect(path, timeout=30)
    with conn:
        for statement in DDL:
            conn.execute(statement)
        conn.executemany(
            f"INSERT INTO transactions ({STORE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
            [
                (
                    r.user_id,
                    r.id,
                    r.type,
                    int(r.amount * 10_000),
                    r.currency,
                    r.category,
                    r.description,
                    r.date.isoformat(),
                    r.month,
                    json.dumps(r.tags),
                    r.recorded_at,
                    r.version,
                    1,
                )
                for r in rows
            ],  # fmt: skip
        )
        conn.executemany(  # no splits here: each transaction is one part
            "INSERT INTO monthly_totals (user_id, month, category, currency, income_e4, expense_e4, count, "
            "transactions) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(*k, *v, v[2]) for k, v in totals.items()],
        )
        conn.executemany(
            "INSERT INTO budgets (user_id, category, month, amount_e4, currency, version, change_seq) "
            "VALUES (?, ?, ?, ?, ?, 1, 1)",
            [(b.user_id, b.category, b.month, int(b.amount * 10_000), b.currency) for b in budgets],
        )
        conn.execute(
            "INSERT OR IGNORE INTO sync_state (id, watermark, synced_at, transactions) VALUES (1, 0, ?, 0)",
            (dt.datetime.now(dt.UTC).isoformat(),),
        )
    conn.close()


def store_freshness(path: str) -> dict:
    conn = sqlite3.connect(path)
    watermark, synced_at = conn.execute("SELECT watermark, synced_at FROM sync_state WHERE id = 1").fetchone()
    conn.close()
    return {"watermark": watermark, "synced_at": synced_at}


# -- independent computations -------------------------------------------------------------------------


def totals(rows: list[Row]) -> dict:
    out: dict[str, dict] = {}
    for currency in sorted({r.currency for r in rows}):
        mine = [r for r in rows if r.currency == currency]
        income = sum((r.amount for r in mine if r.type == "income"), Decimal(0))
        expense = sum((r.amount for r in mine if r.type == "expense"), Decimal(0))
        out[currency] = {
            "income": fmt(income, currency),
            "expense": fmt(expense, currency),
            "net": fmt(income - expense, currency),
            "transactions": len(mine),
        }
    return out


def expected_breakdown(rows: list[Row], start: dt.date, end: dt.date) -> list[dict]:
    inside = [r for r in rows if start <= r.date <= end]
    groups: dict[tuple, list[Row]] = defaultdict(list)
    for r in inside:
        groups[(r.category, r.currency)].append(r)
    per_currency_expense: dict[str, Decimal] = defaultdict(Decimal)
    for r in inside:
        if r.type == "expense":
            per_currency_expense[r.currency] += r.amount
    out = []
    for (category, currency), group in groups.items():
        t = totals(group)[currency]
        expense = sum((r.amount for r in group if r.type == "expense"), Decimal(0))
        income = sum((r.amount for r in group if r.type == "income"), Decimal(0))
        out.append(
            (
                (currency, -expense, -income, category),
                {
                    "category": category,
                    "currency": currency,
                    **t,
                    "share_of_expense": share(expense, per_currency_expense[currency]),
                },
            )  # fmt: skip
        )
    return [item for _, item in sorted(out, key=lambda x: x[0])]


# -- fixtures -----------------------------------------------------------------------------------------


@dataclass
class World:
    year: int
    alice: str
    bob: str
    rows: list[Row]
    budgets: list[BudgetRow]
    path: str

    def of(self, user: str) -> list[Row]:
        return [r for r in self.rows if r.user_id == user]

    def month(self, m: int) -> str:
        return f"{self.year}-{m:02d}"


def make_world(infra) -> World:
    """Two users' random rows and a few budgets, in a year no other module uses, written to the store."""
    seed = random.randrange(2**32)
    print(f"analyzer query test seed: {seed}")
    rng = random.Random(seed)
    year = rng.randint(2100, 2998)  # booking dates and report periods end at 2999-12-31
    alice, bob = f"alice-{uuid.uuid4().hex[:8]}", f"bob-{uuid.uuid4().hex[:8]}"
    rows = random_rows(rng, alice, year, 300) + random_rows(rng, bob, year, 120)
    budgets = [
        BudgetRow(alice, "groceries", f"{year}-03", Decimal("100.00"), "EUR"),
        BudgetRow(alice, "rent", f"{year}-03", Decimal("1000000.00"), "EUR"),
        BudgetRow(alice, "travel", f"{year}-03", Decimal("5000"), "JPY"),
        BudgetRow(alice, "fun", f"{year}-04", Decimal("1.000"), "KWD"),
        BudgetRow(bob, "groceries", f"{year}-03", Decimal("1.00"), "EUR"),
    ]
    path = infra.env["AnalyticsStorePath"]
    build_store(path, rows, budgets)
    return World(year, alice, bob, rows, budgets, path)


@pytest.fixture(scope="module")
def world(infra) -> World:
    return make_world(infra)


@pytest.fixture(scope="module")
def as_alice(app_server, infra, world):
    with app_server.client(infra.issuer.token(world.alice)) as c:
        yield c


@pytest.fixture(scope="module")
def as_admin(app_server, infra):
    with app_server.client(infra.issuer.token(f"admin-{uuid.uuid4().hex[:6]}", admin=True)) as c:
        yield c


def ok(response) -> dict:
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"query", "params", "freshness", "data"}
    return body


# -- user queries -------------------------------------------------------------------------------------


def test_monthly_summary_matches_the_raw_rows_per_currency(as_alice, world):
    for m in (3, 4, 5, 6):
        body = ok(as_alice.get("/api/reports/monthly-summary", params={"month": world.month(m)}))
        mine = [r for r in world.of(world.alice) if r.month == world.month(m)]
        assert body["data"] == {"month": world.month(m), "currencies": totals(mine)}
        assert body["freshness"] == store_freshness(world.path)
        assert body["params"] == {"month": world.month(m)}


@pytest.mark.parametrize(
    "start,end",
    [("03-01", "05-31"), ("03-10", "05-20"), ("04-05", "04-06"), ("03-31", "04-01"), ("04-01", "04-30")],
)
def test_category_breakdown_matches_whole_and_partial_months(as_alice, world, start, end):
    lo, hi = dt.date.fromisoformat(f"{world.year}-{start}"), dt.date.fromisoformat(f"{world.year}-{end}")
    body = ok(as_alice.get("/api/reports/category-breakdown", params={"from": lo.isoformat(), "to": hi.isoformat()}))
    assert body["data"]["categories"] == expected_breakdown(world.of(world.alice), lo, hi)


def test_budget_status_compares_in_the_budgets_currency(as_alice, world):
    month = world.month(3)
    body = ok(as_alice.get("/api/reports/budget-status", params={"month": month}))
    mine = [r for r in world.of(world.alice) if r.month == month and r.type == "expense"]
    expected = []
    for b in sorted(
        (b for b in world.budgets if b.user_id == world.alice and b.month == month), key=lambda b: b.category
    ):
        spent = sum((r.amount for r in mine if r.category == b.category and r.currency == b.currency), Decimal(0))
        expected.append({
            "category": b.category, "currency": b.currency, "accounts": None, "budget": fmt(b.amount, b.currency),
            "spent": fmt(spent, b.currency), "remaining": fmt(b.amount - spent, b.currency),
            "share_used": share(spent, b.amount), "over_budget": spent > b.amount,
        })  # fmt: skip
    assert body["data"]["budgets"] == expected
    budgeted = {(b["category"], b["currency"]) for b in expected}
    unbudgeted = defaultdict(Decimal)
    for r in mine:
        if (r.category, r.currency) not in budgeted:
            unbudgeted[(r.category, r.currency)] += r.amount
    assert body["data"]["unbudgeted"] == [
        {"category": c, "currency": cur, "spent": fmt(v, cur)} for (c, cur), v in sorted(unbudgeted.items())
    ]
    assert any(b["over_budget"] for b in expected) and not all(b["over_budget"] for b in expected)


def test_trend_lists_every_month_of_the_window(as_alice, world):
    body = ok(as_alice.get("/api/reports/trend", params={"months": "5", "until": world.month(6)}))
    window = [world.month(m) for m in (2, 3, 4, 5, 6)]
    assert body["data"]["months"] == [
        {"month": m, "currencies": totals([r for r in world.of(world.alice) if r.month == m])} for m in window
    ]


def test_top_ranks_within_each_currency(as_alice, world):
    lo, hi = dt.date(world.year, 3, 2), dt.date(world.year, 5, 30)
    body = ok(as_alice.get("/api/reports/top", params={"from": lo.isoformat(), "to": hi.isoformat(), "limit": 3}))
    inside = [r for r in world.of(world.alice) if lo <= r.date <= hi and r.type == "expense"]
    expected = {}
    for currency in sorted({r.currency for r in inside}):
        mine = [r for r in inside if r.currency == currency]
        largest = sorted(mine, key=lambda r: (-r.amount, -r.date.toordinal(), r.id))[:3]
        by_cat: dict[str, Decimal] = defaultdict(Decimal)
        for r in mine:
            by_cat[r.category] += r.amount
        ranked = sorted(by_cat.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        expected[currency] = {
            "largest": [(r.id, fmt(r.amount, currency)) for r in largest],
            "categories": [{"category": c, "amount": fmt(v, currency)} for c, v in ranked],
        }
    got = {
        cur: {"largest": [(t["id"], t["amount"]) for t in v["largest"]], "categories": v["categories"]}
        for cur, v in body["data"]["currencies"].items()
    }
    assert got == expected


def _all_pages(client, params: dict) -> list[dict]:
    items, cursor = [], None
    while True:
        page = ok(client.get("/api/reports/search", params={**params, **({"cursor": cursor} if cursor else {})}))
        items += page["data"]["items"]
        cursor = page["data"]["next_cursor"]
        if not cursor:
            return items


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"category": "groceries"},
        {"type": "income", "currency": "EUR"},
        {"q": "coffee"},
        {"tag": "trip"},
        {"min_amount": "100", "max_amount": "20000.5"},
        {"from": "03-15", "to": "04-30"},
    ],  # fmt: skip
)
def test_search_pages_through_exactly_the_matching_rows_newest_first(as_alice, world, filters):
    params = {k: (f"{world.year}-{v}" if k in ("from", "to") else v) for k, v in filters.items()}
    items = _all_pages(as_alice, {**params, "limit": 17})

    def match(r: Row) -> bool:
        return (
            ("category" not in params or r.category == params["category"])
            and ("type" not in params or r.type == params["type"])
            and ("currency" not in params or r.currency == params["currency"])
            and ("q" not in params or params["q"] in (r.description or "").lower())
            and ("tag" not in params or params["tag"] in r.tags)
            and ("min_amount" not in params or r.amount >= Decimal(params["min_amount"]))
            and ("max_amount" not in params or r.amount <= Decimal(params["max_amount"]))
            and ("from" not in params or r.date.isoformat() >= params["from"])
            and ("to" not in params or r.date.isoformat() <= params["to"])
        )

    expected = sorted(
        (r for r in world.of(world.alice) if match(r)), key=lambda r: (r.date, r.recorded_at, r.id), reverse=True
    )
    assert [i["id"] for i in items] == [r.id for r in expected]
    assert items and all(i["amount"] == fmt(r.amount, r.currency) for i, r in zip(items, expected, strict=True))


# -- scoping and validation ---------------------------------------------------------------------------


@pytest.mark.parametrize("extra", [{"user_id": "BOB"}, {"user": "BOB"}, {"oid": "BOB"}, {"sub": "BOB"}])
def test_no_parameter_names_another_user(as_alice, world, extra):
    params = {k: (world.bob if v == "BOB" else v) for k, v in extra.items()}
    r = as_alice.get("/api/reports/monthly-summary", params={"month": world.month(3), **params})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"][0]["field"] == next(iter(params))


def test_a_users_answers_never_contain_another_users_rows(as_alice, world):
    bobs = {r.id for r in world.of(world.bob)}
    items = _all_pages(as_alice, {"limit": 500})
    assert {i["id"] for i in items} == {r.id for r in world.of(world.alice)}
    assert not bobs & {i["id"] for i in items}
    budgets = ok(as_alice.get("/api/reports/budget-status", params={"month": world.month(3)}))["data"]["budgets"]
    assert {b["budget"] for b in budgets if b["category"] == "groceries"} == {"100.00"}  # not bob's 1.00


@pytest.mark.parametrize(
    "path,params,field",
    [
        ("monthly-summary", {"month": "2026-13"}, "month"),
        ("monthly-summary", {}, "month"),
        ("category-breakdown", {"from": "2026-02-01", "to": "2026-01-01"}, "params"),
        ("category-breakdown", {"from": "yesterday", "to": "2026-01-01"}, "from"),
        ("trend", {"months": "0"}, "months"),
        ("top", {"from": "2026-01-01", "to": "2026-02-01", "limit": "1000"}, "limit"),
        ("search", {"type": "transfer"}, "type"),
    ],
)
def test_bad_params_are_422_with_the_field(as_alice, path, params, field):
    r = as_alice.get(f"/api/reports/{path}", params=params)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"][0]["field"] == field


def test_a_cursor_that_was_not_handed_out_is_400(as_alice):
    r = as_alice.get("/api/reports/search", params={"cursor": "bm90LWEtY3Vyc29y"})
    assert r.status_code == 400, r.text


def test_reports_need_a_token(app_server):
    with app_server.client() as anonymous:
        r = anonymous.get("/api/reports/monthly-summary", params={"month": "2026-01"})
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer")


# -- admin queries ------------------------------------------------------------------------------------


def test_all_users_summary_spans_users(as_admin, world):
    month = world.month(4)
    body = ok(as_admin.get("/api/admin/all-users-summary", params={"month": month}))
    rows = [r for r in world.rows if r.month == month]
    expected = totals(rows)
    for currency in expected:
        expected[currency]["users"] = len({r.user_id for r in rows if r.currency == currency})
    assert body["data"] == {"month": month, "users": len({r.user_id for r in rows}), "currencies": expected}


def test_active_users_per_month(as_admin, world):
    body = ok(as_admin.get("/api/admin/active-users", params={"months": "4", "until": world.month(5)}))
    window = [world.month(m) for m in (2, 3, 4, 5)]
    assert body["data"] == {
        "months": [{"month": m, "active_users": len({r.user_id for r in world.rows if r.month == m})} for m in window],
        "distinct_users": 2,
    }


def test_lag_compares_the_store_with_mysql(as_admin, world, db):
    import sqlalchemy as sa

    def head() -> int:
        with db.connect() as conn:
            return conn.execute(
                sa.text(
                    "SELECT GREATEST((SELECT COALESCE(MAX(change_seq), 0) FROM transactions), "
                    "(SELECT COALESCE(MAX(change_seq), 0) FROM budgets))"
                )  # fmt: skip
            ).scalar_one()

    before = head()
    data = ok(as_admin.get("/api/admin/lag"))["data"]
    after = head()
    fresh = store_freshness(world.path)
    assert data["store_watermark"] == fresh["watermark"]
    assert data["synced_at"] == fresh["synced_at"]
    assert before <= data["source_change_seq"] <= after
    assert data["changes_behind"] == max(0, data["source_change_seq"] - fresh["watermark"])
    assert data["seconds_since_sync"] >= 0


@pytest.mark.parametrize("path", ["all-users-summary?month=2026-01", "active-users", "lag"])
def test_admin_queries_refuse_a_user_without_the_role(as_alice, app_server, path):
    r = as_alice.get(f"/api/admin/{path}")
    assert r.status_code == 403, r.text
    assert r.headers["content-type"] == "application/problem+json"
    with app_server.client() as anonymous:
        assert anonymous.get(f"/api/admin/{path}").status_code == 401


def test_each_query_is_in_the_openapi_document(app_server):
    with app_server.client() as c:
        paths = c.get("/api/openapi.json").json()["paths"]
    for name in ("monthly-summary", "category-breakdown", "budget-status", "trend", "top", "search"):
        assert "get" in paths[f"/api/reports/{name}"]
    for name in ("all-users-summary", "active-users", "lag"):
        assert "get" in paths[f"/api/admin/{name}"]
    parameters = {p["name"]: p for p in paths["/api/reports/monthly-summary"]["get"]["parameters"]}
    schema = {"title": "Month", "type": "string", "pattern": r"^(19|2[0-9])[0-9]{2}-(0[1-9]|1[0-2])$"}
    assert parameters.pop("month") == {"name": "month", "in": "query", "required": True, "schema": schema}
    assert parameters.keys() == {"convert_to"} and not parameters["convert_to"]["required"]
