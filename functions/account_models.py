"""The shapes of the account reads' answers, for the OpenAPI document (the routes answer with plain JSON)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import BaseModel, Field


class SplitPart(BaseModel):
    category: str
    amount: str
    description: str | None


class Account(BaseModel):
    id: uuid.UUID
    name: str
    type: Literal["checking", "savings", "credit_card", "cash", "investment", "loan"]
    currency: str
    opening_balance: str = Field(description="The balance at the start of opening_date; what is owed is negative.")
    opening_date: dt.date
    balance: str = Field(description="Exactly: the opening balance, plus income and transfers in, minus the rest.")
    closed: bool
    version: int
    etag: str  # send it back as If-Match to change only this version


class AccountList(BaseModel):
    items: list[Account]


class AccountEntry(BaseModel):
    """A transaction of the account, or one leg of a transfer, with the account's balance after it."""

    kind: Literal["transaction", "transfer_in", "transfer_out"]
    id: uuid.UUID
    date: dt.date
    amount: str = Field(description="How it moved the account: negative for expenses and transfers out.")
    balance: str
    currency: str
    description: str | None
    version: int
    etag: str
    type: Literal["income", "expense"] | None = None  # a transaction's
    category: str | None = None
    payee: str | None = None
    splits: list[SplitPart] | None = None
    counterpart_account: uuid.UUID | None = None  # a transfer's other account, and what moved there
    counterpart_amount: str | None = None
    counterpart_currency: str | None = None


class AccountEntryPage(BaseModel):
    items: list[AccountEntry]
    next_cursor: str | None


class UserSettings(BaseModel):
    home_currency: str | None = Field(description="Reports are converted to it by default; null: never set.")
    version: int
