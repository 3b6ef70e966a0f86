"""Residents complete online forms in the browser, with axe-core checking every page.

1. A signed-in resident books a bulky waste collection: a mistake fixed on the way, a save,
   signing out and in again, carrying on from My account, checking the answers, and on to
   paying with the case reference shown.
2. Someone who does not sign in reports a missed bin and gets the reference.
"""

import re
from datetime import date, timedelta

import pytest

from forms_engine.models import Submission
from tests.accounts.factories import UserFactory
from tests.e2e.signin import sign_in
from tests.forms_engine.factories import bulky_waste_form, form_build, missed_bin_form, question, step

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _heading(page) -> str:
    """The page's h1 without its caption (the form's name, shown above the question)."""
    return page.get_by_role("heading", level=1).inner_text().splitlines()[-1].strip()


def _continue(journey):
    journey.click_and_check(journey.page.get_by_role("button", name="Continue", exact=True))


def _fill_date(page, group: str, day: date):
    fieldset = page.get_by_role("group", name=re.compile(group))
    fieldset.get_by_label("Day").fill(str(day.day))
    fieldset.get_by_label("Month").fill(str(day.month))
    fieldset.get_by_label("Year").fill(str(day.year))


def _sign_out(journey):
    page = journey.page
    journey.click_and_check(page.get_by_role("link", name="Sign out").first)
    journey.click_and_check(page.locator("main").get_by_role("button", name="Sign out"))


def test_a_signed_in_resident_books_a_bulky_waste_collection(journey):
    resident = UserFactory(
        full_name="Sam Resident",
        phone="07700900982",
        address_line_1="12 Mill Lane",
        town="Anytown",
        postcode="SW1A 1AA",
    )
    bulky_waste_form()
    page = journey.page

    journey.goto("/forms/bulky-waste/")
    assert page.get_by_role("heading", level=1).inner_text() == "Book a bulky waste collection"
    journey.click_and_check(page.get_by_role("button", name="Sign in to continue"))
    sign_in(journey, resident)
    assert journey.path() == "/forms/bulky-waste/"
    journey.check()
    journey.click_and_check(page.get_by_role("button", name="Start now"))

    # One question on the page: the question is the heading. A mistake first.
    assert _heading(page) == "How many items?"
    page.get_by_label("How many items?").fill("12")
    _continue(journey)
    assert page.title().startswith("Error:")
    summary = page.locator(".govuk-error-summary")
    assert "The number of items must be 10 or less" in summary.inner_text()
    assert page.get_by_label("How many items?").input_value() == "12"
    page.get_by_label("How many items?").fill("3")
    _continue(journey)

    page.get_by_label("What are the items?").fill("A sofa, a fridge and a wardrobe")
    _continue(journey)

    # The address and phone come from the profile; the date is chosen; then save for later.
    assert page.get_by_label("Address line 1").input_value() == "12 Mill Lane"
    assert page.get_by_label("Phone number").input_value() == "07700 900982"
    _fill_date(page, "Collection date", date.today() + timedelta(days=7))
    journey.click_and_check(page.get_by_role("button", name="Save and come back later"))
    assert page.get_by_role("heading", level=1).inner_text() == "Your answers have been saved"

    _sign_out(journey)
    journey.goto("/my-account/")
    assert journey.path().startswith("/accounts/login/")
    journey.check()
    sign_in(journey, resident)
    assert journey.path() == "/my-account/"
    journey.check()
    saved = page.locator("section", has=page.get_by_role("heading", name="Saved forms"))
    journey.click_and_check(saved.get_by_role("link", name="Book a bulky waste collection"))

    # Back on the step where the resident left off, with the answers kept.
    assert page.get_by_label("Address line 1").input_value() == "12 Mill Lane"
    assert page.get_by_label("Day").input_value() == str((date.today() + timedelta(days=7)).day)
    _continue(journey)

    assert page.get_by_role("heading", level=1).inner_text() == "Check your answers before sending"
    assert "A sofa, a fridge and a wardrobe" in page.locator("main").inner_text()
    assert "£45" in page.locator("main").inner_text()
    # Change an answer and come straight back.
    journey.click_and_check(page.get_by_role("link", name=re.compile(r"Change\s+what are the items")))
    page.get_by_label("What are the items?").fill("A sofa, a fridge and two chairs")
    _continue(journey)
    assert "two chairs" in page.locator("main").inner_text()

    journey.click_and_check(page.get_by_role("button", name="Submit and pay"))
    submission = Submission.objects.get()
    reference = submission.case.reference
    assert journey.path().startswith("/payments/")
    assert reference in page.locator("main").inner_text()
    assert submission.user == resident and submission.case.status == "awaiting_payment"


