import datetime as dt
import json
import uuid
from dataclasses import dataclass
from decimal import Decimal

import pytest

from shared.domain.imports import (
    IMPORT_ID_SCHEME,
    IMPORT_NAMESPACE,
    Candidate,
    Match,
    import_id,
    import_ids,
    kind_and_amount,
    occurrences,
    propose_matches,
)
from shared.domain.transactions import Kind

D = dt.date
USER = "3f2b8c1e-0000-4000-8000-000000000001"


@dataclass(frozen=True)
class Row:
    date: dt.date
    amount: Decimal
    payee: str | None = None
    memo: str | None = None
    reference: str | None = None


def coffee(day: int = 2, reference: str | None = None, payee: str = "Bäckerei Müller") -> Row:
    return Row(D(2026, 3, day), Decimal("-4.35"), payee, "Kartenzahlung", reference)


# These ids are stored forever: if one of these tests fails, the scheme changed and every re-import would double.
def test_pinned_id_of_a_row_with_the_banks_reference():
    got = import_id(user_id=USER, account_id="checking", reference="2026030212345601")
    assert got == uuid.UUID("d9145e39-9099-576c-896b-78d5f67a4900")
    name = f'["budget-import",1,"{USER}","checking","reference","2026030212345601"]'
    assert got == uuid.uuid5(IMPORT_NAMESPACE, name)


def test_pinned_id_of_a_row_without_reference():
    got = import_id(
        user_id=USER,
        account_id="checking",
        reference=None,
        date=D(2026, 3, 2),
        amount=Decimal("-4.35"),
        payee="  Bäckerei   MÜLLER ",
        occurrence=2,
    )
    assert got == uuid.UUID("5a71471b-21b2-5e04-b7bb-3d2e65ec13ed")
    name = f'["budget-import",1,"{USER}","checking","row","2026-03-02","-4.35","bäckerei müller",2]'
    assert got == uuid.uuid5(IMPORT_NAMESPACE, name)


def test_pinned_id_without_payee_and_with_trailing_zeros():
    got = import_id(
        user_id="u", account_id="a", reference=None, date=D(2026, 3, 3), amount=Decimal("3250.00"), occurrence=1
    )
    assert got == uuid.UUID("bfabe93b-f35a-5724-ba2d-585d74272307")
    assert got == uuid.uuid5(IMPORT_NAMESPACE, '["budget-import",1,"u","a","row","2026-03-03","3250","",1]')
    assert IMPORT_ID_SCHEME == 1


@pytest.mark.parametrize("text", ['Say "hi"', "back\\slash", "line\nbreak", "Zürich €", "sep\u2028ara\x07tor"])
def test_names_are_exactly_the_json_the_docstring_describes(text):
    def json_id(*fields):
        name = json.dumps(["budget-import", 1, *fields], ensure_ascii=False, separators=(",", ":"))
        return uuid.uuid5(IMPORT_NAMESPACE, name)

    assert import_id(user_id=text, account_id=text, reference=text) == json_id(text, text, "reference", text)
    row = Row(D(2026, 3, 2), Decimal("-4.35"), text)
    want = json_id("u", text, "row", "2026-03-02", "-4.35", " ".join(text.casefold().split()), 1)
    assert import_ids([row], user_id="u", account_id=text) == [want]


def test_the_same_file_gives_the_same_ids_and_every_row_its_own():
    rows = [coffee(), coffee(), coffee(3), coffee(4, reference="R-4")]
    ids = import_ids(rows, user_id=USER, account_id="checking")

    assert ids == import_ids(list(rows), user_id=USER, account_id="checking")
    assert len(set(ids)) == 4


def test_ids_belong_to_one_user_and_one_account():
    rows = [coffee(), coffee(reference="R-1")]
    mine = import_ids(rows, user_id=USER, account_id="checking")

    assert set(mine).isdisjoint(import_ids(rows, user_id="someone-else", account_id="checking"))
    assert set(mine).isdisjoint(import_ids(rows, user_id=USER, account_id="savings"))


def test_the_amounts_spelling_does_not_change_the_id():
    a = import_ids([Row(D(2026, 3, 2), Decimal("-4.35"))], user_id="u", account_id="a")
    b = import_ids([Row(D(2026, 3, 2), Decimal("-4.350"))], user_id="u", account_id="a")
    assert a == b


def test_fields_cannot_run_into_each_other():
    a = import_id(user_id="u:a", account_id="b", reference="c")
    b = import_id(user_id="u", account_id="a:b", reference="c")
    assert a != b


def test_a_row_without_reference_needs_its_date_amount_and_occurrence():
    with pytest.raises(ValueError, match="date, amount and occurrence"):
        import_id(user_id="u", account_id="a", reference=None, date=D(2026, 3, 2))


