"""The engine on its own: each question type's checks and messages, conditions and fees."""

from datetime import date

import pytest

from forms_engine.engine import (
    CONTACT_FIELD,
    CONTACT_STEP_ID,
    Flow,
    StepForm,
    answer_display,
    condition_met,
    fee_pence,
    step_data,
)

TODAY = date(2026, 3, 10)


def q(type, name="answer", *, required=True, condition=None, **options):
    return {
        "id": f"q-{name}",
        "type": type,
        "name": name,
        "label": name.capitalize(),
        "hint": "",
        "required": required,
        "condition": condition,
        "options": options,
    }


def s(*questions, id="s1", title="Step", condition=None):
    return {"id": id, "title": title, "intro": "", "condition": condition, "questions": list(questions)}


def check(question, data, *, answers=None, partial=False):
    form = StepForm(data, {}, step=s(question), answers=answers or {}, today=TODAY, partial=partial)
    valid = form.is_valid()
    return valid, form


def errors(form):
    return {name: list(errs) for name, errs in form.errors.items()}


# Field types


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("07700 900982", "07700900982"),
        ("+44 7700 900 982", "07700900982"),
        ("(01632) 960-001", "01632960001"),
    ],
)
def test_uk_phone_numbers_are_accepted_however_they_are_written(typed, stored):
    valid, form = check(q("phone"), {"answer": typed})
    assert valid and form.step_answers == {"answer": stored}


@pytest.mark.parametrize("typed", ["12345", "+1 202 555 0100", "call me", "0770090098212345"])
def test_other_phone_numbers_get_the_uk_phone_error(typed):
    valid, form = check(q("phone"), {"answer": typed})
    assert not valid
    assert errors(form)["answer"][0].startswith("Enter a UK phone number, like 01632 960 001")


def test_required_and_optional_answers():
    valid, form = check(q("text"), {"answer": "   "})
    assert not valid and errors(form) == {"answer": ["Enter the answer"]}
    valid, form = check(q("text", required=False), {"answer": ""})
    assert valid and form.step_answers == {}


def test_text_is_stripped_of_control_characters_and_limited_in_length():
    valid, form = check(q("text", max_length=5), {"answer": " a\x00b "})
    assert valid and form.step_answers == {"answer": "ab"}
    valid, form = check(q("text", max_length=5), {"answer": "abcdef"})
    assert errors(form) == {"answer": ["Answer must be 5 characters or fewer"]}


def test_email():
    valid, form = check(q("email"), {"answer": "jo@example"})
    assert errors(form) == {"answer": ["Enter an email address in the correct format, like name@example.com"]}
    valid, form = check(q("email"), {"answer": " jo@example.org "})
    assert form.step_answers == {"answer": "jo@example.org"}


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("three", "Enter a whole number, like 3"),
        ("2.5", "Enter a whole number, like 3"),
        ("0", "Answer must be 1 or more"),
        ("11", "Answer must be 10 or less"),
        ("NaN", "Enter a whole number, like 3"),
        ("1e5", "Enter a whole number, like 3"),
    ],
)
def test_number_limits(typed, message):
    valid, form = check(q("number", min_value="1", max_value="10", whole_number=True), {"answer": typed})
    assert not valid
    assert errors(form)["answer"][0] in (message, "Enter a number, like 3")


def test_numbers_are_stored_exactly():
    valid, form = check(q("number", whole_number=False), {"answer": "1,250.50"})
    assert valid and form.step_answers == {"answer": "1250.5"}
    valid, form = check(q("number", whole_number=True), {"answer": " 3 "})
    assert form.step_answers == {"answer": "3"}


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        ({"day": "", "month": "", "year": ""}, "Enter the answer"),
        ({"day": "12", "month": "", "year": "2026"}, "Answer must include a month"),
        ({"day": "", "month": "", "year": "2026"}, "Answer must include a day and month"),
        ({"day": "31", "month": "2", "year": "2026"}, "Answer must be a real date"),
        ({"day": "1", "month": "2", "year": "26"}, "The year must include 4 numbers"),
        ({"day": "1", "month": "13", "year": "2026"}, "Answer must be a real date"),
        ({"day": "²", "month": "1", "year": "2026"}, "Answer must be a real date"),
        ({"day": "11", "month": "3", "year": "2026"}, "Answer must be today or in the past"),
    ],
)
def test_date_messages_follow_the_govuk_date_input(parts, message):
    data = {f"answer-{k}": v for k, v in parts.items()}
    valid, form = check(q("date", when="past"), data)
    assert not valid and errors(form) == {"answer": [message]}


