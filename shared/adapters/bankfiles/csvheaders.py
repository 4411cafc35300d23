"""Which CSV column holds what: the names a person maps, else the headers banks commonly write (English, German)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence

ROLES = ("date", "amount", "debit", "credit", "description", "payee", "reference", "currency")

# Best first: with both "Buchungstag" and "Valuta" the booking day wins; with both "Verwendungszweck" and
# "Buchungstext" the remittance text wins over the booking type ("Lastschrift").
# A plain "Reference" column is deliberately a description, not the row's id: in most exports (N26, Starling,
# Sparkasse's "Kundenreferenz") it is text the payer typed, which repeats month after month, so treating it as
# the bank's id would make next month's rent look already imported. Such a column is the id only when mapped.
ALIASES: Mapping[str, Sequence[str]] = {
    "date": (
        "booking date", "buchungstag", "buchungsdatum", "transaction date", "posting date", "posted date",
        "date", "datum", "value date", "valuta", "valutadatum", "wertstellung",
    ),
    "amount": ("amount", "betrag", "umsatz", "transaction amount", "amount eur", "betrag eur"),
    "debit": ("debit", "debit amount", "soll", "withdrawal", "withdrawals", "money out", "paid out", "ausgang"),
    "credit": ("credit", "credit amount", "haben", "deposit", "deposits", "money in", "paid in", "eingang"),
    "description": (
        "verwendungszweck", "description", "memo", "details", "transaction details", "narrative", "purpose",
        "beschreibung", "buchungstext", "text", "payment reference", "reference", "referenz",
    ),
    "payee": (
        "payee", "beguenstigter zahlungspflichtiger", "zahlungsempfaenger", "auftraggeber empfaenger",
        "empfaenger", "auftraggeber", "name zahlungsbeteiligter", "zahlungsbeteiligter", "counterparty",
        "merchant", "name",
    ),
    "reference": ("transaction id", "transaktions id", "fitid"),
    "currency": ("currency", "waehrung", "ccy", "curr"),
}  # fmt: skip

_UNITS = re.compile(r"\([^)]*\)|\[[^\]]*\]")  # "Betrag (EUR)", "Amount [GBP]"
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})
_WORDS = re.compile(r"[a-z0-9]+")
_MONEY = {"amount", "debit", "credit"}


def header_key(cell: str) -> str:
    """A header cell compared case-, accent- and punctuation-insensitively ("Begünstigter/Zahlungspflichtiger")."""
    text = unicodedata.normalize("NFC", _UNITS.sub(" ", cell)).casefold().translate(_UMLAUTS)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(_WORDS.findall(text))


class ColumnError(ValueError):
    """A mapped column the header does not have."""


def map_columns(header: Sequence[str], mapped: Mapping[str, str | None]) -> dict[str, int] | None:
    """Role -> column index for a header row, or None when it names no date and no amount."""
    keys = [header_key(cell) for cell in header]
    columns: dict[str, int] = {}
    for role, name in mapped.items():
        if name is not None:
            key = header_key(name)
            if key not in keys:
                raise ColumnError(f"{role}_column {name!r} is not in the header")
            columns[role] = keys.index(key)
    taken = set(columns.values())
    explicit = set(columns)
    for role in ROLES:
        if role in columns:
            continue
        if role in _MONEY and explicit & _MONEY and not explicit & {role}:  # a person's money columns are all there is
            continue
        for alias in ALIASES[role]:
            if alias in keys and keys.index(alias) not in taken:
                columns[role] = keys.index(alias)
                taken.add(columns[role])
                break
    if "amount" in columns:
        columns.pop("debit", None)
        columns.pop("credit", None)
    has_money = "amount" in columns or ("debit" in columns and "credit" in columns)
    return columns if "date" in columns and has_money else None
