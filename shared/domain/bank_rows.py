"""One row of a bank file as it travels from the receiver to storage, inside a `transaction.imported` event.

The amount is the bank's, signed (negative: money out). The currency is the file's when it names one; many files
do not (QIF, most CSV exports), so storage checks the amount against the account's currency instead.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from shared.domain.fields import BookingDate, CurrencyCode, Description, Payee
from shared.domain.money import parse_amount

MAX_REFERENCE = 500


def _signed_amount(raw: object) -> Decimal:
    """A signed, non-zero amount (or a Decimal, in the process that parsed it); the account's currency, known only
    to storage, checks its minor units there."""
    return parse_amount(format(raw, "f") if isinstance(raw, Decimal) else raw, None, signed=True)


SignedAmount = Annotated[
    Decimal,
    BeforeValidator(_signed_amount),
    WithJsonSchema({"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]{1,4})?$", "examples": ["-12.50"]}),
]


class BankRow(BaseModel):
    """A booking read from a bank file; `id` is its derived transaction id (shared.domain.imports.import_ids)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: uuid.UUID
    line: int = Field(ge=1, description="Where the row starts in the file, for messages about it.")
    date: BookingDate
    amount: SignedAmount
    currency: CurrencyCode | None = None
    payee: Payee = None
    memo: Description = None
    reference: str | None = Field(None, max_length=MAX_REFERENCE)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": str(self.id),
            "line": self.line,
            "date": self.date.isoformat(),
            "amount": format(self.amount, "f"),
        }
        for name in ("currency", "payee", "memo", "reference"):  # only when set: most rows lack some
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out
