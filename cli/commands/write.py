"""`budget add | correct | delete | set-budget | operation`: writes through the HTTP API, and their outcomes
(`budget accounts` and `budget transfer` are in accounts.py).

Every write is accepted (202) as an operation; `--wait` follows it until storage has applied or rejected it and
prints that outcome. Answers go to stdout; problems (a refused request, a rejected operation's reason, no answer)
to stderr with exit status 1.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from typing import Any

import orjson
import typer

_URL = typer.Option("http://127.0.0.1:7071", help="The HTTP API.")
_USER = typer.Option("alice", help="Whose data: the user a development token is minted for.")
_TOKEN = typer.Option(None, help="A bearer token to use instead of minting one.")
_WAIT = typer.Option(False, "--wait", help="Wait for the operation's outcome and print it.")
_TIMEOUT = typer.Option(30.0, help="Seconds to wait for an answer, and with --wait for the outcome.")


def _print(body: object, *, error: bool = False) -> None:
    (sys.stderr if error else sys.stdout).write(orjson.dumps(body, option=orjson.OPT_INDENT_2).decode() + "\n")


def _bearer(user: str, token: str | None) -> str:
    if token is None:
        from cli.runner.localenv import dev_issuer

        token = dev_issuer().token(user)
    return token


def _call(method: str, url: str, path: str, token: str, timeout: float, **kwargs: Any) -> dict:
    """One request; exits 1 with the problem on stderr when it is refused or unanswered."""
    import httpx

    try:
        r = httpx.request(method, url.rstrip("/") + path, headers={"Authorization": f"Bearer {token}"},
                          timeout=timeout, **kwargs)  # fmt: skip
    except httpx.HTTPError as exc:
        typer.echo(f"No answer from {url}: {exc}", err=True)
        raise typer.Exit(1) from None
    try:
        body = r.json()
    except ValueError:
        body = {"status": r.status_code, "detail": r.text[:500]}
    if r.status_code >= 400:
        _print(body, error=True)
        raise typer.Exit(1)
    return body


def _outcome(accepted: dict, *, url: str, token: str, timeout: float, wait: bool) -> None:
    """Print the 202's answer; with --wait, follow its operation to the end and print that instead."""
    if not wait:
        _print(accepted)
        return
    deadline = time.monotonic() + timeout
    op: dict = {"status": "pending"}
    while op["status"] == "pending" and time.monotonic() < deadline:
        left = max(0.0, min(10.0, deadline - time.monotonic()))
        op = _call("GET", url, f"/api/operations/{accepted['operation']}", token, left + 5, params={"wait": left})
    _print(op)
    if op["status"] == "pending":
        typer.echo(f"The operation is still pending after {timeout:g}s: is storage consuming?", err=True)
        raise typer.Exit(1)
    if op["status"] == "rejected":
        reason = op.get("reason") or {"detail": f"{op['rejected']} of {op['expected']} items were rejected"}
        typer.echo(f"Rejected: {reason.get('detail')}", err=True)
        raise typer.Exit(1)


def add(
    amount: str = typer.Option(..., help='A decimal amount, e.g. "12.50".'),
    currency: str = typer.Option(..., help="ISO 4217 code, e.g. EUR."),
    category: str = typer.Option(..., help="e.g. groceries"),
    kind: str = typer.Option("expense", "--type", help="expense or income"),
    date: str = typer.Option(None, help="YYYY-MM-DD; today when absent."),
    description: str = typer.Option(None),
    tag: list[str] = typer.Option([], help="A tag; repeat as needed."),
    wait: bool = _WAIT,
    url: str = _URL,
    user: str = _USER,
    token: str = _TOKEN,
    timeout: float = _TIMEOUT,
) -> None:
    """Record one transaction."""
    body = {"type": kind, "amount": amount, "currency": currency, "category": category, "tags": tag}
    body |= {"date": date or dt.date.today().isoformat(), "description": description}
    bearer = _bearer(user, token)
    accepted = _call("POST", url, "/api/transactions", bearer, timeout, json=body)
    _outcome(accepted, url=url, token=bearer, timeout=timeout, wait=wait)


