"""Money rules: amounts as exact decimal strings with the currency's minor units, ISO 4217 codes only."""

from decimal import Decimal

import pytest

from shared.domain.money import MAX_AMOUNT, MoneyError, format_amount, minor_units, normalize_currency, parse_amount


@pytest.mark.parametrize(("code", "digits"), [("EUR", 2), ("USD", 2), ("JPY", 0), ("KWD", 3), ("CLF", 4)])
def test_minor_units_follow_iso_4217(code, digits):
    assert minor_units(code) == digits


@pytest.mark.parametrize("code", ["XAU", "XXX", "XTS", "XDR"])
def test_metals_testing_and_no_currency_codes_cannot_hold_money(code):
    with pytest.raises(MoneyError, match="not a currency that money can be recorded in"):
        normalize_currency(code)


@pytest.mark.parametrize("code", ["ABC", "978", "EURO", "EU", "", None, 978, ["EUR"]])
def test_unknown_or_malformed_currency_codes_are_refused(code):
    with pytest.raises(MoneyError, match="ISO 4217"):
        normalize_currency(code)


@pytest.mark.parametrize("code", ["eur", " EUR ", "Eur\n"])
def test_currency_codes_are_trimmed_and_upper_cased(code):
    assert normalize_currency(code) == "EUR"


@pytest.mark.parametrize(
    ("raw", "currency", "expected"),
    [
        ("12.50", "EUR", Decimal("12.50")),
        ("12.5", "EUR", Decimal("12.50")),
        ("12", "EUR", Decimal("12.00")),
        ("0.01", "EUR", Decimal("0.01")),
        ("1000", "JPY", Decimal("1000")),
        ("1.234", "KWD", Decimal("1.234")),
        ("0.0001", "CLF", Decimal("0.0001")),
        (" 7.25 ", "USD", Decimal("7.25")),
        ("007.10", "EUR", Decimal("7.10")),
    ],
)
def test_amounts_are_exact_and_carry_the_currency_minor_units(raw, currency, expected):
    value = parse_amount(raw, currency)
    assert value == expected
    # The exponent matters: 12.5 EUR is stored and shown as 12.50, not 12.5.
    assert value.as_tuple().exponent == -minor_units(currency)


@pytest.mark.parametrize("raw", [12.5, 12, Decimal("12.50"), None, True, ["12.50"]])
def test_amounts_must_be_strings_never_json_numbers(raw):
    with pytest.raises(MoneyError, match="decimal string"):
        parse_amount(raw, "EUR")


@pytest.mark.parametrize("raw", ["0", "0.00", "000"])
def test_zero_is_refused(raw):
    with pytest.raises(MoneyError, match="greater than zero"):
        parse_amount(raw, "EUR")


@pytest.mark.parametrize(
    "raw",
    [
        "-5",
        "+5",
        "-0.01",
        "1e3",
        "1E3",
        "1.2e-1",
        ".5",
        "1.2.3",
        "",
        "   ",
        "abc",
        "12,50",
        "12 50",
        "NaN",
        "Infinity",
        "0x10",
    ],
)
def test_anything_but_a_plain_positive_decimal_is_refused(raw):
    with pytest.raises(MoneyError):
        parse_amount(raw, "EUR")


@pytest.mark.parametrize(
    "raw",
    [
        "1_000",  # Python's Decimal accepts PEP 515 underscores; JSON clients never mean that
        "1.5_0",
        "\u0661\u0662",  # Arabic-Indic digits "١٢"
        "\uff11\uff12",  # full-width digits "１２"
    ],
)
def test_only_ascii_digits_make_an_amount(raw):
    with pytest.raises(MoneyError):
        parse_amount(raw, "KWD")


@pytest.mark.parametrize(
    ("raw", "currency", "allowed"),
    [
        ("12.501", "EUR", "at most 2 decimal places"),
        ("12.50", "JPY", "no decimal places"),
        ("12.0", "JPY", "no decimal places"),
        ("1.2345", "KWD", "at most 3 decimal places"),
        ("1.23456", "CLF", "at most 4 decimal places"),
    ],
)
def test_more_fraction_digits_than_the_currency_has_are_refused(raw, currency, allowed):
    with pytest.raises(MoneyError, match=allowed) as info:
        parse_amount(raw, currency)
    assert currency in str(info.value)


def test_trailing_zeros_beyond_the_minor_units_are_still_refused():
    # "12.500" EUR is not silently rounded: the person wrote three decimals.
    with pytest.raises(MoneyError, match="at most 2 decimal places"):
        parse_amount("12.500", "EUR")


def test_largest_amount_below_the_limit_is_kept_exactly():
    assert parse_amount("999999999999.99", "EUR") == Decimal("999999999999.99")
    assert parse_amount("999999999999.9999", "CLF") == Decimal("999999999999.9999")


@pytest.mark.parametrize("raw", [str(MAX_AMOUNT), "1000000000000.00", "99999999999999999999999999999999999"])
def test_amounts_at_or_above_the_limit_are_refused(raw):
    with pytest.raises(MoneyError, match="below"):
        parse_amount(raw, "EUR")


def test_amount_in_an_unrecordable_currency_is_refused():
    with pytest.raises(MoneyError):
        parse_amount("1", "XAU")


@pytest.mark.parametrize(
    ("value", "currency", "text"),
    [
        (Decimal("12.5"), "EUR", "12.50"),
        (Decimal("12"), "EUR", "12.00"),
        (Decimal("1000"), "JPY", "1000"),
        (Decimal("1E+3"), "JPY", "1000"),
        (Decimal("1.2"), "KWD", "1.200"),
        (Decimal("0.0001"), "CLF", "0.0001"),
        (Decimal("999999999999.99"), "EUR", "999999999999.99"),
    ],
)
def test_format_amount_writes_exactly_the_minor_units_without_exponents(value, currency, text):
    assert format_amount(value, currency) == text


def test_format_then_parse_gives_back_the_same_amount():
    for raw, currency in [("0.01", "EUR"), ("42", "JPY"), ("3.141", "KWD"), ("999999999999.9999", "CLF")]:
        value = parse_amount(raw, currency)
        assert parse_amount(format_amount(value, currency), currency) == value
