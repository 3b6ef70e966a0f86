from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from portal.lib.money import pounds, pounds_value
from portal.lib.postcodes import postcode_compact, postcode_display, postcode_is_valid


def test_pounds_as_gov_uk_writes_them():
    assert pounds(1250) == "£12.50"
    assert pounds(1200) == "£12"
    assert pounds(125000) == "£1,250"
    assert pounds(5) == "£0.05"
    assert pounds(1234.5) == "£12.35"  # an average, rounded half up to the penny
    assert pounds(None) == "" and pounds(None, none="Not set") == "Not set"
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
