"""Pure rules for importing bank rows: ids that stay stable across imports, and links to hand-entered rows."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import uuid
from collections import Counter, defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Protocol

from shared.domain.transactions import Kind

IMPORT_ID_SCHEME = 1
# Fixed forever: every imported row's id is a UUIDv5 in this namespace.
IMPORT_NAMESPACE = uuid.UUID("7093978b-fb5e-4827-859e-b5928a705920")


class ImportRow(Protocol):
    """What the id rules read from a parsed bank row (shared.adapters.bankfiles.ParsedRow fits)."""

    @property
    def date(self) -> dt.date: ...
    @property
    def amount(self) -> Decimal: ...
    @property
    def payee(self) -> str | None: ...
    @property
    def memo(self) -> str | None: ...
    @property
    def reference(self) -> str | None: ...


def normalize_payee(payee: str | None) -> str:
    """NFKC, case-folded, runs of white space as one space, trimmed; "" for no payee."""
    return " ".join(unicodedata.normalize("NFKC", payee or "").casefold().split())


def normalize_amount(amount: Decimal) -> str:
    """The signed amount without trailing zeros or exponent: -4.35, 3250, -0.5."""
    return format(amount.normalize(), "f")


def import_id(
    *,
    user_id: str,
    account_id: str,
    reference: str | None,
    date: dt.date | None = None,
    amount: Decimal | None = None,
    payee: str | None = None,
    occurrence: int | None = None,
) -> uuid.UUID:
    """The transaction id of one imported row: UUIDv5 in IMPORT_NAMESPACE of a compact JSON array.

    With the bank's reference the name is
        ["budget-import",1,"<user_id>","<account_id>","reference","<reference>"]
    and without one
        ["budget-import",1,"<user_id>","<account_id>","row","<YYYY-MM-DD>","<normalize_amount>",
         "<normalize_payee>",<occurrence>]
    exactly as json.dumps(..., ensure_ascii=False, separators=(",", ":")) writes it; the 1 is IMPORT_ID_SCHEME.
    JSON keeps the fields apart whatever characters they hold. These strings must never change: a later
    scheme gets a new number, and so new names that cannot collide with these.
    """
    prefix = _prefix(user_id, account_id)
    if reference is not None:
        return uuid.uuid5(IMPORT_NAMESPACE, _reference_name(prefix, reference))
    if date is None or amount is None or occurrence is None:
        raise ValueError("a row without a reference needs its date, amount and occurrence")
    key = (date.isoformat(), normalize_amount(amount), normalize_payee(payee))
    return uuid.uuid5(IMPORT_NAMESPACE, _row_name(prefix, key, occurrence))


# Written by hand for speed (an import derives 100,000 ids); encode_basestring is what json.dumps uses for a
# str when ensure_ascii=False, and a unit test checks the result against json.dumps.
def _prefix(user_id: str, account_id: str) -> str:
    user, account = encode_basestring(str(user_id)), encode_basestring(str(account_id))
    return f'["budget-import",{IMPORT_ID_SCHEME},{user},{account},'


def _reference_name(prefix: str, reference: str) -> str:
    return f'{prefix}"reference",{encode_basestring(reference)}]'


def _row_name(prefix: str, key: tuple[str, str, str], occurrence: int) -> str:
    date, amount, payee = key
    return f'{prefix}"row","{date}","{amount}",{encode_basestring(payee)},{occurrence}]'


def _keys(rows: Sequence[ImportRow]) -> list[tuple[str, str, str]]:
    """Each row's (date, normalised amount, normalised payee); payees repeat, so each is normalised once."""
    payees: dict[str | None, str] = {}
    keys = []
    for row in rows:
        payee = payees.get(row.payee)
        if payee is None:
            payee = payees[row.payee] = normalize_payee(row.payee)
        keys.append((row.date.isoformat(), normalize_amount(row.amount), payee))
    return keys


def usable_references(rows: Sequence[ImportRow]) -> list[str | None]:
    """Each row's reference, or None where several rows of the file share it.

    A bank's own id is unique within its statement; a value found on two rows is something else (a type code,
    a payer's text) and would fold distinct bookings into one transaction.
    """
    counts = Counter(row.reference for row in rows if row.reference)
    return [row.reference if row.reference and counts[row.reference] == 1 else None for row in rows]


def _numbers(keys: list[tuple[str, str, str]], references: list[str | None]) -> list[int | None]:
    seen: Counter[tuple[str, str, str]] = Counter()
    numbers: list[int | None] = []
    for key, reference in zip(keys, references, strict=True):
        if reference is None:
            seen[key] += 1
        numbers.append(None if reference is not None else seen[key])
    return numbers


def occurrences(rows: Sequence[ImportRow]) -> list[int | None]:
    """For rows without a usable reference: 1, 2, ... among rows with the same date, amount and payee; else None.

    Two identical coffees on one day are two transactions. A statement holds whole days, so an overlapping
    statement numbers the shared days' rows the same way.
    """
    return _numbers(_keys(rows), usable_references(rows))


def import_ids(rows: Sequence[ImportRow], *, user_id: str, account_id: str) -> list[uuid.UUID]:
    """The transaction id of every row of one file, in file order (the names import_id describes)."""
    prefix = _prefix(user_id, account_id)
    references = usable_references(rows)
    keys = _keys(rows)
    return [
        uuid.uuid5(IMPORT_NAMESPACE, _reference_name(prefix, ref) if ref is not None else _row_name(prefix, key, n))
        for ref, key, n in zip(references, keys, _numbers(keys, references), strict=True)
    ]