def test_dates_accept_month_names_and_respect_booking_windows():
    question = q("date", when="future", min_days_ahead=2, max_days_ahead=30)
    valid, form = check(question, {"answer-day": "12", "answer-month": "Mar", "answer-year": "2026"})
    assert valid and form.step_answers == {"answer": "2026-03-12"}
    valid, form = check(question, {"answer-day": "11", "answer-month": "3", "answer-year": "2026"})
    assert errors(form) == {"answer": ["Answer must be between 12 March 2026 and 9 April 2026"]}
    valid, form = check(question, {"answer-day": "10", "answer-month": "4", "answer-year": "2026"})
    assert errors(form) == {"answer": ["Answer must be between 12 March 2026 and 9 April 2026"]}
    valid, form = check(question, {"answer-day": "9", "answer-month": "3", "answer-year": "2026"})
    assert errors(form) == {"answer": ["Answer must be between 12 March 2026 and 9 April 2026"]}


def test_choices_must_be_one_of_the_options():
    valid, form = check(q("radios", choices=["Yes", "No"]), {"answer": "Maybe"})
    assert errors(form) == {"answer": ["Select one of the options"]}
    valid, form = check(q("select", choices=["Yes", "No"]), {"answer": ""})
    assert errors(form) == {"answer": ["Select the answer"]}
    valid, form = check(q("checkboxes", choices=["A", "B", "C"]), {"answer": ["C", "A"]})
    assert valid and form.step_answers == {"answer": ["A", "C"]}
    valid, form = check(q("checkboxes", choices=["A", "B"]), {"answer": ["A", "Z"]})
    assert errors(form) == {"answer": ["Select from the options given"]}


def test_address_checks_each_part():
    question = q("address")
    valid, form = check(
        question, {"answer-line_1": "1 High St", "answer-town": "", "answer-postcode": "nope"}
    )
    assert errors(form) == {
        "answer-town": ["Enter town or city"],
        "answer-postcode": ["Enter a full UK postcode, like AA1 1AA"],
    }
    valid, form = check(
        question, {"answer-line_1": "1 High St", "answer-town": "Anytown", "answer-postcode": "sw1a1aa"}
    )
    assert form.step_answers == {
        "answer": {"line_1": "1 High St", "line_2": "", "town": "Anytown", "postcode": "SW1A 1AA"}
    }
    valid, form = check(question, {})
    assert errors(form) == {"answer-line_1": ["Enter address line 1, typically the building and street"]}


def test_location_needs_a_description_and_sensible_coordinates():
    question = q("location")
    valid, form = check(question, {"answer-description": "", "answer-latitude": "91", "answer-longitude": ""})
    assert errors(form) == {
        "answer-description": ["Describe where it is, for example the street and the nearest house number"],
        "answer-latitude": ["Enter a latitude between -90 and 90, like 45"],
        "answer-longitude": ["Enter both the latitude and the longitude, or leave both empty"],
    }
    valid, form = check(
        question,
        {"answer-description": "By the bus stop", "answer-latitude": "51.5", "answer-longitude": "-0.1275"},
    )
    assert form.step_answers == {
        "answer": {"description": "By the bus stop", "latitude": "51.5", "longitude": "-0.1275"}
    }


def test_declaration_must_be_ticked_when_required():
    valid, form = check(q("declaration", statement="It is true"), {})
    assert errors(form) == {"answer": ["Tick the box to confirm the declaration"]}
    valid, form = check(q("declaration", statement="It is true"), {"answer": "on"})
    assert form.step_answers == {"answer": True}


def test_save_for_later_requires_nothing_but_still_checks_what_was_typed():
    valid, form = check(q("email"), {"answer": ""}, partial=True)
    assert valid and form.step_answers == {}
    valid, form = check(q("email"), {"answer": "nope"}, partial=True)
    assert not valid


# Conditions


def test_condition_operators():
    assert condition_met(
        {"field": "bin", "operator": "equals", "value": "garden waste"}, {"bin": "Garden  waste"}
    )
    assert not condition_met(
        {"field": "bin", "operator": "equals", "value": "Garden"}, {"bin": "Garden waste"}
    )
    assert condition_met({"field": "bin", "operator": "contains", "value": "garden"}, {"bin": "Garden waste"})
    assert condition_met({"field": "items", "operator": "equals", "value": "B"}, {"items": ["A", "B"]})
    assert condition_met({"field": "count", "operator": "equals", "value": "3"}, {"count": "3.0"})
    assert not condition_met({"field": "bin", "operator": "equals", "value": ""}, {})
    assert condition_met(None, {})


def _conditional_schema():
    return {
        "slug": "t",
        "title": "T",
        "fee": {"type": "none"},
        "case": {},
        "steps": [
            s(q("radios", "bin", choices=["General", "Garden"]), id="s1"),
            s(
                q("text", "permit"),
                id="s2",
                condition={"field": "bin", "operator": "equals", "value": "Garden"},
            ),
            s(
                q("radios", "more", choices=["Yes", "No"]),
                q("long_text", "details", condition={"field": "more", "operator": "equals", "value": "Yes"}),
                id="s3",
            ),
            s(q("email", "email"), id="s4"),
        ],
    }


