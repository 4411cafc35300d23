"""Loading exchange rates into the real MariaDB (and the SQLite stand-in): the admin route, the CLI, the timer's
service with a fetcher handing it the daily sample, and reloads that change nothing (design test plan item 8)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import orjson
import pytest
import sqlalchemy as sa
import typer
from typer.testing import CliRunner

from shared.adapters.mysql.engine import build_engine
from shared.adapters.mysql.migrate import migrate, schema_state
from shared.adapters.mysql.rates import SqlRates
from shared.bootstrap import Root
from shared.services.rates import Rates

DATA = Path(__file__).parents[1] / "data" / "ecb"
DAILY_DAY = dt.date(2024, 5, 17)


def stored(engine, day: dt.date) -> dict[str, tuple[Decimal, str, int]]:
    """currency -> (rate, source, change_seq) of one day, as the database holds them."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT currency, per_euro, source, change_seq FROM exchange_rates WHERE day = :d"), {"d": day}
        )
        return {c: (Decimal(str(v)), s, int(q)) for c, v, s, q in rows}


@pytest.fixture
def admin(app_server, infra):
    with app_server.client(infra.issuer.token("rates-admin", admin=True)) as c:
        yield c


def test_loading_rates_without_the_admin_role_is_403_and_stores_nothing(client, db):
    before = stored(db, dt.date(2001, 1, 2))
    r = client.post("/api/rates", content=b"Date,NOK,\n2001-01-02,8.2000,\n")
    assert r.status_code == 403, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert stored(db, dt.date(2001, 1, 2)) == before


def test_the_timer_function_with_a_fetcher_of_the_daily_sample_loads_its_six_rates(root, db):
    import azure.functions as func

    from cli.runner.index import index
    from cli.runner.triggers import TimerRequest
    from functions import rates

    asked: list[str] = []

    def fetch(url: str) -> bytes:
        asked.append(url)
        return (DATA / "eurofxref-daily.xml").read_bytes()

    # The URLs as the settings EcbDailyUrl and Ecb90DayUrl will give them; the database is the session's.
    urls = SimpleNamespace(ecb_daily_url="https://ecb.example/daily.xml", ecb_90day_url="https://ecb.example/90d.xml")
    app = func.FunctionApp()
    app.register_functions(rates.triggers(Root(urls, engine=root.engine), fetch=fetch))
    (timer,) = [fn for fn in index(app) if fn.name == "load_rates"]
    assert timer.kind == "timerTrigger" and timer.trigger["schedule"] == "%RatesSchedule%"

    timer.call(timer=TimerRequest(past_due=False))
    timer.call(timer=TimerRequest(past_due=True))  # a missed run: the 90-day file (the sample stands in for it)

    assert asked == ["https://ecb.example/daily.xml", "https://ecb.example/90d.xml"]
    day = stored(db, DAILY_DAY)
    assert len(day) == 6
    assert {c: v for c, (v, _, _) in day.items()} == {
        "USD": Decimal("1.0866"), "JPY": Decimal("169.30"), "GBP": Decimal("0.85773"),
        "CHF": Decimal("0.9881"), "ISK": Decimal("150.10"), "KWD": Decimal("0.33361"),
    }  # fmt: skip


def test_an_admin_posts_the_file_as_published_and_a_reload_changes_nothing(admin, db):
    body = (DATA / "eurofxref-daily.xml").read_bytes()
    first = admin.post("/api/rates", content=body, headers={"Content-Type": "application/xml"})
    assert first.status_code == 200, first.text
    assert first.json() == {"loaded": 6, "first_day": "2024-05-17", "last_day": "2024-05-17", "ignored": ["HRK"]}
    before = stored(db, DAILY_DAY)

    again = admin.post("/api/rates", content=body)
    assert again.status_code == 200, again.text
    assert stored(db, DAILY_DAY) == before  # same values: same source, same change_seq, nothing for a sync to read


def test_a_changed_rate_takes_a_new_change_seq_one_per_load(admin, db):
    day = dt.date(2001, 1, 2)
    admin.post("/api/rates", content=b"Date,NOK,SEK,\n2001-01-02,8.2000,8.8700,\n").raise_for_status()
    before = stored(db, day)
    r = admin.post("/api/rates", content=b"Date,NOK,SEK,\n2001-01-02,8.2100,8.8700,\n")
    assert r.status_code == 200, r.text
    after = stored(db, day)
    assert after["NOK"][0] == Decimal("8.21") and after["NOK"][2] > before["NOK"][2]
    assert after["SEK"] == before["SEK"]  # unchanged value: untouched
    # Put the first value back so reruns see the same start.
    admin.post("/api/rates", content=b"Date,NOK,SEK,\n2001-01-02,8.2000,8.8700,\n").raise_for_status()


def test_a_bad_file_is_422_naming_line_and_cell(admin):
    bad = (DATA / "eurofxref-hist.csv").read_bytes().replace(b"0.86018", b"0.86O18")
    r = admin.post("/api/rates", content=bad)
    assert r.status_code == 422, r.text
    assert "line 4, GBP" in r.json()["detail"]


def _cli() -> typer.Typer:
    from cli.commands import rates

    cli = typer.Typer()
    cli.callback()(lambda: None)  # a group, so `rates load` is invoked as under `budget`
    rates.register(cli)
    return cli


def test_budget_rates_load_posts_the_history_zip(app_server, infra, db):
    token = infra.issuer.token("rates-admin", admin=True)
    args = ["rates", "load", str(DATA / "eurofxref-hist.zip"), "--url", app_server.base_url, "--token", token]
    result = CliRunner().invoke(_cli(), args)
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout) == {
        "loaded": 41, "first_day": "2024-05-08", "last_day": "2024-05-17", "ignored": ["CYP"],
    }  # fmt: skip
    assert stored(db, dt.date(2024, 5, 15))["KWD"][0] == Decimal("0.33295")
    assert "ISK" not in stored(db, dt.date(2024, 5, 15))  # N/A that day: no rate, not a zero


def test_the_migration_and_the_loads_work_on_the_sqlite_stand_in(infra, tmp_path):
    engine = build_engine(infra.settings(database_url=f"sqlite:///{tmp_path / 'budget.db'}"))
    migrate(engine)
    assert schema_state(engine).at_head
    store = SqlRates(engine)
    answer = Rates(store=store).load_file((DATA / "eurofxref-hist.csv").read_bytes())
    assert answer["loaded"] == 41
    before = stored(engine, DAILY_DAY)
    Rates(store=store).load_file((DATA / "eurofxref-daily.xml").read_bytes())  # the same day's same values
    assert stored(engine, DAILY_DAY) == before
    assert before["JPY"][0] == Decimal("169.3")
    engine.dispose()
