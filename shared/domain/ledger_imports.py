"""The system of record's rule for imported bank rows, beside ledger.py's for the transactions people enter.

Storage applies an import's rows in runs (consecutive rows of one import into one account, as a batch holds
them), because linking is decided for a run at once: a least-cost matching (shared.domain.imports.propose_matches)
is only fair over all the rows and candidates it can see. For each row, in order:
- its derived id is already there (a transaction with that id, or a hand-entered one linked to that bank row):
  a duplicate; importing a file again, or an overlapping one, adds nothing;
- the account refuses it (not the caller's, closed, another currency, before its opening, an amount finer than
  the currency's minor units): rejected, the reason naming the file's line;
- with matching on, a hand-entered transaction of the account (no bank row yet) with the same signed amount,
  at most 5 days apart: linked; it gains the row's derived id (and its payee if it had none), nothing is added;
- else a new transaction, id the derived id, category `uncategorized`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from shared.domain.accounts import Account, Refusal, check_entry
from shared.domain.events import TransactionImported
from shared.domain.imports import Candidate, kind_and_amount, propose_matches
from shared.domain.ledger import APPLIED, DUPLICATE, Record, Result, refused, rejected
from shared.domain.money import MoneyError, fit_amount
from shared.domain.operations import Rejection

UNCATEGORIZED = "uncategorized"
MATCH_WINDOW_DAYS = 5
LINKED = Result("applied", linked=True)


@dataclass(frozen=True, slots=True)
class Imported:
    """What one row did: its result, and the record it wrote (new, or the hand-entered one now linked)."""

    result: Result
    record: Record | None = None


def is_candidate(record: Record, user_id: str, account_id: str) -> bool:
    """A hand-entered, live transaction of this account that no bank row is linked to yet."""
    return (
        record.import_ref is None
        and not record.deleted
        and record.account_id == account_id
        and record.user_id == user_id
    )


def import_rows(
    events: Sequence[TransactionImported],
    *,
    account: Account | None,
    known: Callable[[str], bool],
    candidates: Sequence[Record],
    now_us: int,
) -> list[Imported]:
    """The outcome of each row of one run (one import, one account), in order; `known(id)`: the id is there."""
    outcomes: list[Imported | None] = [None] * len(events)
    fresh: list[int] = []
    seen: set[str] = set()
    for i, e in enumerate(events):
        row_id = str(e.row.id)
        if row_id in seen or known(row_id):
            outcomes[i] = Imported(DUPLICATE)
            continue
        refusal = row_refusal(account, e)
        if refusal is not None:
            outcomes[i] = Imported(rejected(refusal))
            continue
        seen.add(row_id)
        fresh.append(i)
    links = _links(events, [i for i in fresh if events[i].match], candidates)
    by_id = {c.id: c for c in candidates}
    for i in fresh:
        e = events[i]
        if i in links:
            c = by_id[links[i]]
            linked = replace(c, import_ref=str(e.row.id), payee=c.payee or e.row.payee, version=c.version + 1)
            outcomes[i] = Imported(LINKED, linked)
        else:
            assert account is not None  # a row refused nothing only in an account of the caller's
            outcomes[i] = Imported(APPLIED, new_record(e, account, now_us))
    return [o for o in outcomes if o is not None]


def _links(events: Sequence[TransactionImported], rows: list[int], candidates: Sequence[Record]) -> dict[int, str]:
    """Row position -> the id of the hand-entered transaction it is linked to."""
    if not rows or not candidates:
        return {}
    offered = [Candidate.of(c.id, c.date, c.type, c.amount, c.description) for c in candidates]
    matches = propose_matches([events[i].row for i in rows], offered, window_days=MATCH_WINDOW_DAYS)
    return {rows[m.row_index]: m.candidate_id for m in matches}


def row_refusal(account: Account | None, e: TransactionImported) -> Rejection | None:
    """Why the account cannot take the row (None: it can), naming the row's line in the file."""
    account_id, row = str(e.account_id), e.row
    currency = row.currency or (account.currency if account is not None else "")
    refusals = check_entry(account, account_id=account_id, currency=currency, day=row.date)
    if not refusals and account is not None:
        try:
            fit_amount(abs(row.amount), account.currency)
        except MoneyError as err:
            refusals = [Refusal("invalid", f"amount {row.amount}: {err}")]
    if not refusals:
        return None
    rejection = refused(refusals).rejection
    assert rejection is not None
    return Rejection(rejection.code, rejection.status, f"line {row.line}: {rejection.detail}")


def new_record(e: TransactionImported, account: Account, now_us: int) -> Record:
    """The transaction a bank row becomes: money out an expense, in the account's currency, uncategorized."""
    kind, amount = kind_and_amount(e.row.amount)
    row_id = str(e.row.id)
    return Record(
        user_id=e.user_id,
        id=row_id,
        type=kind.value,
        amount=fit_amount(amount, account.currency),
        currency=account.currency,
        category=UNCATEGORIZED,
        description=e.row.memo,
        date=e.row.date,
        tags=(),
        version=1,
        deleted=False,
        recorded_at=now_us,
        account_id=account.id,
        payee=e.row.payee,
        import_ref=row_id,
    )