def test_hidden_steps_are_skipped_and_their_answers_dropped():
    flow = Flow(_conditional_schema(), anonymous=False)
    answers = {"bin": "General", "permit": "P-1", "more": "No", "details": "old"}
    assert [n for n, _ in flow.visible_steps(answers)] == [1, 3, 4]
    assert flow.prune(answers) == {"bin": "General", "more": "No"}
    assert flow.next_number(1, answers) == 3
    assert flow.previous_number(3, answers) == 1
    assert flow.first_incomplete(answers) == 4
    garden = {"bin": "Garden", "more": "No"}
    assert flow.first_incomplete(garden) == 2


def test_a_hidden_question_on_the_same_step_is_never_required_and_never_kept():
    schema = _conditional_schema()
    step = schema["steps"][2]
    form = StepForm({"more": "No", "details": ""}, {}, step=step, today=TODAY)
    assert form.is_valid() and form.step_answers == {"more": "No"}
    form = StepForm({"more": "No", "details": "ignored"}, {}, step=step, today=TODAY)
    assert form.is_valid() and form.step_answers == {"more": "No"}
    form = StepForm({"more": "Yes", "details": ""}, {}, step=step, today=TODAY)
    assert not form.is_valid() and list(form.errors) == ["details"]


def test_anonymous_residents_are_asked_for_an_email_only_when_the_form_has_none_answered():
    schema = _conditional_schema()
    flow = Flow(schema, anonymous=True)
    assert flow.steps[-1]["id"] == CONTACT_STEP_ID
    assert not flow.step_visible(len(flow.steps), {"bin": "General", "more": "No", "email": "a@example.org"})
    schema["steps"].pop()
    flow = Flow(schema, anonymous=True)
    assert flow.step_visible(len(flow.steps), {"bin": "General", "more": "No"})
    assert flow.contact_email({"bin": "General", CONTACT_FIELD: "b@example.org"}) == "b@example.org"
    assert Flow(schema, anonymous=False).steps[-1]["id"] != CONTACT_STEP_ID


def test_saved_answers_are_checked_again_before_sending():
    schema = {
        "steps": [s(q("date", "when", when="future"), id="s1"), s(q("text", "name"), id="s2")],
        "fee": {},
        "case": {},
    }
    flow = Flow(schema, anonymous=False)
    answers = {"when": "2026-03-12", "name": "Jo"}
    assert flow.invalid_step(answers, today=TODAY) is None
    assert flow.invalid_step(answers, today=date(2026, 3, 13)) == 1
    assert flow.invalid_step({"when": "2026-03-12"}, today=TODAY) == 2


def test_answers_round_trip_through_what_the_inputs_show():
    step = s(
        q("address", "home"),
        q("date", "day"),
        q("checkboxes", "bins", choices=["A", "B"]),
        q("declaration", "ok"),
        q("number", "n", whole_number=False),
        q("location", "where"),
    )
    answers = {
        "home": {"line_1": "1 High St", "line_2": "", "town": "Anytown", "postcode": "SW1A 1AA"},
        "day": "2026-01-02",
        "bins": ["A", "B"],
        "ok": True,
        "n": "2.5",
        "where": {"description": "Here", "latitude": "51.5", "longitude": "-1"},
    }
    form = StepForm(step_data(step, answers), {}, step=step, today=TODAY)
    assert form.is_valid(), form.errors
    assert form.step_answers == answers


# Fees and display


def test_fees():
    fixed = {"fee": {"type": "fixed", "amount_pence": 2500}}
    assert fee_pence(fixed, {}) == 2500
    per = {"fee": {"type": "per_answer", "amount_pence": 1500, "field": "items"}}
    assert fee_pence(per, {"items": "3"}) == 4500
    assert fee_pence(per, {"items": "0"}) == 0
    assert fee_pence(per, {}) == 0
    assert fee_pence({"fee": {"type": "none", "amount_pence": 99}}, {}) == 0


def test_answers_are_displayed_for_people():
    assert answer_display(q("date"), "2026-03-10") == "10 March 2026"
    assert answer_display(q("phone"), "07700900982") == "07700 900982"
    assert answer_display(q("number", suffix="items"), "3") == "3 items"
    address = {"line_1": "1 High St", "line_2": "", "town": "Anytown", "postcode": "SW1A 1AA"}
    assert answer_display(q("address"), address) == "1 High St\nAnytown\nSW1A 1AA"
    assert answer_display(q("checkboxes"), ["A", "B"]) == "A\nB"
