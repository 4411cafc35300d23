"""Budgets that name an account set, through the real broker, storage, MariaDB, the budget alerts' consumer and a
processor's store: only the expense parts booked in the set's accounts count, in the budget's currency; transfers
never do; an account that is not the caller's rejects the budget and changes nothing; a global budget is as before.
Every expected figure is the test's own arithmetic in integer cents."""

from __future__ import annotations

import shutil
import sqlite3
import uuid

import orjson
import pytest
import sqlalchemy as sa

from shared.adapters.analytics.publish import publish_snapshot
from shared.adapters.analytics.sync import sync
from shared.adapters.analytics.writer import connect_writer
from shared.bootstrap import Root
from tests.support.accounts import accepted, applied, cents, money, open_account, outcome
from tests.support.stack import AppServer
from tests.support.wait import until

MONTH, DAY = "2026-06", "2026-06-11"


@pytest.fixture(scope="module")
def analytics(infra, app_server, tmp_path_factory):
    """The processor's store of this module, synced when asked, and the analyzer answering from it."""
    path = tmp_path_factory.mktemp("budget-accounts") / "analytics.db"
    server = AppServer(Root(infra.settings(analytics_store_path=str(path))), kafka_functions=()).start()
    yield server, path
    server.stop()
    server.root.close()


def status(server: AppServer, token: str) -> dict[str, dict]:
    """The month's budget-status, by category."""
    with server.client(token) as c:
        answer = c.get("/api/reports/budget-status", params={"month": MONTH})
    assert answer.status_code == 200, answer.text
    return {b["category"]: b for b in answer.json()["data"]["budgets"]}


def spend(client, cents_: int, category: str, account: str | None, kind: str = "expense", **extra) -> str:
    body = {"type": kind, "amount": money(cents_), "currency": "EUR", "category": category, "date": DAY, **extra}
    response = client.post("/api/transactions", json={**body, "account_id": account})
    applied(client, response)
    return response.json()["id"]


def put_budget(client, category: str, cents_: int, accounts: list[str] | None = None, **body):
    sent = {"amount": money(cents_), "currency": "EUR", **({"accounts": accounts} if accounts is not None else {})}
    return client.put(f"/api/budgets/{category}/{MONTH}", json={**sent, **body})


def raised(db, user: str) -> list[tuple]:
    with db.connect() as conn:
        query = "SELECT category, threshold, payload FROM alerts WHERE user_id = :u ORDER BY category, threshold"
        return [(c, t, orjson.loads(p)) for c, t, p in conn.execute(sa.text(query), {"u": user}).all()]


def stored_budget(db, user: str, category: str) -> tuple | None:
    with db.connect() as conn:
        query = "SELECT amount, accounts, version FROM budgets WHERE user_id = :u AND category = :c AND month = :m"
        return conn.execute(sa.text(query), {"u": user, "c": category, "m": MONTH}).first()


def sentinel(client, db, user: str) -> None:
    """A last expense, after every earlier write of the user: once the alert state has it, it has seen them all."""
    category = f"sentinel-{uuid.uuid4().hex[:6]}"
    spend(client, 1, category, None)

    def counted() -> bool:
        with db.connect() as conn:
            query = "SELECT COUNT(*) FROM alert_spend WHERE user_id = :u AND category = :c"
            return conn.execute(sa.text(query), {"u": user, "c": category}).scalar() == 1

    until(counted, what="the alert state to reach the sentinel")


