"""What storage records of each operation: its kind, the resource it names, and its outcome so far."""

from __future__ import annotations

from dataclasses import dataclass

from shared.domain.events import (
    AccountChanged,
    AccountOpened,
    AnyEvent,
    BudgetSet,
    SettingsSet,
    TransactionCreated,
    TransactionDeleted,
    TransactionImported,
    TransactionUpdated,
    TransferCreated,
    TransferDeleted,
)
from shared.domain.operations import status_of

KINDS = {
    TransactionCreated: "transaction.create",
    TransactionUpdated: "transaction.update",
    TransactionDeleted: "transaction.delete",
    BudgetSet: "budget.set",
    AccountOpened: "account.open",
    AccountChanged: "account.change",
    TransferCreated: "transfer.create",
    TransferDeleted: "transfer.delete",
    SettingsSet: "settings.set",
    TransactionImported: "import",  # one operation per file (or per part of one), whatever its size
}


@dataclass
class Operation:
    """An operation's outcome so far (its events may arrive over several batches)."""

    id: str
    user_id: str
    kind: str
    expected: int
    resource: str | None
    applied: int = 0
    duplicates: int = 0
    rejected: int = 0
    matched: int = 0  # of the applied: bank rows linked to hand-entered transactions (imports)
    stored: bool = False  # a row exists already

    @property
    def done(self) -> bool:
        return self.applied + self.duplicates + self.rejected >= self.expected

    def public(self) -> dict:
        processed = self.applied + self.duplicates + self.rejected
        return {
            "id": self.id,
            "type": self.kind,
            "status": status_of(expected=self.expected, processed=processed, rejected=self.rejected),
            "applied": self.applied,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "matched": self.matched,
            "resource": self.resource,
        }


def kind_of(e: AnyEvent) -> str:
    if isinstance(e, TransactionImported):
        return KINDS[TransactionImported]
    return KINDS[type(e)] if e.operation_size == 1 else f"{KINDS[type(e)]}.batch"


def resource_of(e: AnyEvent) -> str | None:
    if isinstance(e, TransactionImported):
        return f"/api/imports/{e.import_id}"
    if e.operation_size != 1:
        return None
    if isinstance(e, AccountOpened | AccountChanged):
        return f"/api/accounts/{e.account.id if isinstance(e, AccountOpened) else e.account_id}"
    if isinstance(e, SettingsSet):
        return "/api/settings"
    if isinstance(e, TransactionCreated):
        return f"/api/transactions/{e.transaction.id}"
    if isinstance(e, TransactionUpdated | TransactionDeleted):
        return f"/api/transactions/{e.transaction_id}"
    return None  # a transfer is read in its accounts' listings