def kind_and_amount(signed: Decimal) -> tuple[Kind, Decimal]:
    """A bank's signed amount as a transaction's type and positive amount: money out is an expense."""
    return (Kind.expense, -signed) if signed < 0 else (Kind.income, signed)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A hand-entered transaction of the account without a bank reference; amount signed (negative = expense)."""

    id: str
    date: dt.date
    amount: Decimal
    description: str | None = None

    @classmethod
    def of(cls, id: str, date: dt.date, kind: str, amount: Decimal, description: str | None = None) -> Candidate:
        """A candidate from a stored transaction's type and positive amount."""
        return cls(str(id), date, -amount if kind == Kind.expense else amount, description)


@dataclass(frozen=True, slots=True)
class Match:
    """A proposed link: the file's row at row_index is the hand-entered transaction candidate_id."""

    row_index: int
    candidate_id: str
    days_apart: int


_WORD = re.compile(r"\w+")


def _words(*texts: str | None) -> frozenset[str]:
    return frozenset(_WORD.findall(normalize_payee(" ".join(t for t in texts if t))))


def _similarity(a: frozenset[str], b: frozenset[str]) -> Fraction:
    """Shared words over the shorter text's words: "REWE" against "REWE Markt GmbH Berlin" is 1."""
    return Fraction(len(a & b), min(len(a), len(b))) if a and b else Fraction(0)


def propose_matches(rows: Sequence[ImportRow], candidates: Sequence[Candidate], *, window_days: int = 5) -> list[Match]:
    """Links between bank rows and hand-entered candidates of exactly the same signed amount, ±window_days apart.

    Each row and each candidate is used at most once. As many pairs as possible are linked; among those
    pairings, the one whose links are closest in date (the sum of squared days apart, so that a week-long
    link weighs more than seven one-day links), then the one sharing most words between each candidate's
    description and its row's payee and memo. Ties go to the earlier candidate, then the smaller id, then the
    earlier row: the same input always gives the same links.
    """
    by_amount: defaultdict[Decimal, list[int]] = defaultdict(list)
    for index, candidate in enumerate(candidates):
        by_amount[candidate.amount].append(index)
    words = [_words(c.description) for c in candidates]
    groups: defaultdict[Decimal, dict[int, dict[int, tuple[int, Fraction]]]] = defaultdict(dict)
    for r, row in enumerate(rows):
        near = [c for c in by_amount.get(row.amount, ()) if abs((row.date - candidates[c].date).days) <= window_days]
        if near:
            row_words = _words(row.payee, row.memo)
            groups[row.amount][r] = {
                c: (abs((row.date - candidates[c].date).days), _similarity(row_words, words[c])) for c in near
            }
    order = {c: (candidate.date, candidate.id, c) for c, candidate in enumerate(candidates)}
    links: dict[int, int] = {}
    for group in groups.values():
        links.update(_assign(group, order))
    return [Match(r, candidates[c].id, abs((rows[r].date - candidates[c].date).days)) for r, c in sorted(links.items())]


def _assign(edges: dict[int, dict[int, tuple[int, Fraction]]], order: dict[int, tuple]) -> dict[int, int]:
    """Rows -> candidates: a maximum matching of least cost (min-cost flow by successive shortest paths).

    A link costs its days apart squared plus (1 - similarity) / weight; weight exceeds twice any path's length,
    so the similarity terms of a path add up to less than half and can only decide between equally close links.
    Each round links one more row along the cheapest path from any unlinked row, which may move linked rows
    to other candidates; a matching grown that way is the cheapest of its size.
    """
    weight = 4 * (len(edges) + 1)
    cost = {(r, c): days**2 + (1 - similar) / weight for r, cs in edges.items() for c, (days, similar) in cs.items()}
    choices = {r: sorted(cs, key=order.__getitem__) for r, cs in sorted(edges.items())}
    owner: dict[int, int] = {}  # candidate -> row
    taken: dict[int, int] = {}  # row -> candidate
    while True:
        to_row = {r: Fraction(0) for r in choices if r not in taken}
        to_candidate: dict[int, Fraction] = {}
        via: dict[int, int] = {}  # candidate -> the row it was reached from
        queue = deque(to_row)
        while queue:  # Bellman-Ford: giving a candidate up is a negative step, so no Dijkstra
            row = queue.popleft()
            for c in choices[row]:
                reach = to_row[row] + cost[row, c]
                if taken.get(row) == c or (c in to_candidate and reach >= to_candidate[c]):
                    continue
                to_candidate[c], via[c] = reach, row
                holder = owner.get(c)
                if holder is not None and (holder not in to_row or reach - cost[holder, c] < to_row[holder]):
                    to_row[holder] = reach - cost[holder, c]
                    queue.append(holder)
        free = [c for c in to_candidate if c not in owner]
        if not free:
            return taken
        c = min(free, key=lambda c: (to_candidate[c], order[c]))
        while True:  # every row on the path moves one candidate along; the path starts at an unlinked row
            row = via[c]
            previous = taken.get(row)
            taken[row], owner[c] = c, row
            if previous is None:
                break
            c = previous
