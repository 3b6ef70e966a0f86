"""Rules editors set on questions (formats, date ranges), error messages that name their
question, same-page conditional reveals, and the smaller resident fixes."""

import re
from datetime import date

import pytest

from django.test import Client
from django.urls import reverse

from forms_engine.blocks import TextQuestionBlock
from forms_engine.engine import StepForm
from forms_engine.engine.formats import format_check
from forms_engine.engine.messages import required_message, subject
from forms_engine.engine.question_types import date_offset
from forms_engine.selectors import draft_list_for_user
from tests.accounts.factories import UserFactory
from tests.forms_engine.factories import form_build, missed_bin_form, question, step, when
from tests.forms_engine.helpers import form_start, step_url

TODAY = date(2026, 3, 10)


def q(type, name="answer", label="Answer", *, required=True, condition=None, **options):
    return {
        "id": f"q-{name}",
        "type": type,
        "name": name,
        "label": label,
        "hint": "",
        "required": required,
        "condition": condition,
        "options": options,
    }


def s(*questions):
    return {"id": "s1", "title": "Step", "intro": "", "condition": None, "questions": list(questions)}


def errors_for(data, *questions, answers=None):
    form = StepForm(data, {}, step=s(*questions), answers=answers or {}, today=TODAY)
    form.is_valid()
    return {name: list(errs) for name, errs in form.errors.items()}, form


# Formats on text questions


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("ab12cde", "AB12 CDE"), ("AB12 CDE", "AB12 CDE"), ("a123 bcd", "A123BCD"), ("ABC 123D", "ABC123D")],
)
def test_a_vehicle_registration_is_accepted_in_any_case_and_spacing(typed, stored):
    errors, form = errors_for(
        {"reg": typed}, q("text", "reg", "Vehicle registration", format="uk_vehicle_registration")
    )
    assert errors == {}
    assert form.step_answers == {"reg": stored}


@pytest.mark.parametrize("typed", ["!!!", "AB12 CDEF", "12345678", "A"])
def test_a_vehicle_registration_in_the_wrong_format_is_refused_in_plain_english(typed):
    errors, _ = errors_for(
        {"reg": typed}, q("text", "reg", "Vehicle registration", format="uk_vehicle_registration")
    )
    assert errors == {"reg": ["Enter a vehicle registration in the correct format, like AB12 CDE"]}


@pytest.mark.parametrize(
    ("fmt", "good", "stored", "bad"),
    [
        ("uk_postcode", "sw1a1aa", "SW1A 1AA", "SW1A"),
        ("ni_number", "qq123456c", "QQ 12 34 56 C", "QQ123456"),
        ("uk_phone", "07700 900982", "07700900982", "12345"),
        ("council_tax_account", "1234 5678", "12345678", "12ab"),
    ],
)
def test_each_format_normalises_good_answers_and_refuses_bad_ones(fmt, good, stored, bad):
    assert format_check({"format": fmt}, good) == (stored, None)
    value, problem = format_check({"format": fmt}, bad)
    assert problem and problem.startswith("Enter ")


def test_a_custom_pattern_uses_the_editors_description():
    options = {
        "format": "custom",
        "format_pattern": "[A-Z]{2}[0-9]{6}",
        "format_description": "a permit number, like AB123456",
    }
    assert format_check(options, "AB123456") == ("AB123456", None)
    assert format_check(options, "AB12") == ("AB12", "Enter a permit number, like AB123456")


def test_a_custom_format_needs_a_working_pattern_before_it_is_saved():
    from wagtail.blocks.struct_block import StructBlockValidationError

    block = TextQuestionBlock()
    value = block.to_python(
        {"label": "Permit", "name": "permit", "required": True, "format": "custom", "format_pattern": "[A-Z"}
    )
    with pytest.raises(StructBlockValidationError) as caught:
        block.clean(value)
    assert "format_pattern" in caught.value.block_errors


# Date ranges relative to today


