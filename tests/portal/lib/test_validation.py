"""Postcodes and phone numbers as residents type them: cleaned to one stored form, or refused
in GOV.UK words (``portal.lib.validation``; the profile and the contact centre use it)."""

import pytest

from portal.lib.validation import phone_normalise, postcode_normalise


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("sw1a1aa", "SW1A 1AA"),
        (" SW1A  1AA ", "SW1A 1AA"),
        ("m11ae", "M1 1AE"),
        ("gir 0aa", "GIR 0AA"),
        ("", ""),
    ],
)
def test_postcodes_are_stored_upper_case_with_one_space(typed, stored):
    assert postcode_normalise(typed) == stored


@pytest.mark.parametrize("typed", ["SW1A", "12345", "SW1A 1A", "QQ1 1AA", "SW1A 1AAA"])
def test_things_that_are_not_postcodes_are_refused(typed):
    with pytest.raises(Exception, match="Enter a full UK postcode"):
        postcode_normalise(typed)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("07700 900982", "07700900982"),
        ("+44 7700 900982", "07700900982"),
        ("0044 (0)7700 900982", "07700900982"),
        ("01632 960 001", "01632960001"),
        ("+33 1 23 45 67 89", "+33123456789"),
    ],
)
def test_phone_numbers_are_stored_as_digits(typed, stored):
    assert phone_normalise(typed) == stored


@pytest.mark.parametrize("typed", ["not a number", "0770", "7700 900982", "+1"])
def test_things_that_are_not_phone_numbers_are_refused(typed):
    with pytest.raises(Exception, match="Enter a telephone number"):
        phone_normalise(typed)