def test_a_budget_on_the_card_counts_the_cards_expenses_alone(client, db, user, infra, alerts_consumer, analytics):
    current = open_account(client, "Current", "checking", "EUR", 500_000)
    card = open_account(client, "Card", "credit_card", "EUR", 0)
    answer = put_budget(client, "groceries", 10_000, [card])
    assert answer.json()["accounts"] == [card]
    applied(client, answer)
    applied(client, put_budget(client, "home", 2_000))  # global, as before
    assert stored_budget(db, user, "groceries")[1] == orjson.dumps([card]).decode()

    card_groceries = home = 0
    spend(client, 40_000, "groceries", current)  # another account: never counts here
    spend(client, 900, "groceries", None)  # in no account
    spend(client, 4_000, "groceries", card, kind="income")  # not an expense
    parts = [{"category": "groceries", "amount": money(5_000)}, {"category": "home", "amount": money(2_000)}]
    spend(client, 7_000, "shopping", card, splits=parts)
    card_groceries, home = card_groceries + 5_000, home + 2_000
    spend(client, 1_500, "groceries", card)
    card_groceries += 1_500
    transfer = {"from_account": current, "to_account": card, "amount": money(30_000), "date": DAY}
    applied(client, client.post("/api/transfers", json=transfer))  # neither income nor expense
    sentinel(client, db, user)
    assert [(c, t) for c, t, _ in raised(db, user)] == [("home", 80), ("home", 100)]  # 65% on the card: none yet

    spend(client, 1_700, "groceries", card)  # 82 of 100 on the card
    card_groceries += 1_700
    assert until(lambda: len(raised(db, user)) == 3 and raised(db, user), what="the card's 80% alert")[0][:2] == (
        "groceries", 80,
    )  # fmt: skip
    alert = raised(db, user)[0][2]
    assert (cents(alert["spent"]), cents(alert["budget"]), alert["accounts"]) == (card_groceries, 10_000, [card])
    assert raised(db, user)[1][2]["accounts"] is None  # home's: global
    listed = {(a["category"], a["threshold"]): a for a in client.get("/api/alerts").json()["items"]}
    assert (listed[("groceries", 80)]["accounts"], listed[("home", 80)]["accounts"]) == ([card], None)
    sentinel(client, db, user)
    assert [(c, t) for c, t, _ in raised(db, user)] == [("groceries", 80), ("home", 80), ("home", 100)]  # once

    server, path = analytics
    sync(engine=server.root.engine, path=path)
    answered = status(server, infra.issuer.token(user))
    groceries, home_budget = answered["groceries"], answered["home"]
    assert groceries["accounts"] == [card] and home_budget["accounts"] is None
    assert (cents(groceries["spent"]), cents(groceries["remaining"])) == (card_groceries, 10_000 - card_groceries)
    assert groceries["over_budget"] is False and groceries["share_used"] == "0.8200"
    assert (cents(home_budget["spent"]), home_budget["over_budget"]) == (home, False)  # the split's part, globally

    # Set again without accounts: global again, every groceries expense of the month counts.
    answer = put_budget(client, "groceries", 10_000)
    assert answer.json()["accounts"] is None
    applied(client, answer)
    assert stored_budget(db, user, "groceries")[1] is None
    sync(engine=server.root.engine, path=path)
    every = 40_000 + 900 + card_groceries
    groceries = status(server, infra.issuer.token(user))["groceries"]
    assert (groceries["accounts"], cents(groceries["spent"]), groceries["over_budget"]) == (None, every, True)
    until(lambda: ("groceries", 100) in [(c, t) for c, t, _ in raised(db, user)], what="the global 100% alert")


def test_an_account_not_the_callers_rejects_the_budget_and_changes_nothing(client, app_server, infra, db, user):
    card = open_account(client, "Card", "credit_card", "EUR", 0)
    applied(client, put_budget(client, "fuel", 5_000, [card]))
    with app_server.client(infra.issuer.token(f"other-{uuid.uuid4().hex[:8]}")) as other:
        theirs = open_account(other, "Theirs", "checking", "EUR", 0)
    before = stored_budget(db, user, "fuel")
    for foreign in (theirs, str(uuid.uuid4())):
        op = outcome(client, accepted(put_budget(client, "fuel", 9_000, [card, foreign])))
        assert op["status"] == "rejected", op
        assert (op["reason"]["code"], op["reason"]["status"]) == ("not_found", 404)
        assert foreign in op["reason"]["detail"] and card not in op["reason"]["detail"]
    assert stored_budget(db, user, "fuel") == before

    etag = client.get(f"/api/accounts/{card}").headers["etag"]
    applied(client, client.patch(f"/api/accounts/{card}", json={"closed": True}, headers={"If-Match": etag}))
    applied(client, put_budget(client, "fuel", 6_000, [card]))  # closed: a budget may still cover a past month
    assert stored_budget(db, user, "fuel")[2] == before[2] + 1


def test_a_store_from_before_account_sets_copies_its_budgets_again(client, user, infra, analytics, tmp_path):
    card = open_account(client, "Card", "credit_card", "EUR", 0)
    applied(client, put_budget(client, "books", 1_000, [card]))
    spend(client, 300, "books", card)
    spend(client, 5_000, "books", None)
    server, path = analytics
    sync(engine=server.root.engine, path=path)
    # The store as a processor from before would have left it: no accounts column, this budget read as global.
    old = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(path, old)
    with sqlite3.connect(old) as conn:
        conn.execute("ALTER TABLE budgets DROP COLUMN accounts")
        conn.execute("ALTER TABLE sync_state DROP COLUMN budgets_from")
    connect_writer(old).close()  # the new code opens it: the column comes back, NULL, and a copy is due
    with pytest.raises(RuntimeError, match="sync before publishing"):
        publish_snapshot(old, tmp_path / "snapshots")
    sync(engine=server.root.engine, path=old)
    with sqlite3.connect(old) as conn:
        query = "SELECT accounts FROM budgets WHERE user_id = ? AND category = 'books'"
        assert conn.execute(query, (user,)).fetchone()[0] == orjson.dumps([card]).decode()
        assert conn.execute("SELECT budgets_from FROM sync_state").fetchone()[0] is None
    snapshots = tmp_path / "snapshots"
    publish_snapshot(old, snapshots)
    published = AppServer(Root(infra.settings(analytics_snapshot_dir=str(snapshots))), kafka_functions=()).start()
    try:
        books = status(published, infra.issuer.token(user))["books"]
    finally:
        published.stop()
        published.root.close()
    assert (books["accounts"], cents(books["spent"])) == ([card], 300)