def test_date_offsets_count_days_months_and_years_from_today():
    assert date_offset(TODAY, {"amount": 6, "unit": "months", "direction": "ago"}) == date(2025, 9, 10)
    assert date_offset(TODAY, {"amount": 30, "unit": "days", "direction": "ahead"}) == date(2026, 4, 9)
    assert date_offset(date(2026, 3, 31), {"amount": 1, "unit": "months", "direction": "ago"}) == date(
        2026, 2, 28
    )
    assert date_offset(TODAY, {"amount": None}) is None


def _date(day, month, year):
    return {"moved-day": str(day), "moved-month": str(month), "moved-year": str(year)}


@pytest.mark.parametrize(
    ("options", "typed", "message"),
    [
        ({"when": "past_strict"}, (10, 3, 2026), "Date of move must be in the past"),
        ({"when": "past"}, (11, 3, 2026), "Date of move must be today or in the past"),
        ({"when": "future_strict"}, (10, 3, 2026), "Date of move must be in the future"),
        (
            {
                "earliest": {"amount": 12, "unit": "months", "direction": "ago"},
                "latest": {"amount": 3, "unit": "months", "direction": "ahead"},
            },
            (1, 1, 1850),
            "Date of move must be between 10 March 2025 and 10 June 2026",
        ),
        (
            {
                "earliest": {"amount": 12, "unit": "months", "direction": "ago"},
                "latest": {"amount": 3, "unit": "months", "direction": "ahead"},
            },
            (1, 1, 2040),
            "Date of move must be between 10 March 2025 and 10 June 2026",
        ),
        (
            {"latest": {"amount": 30, "unit": "days", "direction": "ahead"}},
            (10, 4, 2026),
            "Date of move must be the same as or before 9 April 2026",
        ),
        ({"min_days_ahead": 2}, (11, 3, 2026), "Date of move must be the same as or after 12 March 2026"),
    ],
)
def test_date_rules_refuse_dates_outside_them_naming_the_question(options, typed, message):
    errors, _ = errors_for(_date(*typed), q("date", "moved", "Date of move", **options))
    assert errors == {"moved": [message]}


def test_a_date_inside_the_rules_is_accepted():
    options = {
        "earliest": {"amount": 12, "unit": "months", "direction": "ago"},
        "latest": {"amount": 3, "unit": "months", "direction": "ahead"},
    }
    errors, form = errors_for(_date(1, 1, 2026), q("date", "moved", "Date of move", **options))
    assert errors == {} and form.step_answers == {"moved": "2026-01-01"}


# Error messages name their question


@pytest.mark.parametrize(
    ("kind", "label", "message"),
    [
        ("radios", "Which bin was not collected?", "Select which bin was not collected"),
        ("text", "What is your postcode?", "Enter your postcode"),
        ("text", "Vehicle registration number", "Enter the vehicle registration number"),
        (
            "radios",
            "Do you pay for garden waste collections?",
            "Select whether you pay for garden waste collections",
        ),
        (
            "number",
            "How many items do you want us to collect?",
            "Enter how many items you want us to collect",
        ),
        ("file", "Upload a photo (optional)", "Upload a photo"),
        ("date", "Date of move", "Enter the date of move"),
        ("radios", "Was it out by 7am?", "Select whether it was out by 7am"),
        ("radios", "Did you see it?", "Select an answer to ‘Did you see it?’"),
    ],
)
def test_the_message_for_an_empty_answer_names_the_question(kind, label, message):
    question_ = q(kind, "answer", label, choices=["Yes", "No"])
    errors, _ = errors_for({}, question_)
    assert errors == {"answer": [message]}


def test_a_how_many_question_is_the_number_of_things_in_its_limits():
    errors, _ = errors_for({"items": "12"}, q("number", "items", "How many items?", max_value="10"))
    assert errors == {"items": ["The number of items must be 10 or less"]}


