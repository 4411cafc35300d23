"""`budget accounts` and `budget transfer` against the served app, the real broker and MariaDB: --wait prints the
outcome; a rejected write says why on stderr and exits 1. `budget set-budget --account` names a budget's accounts."""

from __future__ import annotations

import uuid

import orjson
import sqlalchemy as sa
import typer
from typer.testing import CliRunner


def _cli() -> typer.Typer:
    from cli.commands import write

    cli = typer.Typer()
    cli.callback()(lambda: None)  # a group, so the commands are invoked as under `budget`
    write.register(cli)
    return cli


def test_open_list_transfer_close_and_a_refused_transfer(app_server, infra, user):
    cli, runner = _cli(), CliRunner()
    common = ["--url", app_server.base_url, "--token", infra.issuer.token(user)]

    def run(*args: str, code: int = 0):
        result = runner.invoke(cli, [*args, *common])
        assert result.exit_code == code, (result.stdout, result.stderr)
        return result

    def opened(name: str, currency: str, balance: str) -> str:
        args = ["accounts", "open", name, "--currency", currency, "--opening-balance", balance]
        op = orjson.loads(run(*args, "--opening-date", "2026-01-01", "--wait").stdout)
        assert op["status"] == "applied"
        return op["resource"].rsplit("/", 1)[1]

    current, card = opened("Current", "EUR", "100.00"), opened("Card", "EUR", "-20.00")
    moved = run("transfer", "--from", current, "--to", card, "--amount", "20.00", "--date", "2026-02-01", "--wait")
    assert orjson.loads(moved.stdout)["status"] == "applied"
    listed = {a["name"]: a["balance"] for a in orjson.loads(run("accounts").stdout)["items"]}
    assert listed == {"Current": "80.00", "Card": "0.00"}
    (leg,) = orjson.loads(run("accounts", "entries", card).stdout)["items"]
    assert (leg["kind"], leg["amount"], leg["balance"]) == ("transfer_in", "20.00", "0.00")

    assert orjson.loads(run("accounts", "close", card, "--wait").stdout)["status"] == "applied"
    refused = run("transfer", "--from", current, "--to", card, "--amount", "1.00", "--wait", code=1)
    assert orjson.loads(refused.stdout)["reason"]["code"] == "closed"
    assert "Rejected: account 'Card' is closed" in refused.stderr


def test_set_budget_over_a_set_of_accounts_and_back_to_every_expense(app_server, infra, user, db):
    cli, runner = _cli(), CliRunner()
    common = ["--url", app_server.base_url, "--token", infra.issuer.token(user)]

    def run(*args: str, code: int = 0):
        result = runner.invoke(cli, [*args, *common])
        assert result.exit_code == code, (result.stdout, result.stderr)
        return orjson.loads(result.stdout)

    def opened(name: str) -> str:
        args = ["accounts", "open", name, "--currency", "EUR", "--opening-balance", "0", "--opening-date", "2026-01-01"]
        return run(*args, "--wait")["resource"].rsplit("/", 1)[1]

    def stored() -> str | None:
        with db.connect() as conn:
            query = "SELECT accounts FROM budgets WHERE user_id = :u AND category = 'fuel' AND month = '2026-03'"
            return conn.execute(sa.text(query), {"u": user}).scalar()

    card, cash = sorted([opened("Card"), opened("Cash")])
    budget = ["set-budget", "fuel", "2026-03", "80.00", "EUR"]
    assert run(*budget, "--account", cash, "--account", card, "--wait")["status"] == "applied"
    assert orjson.loads(stored()) == [card, cash]
    refused = run(*budget, "--account", str(uuid.uuid4()), "--wait", code=1)
    assert refused["reason"]["code"] == "not_found"
    assert run(*budget, "--wait")["status"] == "applied"
    assert stored() is None
