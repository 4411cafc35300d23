"""`budget import` against the served app, the real broker and MariaDB: --wait prints the summary once every row
is stored; a file sent in parts of whole days imports exactly as it would whole; bad lines are named before
anything is sent; a dry run prints the preview and records nothing."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import typer
from typer.testing import CliRunner

from shared.adapters.bankfiles import parse
from tests.support.accounts import open_account

DATA = Path(__file__).resolve().parents[1] / "data" / "bankfiles"


def _cli() -> typer.Typer:
    from cli.commands import imports

    cli = typer.Typer()
    cli.callback()(lambda: None)  # a group, so the command is invoked as under `budget`
    imports.register(cli)
    return cli


def counts(summary: str) -> dict[str, int]:
    """The summary table's figures."""
    return {k: int(v.replace(",", "")) for k, v in re.findall(r"(new|duplicates|matched|rejected)\W+([\d,]+)", summary)}


def _stored(client, account: str) -> list[tuple]:
    items = client.get("/api/transactions", params={"account_id": account, "limit": 500}).json()["items"]
    return sorted((t["date"], t["type"], t["amount"], t["payee"]) for t in items)


def test_import_waits_for_every_row_and_a_split_file_imports_as_the_whole(client, app_server, infra, user, tmp_path):
    cli, runner = _cli(), CliRunner()
    common = ["--url", app_server.base_url, "--token", infra.issuer.token(user)]
    whole, parts = open_account(client, "Whole", "checking", "EUR", 0), open_account(client, "Parts", "checking",
                                                                                      "EUR", 0)  # fmt: skip
    sample = str(DATA / "csv_de_semicolon_bom.csv")

    done = runner.invoke(cli, ["import", sample, "--account", whole, "--wait", *common])
    assert done.exit_code == 0, (done.stdout, done.stderr)
    assert counts(done.stdout) == {"new": 6, "duplicates": 0, "matched": 0, "rejected": 0}
    assert "stored" in done.stderr  # the progress bars

    split = runner.invoke(cli, ["import", sample, "--account", parts, "--wait", "--max-request-bytes", "1024", *common])
    assert split.exit_code == 0, (split.stdout, split.stderr)
    assert _stored(client, parts) == _stored(client, whole) and len(_stored(client, whole)) == 6
    again = runner.invoke(cli, ["import", sample, "--account", parts, "--wait", "--max-request-bytes", "1024", *common])
    assert counts(again.stdout) == {"new": 0, "duplicates": 6, "matched": 0, "rejected": 0}

    preview = runner.invoke(cli, ["import", str(DATA / "csv_overlap_1.csv"), "--account", whole, "--dry-run", *common])
    assert preview.exit_code == 0, preview.stderr
    shown = orjson.loads(preview.stdout)
    assert (shown["rows"], shown["new"]) == (6, 6) and len(_stored(client, whole)) == 6


def test_bad_lines_are_named_before_anything_is_sent(client, app_server, infra, user):
    cli, runner = _cli(), CliRunner()
    common = ["--url", app_server.base_url, "--token", infra.issuer.token(user)]
    account = open_account(client, "Bank", "checking", "EUR", 0)
    sample = str(DATA / "csv_bad_rows.csv")
    refused = runner.invoke(cli, ["import", sample, "--account", account, *common])
    assert refused.exit_code == 1
    problem = orjson.loads(refused.stderr[refused.stderr.index("{") :])
    assert [e["line"] for e in problem["errors"]] == [
        e.line for e in parse((DATA / "csv_bad_rows.csv").read_bytes()).errors
    ]
    assert _stored(client, account) == []
    kept = runner.invoke(cli, ["import", sample, "--account", account, "--skip-invalid", "--wait", *common])
    assert kept.exit_code == 0, (kept.stdout, kept.stderr)
    assert len(_stored(client, account)) == 2
    mapped = ["--map", "date=Buchungstag", "--map", "amount=Betrag", "--map", "description=Verwendungszweck"]
    again = runner.invoke(cli, ["import", sample, "--account", account, "--skip-invalid", "--wait", *mapped, *common])
    assert again.exit_code == 0 and len(_stored(client, account)) == 2
    wrong = runner.invoke(cli, ["import", sample, "--account", account, "--map", "when=Buchungstag", *common])
    assert wrong.exit_code == 2 and "name=column" in wrong.stderr
