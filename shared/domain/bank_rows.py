"""One row of a bank file as it travels from the receiver to storage, inside a `transaction.imported` event.

The amount is the bank's, signed (negative: money out). The currency is the file's when it names one; many files
do not (QIF, most CSV exports), so storage checks the amount against the account's currency instead.
"""

from __future__ import annotations

import re
import uuid
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from shared.domain.fields import BookingDate, CurrencyCode, Description, Payee
from shared.domain.money import MAX_AMOUNT

MAX_REFERENCE = 500
_MOST_MINOR_UNITS = 4  # CLF and UYW: no currency has more
_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def _signed_amount(raw: object) -> Decimal:
    """A signed decimal string (or a Decimal, in the process that parsed it): not zero, below MAX_AMOUNT in size."""
    if isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, str) and _DECIMAL.fullmatch(raw):
        try:
            value = Decimal(raw)
        except InvalidOperation:
            raise ValueError(f"amount {raw!r} is not a decimal") from None
    else:
        raise ValueError('amount must be a signed decimal string such as "-12.50"')
    if not value.is_finite() or value == 0 or abs(value) >= MAX_AMOUNT:
        raise ValueError(f"amount must be a non-zero number below {MAX_AMOUNT:,} in size")
    if -int(value.as_tuple().exponent) > _MOST_MINOR_UNITS:
        raise ValueError(f"amount {raw} has more decimal places than any currency ({_MOST_MINOR_UNITS})")
    return value


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
