"""Reports over accounts, transfers, splits and rates, answered over HTTP (and Kafka for net-worth) from a real
SQLite store synced from the real MariaDB. Every expected figure is the test's own arithmetic over the rows it
wrote and the ECB sample it parsed itself (design test plan items 2, 4, 5 and 6)."""

from __future__ import annotations

import csv
import datetime as dt
import random
import uuid
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.query_client import QueryClient
from shared.adapters.analytics.sync import sync
from shared.adapters.kafka.admin import ensure_topics
from shared.bootstrap import Root
from tests.integration.ledger_rows import Ledger
from tests.integration.test_rates_load import _cli
from tests.support.stack import AppServer

DATA = Path(__file__).parents[1] / "data" / "ecb"
DIGITS = {"EUR": 2, "USD": 2, "JPY": 0, "GBP": 2, "CHF": 2, "ISK": 0, "KWD": 3, "NZD": 2}
LIABILITIES = {"credit_card", "loan"}
MAY_END_USD = "1.0848"  # a rate for 2024-05-31, uploaded here: the sample ends on 2024-05-17


# -- the test's own arithmetic ------------------------------------------------------------------------


def sample_rates() -> dict[str, dict[dt.date, Fraction]]:
    """currency -> day -> per euro, read from the shipped CSV with the csv module, plus the uploaded month end."""
    with open(DATA / "eurofxref-hist.csv", newline="") as f:
        rows = list(csv.reader(f))
    out: dict[str, dict[dt.date, Fraction]] = {}
    for row in rows[1:]:
        for code, cell in zip(rows[0][1:], row[1:], strict=False):
            if code and cell.strip() not in ("", "N/A"):
                out.setdefault(code, {})[dt.date.fromisoformat(row[0])] = Fraction(cell.strip())
    out["USD"][dt.date(2024, 5, 31)] = Fraction(MAY_END_USD)
    return out


RATES = sample_rates()


def rate(currency: str, day: dt.date) -> tuple[Fraction, dt.date | None]:
    if currency == "EUR":
        return Fraction(1), None
    found = max(d for d in RATES[currency] if d <= day)  # the tests below only ask where one exists
    assert day - found <= dt.timedelta(days=7)
    return RATES[currency][found], found


def half_even(value: Fraction, digits: int) -> Decimal:
    scaled = value * 10**digits
    whole, rest = divmod(scaled.numerator, scaled.denominator)
    if 2 * rest > scaled.denominator or (2 * rest == scaled.denominator and whole % 2):
        whole += 1
    return Decimal(whole).scaleb(-digits)


def convert(amount: Decimal, currency: str, day: dt.date, target: str) -> tuple[Decimal, set[dt.date]]:
    (source, d1), (dest, d2) = rate(currency, day), rate(target, day)
    used = {d for d in (d1, d2) if d}
    return half_even(Fraction(amount) * dest / source, DIGITS[target]), {min(used)} if used else set()


def converted_flows(parts: list[tuple[str, Decimal, str, dt.date]], target: str) -> dict:
    """(type, amount, currency, day) parts -> the converted block a report must show."""
    sums = {"income": Decimal(0), "expense": Decimal(0)}
    days: set[dt.date] = set()
    for kind, amount, currency, day in parts:
        value, used = convert(amount, currency, day, target)
        sums[kind] += value
        days |= used
    q = Decimal(1).scaleb(-DIGITS[target])
    return {
        "currency": target,
        "income": str(sums["income"].quantize(q)),
        "expense": str(sums["expense"].quantize(q)),
        "net": str((sums["income"] - sums["expense"]).quantize(q)),
        "rate_dates": {
            "first": min(days).isoformat() if days else None,
            "last": max(days).isoformat() if days else None,
        },
        "missing_rates": [],
    }


def fmt(value: Decimal, currency: str) -> str:
    return str(value.quantize(Decimal(1).scaleb(-DIGITS[currency])))


# -- the world: rows in MariaDB, rates loaded with the CLI, one store synced, an app answering from it --------


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return tmp_path_factory.mktemp("reports") / "analytics.db"


