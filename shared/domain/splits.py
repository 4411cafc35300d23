"""Split transactions: parts of one transaction, each counted under its own category, summing exactly to it.

`Splits` and `SplitsChange` are field types for NewTransaction and TransactionChanges. Declare the field after
`currency` and `amount`: the parts are checked against the values validated before them.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo

from shared.domain.accounts import Refusal
from shared.domain.fields import Category, Description, PositiveAmount
from shared.domain.money import MoneyError, fit_amount, format_amount

MAX_SPLITS = 50


class Split(BaseModel):
    """One part of a transaction, in the transaction's currency."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    category: Category
    amount: PositiveAmount
    description: Description = None

    def to_json(self, currency: str) -> dict[str, Any]:
        return {
            "category": self.category,
            "amount": format_amount(self.amount, currency),
            "description": self.description,
        }


def check_splits(splits: Sequence[Split], amount: Decimal, currency: str) -> list[Refusal]:
    """Why these parts cannot divide `amount` (each in the currency's minor units, adding up exactly); [] when fine."""
    refusals: list[Refusal] = []
    parts: list[Decimal] = []
    for number, split in enumerate(splits, 1):
        try:
            parts.append(fit_amount(split.amount, currency))
        except MoneyError as err:
            refusals.append(Refusal("invalid", f"split {number}: {err}"))
    if splits and not refusals and sum(parts) != amount:
        total, whole = format_amount(sum(parts), currency), format_amount(amount, currency)
        detail = f"the splits add up to {total} {currency}; they must add up exactly to the amount, {whole}"
        refusals.append(Refusal("invalid", detail))
    return refusals


def category_amounts(category: str, amount: Decimal, splits: Sequence[Split]) -> list[tuple[str, Decimal]]:
    """What category reports and budgets count: each split under its own category, else the whole amount."""
    return [(s.category, s.amount) for s in splits] or [(category, amount)]


def _checked(splits: list[Split], amount: Decimal, currency: str) -> list[Split]:
    refusals = check_splits(splits, amount, currency)
    if refusals:
        raise ValueError("; ".join(r.detail for r in refusals))
    return [s.model_copy(update={"amount": fit_amount(s.amount, currency)}) for s in splits]


def _splits_of_new(splits: list[Split], info: ValidationInfo) -> list[Split]:
    amount, currency = info.data.get("amount"), info.data.get("currency")
    if amount is None or currency is None:
        raise ValueError("splits cannot be checked without a valid amount and currency")
    return _checked(splits, amount, currency)


def _splits_of_change(splits: list[Split], info: ValidationInfo) -> list[Split]:
    if "amount" not in info.data or "currency" not in info.data:  # sent but invalid: their own errors say why
        raise ValueError("splits cannot be checked without a valid amount and currency")
    amount, currency = info.data["amount"], info.data["currency"]
    if amount is None or currency is None:
        return splits  # storage checks them against the stored amount and currency, with check_splits
    return _checked(splits, amount, currency)


_PARTS = Field(max_length=MAX_SPLITS, description=f"At most {MAX_SPLITS} parts adding up exactly to the amount.")
Splits = Annotated[list[Split], _PARTS, AfterValidator(_splits_of_new)]
SplitsChange = Annotated[list[Split], _PARTS, AfterValidator(_splits_of_change)]
