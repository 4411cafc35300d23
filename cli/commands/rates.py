"""`budget rates load FILE`: load an ECB reference-rate file (daily or 90-day XML, history CSV or zip).

The file is posted as it is to `POST /api/rates`, which needs the admin app role: without --token a development
token with that role is minted. Rates are reference data, stored synchronously: the answer says what was loaded.
"""

from __future__ import annotations

from pathlib import Path

import typer

from cli.commands.write import _call, _print

rates = typer.Typer(help="Exchange rates: the ECB's euro reference rates that reports convert with.")


@rates.command()
def load(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="An ECB rate file."),
    url: str = typer.Option("http://127.0.0.1:7071", help="The HTTP API (the storage app's)."),
    user: str = typer.Option("admin", help="The administrator a development token is minted for."),
    token: str = typer.Option(None, help="A bearer token with the admin app role, instead of minting one."),
    timeout: float = typer.Option(120.0, help="Seconds to wait for the answer (the whole history takes a while)."),
) -> None:
    """Load the rates of a file and print what was loaded (first and last day, currencies left out)."""
    if token is None:
        from cli.runner.localenv import dev_issuer

        token = dev_issuer().token(user, admin=True)
    answer = _call("POST", url, "/api/rates", token, timeout, content=file.read_bytes())
    _print(answer)


def register(app: typer.Typer) -> None:
    app.add_typer(rates, name="rates")