def test_identical_rows_are_numbered_and_rows_with_a_reference_are_not():
    rows = [coffee(), coffee(payee="BÄCKEREI  müller"), coffee(3), coffee(reference="R-1"), coffee()]
    assert occurrences(rows) == [1, 2, 1, None, 3]


def test_a_reference_shared_by_two_rows_is_not_an_id():
    rows = [coffee(reference="ATM"), coffee(reference="ATM"), coffee(3, reference="R-3")]

    assert occurrences(rows) == [1, 2, None]
    ids = import_ids(rows, user_id="u", account_id="a")
    assert len(set(ids)) == 3
    assert ids[2] == import_id(user_id="u", account_id="a", reference="R-3")


def test_sign_becomes_type():
    assert kind_and_amount(Decimal("-4.35")) == (Kind.expense, Decimal("4.35"))
    assert kind_and_amount(Decimal("3250.00")) == (Kind.income, Decimal("3250.00"))
    assert Candidate.of("t1", D(2026, 3, 2), "expense", Decimal("4.35")).amount == Decimal("-4.35")
    assert Candidate.of("t2", D(2026, 3, 2), Kind.income, Decimal("9")).amount == Decimal("9")


def hand(id: str, day: int, amount: str = "-4.35", description: str | None = None) -> Candidate:
    return Candidate(id, D(2026, 3, day), Decimal(amount), description)


def test_a_bank_row_matches_a_hand_entered_one_of_the_same_amount_within_the_window():
    rows = [coffee(7)]

    assert propose_matches(rows, [hand("t1", 4)]) == [Match(0, "t1", 3)]
    assert propose_matches(rows, [hand("t1", 2)]) == [Match(0, "t1", 5)]  # 5 days apart is in, 6 is out
    assert propose_matches(rows, [hand("t1", 12)]) == [Match(0, "t1", 5)]
    assert propose_matches(rows, [hand("t1", 1)]) == []
    assert propose_matches(rows, [hand("t1", 1)], window_days=7) == [Match(0, "t1", 6)]


def test_the_amount_must_be_exactly_the_same_including_its_sign():
    rows = [coffee(2)]
    assert propose_matches(rows, [hand("t1", 2, "4.35"), hand("t2", 2, "-4.36")]) == []
    assert propose_matches(rows, [hand("t1", 2, "-4.350")]) == [Match(0, "t1", 0)]


def test_the_closest_date_wins_then_the_description():
    rows = [Row(D(2026, 3, 5), Decimal("-23.99"), "REWE Markt GmbH", "Einkauf")]

    near_and_far = [hand("far", 2, "-23.99", "REWE"), hand("near", 4, "-23.99", "groceries")]
    assert propose_matches(rows, near_and_far) == [Match(0, "near", 1)]
    same_day = [hand("t1", 4, "-23.99", "dinner"), hand("t2", 6, "-23.99", "rewe einkauf")]
    assert propose_matches(rows, same_day) == [Match(0, "t2", 1)]


def test_each_row_and_each_candidate_is_used_once():
    rows = [coffee(2), coffee(2), coffee(3)]
    matches = propose_matches(rows, [hand("t1", 2), hand("t2", 3)])

    assert matches == [Match(0, "t1", 0), Match(2, "t2", 0)]


def test_as_many_links_as_possible_each_as_close_as_possible():
    # A coffee a day entered by hand; the bank books each one a day later.
    rows = [coffee(day + 1) for day in range(1, 8)]
    candidates = [hand(f"t{day}", day) for day in range(1, 8)]

    matches = propose_matches(rows, candidates)

    assert matches == [Match(i, f"t{i + 1}", 1) for i in range(7)]


def test_a_row_gives_up_its_first_choice_when_that_links_one_more():
    rows = [coffee(5), coffee(10)]
    candidates = [hand("t3", 3), hand("t5", 5)]  # the row of the 10th reaches only t5; the row of the 5th both

    assert propose_matches(rows, candidates) == [Match(0, "t3", 2), Match(1, "t5", 5)]


def test_ties_go_to_the_earlier_candidate_then_the_smaller_id_and_repeat_exactly():
    rows = [coffee(5)]
    candidates = [hand("b", 6), hand("a", 6), hand("c", 4)]

    assert propose_matches(rows, candidates) == [Match(0, "c", 1)]
    assert propose_matches(rows, candidates[:2]) == [Match(0, "a", 1)]
    assert propose_matches(rows, list(reversed(candidates[:2]))) == [Match(0, "a", 1)]


def test_nothing_to_match():
    assert propose_matches([], [hand("t1", 2)]) == []
    assert propose_matches([coffee()], []) == []
