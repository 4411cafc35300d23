"""Transfers and splits through the real broker, storage and MariaDB, the budget alerts' consumer of the change
feed and the processor's store: a transfer moves each side by its own amount and is neither income nor expense
in MySQL, the alert state or any report; a split expense counts each part under its own category."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from shared.adapters.analytics.sync import sync
from shared.bootstrap import Root
from tests.support.accounts import applied, balances, listing, open_account
from tests.support.stack import AppServer
from tests.support.wait import until

MONTH, DAY = "2026-05", "2026-05-14"


@pytest.fixture(scope="module")
def analytics(infra, app_server, tmp_path_factory):
    """The processor's store of this module, synced when asked, and the analyzer answering from it."""
    path = tmp_path_factory.mktemp("accounts-analytics") / "analytics.db"
    server = AppServer(Root(infra.settings(analytics_store_path=str(path))), kafka_functions=()).start()
    yield server, lambda: sync(engine=server.root.engine, path=path)
    server.stop()
    server.root.close()


def reports(server: AppServer, token: str) -> dict[str, dict]:
    """What the reports of the month answer, without their freshness (which a sync always moves)."""
    out = {}
    with server.client(token) as c:
        month, period = {"month": MONTH}, {"from": f"{MONTH}-01", "to": f"{MONTH}-31"}
        for name, params in (("monthly-summary", month), ("category-breakdown", period), ("budget-status", month)):
            answer = c.get(f"/api/reports/{name}", params=params)
            assert answer.status_code == 200, answer.text
            out[name] = {k: v for k, v in answer.json().items() if k != "freshness"}
    return out


def spent(db, user: str) -> dict[str, Decimal]:
    """The alert state's running expenses of the month, by category (what budgets are checked against)."""
    with db.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT category, spent FROM alert_spend WHERE user_id = :u AND month = :m"),
            {"u": user, "m": MONTH},
        ).all()
    return {c: Decimal(s) for c, s in rows if Decimal(s)}


def income_and_expense(db, user: str) -> list[tuple]:
    """Every income and expense figure MySQL holds for the user, as a GROUP BY would report them."""
    with db.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT LEFT(booking_date, 7), type, category, currency, SUM(amount), COUNT(*) FROM transactions "
                "WHERE user_id = :u AND deleted = 0 GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
            ),
            {"u": user},
        ).all()
    return [tuple(r) for r in rows]


def expense(client, amount: str, category: str, account: str | None = None, **extra) -> str:
    body = {"type": "expense", "amount": amount, "currency": "EUR", "category": category, "date": DAY, **extra}
    response = client.post("/api/transactions", json={**body, "account_id": account})
    applied(client, response)
    return response.json()["id"]


def test_a_cross_currency_transfer_moves_each_side_by_its_own_amount(client):
    eur = open_account(client, "Current", "checking", "EUR", 50_000)
    usd = open_account(client, "Dollars", "savings", "USD", 0)
    sent = {"from_account": eur, "to_account": usd, "amount": "100.00", "to_amount": "108.66", "date": DAY}
    response = client.post("/api/transfers", json=sent)
    applied(client, response)
    assert balances(client) == {eur: 40_000, usd: 10_866}
    (out,), (into,) = listing(client, eur), listing(client, usd)
    assert (out["kind"], out["amount"], out["balance"], out["counterpart_amount"], out["counterpart_currency"]) == (
        "transfer_out", "-100.00", "400.00", "108.66", "USD",
    )  # fmt: skip
    assert (into["kind"], into["amount"], into["balance"], into["counterpart_account"]) == (
        "transfer_in", "108.66", "108.66", eur,
    )  # fmt: skip
    applied(client, client.delete(f"/api/transfers/{response.json()['id']}", headers={"If-Match": into["etag"]}))
    assert balances(client) == {eur: 50_000, usd: 0}  # both legs went at once
    assert listing(client, eur) == listing(client, usd) == []


