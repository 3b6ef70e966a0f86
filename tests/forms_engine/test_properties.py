"""Property tests: whatever anyone sends to any question type, the answer is either accepted or
refused with an error on that question, never a server error, and what was typed is kept."""

import json
from datetime import date
from html import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.utils.datastructures import MultiValueDict

from forms_engine.engine import HANDLERS, PendingUpload, StepForm, handler_for, step_data
from tests.forms_engine.factories import form_build, question, step
from tests.forms_engine.helpers import form_start, step_url

TODAY = date(2026, 3, 10)
CHOICES = ["General waste", "Recycling", "Garden waste"]

# Anything a browser (or a script pretending to be one) can send as a form value.
texts = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.sampled_from(
        [
            "",
            " ",
            "0",
            "-1",
            "1e400",
            "NaN",
            "inf",
            "3",
            "2.5",
            "1,000",
            "²",
            "٣",
            "SW1A 1AA",
            "07700 900982",
            "+44 7700 900982",
            "jo@example.org",
            "31",
            "2",
            "2026",
            "Feb",
            "on",
            "\x00",
            "<script>alert(1)</script>",
            "' OR 1=1 --",
            "9" * 40,
        ]
    ),
    st.sampled_from(CHOICES),
)


def _question(type: str) -> dict:
    options = {
        "text": {"max_length": 50},
        "long_text": {"max_length": 200},
        "email": {"prefill": "email"},
        "phone": {},
        "number": {"min_value": "1", "max_value": "10", "whole_number": True, "suffix": "items"},
        "date": {"when": "future", "min_days_ahead": 2, "max_days_ahead": 30},
        "radios": {"choices": CHOICES},
        "checkboxes": {"choices": CHOICES},
        "select": {"choices": CHOICES},
        "address": {"prefill_from_profile": True},
        "file": {"allowed_types": ["pdf", "jpg", "png"], "max_size_mb": 1},
        "location": {"ask_coordinates": True},
        "declaration": {"statement": "It is true"},
    }[type]
    return {
        "id": f"q-{type}",
        "type": type,
        "name": "answer",
        "label": "The question",
        "hint": "A hint",
        "required": True,
        "condition": None,
        "options": options,
    }


def _input_names(q: dict) -> list[str]:
    names = handler_for(q).field_names(q)
    if q["type"] == "date":
        return [f"{q['name']}-{part}" for part in ("day", "month", "year")]
    return names


@st.composite
def submissions(draw, type: str):
    """A question of ``type`` and a POST for it: its own inputs with any values, plus junk."""
    q = _question(type)
    data = MultiValueDict()
    for name in _input_names(q):
        if draw(st.booleans()) or type == "date":
            if draw(st.integers(0, 4)) == 0:
                data.setlist(name, draw(st.lists(texts, max_size=4)))
            else:
                data[name] = draw(texts)
    if draw(st.booleans()):
        data[draw(st.text(min_size=1, max_size=10))] = draw(texts)
    files = MultiValueDict()
    if type == "file" and draw(st.booleans()):
        content = draw(
            st.one_of(
                st.binary(max_size=200),
                st.sampled_from([b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, b"%PDF-1.4\n", b"\x7fELF\x02\x01"]),
            )
        )
        files["answer"] = SimpleUploadedFile(draw(st.text(min_size=1, max_size=30)) + ".jpg", content)
    return q, data, files


def _typed(data: MultiValueDict, name: str):
    values = data.getlist(name)
    return values[-1] if values else None


def check_property(q: dict, data: MultiValueDict, files: MultiValueDict) -> None:
    the_step = {"id": "s", "title": "Step", "intro": "", "condition": None, "questions": [q]}
    form = StepForm(data, files, step=the_step, today=TODAY)
    valid = form.is_valid()
    own_fields = set(handler_for(q).field_names(q))
    if valid:
        answers = form.step_answers
        assert set(answers) <= {"answer"}
        value = answers.get("answer")
        if isinstance(value, PendingUpload):
            return
        json.dumps(answers)
        if value is not None:
            again = StepForm(step_data(the_step, answers), {}, step=the_step, today=TODAY)
            assert again.is_valid(), again.errors
            assert again.step_answers == answers
    else:
        assert form.errors, "invalid without an error"
        assert set(form.errors) <= own_fields, form.errors
        for messages in form.errors.values():
            assert all(message.strip() for message in messages)
    # The page can always be drawn again, with what was typed still in the boxes.
    html = render_to_string("forms_engine/includes/question.html", {"row": form.rows()[0]})
    if q["type"] in ("text", "long_text", "email", "phone", "number", "address", "location"):
        for name in own_fields:
            typed = _typed(data, name)
            assert form[name].value() == typed
            if typed and typed.strip():
                assert escape(typed) in html


@pytest.mark.parametrize("type", sorted(HANDLERS))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_input_to_any_question_is_accepted_or_refused_with_a_field_error(type, data):
    q, post, files = data.draw(submissions(type))
    check_property(q, post, files)


@pytest.mark.parametrize("type", sorted(HANDLERS))
def test_nothing_sent_is_refused_for_a_required_question_and_accepted_for_an_optional_one(type):
    q = _question(type)
    the_step = {"id": "s", "title": "Step", "intro": "", "condition": None, "questions": [q]}
    form = StepForm({}, {}, step=the_step, today=TODAY)
    assert not form.is_valid() and len(form.errors) == 1
    q["required"] = False
    form = StepForm({}, {}, step=the_step, today=TODAY)
    assert form.is_valid() and form.step_answers == {}


@pytest.mark.django_db
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    count=texts,
    when=st.fixed_dictionaries({"day": texts, "month": texts, "year": texts}),
    postcode=texts,
    phone=texts,
)
def test_any_input_through_the_page_gives_the_page_back_or_moves_on(client, count, when, postcode, phone):
    if not _exists("anything"):
        _anything_form()
    draft = form_start(client, "anything")
    post = {
        "count": count,
        "when-day": when["day"],
        "when-month": when["month"],
        "when-year": when["year"],
        "home-line_1": "1 High St",
        "home-town": "Anytown",
        "home-postcode": postcode,
        "phone": phone,
    }
    response = client.post(step_url(draft, 1), post)
    if any("\x00" in value for value in post.values()):
        # NUL bytes never reach a form: a plain 400 page (portal.middleware.RequestInputMiddleware).
        assert response.status_code == 400
        return
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        html = response.content.decode()
        assert "There is a problem" in html
        assert 'value="1 High St"' in html
        for typed in (count, postcode, phone):
            if typed.strip() and "\r" not in typed:
                assert f'value="{escape(typed.strip(), quote=True)}"' in html or escape(typed) in html


def _anything_form():
    form_build(
        slug="anything",
        steps=[
            step(
                "Everything",
                question("number", "count", min_value="1", max_value="10"),
                question("date", "when", when="future"),
                question("address", "home"),
                question("phone", "phone"),
            )
        ],
    )


def _exists(slug: str) -> bool:
    from forms_engine.models import ServiceForm

    return ServiceForm.objects.filter(slug=slug).exists()