@pytest.fixture(scope="module")
def server(infra, store):
    tag = uuid.uuid4().hex[:6]
    settings = infra.settings(
        analytics_store_path=str(store),
        queries_topic=f"queries-{infra.run}-{tag}",
        results_topic=f"query-results-{infra.run}-{tag}",
        analyzer_consumer_group=f"analyzer-{infra.run}-{tag}",
    )
    ensure_topics(settings)
    root = Root(settings)
    app = AppServer(root, kafka_functions=("answer_queries",)).start()
    yield app
    app.stop()
    root.close()


@pytest.fixture(scope="module")
def rates_loaded(server, infra):
    token = infra.issuer.token("rates-admin", admin=True)
    for file in (DATA / "eurofxref-hist.zip",):
        result = CliRunner().invoke(_cli(), ["rates", "load", str(file), "--url", server.base_url, "--token", token])
        assert result.exit_code == 0, result.output
    with server.client(token) as admin:
        admin.post("/api/rates", content=f"Date,USD,\n2024-05-31,{MAY_END_USD},\n".encode()).raise_for_status()


def synced(root, store) -> None:
    sync(engine=root.engine, path=store)


def ask(server, infra, user: str, report: str, **params) -> dict:
    with server.client(infra.issuer.token(user)) as c:
        r = c.get(f"/api/reports/{report}", params=params)
    assert r.status_code == 200, r.text
    return r.json()["data"]


# -- item 5: converted totals equal the test's own conversion with the sample's rates --------------------


@pytest.fixture(scope="module")
def traveller(root, rates_loaded, store):
    """May 2024 in six currencies, some split, home currency EUR."""
    ledger = Ledger(root.engine, f"traveller-{uuid.uuid4().hex[:8]}")
    rng = random.Random(7)
    for _ in range(40):
        currency = rng.choice(["USD", "JPY", "GBP", "CHF", "KWD", "EUR", "ISK"])
        day = dt.date(2024, 5, rng.randint(8, 24))
        amount = Decimal(rng.randint(1, 10**6)).scaleb(-DIGITS[currency])
        splits = []
        if rng.random() < 0.3 and amount > 1:
            unit = Decimal(1).scaleb(-DIGITS[currency])
            first = unit * rng.randint(1, int(amount / unit) - 1)
            splits = [("groceries", str(first)), ("home", str(amount - first))]
        kind = rng.choice(["income", "expense", "expense"])
        ledger.transaction(kind, str(amount), currency, rng.choice(["fun", "rent"]), day, splits=splits)
    ledger.transaction("expense", "0.05", "USD", "fun", dt.date(2024, 5, 11))  # a Saturday: Friday's rate
    ledger.transaction("expense", "1000", "ISK", "fun", dt.date(2024, 5, 15))  # N/A that day: the 14th's rate
    ledger.home_currency("EUR")
    synced(root, store)
    return ledger


def parts_of(ledger: Ledger, keep=lambda tx, category: True) -> list[tuple[str, Decimal, str, dt.date]]:
    return [
        (tx.type, amount, tx.currency, tx.day)
        for tx in ledger.txs.values()
        for category, amount in tx.parts()
        if keep(tx, category)
    ]


def test_the_summary_converts_each_part_to_the_home_currency_as_the_test_does(server, infra, traveller):
    assert any(tx.splits for tx in traveller.txs.values())
    data = ask(server, infra, traveller.user, "monthly-summary", month="2024-05")
    assert data["converted"] == converted_flows(parts_of(traveller), "EUR")
    for currency, entry in data["currencies"].items():
        mine = parts_of(traveller, lambda tx, c, cur=currency: tx.currency == cur)
        assert entry["converted"] == converted_flows(mine, "EUR")
        assert entry["transactions"] == sum(tx.currency == currency for tx in traveller.txs.values())  # split: once
    assert data["converted"]["rate_dates"] == {"first": "2024-05-08", "last": "2024-05-17"}