def correct(
    transaction_id: str = typer.Argument(..., help="The transaction's id."),
    amount: str = typer.Option(None),
    currency: str = typer.Option(None),
    category: str = typer.Option(None),
    kind: str = typer.Option(None, "--type"),
    date: str = typer.Option(None),
    description: str = typer.Option(None),
    if_match: int = typer.Option(None, help="Apply only over this version (the transaction's ETag)."),
    idempotency_key: str = typer.Option(None, help="Sent again with the same key, the correction is not repeated."),
    wait: bool = _WAIT,
    url: str = _URL,
    user: str = _USER,
    token: str = _TOKEN,
    timeout: float = _TIMEOUT,
) -> None:
    """Correct fields of a transaction: any subset (an amount alone keeps its currency)."""
    named = {"amount": amount, "currency": currency, "category": category, "type": kind, "date": date}
    changes = {k: v for k, v in named.items() if v is not None}
    if description is not None:
        changes["description"] = description
    if not changes:
        raise typer.BadParameter("name at least one field to change, e.g. --amount 9.90")
    bearer = _bearer(user, token)
    accepted = _call("PATCH", url, f"/api/transactions/{transaction_id}", bearer, timeout, json=changes,
                     headers=_conditions(if_match, idempotency_key))  # fmt: skip
    _outcome(accepted, url=url, token=bearer, timeout=timeout, wait=wait)


def delete(
    transaction_id: str = typer.Argument(..., help="The transaction's id."),
    if_match: int = typer.Option(None, help="Delete only this version (the transaction's ETag)."),
    idempotency_key: str = typer.Option(None),
    wait: bool = _WAIT,
    url: str = _URL,
    user: str = _USER,
    token: str = _TOKEN,
    timeout: float = _TIMEOUT,
) -> None:
    """Delete a transaction."""
    bearer = _bearer(user, token)
    accepted = _call("DELETE", url, f"/api/transactions/{transaction_id}", bearer, timeout,
                     headers=_conditions(if_match, idempotency_key))  # fmt: skip
    _outcome(accepted, url=url, token=bearer, timeout=timeout, wait=wait)


def set_budget(
    category: str = typer.Argument(...),
    month: str = typer.Argument(..., help="YYYY-MM"),
    amount: str = typer.Argument(...),
    currency: str = typer.Argument(...),
    account: list[str] = typer.Option(
        [], "--account", help="Count only expenses in this account (an id); repeat for a set. None: every expense."
    ),
    wait: bool = _WAIT,
    url: str = _URL,
    user: str = _USER,
    token: str = _TOKEN,
    timeout: float = _TIMEOUT,
) -> None:
    """Set a month's spending limit for a category, over every expense or over a set of accounts."""
    from urllib.parse import quote

    bearer = _bearer(user, token)
    path = f"/api/budgets/{quote(category, safe='')}/{month}"
    body = {"amount": amount, "currency": currency, "accounts": account or None}  # set again without: global again
    accepted = _call("PUT", url, path, bearer, timeout, json=body)
    _outcome(accepted, url=url, token=bearer, timeout=timeout, wait=wait)


def operation(
    operation_id: str = typer.Argument(...),
    wait: float = typer.Option(0, help="Seconds to wait for the outcome (at most 10)."),
    url: str = _URL,
    user: str = _USER,
    token: str = _TOKEN,
) -> None:
    """The outcome of a write: pending, applied or rejected (and why)."""
    _print(_call("GET", url, f"/api/operations/{operation_id}", _bearer(user, token), wait + 10, params={"wait": wait}))


def _conditions(if_match: int | None, idempotency_key: str | None) -> dict[str, str]:
    """The headers of a conditional (If-Match) or idempotent (Idempotency-Key) write."""
    headers = {}
    if if_match is not None:
        headers["If-Match"] = f'"{if_match}"'
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    return headers


def register(app: typer.Typer) -> None:
    from cli.commands import accounts  # it builds on this module's calls

    app.command()(add)
    app.command()(correct)
    app.command()(delete)
    app.command("set-budget")(set_budget)
    app.command()(operation)
    accounts.register(app)
