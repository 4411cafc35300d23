"""A user's accounts, their entries and their settings, read straight from the system of record (storage hosts
them beside the transactions)."""

from __future__ import annotations

import uuid

from shared.adapters.mysql.account_reads import AccountReadStore
from shared.adapters.mysql.listing import Page
from shared.problems import Problem

_NO_ACCOUNT = "No such account among yours."


def account_key(raw: str) -> str:
    """The account id as stored, or 404 for one that is not a UUID (it cannot name an account)."""
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise Problem(404, _NO_ACCOUNT) from None


class AccountQueries:
    """The storage service's account reads; `_reads` is the service's read store."""

    _reads: AccountReadStore

    def list_accounts(self, user_id: str) -> list[dict]:
        """Every account of the caller, each with its exact balance (opening balance plus its entries)."""
        return self._reads.list_accounts(user_id=user_id)

    def get_account(self, user_id: str, account_id: str) -> dict:
        """The account, or 404 for an id that is unknown or another user's (the two are indistinguishable)."""
        found = self._reads.list_accounts(user_id=user_id, account_id=account_key(account_id))
        if not found:
            raise Problem(404, _NO_ACCOUNT)
        return found[0]

    def account_entries(self, user_id: str, account_id: str, *, cursor: str | None, limit: int) -> Page:
        """The account's transactions and transfer legs, newest first, each with the balance after it."""
        page = self._reads.account_entries(
            user_id=user_id, account_id=account_key(account_id), cursor=cursor, limit=limit
        )
        if page is None:
            raise Problem(404, _NO_ACCOUNT)
        return page

    def get_settings(self, user_id: str) -> dict:
        """The caller's settings; a home currency never set is null."""
        found = self._reads.get_settings(user_id=user_id)
        return found or {"home_currency": None, "version": 0}
