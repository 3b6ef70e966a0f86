from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.lib.money import MONEY_FORMAT_ERROR, pence_from_pounds, pounds, pounds_value
from portal.lib.postcodes import postcode_compact, postcode_display, postcode_is_valid


def test_pounds_as_gov_uk_writes_them():
    assert pounds(1250) == "£12.50"
    assert pounds(1200) == "£12"
    assert pounds(125000) == "£1,250"
    assert pounds(5) == "£0.05"
    assert pounds(1234.5) == "£12.35"  # an average, rounded half up to the penny
    assert pounds(None) == "" and pounds(None, none="Not set") == "Not set"
    assert pounds(1200, pence_always=True) == "£12.00" and pounds(125050, pence_always=True) == "£1,250.50"
    assert pounds_value(1250) == "12.50" and pounds_value(None) == ""


@given(st.integers(min_value=0, max_value=10**12))
def test_pounds_round_trip_to_the_penny(pence):
    text = pounds(pence).removeprefix("£").replace(",", "")
    assert int(Decimal(text) * 100) == pence
    assert Decimal(pounds_value(pence)) * 100 == pence


def test_postcodes():
    assert postcode_compact(" sw1a  1aa ") == "SW1A1AA"
    assert postcode_display("sw1a1aa") == "SW1A 1AA"
    assert postcode_display("ab1") == "AB1"
    assert postcode_is_valid("SW1A 1AA") and postcode_is_valid("gir0aa")
    assert not postcode_is_valid("SW1A") and not postcode_is_valid("")


@pytest.mark.parametrize(
    ("typed", "pence"),
    [
        ("12", 1200),
        ("12.5", 1250),
        ("12.50", 1250),
        ("£12.50", 1250),
        ("£ 12", 1200),
        ("1,250", 125000),
        (" 0.99 ", 99),
        ("0", 0),
    ],
)
def test_pounds_typed_become_pence(typed, pence):
    assert pence_from_pounds(typed, max_pounds=10_000) == pence


@pytest.mark.parametrize(
    "typed", ["85p", "85.505", "-5", "ten pounds", "85.5.0", "£", "1e3", "", None, "10001"]
)
def test_anything_else_is_refused_in_plain_words(typed):
    with pytest.raises(ValueError, match=MONEY_FORMAT_ERROR):
        pence_from_pounds(typed, max_pounds=10_000)


@given(st.integers(min_value=0, max_value=10**9))
def test_typed_pounds_round_trip(pence):
    assert pence_from_pounds(pounds_value(pence), max_pounds=10**7) == pence
    assert pence_from_pounds(pounds(pence), max_pounds=10**7) == pence