def test_convert_to_another_currency_crosses_through_the_euro(server, infra, traveller):
    data = ask(server, infra, traveller.user, "monthly-summary", month="2024-05", convert_to="USD")
    assert data["converted"] == converted_flows(parts_of(traveller), "USD")


def test_category_rows_add_up_to_the_total_to_the_last_digit(server, infra, traveller):
    data = ask(server, infra, traveller.user, "category-breakdown", **{"from": "2024-05-01", "to": "2024-05-31"})
    for row in data["categories"]:
        mine = parts_of(traveller, lambda tx, c, row=row: c == row["category"] and tx.currency == row["currency"])
        assert row["converted"] == converted_flows(mine, "EUR")
    total = data["converted"]
    assert total == converted_flows(parts_of(traveller), "EUR")
    for side in ("income", "expense"):
        assert sum(Decimal(r["converted"][side]) for r in data["categories"]) == Decimal(total[side])


def test_trend_search_top_and_budgets_convert_the_same_parts(server, infra, traveller, root, store):
    traveller.budget("groceries", "2024-05", "500.00", "USD")
    synced(root, store)
    user = traveller.user
    trend = ask(server, infra, user, "trend", months="2", until="2024-05")
    assert trend["months"][1]["converted"] == converted_flows(parts_of(traveller), "EUR")
    assert trend["months"][0]["converted"]["income"] == "0.00"  # April: nothing to convert, nothing missing

    items = ask(server, infra, user, "search", limit="500")["items"]
    assert len(items) == len(traveller.txs)
    for item in items:
        day = dt.date.fromisoformat(item["date"])
        value, used = convert(Decimal(item["amount"]), item["currency"], day, "EUR")
        assert item["converted"]["amount"] == str(value)
        assert item["converted"]["rate_dates"]["first"] == (min(used).isoformat() if used else None)

    top = ask(server, infra, user, "top", **{"from": "2024-05-01", "to": "2024-05-31", "limit": "3"})
    for currency, listed in top["currencies"].items():
        for cat in listed["categories"]:
            mine = parts_of(traveller, lambda tx, c, cat=cat, cur=currency: c == cat["category"] and tx.currency == cur)
            assert cat["converted"]["amount"] == converted_flows(mine, "EUR")["expense"]

    budgets = ask(server, infra, user, "budget-status", month="2024-05", convert_to="USD")["budgets"]
    (groceries,) = [b for b in budgets if b["category"] == "groceries" and b["currency"] == "USD"]
    spent = parts_of(traveller, lambda tx, c: c == "groceries" and tx.currency == "USD" and tx.type == "expense")
    assert groceries["converted"]["spent"] == converted_flows(spent, "USD")["expense"]
    assert groceries["converted"]["budget"] == "500.00" and groceries["converted"]["remaining"] == str(
        Decimal("500.00") - Decimal(groceries["converted"]["spent"])
    )


def test_without_a_home_currency_or_convert_to_nothing_is_converted(server, infra, root, store):
    ledger = Ledger(root.engine, f"plain-{uuid.uuid4().hex[:8]}")
    ledger.transaction("expense", "9.99", "USD", "fun", dt.date(2024, 5, 16))
    synced(root, store)
    data = ask(server, infra, ledger.user, "monthly-summary", month="2024-05")
    assert "converted" not in data and "converted" not in data["currencies"]["USD"]


# -- item 6: a missing rate is reported, not guessed ------------------------------------------------------


def test_a_currency_without_rates_and_a_day_before_the_first_rate_are_named_and_the_totals_are_null(
    server, infra, root, store, rates_loaded
):
    ledger = Ledger(root.engine, f"gaps-{uuid.uuid4().hex[:8]}")
    ledger.transaction("expense", "10.00", "NZD", "fun", dt.date(2024, 5, 15))  # the file has no NZD
    ledger.transaction("income", "20.00", "USD", "pay", dt.date(2024, 5, 7))  # the file starts on 2024-05-08
    ledger.transaction("income", "30.00", "EUR", "pay", dt.date(2024, 5, 9))
    synced(root, store)

    data = ask(server, infra, ledger.user, "monthly-summary", month="2024-05", convert_to="EUR")

    total = data["converted"]
    assert (total["income"], total["expense"], total["net"]) == (None, None, None)
    assert [(m["currency"], m["date"]) for m in total["missing_rates"]] == [
        ("NZD", "2024-05-15"),
        ("USD", "2024-05-07"),
    ]
    assert all(m["detail"] for m in total["missing_rates"])
    assert data["currencies"]["EUR"]["converted"]["income"] == "30.00"  # a total with every rate is still given