def test_an_editor_can_set_the_message_and_the_name_used_in_messages():
    assert required_message(
        {"label": "Reg", "options": {"error_message": "Enter your number plate"}}, "Enter"
    ) == ("Enter your number plate")
    assert subject({"label": "When?", "options": {"error_name": "your date of birth"}}, "The date") == (
        "Your date of birth"
    )


def test_two_unanswered_questions_on_one_page_never_share_a_message():
    errors, _ = errors_for(
        {},
        q("radios", "bin", "Which bin was not collected?", choices=["Black", "Blue"]),
        q("radios", "out", "Was the bin out by 7am?", choices=["Yes", "No"]),
    )
    messages = [errs[0] for errs in errors.values()]
    assert len(messages) == 2 and len(set(messages)) == 2
    assert "Select an answer" not in messages


# Same-page conditional questions: revealed under their option


def _reveal_step():
    return s(
        q("checkboxes", "items", "What do you want us to collect?", choices=["Sofa", "Other large item"]),
        q(
            "long_text",
            "other",
            "Describe the other items",
            condition={"field": "items", "operator": "contains", "value": "Other"},
        ),
    )


def test_a_question_depending_on_an_option_on_the_same_step_is_nested_under_it():
    form = StepForm(step=_reveal_step(), today=TODAY)
    rows = form.rows()
    assert [row["q"]["name"] for row in rows] == ["items"]
    items = rows[0]["items"]
    assert items[0]["reveal"] == []
    assert [row["q"]["name"] for row in items[1]["reveal"]] == ["other"]
    assert items[1]["reveal"][0]["only_if"].startswith(
        "Only if the answer to ‘What do you want us to collect?’"
    )
    assert form.reveals


def test_a_condition_matching_several_options_keeps_the_only_if_hint_instead():
    step_ = s(
        q("radios", "bin", "Which bin?", choices=["Garden waste", "Garden waste (large)"]),
        q(
            "text",
            "permit",
            "Permit number",
            condition={"field": "bin", "operator": "contains", "value": "Garden"},
        ),
    )
    form = StepForm(step=step_, today=TODAY)
    rows = form.rows()
    assert [row["q"]["name"] for row in rows] == ["bin", "permit"]
    assert rows[1]["hint"].startswith("Only if the answer to")
    assert not form.reveals


# Through the views


def _reveal_form():
    return form_build(
        slug="bulky-reveal",
        sign_in="none",
        steps=[
            step(
                "What do you want us to collect?",
                question(
                    "checkboxes",
                    "items",
                    "What do you want us to collect?",
                    choices=["Sofa", "Other large item"],
                ),
                question(
                    "long_text",
                    "other",
                    "Describe the other items",
                    condition=when("items", "Other large item", "contains"),
                ),
                question("radios", "when_out", "Was it out by 7am?", choices=["Yes", "No"]),
            ),
            step("Your name", question("text", "full_name", "What is your name?")),
        ],
    )


@pytest.mark.django_db
def test_the_step_page_renders_the_govuk_conditional_reveal_and_keeps_the_note_for_no_javascript(web):
    _reveal_form()
    draft = form_start(web, "bulky-reveal")
    html = web.get(step_url(draft, 1)).content.decode()
    assert 'data-aria-controls="conditional-id_items-2"' in html
    conditional = re.search(
        r'<div class="govuk-checkboxes__conditional([^"]*)" id="conditional-id_items-2">'
        r"(.*?)</div>\s*</div>\s*</div>",
        html,
        re.S,
    )
    assert conditional and "govuk-checkboxes__conditional--hidden" in conditional.group(1)
    assert 'name="other"' in conditional.group(2)
    # Without JavaScript the question shows, with its note (which the page's script hides).
    assert "<span data-forms-only-if>Only if the answer to" in html
    assert "js/forms-reveal" in html