def test_an_anonymous_resident_reports_a_missed_bin(journey, mailoutbox):
    missed_bin_form()
    page = journey.page

    journey.goto("/forms/missed-bin/")
    journey.click_and_check(page.get_by_role("button", name="Start now"))
    page.get_by_label("Garden waste").check()
    _continue(journey)
    assert _heading(page) == "Garden waste subscription"
    page.get_by_label("Garden waste permit number").fill("GW-1234")
    _continue(journey)

    page.get_by_label("Address line 1").fill("4 Station Road")
    page.get_by_label("Town or city").fill("Anytown")
    page.get_by_label("Postcode").fill("not a postcode")
    _continue(journey)
    assert "Enter a full UK postcode" in page.locator(".govuk-error-summary").inner_text()
    assert page.get_by_label("Address line 1").input_value() == "4 Station Road"
    page.get_by_label("Postcode").fill("sw1a 1aa")
    _continue(journey)

    _fill_date(page, "When should it have been collected", date.today() - timedelta(days=1))
    _continue(journey)

    assert page.get_by_role("heading", level=1).inner_text() == "Your email address"
    page.get_by_label("Email address").fill("pat@example.org")
    _continue(journey)

    main = page.locator("main").inner_text()
    assert "GW-1234" in main and "SW1A 1AA" in main and "pat@example.org" in main
    journey.click_and_check(page.get_by_role("button", name="Submit"))

    reference = Submission.objects.get().case.reference
    panel = page.locator(".govuk-panel")
    assert "Request sent" in panel.inner_text() and reference in panel.inner_text()
    assert any(reference in message.body for message in mailoutbox)


def test_every_other_question_type_is_accessible_with_and_without_errors(journey, tmp_path):
    form_build(
        slug="pothole",
        title="Report a pothole",
        sign_in="none",
        steps=[
            step(
                "About the pothole",
                question("checkboxes", "hazards", "What is near it?", choices=["A school", "A bus stop"]),
                question(
                    "text",
                    "school",
                    "Name of the school",
                    condition={"field": "hazards", "operator": "contains", "value": "school"},
                ),
                question("select", "road_type", "Type of road", choices=["Main road", "Side street"]),
                question("location", "where", "Where is it?"),
            ),
            step(
                "Photo and declaration",
                question("file", "photo", "A photo of the pothole", allowed_types=["jpg", "png"]),
                question(
                    "declaration", "truth", "Declaration", statement="The information I have given is correct"
                ),
                question("email", "email", "Your email address"),
            ),
        ],
    )
    page = journey.page
    journey.goto("/forms/pothole/")
    journey.click_and_check(page.get_by_role("button", name="Start now"))
    # The school's name is revealed under "A school" (GOV.UK conditional reveal), without the
    # "Only if" note that the page shows without JavaScript.
    school = page.get_by_label("Name of the school")
    assert not school.is_visible()
    _continue(journey)  # nothing answered: every question shows its error, and axe checks that state
    assert page.locator(".govuk-error-message").count() == 3
    summary = page.locator(".govuk-error-summary").inner_text()
    assert "Select what is near it" in summary and "Select the type of road" in summary
    assert "Select an answer" not in summary
    page.get_by_label("A school").check()
    assert school.is_visible()
    assert not page.get_by_text("Only if the answer to").is_visible()
    journey.check()  # axe on the revealed question
    page.get_by_label("A bus stop").check()
    page.get_by_label("Type of road").select_option("Side street")
    page.get_by_label("Description of the location").fill("Outside 4 Station Road")
    page.get_by_label("Latitude").fill("51.5")
    page.get_by_label("Longitude").fill("-0.12")
    _continue(journey)
    # The revealed question left empty: its own message, and it stays open with the answers kept.
    assert page.locator(".govuk-error-summary").inner_text().count("Enter the name of the school") == 1
    assert school.is_visible() and page.get_by_label("A bus stop").is_checked()
    school.fill("Hill Primary School")
    _continue(journey)

    photo = tmp_path / "pothole.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    program = tmp_path / "photo.jpg"
    program.write_bytes(b"\x7fELF\x02\x01\x01" + b"\x00" * 64)
    page.get_by_label("A photo of the pothole").set_input_files(str(program))
    _continue(journey)
    assert "The selected file must be a JPG or PNG" in page.locator(".govuk-error-summary").inner_text()
    page.get_by_label("A photo of the pothole").set_input_files(str(photo))
    page.get_by_label("The information I have given is correct").check()
    page.get_by_label("Your email address").fill("sam@example.org")
    _continue(journey)

    main = page.locator("main").inner_text()
    assert "A bus stop" in main and "Side street" in main and "pothole.png" in main
    journey.click_and_check(page.get_by_role("link", name=re.compile(r"Remove\s+pothole.png")))
    journey.click_and_check(page.get_by_role("button", name="Yes, remove the file"))
    assert "Not answered" in page.locator("main").inner_text()
