"""`budget accounts` and `budget transfer` against the served app, the real broker and MariaDB: --wait prints the
outcome; a rejected write says why on stderr and exits 1."""

from __future__ import annotations

import orjson
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