@pytest.mark.django_db
def test_the_error_summary_names_each_question_and_keeps_the_reveal_open(web):
    _reveal_form()
    draft = form_start(web, "bulky-reveal")
    response = web.post(step_url(draft, 1), {"items": "Other large item", "action": "continue"})
    html = response.content.decode()
    summary = html[html.index("govuk-error-summary") : html.index("</ul>", html.index("govuk-error-summary"))]
    assert "Describe the other items" in summary
    assert "Select whether it was out by 7am" in summary
    assert "Select an answer<" not in summary
    assert 'class="govuk-checkboxes__conditional" id="conditional-id_items-2"' in html
    # What was typed is kept.
    assert 'value="Other large item" checked' in html


@pytest.mark.django_db
def test_use_my_current_location_is_hidden_until_javascript_reveals_it(web):
    form_build(
        slug="pothole",
        sign_in="none",
        steps=[step("Where?", question("location", "where", "Where is it?", ask_coordinates=True))],
    )
    draft = form_start(web, "pothole")
    html = web.get(step_url(draft, 1)).content.decode()
    wrapper = html.index("<div data-forms-locate-wrapper hidden>")
    assert wrapper < html.index("Use my current location")


@pytest.mark.django_db
def test_saved_forms_list_only_drafts_with_an_answer(web):
    missed_bin_form(sign_in="optional")
    resident = UserFactory()
    web.force_login(resident)
    draft = form_start(web, "missed-bin")
    assert draft_list_for_user(resident) == []
    assert "Report a missed bin" not in web.get(reverse("my_account")).content.decode()
    # Opening the form again reuses the empty draft rather than offering to "continue" it.
    start_page = web.get(reverse("forms_engine:start", kwargs={"slug": "missed-bin"})).content.decode()
    assert "Continue with your saved answers" not in start_page
    assert form_start(web, "missed-bin").pk == draft.pk
    web.post(step_url(draft, 1), {"bin_type": "Recycling", "action": "continue"})
    assert [item.draft.pk for item in draft_list_for_user(resident)] == [draft.pk]
    assert "Report a missed bin" in web.get(reverse("my_account")).content.decode()
    # Another resident sees neither the draft in their list nor its pages.
    other = Client()
    other.force_login(UserFactory())
    assert "Report a missed bin" not in other.get(reverse("my_account")).content.decode()
    assert other.get(step_url(draft, 1)).status_code == 404


@pytest.mark.django_db
def test_the_site_alert_is_one_line_that_expands_on_a_form_step_and_a_full_banner_elsewhere(web):
    from cms.models import Alert

    Alert.objects.create(
        title="Bin collections delayed", message="<p>Up to two days late after the storm.</p>"
    )
    missed_bin_form()
    start_page = web.get(reverse("forms_engine:start", kwargs={"slug": "missed-bin"})).content.decode()
    assert "govuk-notification-banner portal-alert" in start_page
    draft = form_start(web, "missed-bin")
    html = web.get(step_url(draft, 1)).content.decode()
    assert "govuk-notification-banner portal-alert" not in html
    details = re.search(
        r'<details class="govuk-details[^"]*portal-alert-compact[^"]*">(.*?)</details>', html, re.S
    )
    assert details is not None
    assert "Bin collections delayed" in details.group(1)
    assert "Up to two days late after the storm." in details.group(1)


@pytest.mark.django_db
def test_the_form_start_page_leaves_out_its_intro_when_the_service_page_already_has_one(web):
    from cms.models import HomePage, ServicePage
    from tests.cms.factories import publish

    form = missed_bin_form(intro="<p>You will need the address of the missed bin.</p>")
    url = reverse("forms_engine:start", kwargs={"slug": "missed-bin"})
    assert "Before you start" in web.get(url).content.decode()
    page = publish(
        HomePage.objects.get(),
        ServicePage(
            title="Missed bins",
            slug="missed-bins",
            service_id=524,
            before_you_start="<p>You will need your address.</p>",
            start_form=form,
        ),
    )
    html = web.get(url).content.decode()
    assert "Before you start" not in html
    assert "You will need the address of the missed bin." not in html
    assert f'href="{page.url}"' in html and "what you need before you start" in html
    assert ServicePage.objects.filter(start_form=form).count() == 1
