"""Accounts over HTTP for integration tests: writes followed to their outcome, money kept in integer minor units
(two-digit currencies only), and an account's listing read to its end."""

from __future__ import annotations

import httpx


def money(minor: int) -> str:
    """Integer cents as the API writes them: "-12.05"."""
    sign, minor = ("-", -minor) if minor < 0 else ("", minor)
    return f"{sign}{minor // 100}.{minor % 100:02d}"


def cents(text: str) -> int:
    """The API's decimal string back in integer cents, refusing anything that is not exactly two digits."""
    sign, digits = (-1, text[1:]) if text.startswith("-") else (1, text)
    whole, fraction = digits.split(".")
    assert len(fraction) == 2, text
    return sign * (int(whole) * 100 + int(fraction))


def accepted(response: httpx.Response) -> str:
    """The operation of a 202, checked to be named where the Location says."""
    assert response.status_code == 202, response.text
    op = response.json()["operation"]
    assert response.headers["location"] == f"/api/operations/{op}"
    return op


def outcome(client: httpx.Client, op: str) -> dict:
    """The operation once storage has decided it (at most ~10 s of waiting)."""
    answer = client.get(f"/api/operations/{op}", params={"wait": 10})
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] != "pending", answer.json()
    return answer.json()


def applied(client: httpx.Client, response: httpx.Response) -> dict:
    op = outcome(client, accepted(response))
    assert op["status"] == "applied", op
    return op


def open_account(client: httpx.Client, name: str, kind: str, currency: str, opening: int, day="2026-01-01") -> str:
    body = {"name": name, "type": kind, "currency": currency, "opening_balance": money(opening), "opening_date": day}
    response = client.post("/api/accounts", json=body)
    applied(client, response)
    return response.json()["id"]


def listing(client: httpx.Client, account_id: str, *, limit: int = 50) -> list[dict]:
    """Every row of the account's listing, newest first, page after page."""
    rows: list[dict] = []
    cursor = None
    while True:
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        page = client.get(f"/api/accounts/{account_id}/transactions", params=params)
        assert page.status_code == 200, page.text
        rows += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return rows


def balances(client: httpx.Client) -> dict[str, int]:
    answer = client.get("/api/accounts")
    assert answer.status_code == 200, answer.text
    return {a["id"]: cents(a["balance"]) for a in answer.json()["items"]}