# -- item 2: transfers change no income or expense figure -------------------------------------------------


def test_fifty_transfers_change_no_summary_or_category_figure(server, infra, root, store):
    ledger = Ledger(root.engine, f"mover-{uuid.uuid4().hex[:8]}")
    eur = ledger.account("checking", "EUR", "100.00", dt.date(2025, 1, 1))
    usd = ledger.account("savings", "USD", "0.00", dt.date(2025, 1, 1))
    rng = random.Random(2)
    for _ in range(30):
        account = rng.choice([eur, usd, None])
        currency = ledger.accounts[account].currency if account else "EUR"
        kind = rng.choice(["income", "expense"])
        ledger.transaction(
            kind,
            f"{rng.randint(1, 99999) / 100:.2f}",
            currency,
            "fun",
            dt.date(2025, 6, rng.randint(1, 30)),
            account=account,
        )
    synced(root, store)
    reports = [
        ("monthly-summary", {"month": "2025-06"}),
        ("category-breakdown", {"from": "2025-06-03", "to": "2025-07-31"}),
    ]
    before = [ask(server, infra, ledger.user, name, **params) for name, params in reports]

    for i in range(50):
        a, b = (eur, usd) if i % 2 else (usd, eur)
        ledger.transfer(
            a, b, f"{rng.randint(1, 9999) / 100:.2f}", f"{rng.randint(1, 9999) / 100:.2f}", dt.date(2025, 6, 1 + i % 30)
        )
    synced(root, store)

    assert [ask(server, infra, ledger.user, name, **params) for name, params in reports] == before


# -- item 4: net worth per month equals the sum of month-end balances ------------------------------------


