"""The parameters of each report: validated at the edge, the same for every transport (HTTP, Kafka, CLI).

No params model has a user field: whose data a report reads only ever comes from a verified token.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.domain.calendar import FIRST_DATE, LAST_DATE, MONTH_PATTERN, YEARS_PATTERN, check_month
from shared.domain.money import MAX_AMOUNT, normalize_currency


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def echo(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class NoParams(Params):
    pass


class Converting(Params):
    """A user's report may add totals converted to one currency: `convert_to`, else the user's home currency."""

    convert_to: str | None = Field(
        None,
        description="ISO 4217 code: add totals converted at the ECB's rates (default: your home currency, if set)",
        json_schema_extra={"pattern": "^[A-Z]{3}$"},
    )

    @field_validator("convert_to", mode="before")
    @classmethod
    def _currency(cls, value: object) -> str | None:
        return None if value is None else normalize_currency(value)


class MonthParams(Params):
    month: str = Field(json_schema_extra={"pattern": MONTH_PATTERN})

    @field_validator("month", mode="before")
    @classmethod
    def _month(cls, value: object) -> str:
        return check_month(value)


class PeriodParams(Params):
    # Bounded like booking dates: a period reaching year 1 or 9999 has no month before or after it.
    start: dt.date = Field(alias="from", ge=FIRST_DATE, le=LAST_DATE, json_schema_extra={"pattern": YEARS_PATTERN})
    end: dt.date = Field(alias="to", ge=FIRST_DATE, le=LAST_DATE, json_schema_extra={"pattern": YEARS_PATTERN})

    @model_validator(mode="after")
    def _ordered(self) -> PeriodParams:
        if self.end < self.start:
            raise ValueError("'to' must not be before 'from'")
        return self


class MonthsParams(Params):
    months: int = Field(12, ge=1, le=120)
    until: str | None = Field(None, json_schema_extra={"pattern": MONTH_PATTERN})  # None: the current month

    @field_validator("until", mode="before")
    @classmethod
    def _until(cls, value: object) -> str | None:
        return None if value is None else check_month(value)


class MonthReport(MonthParams, Converting):
    pass


class PeriodReport(PeriodParams, Converting):
    pass


class MonthsReport(MonthsParams, Converting):
    pass


class TopParams(PeriodReport):
    limit: int = Field(10, ge=1, le=100)
    type: Literal["income", "expense"] = "expense"


class SearchParams(Converting):
    start: dt.date | None = Field(None, alias="from", ge=FIRST_DATE, le=LAST_DATE)
    end: dt.date | None = Field(None, alias="to", ge=FIRST_DATE, le=LAST_DATE)
    category: str | None = Field(None, min_length=1, max_length=64)
    type: Literal["income", "expense"] | None = None
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    # Bounded like every stored amount, so the bound fits an SQLite integer at the store's scale.
    min_amount: Decimal | None = Field(None, ge=0, le=MAX_AMOUNT, allow_inf_nan=False)
    max_amount: Decimal | None = Field(None, ge=0, le=MAX_AMOUNT, allow_inf_nan=False)
    q: str | None = Field(None, min_length=1, max_length=100, description="text in the description")
    tag: str | None = Field(None, min_length=1, max_length=32)
    cursor: str | None = Field(None, max_length=512)
    limit: int = Field(50, ge=1, le=500)
