"""`budget accounts [open | close | reopen | entries]` and `budget transfer`: accounts through the HTTP API.

Writes are operations like every other write: `--wait` follows one to its outcome (a closed account, a currency
that does not fit... end it rejected, with the reason on stderr and exit status 1).
"""

from __future__ import annotations

import datetime as dt

import typer

from cli.commands.write import _TIMEOUT, _TOKEN, _URL, _USER, _WAIT, _bearer, _call, _outcome, _print

accounts = typer.Typer(help="Your accounts and their balances; with no command, the list.")


@accounts.callback(invoke_without_command=True)
def listed(ctx: typer.Context, url: str = _URL, user: str = _USER, token: str = _TOKEN, timeout: float = _TIMEOUT):
    """Every account with its balance."""
    if ctx.invoked_subcommand is None:
        _print(_call("GET", url, "/api/accounts", _bearer(user, token), timeout))


@accounts.command("open")
def open_(
    name: str = typer.Argument(..., help="e.g. 'Current account'"),
    kind: str = typer.Option("checking", "--type", help="checking, savings, credit_card, cash, investment or loan"),
    currency: str = typer.Option(..., help="ISO 4217 code, e.g. EUR; it never changes."),
    opening_balance: str = typer.Option("0", help='The balance at the start of the opening date; owed: "-200.00".'),
    opening_date: str = typer.Option(None, help="YYYY-MM-DD; today when absent. Nothing is recorded before it."),
    account_id: str = typer.Option(None, "--id", help="Your own id (a UUID): sent again, it opens nothing new."),
    wait: bool = _WAIT,
    url: str = _URL,
    user: str = _USER,
    token: str = _TOKEN,
    timeout: float = _TIMEOUT,
) -> None:
    """Open an account."""
    body = {"name": name, "type": kind, "currency": currency, "opening_balance": opening_balance}
    body["opening_date"] = opening_date or dt.date.today().isoformat()
    if account_id:
        body["id"] = account_id
    bearer = _bearer(user, token)
    _outcome(_call("POST", url, "/api/accounts", bearer, timeout, json=body), url=url, token=bearer, timeout=timeout,
             wait=wait)  # fmt: skip


def _closed(account_id: str, closed: bool, wait: bool, url: str, user: str, token: str, timeout: float) -> None:
    bearer = _bearer(user, token)
    accepted = _call("PATCH", url, f"/api/accounts/{account_id}", bearer, timeout, json={"closed": closed})
    _outcome(accepted, url=url, token=bearer, timeout=timeout, wait=wait)


@accounts.command()
def close(
    account_id: str = typer.Argument(..., help="The account's id."),
    wait: bool = _WAIT,
    url: str = _URL,
    user: str = _USER,
    token: str = _TOKEN,
    timeout: float = _TIMEOUT,
) -> None:
    """Close an account: it keeps its history and balance, and refuses new money until reopened."""
    _closed(account_id, True, wait, url, user, token, timeout)


@accounts.command()
def reopen(
    account_id: str = typer.Argument(..., help="The account's id."),
    wait: bool = _WAIT,
    url: str = _URL,
    user: str = _USER,
    token: str = _TOKEN,
    timeout: float = _TIMEOUT,
) -> None:
    """Reopen a closed account."""
    _closed(account_id, False, wait, url, user, token, timeout)


@accounts.command()
def entries(
    account_id: str = typer.Argument(..., help="The account's id."),
    limit: int = typer.Option(50, help="Rows per page (at most 500)."),
    cursor: str = typer.Option(None, help="The next_cursor of the page before."),
    url: str = _URL,
    user: str = _USER,
    token: str = _TOKEN,
    timeout: float = _TIMEOUT,
) -> None:
    """The account's transactions and transfers, newest first, each with the balance after it."""
    params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
    path = f"/api/accounts/{account_id}/transactions"
    _print(_call("GET", url, path, _bearer(user, token), timeout, params=params))


def transfer(
    source: str = typer.Option(..., "--from", help="The account the money leaves."),
    target: str = typer.Option(..., "--to", help="The account it reaches."),
    amount: str = typer.Option(..., help='What leaves, in its account\'s currency, e.g. "100.00".'),
    to_amount: str = typer.Option(None, help="What arrives, in the other currency (required when they differ)."),
    date: str = typer.Option(None, help="YYYY-MM-DD; today when absent."),
    description: str = typer.Option(None),
    wait: bool = _WAIT,
    url: str = _URL,
    user: str = _USER,
    token: str = _TOKEN,
    timeout: float = _TIMEOUT,
) -> None:
    """Move money between two of your accounts: neither income nor expense."""
    body = {"from_account": source, "to_account": target, "amount": amount, "description": description}
    body["date"] = date or dt.date.today().isoformat()
    if to_amount is not None:
        body["to_amount"] = to_amount
    bearer = _bearer(user, token)
    accepted = _call("POST", url, "/api/transfers", bearer, timeout, json=body)
    _outcome(accepted, url=url, token=bearer, timeout=timeout, wait=wait)


def register(app: typer.Typer) -> None:
    app.add_typer(accounts, name="accounts")
    app.command()(transfer)
