"""The case queue's search box: officers find a case from whatever the caller gives them.

Part of a reference, the resident's name, part of an email, a postcode (whole, any spacing,
or its first half) or a phone number (any spacing, 0 or +44), from the resident's account or,
for someone who did not sign in, from the case's contact details and the answers they sent.
"""

import uuid

import pytest

from django.db import connection
from django.test.utils import CaptureQueriesContext

from forms_engine.models import Submission
from forms_engine.services import form_version_current
from portal.cases.models import Case
from portal.cases.selectors import case_queue_search
from tests.accounts.factories import UserFactory
from tests.forms_engine.factories import missed_bin_form
from tests.portal.cases.factories import case_make, staff_in, team_make

pytestmark = pytest.mark.django_db

QUEUE = "/admin/cases/"


@pytest.fixture
def cases():
    team = team_make()
    signed_in = case_make(
        team=team,
        resident=UserFactory(
            full_name="Priya Shah",
            email="priya.shah@example.org",
            phone="07700900982",
            address_line_1="1 High Street",
            postcode="SW1A 1AA",
        ),
    )
    anonymous = case_make(team=team, contact_email="j.bloggs@mail.example", contact_name="Joe Bloggs")
    form = missed_bin_form(team=team)
    Submission.objects.create(
        version=form_version_current(form=form),
        case=anonymous,
        contact_email=anonymous.contact_email,
        idempotency_key=uuid.uuid4(),
        answers={
            "address": {"line_1": "2 Low Road", "line_2": "", "town": "Anytown", "postcode": "LS1 4AP"},
            "phone": "0113 496 0000",
        },
    )
    other = case_make(team=team, resident=UserFactory(full_name="Sam Other", email="sam@example.net"))
    return {"signed_in": signed_in, "anonymous": anonymous, "other": other}


def found(query: str) -> set[str]:
    return {c.reference for c in case_queue_search(Case.objects.all(), query)}


@pytest.mark.parametrize(
    "query, expected",
    [
        ("Priya", {"signed_in"}),  # first name
        ("priya shah", {"signed_in"}),  # full name, any case
        ("shah@exam", {"signed_in"}),  # part of an email
        ("PRIYA.SHAH@EXAMPLE.ORG", {"signed_in"}),  # the whole email, as typed
        ("sw1a1aa", {"signed_in"}),  # a postcode without its space
        ("SW1A", {"signed_in"}),  # the first half of a postcode
        ("07700 900 982", {"signed_in"}),  # a phone number with spaces
        ("+44 7700 900982", {"signed_in"}),  # the same number as +44
        ("Bloggs", {"anonymous"}),  # the name an anonymous resident gave
        ("j.bloggs", {"anonymous"}),  # part of their email
        ("ls1 4ap", {"anonymous"}),  # the postcode in their answers
        ("0113 496 0000", {"anonymous"}),  # the phone in their answers
        ("example.net", {"other"}),
        ("nobody-like-this", set()),
    ],
)
def test_the_queue_finds_a_case_from_what_the_caller_gives(cases, query, expected):
    assert found(query) == {cases[name].reference for name in expected}


def test_part_of_a_reference_finds_the_case(cases):
    reference = cases["anonymous"].reference  # e.g. BWC-2026-000002
    tail = reference[-6:]
    assert cases["anonymous"].reference in found(tail)
    assert found(reference.lower()) == {reference}
    assert found("  " + reference + "  ") == {reference}


def test_one_character_is_only_an_exact_reference(cases):
    assert found("a") == set()


def test_the_search_is_one_query(cases):
    with CaptureQueriesContext(connection) as queries:
        list(case_queue_search(Case.objects.all(), "SW1A 1AA"))
    assert len(queries) == 1


def test_the_queue_page_searches_within_what_the_officer_may_see(client, cases):
    manager = staff_in("Service managers")
    client.force_login(manager)
    response = client.get(QUEUE, {"q": "bloggs"})
    assert response.status_code == 200
    assert cases["anonymous"].reference in response.text
    assert cases["signed_in"].reference not in response.text
    assert 'value="bloggs"' in response.text  # what they typed stays in the box
    assert "resident&#x27;s name or email, a postcode or a phone number" in response.text

    # An officer outside the team finds nothing, however well they search.
    outsider = staff_in("Case officers")
    team_make("Roads", "roads@council.example").members.add(outsider)
    client.force_login(outsider)
    assert cases["anonymous"].reference not in client.get(QUEUE, {"q": "bloggs"}).text