def month_end(month: str) -> dt.date:
    y, m = int(month[:4]), int(month[5:])
    return dt.date(y + m // 12, m % 12 + 1, 1) - dt.timedelta(days=1)


def expected_net_worth(ledger: Ledger, months: list[str]) -> list[dict]:
    out = []
    for month in months:
        end = month_end(month)
        sums: dict[str, list[Decimal]] = {}
        for acct in ledger.accounts.values():
            if acct.opened > end:
                continue
            balance = acct.opening
            balance += sum((t.signed for t in ledger.txs.values() if t.account == acct.id and t.day <= end), Decimal(0))
            for t in ledger.transfers.values():
                if t.day <= end:
                    balance += (t.to_amount if t.to_account == acct.id else 0) - (
                        t.amount if t.from_account == acct.id else 0
                    )
            pair = sums.setdefault(acct.currency, [Decimal(0), Decimal(0)])
            pair[1 if acct.type in LIABILITIES else 0] += balance
        currencies = {
            c: {"assets": fmt(a, c), "liabilities": fmt(li, c), "net": fmt(a + li, c)}
            for c, (a, li) in sorted(sums.items())
        }
        out.append({"month": month, "end": end.isoformat(), "currencies": currencies})
    return out


@pytest.fixture(scope="module")
def household(root, store):
    """Four accounts opened through 2025, a year of entries and transfers (some cross-currency), some undone."""
    ledger = Ledger(root.engine, f"household-{uuid.uuid4().hex[:8]}")
    opened = {
        ledger.account("checking", "EUR", "1500.00", dt.date(2025, 1, 1)): dt.date(2025, 1, 1),
        ledger.account("credit_card", "EUR", "-200.00", dt.date(2025, 2, 10)): dt.date(2025, 2, 10),
        ledger.account("savings", "USD", "0.00", dt.date(2025, 3, 15)): dt.date(2025, 3, 15),
        ledger.account("loan", "EUR", "-15000.00", dt.date(2025, 4, 1)): dt.date(2025, 4, 1),
    }
    ids = list(opened)
    rng = random.Random(4)

    def day_after(*accounts: str) -> dt.date:
        first = max(opened[a] for a in accounts)
        return first + dt.timedelta(days=rng.randint(0, (dt.date(2025, 12, 31) - first).days))

    for _ in range(300):
        if rng.random() < 0.25:
            a, b = rng.sample(ids, 2)
            cur_a, cur_b = ledger.accounts[a].currency, ledger.accounts[b].currency
            amount = f"{rng.randint(1, 99999) / 100:.2f}"
            to_amount = f"{rng.randint(1, 99999) / 100:.2f}" if cur_a != cur_b else None
            tid = ledger.transfer(a, b, amount, to_amount, day_after(a, b))
            if rng.random() < 0.1:
                ledger.delete_transfer(tid)
        else:
            acct = rng.choice(ids)
            tx = ledger.transaction(rng.choice(["income", "expense"]), f"{rng.randint(1, 99999) / 100:.2f}",
                                    ledger.accounts[acct].currency, "fun", day_after(acct), account=acct)  # fmt: skip
            if rng.random() < 0.1:
                ledger.delete(tx)
            elif rng.random() < 0.1:
                ledger.correct(tx, amount=f"{rng.randint(1, 99999) / 100:.2f}", day=day_after(acct))
    ledger.transaction("expense", "5.00", "EUR", "fun", dt.date(2025, 5, 5))  # in no account: no balance moves
    synced(root, store)
    return ledger


MONTHS_2025 = [f"2025-{m:02d}" for m in range(1, 13)]


def test_net_worth_for_twelve_months_equals_the_month_end_balances(server, infra, household):
    data = ask(server, infra, household.user, "net-worth", months="12", until="2025-12")
    assert data == {"months": expected_net_worth(household, MONTHS_2025)}
    assert data["months"][0]["currencies"].keys() == {"EUR"}  # only the checking account was open in January


def test_net_worth_over_kafka_is_the_http_answer(server, infra, household):
    token = infra.issuer.token(household.user)
    client = QueryClient(server.root.settings, client_id=f"nw-{uuid.uuid4().hex[:6]}")
    try:
        reply = client.ask("net-worth", {"months": "12", "until": "2025-12"}, token=token, timeout_s=20)
    finally:
        client.close()
    assert reply["ok"] is True, reply
    assert reply["result"]["data"] == {"months": expected_net_worth(household, MONTHS_2025)}


def test_net_worth_converts_each_month_end_balance_at_that_days_rate(server, infra, root, store, rates_loaded):
    ledger = Ledger(root.engine, f"abroad-{uuid.uuid4().hex[:8]}")
    eur = ledger.account("checking", "EUR", "100.00", dt.date(2024, 5, 1))
    usd = ledger.account("credit_card", "USD", "-50.00", dt.date(2024, 5, 1))
    ledger.transaction("expense", "20.01", "USD", "fun", dt.date(2024, 5, 20), account=usd)
    ledger.transfer(eur, usd, "10.00", "10.85", dt.date(2024, 5, 21))
    synced(root, store)

    data = ask(server, infra, ledger.user, "net-worth", months="2", until="2024-05", convert_to="EUR")

    april, may = data["months"]
    assert april["currencies"] == {} and april["converted"]["net"] == "0.00"
    card, _ = convert(Decimal("-50.00") - Decimal("20.01") + Decimal("10.85"), "USD", dt.date(2024, 5, 31), "EUR")
    assert may["converted"] == {
        "currency": "EUR", "assets": "90.00", "liabilities": str(card), "net": str(Decimal("90.00") + card),
        "rate_dates": {"first": "2024-05-31", "last": "2024-05-31"}, "missing_rates": [],
    }  # fmt: skip