def test_transfers_change_no_income_or_expense_figure(client, db, user, infra, alerts_consumer, analytics):
    current = open_account(client, "Current", "checking", "EUR", 100_000)
    card = open_account(client, "Card", "credit_card", "EUR", 0)
    dollars = open_account(client, "Dollars", "savings", "USD", 0)
    expense(client, "12.30", "fuel", card)
    halves = [{"category": "groceries", "amount": "30"}, {"category": "home", "amount": "10"}]
    expense(client, "40.00", "groceries", current, splits=halves)
    salary = {"type": "income", "amount": "2000.00", "currency": "EUR", "category": "salary", "date": DAY}
    applied(client, client.post("/api/transactions", json={**salary, "account_id": current}))
    until(lambda: spent(db, user) == {"fuel": Decimal("12.30"), "groceries": Decimal("30"), "home": Decimal("10")},
          what="the alert state to count the expenses")  # fmt: skip
    figures, listed = income_and_expense(db, user), client.get("/api/transactions").json()["items"]
    server, synced = analytics
    synced()
    answered = reports(server, infra.issuer.token(user))
    eur = answered["monthly-summary"]["data"]["currencies"]["EUR"]
    assert (eur["income"], eur["expense"]) == ("2000.00", "52.30")
    by_category = {c["category"]: c["expense"] for c in answered["category-breakdown"]["data"]["categories"]}
    assert by_category == {"groceries": "30.00", "fuel": "12.30", "home": "10.00", "salary": "0.00"}  # split parts

    pairs = [(current, card, None), (card, current, None), (current, dollars, "11.00")]
    ids = []
    for i in range(50):
        source, target, to_amount = pairs[i % 3]
        body = {"from_account": source, "to_account": target, "amount": f"{i + 1}.00", "date": DAY}
        response = client.post("/api/transfers", json={**body, **({"to_amount": to_amount} if to_amount else {})})
        applied(client, response)
        ids.append(response.json()["id"])
    for tid in ids[:5]:
        applied(client, client.delete(f"/api/transfers/{tid}"))
    synced()
    assert reports(server, infra.issuer.token(user)) == answered  # the processor too: no report counts a transfer
    # A last expense, after every transfer in the user's order: once the alert state has it, it has seen them all.
    expense(client, "1.00", "sentinel", card)
    until(lambda: "sentinel" in spent(db, user), what="the alert state to reach the last change")

    assert income_and_expense(db, user) == sorted([*figures, ("2026-05", "expense", "sentinel", "EUR", Decimal(1), 1)])
    after = client.get("/api/transactions").json()["items"]
    assert [t["id"] for t in after[1:]] == [t["id"] for t in listed] and after[0]["category"] == "sentinel"
    assert spent(db, user) == {"fuel": Decimal("12.30"), "groceries": Decimal("30"), "home": Decimal("10"),
                               "sentinel": Decimal("1")}  # fmt: skip
    moved = sum(i + 1 for i in range(5, 50) if i % 3 == 0) - sum(i + 1 for i in range(5, 50) if i % 3 == 1)
    out_usd = sum(i + 1 for i in range(5, 50) if i % 3 == 2)
    assert balances(client) == {
        current: 100_000 - 4_000 + 200_000 - moved * 100 - out_usd * 100,
        card: -1_230 + moved * 100 - 100,
        dollars: 1_100 * sum(1 for i in range(5, 50) if i % 3 == 2),
    }


def test_budgets_count_each_split_under_its_own_category(client, db, user, alerts_consumer):
    applied(client, client.put(f"/api/budgets/groceries/{MONTH}", json={"amount": "70.00", "currency": "EUR"}))
    parts = [{"category": "groceries", "amount": "60.00"}, {"category": "home", "amount": "40.00"}]
    tid = expense(client, "100.00", "shopping", splits=parts)
    until(lambda: spent(db, user) == {"groceries": Decimal(60), "home": Decimal(40)}, what="the parts counted")

    def raised() -> list[tuple]:
        with db.connect() as conn:
            query = "SELECT category, threshold FROM alerts WHERE user_id = :u ORDER BY threshold"
            return conn.execute(sa.text(query), {"u": user}).all()

    assert until(raised, what="the 80% alert") == [("groceries", 80)]  # 60 of 70, not the whole 100
    resplit = [{"category": "groceries", "amount": "75.00"}, {"category": "home", "amount": "25.00"}]
    applied(client, client.patch(f"/api/transactions/{tid}", json={"splits": resplit}))
    until(lambda: spent(db, user) == {"groceries": Decimal(75), "home": Decimal(25)}, what="the parts moved")
    assert until(lambda: len(raised()) == 2 and raised()) == [("groceries", 80), ("groceries", 100)]
    applied(client, client.patch(f"/api/transactions/{tid}", json={"splits": []}))
    until(lambda: spent(db, user) == {"shopping": Decimal(100)}, what="the whole amount back under its category")
