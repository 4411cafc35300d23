"""What the system of record's listings answer with: a page of items and the next page's cursor."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    items: list[dict]
    next_cursor: str | None
