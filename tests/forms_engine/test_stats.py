"""Per-form statistics from the interaction log, checked on a hand-built set of events."""

from datetime import timedelta

import pytest

from django.utils import timezone

from forms_engine.models import FormVersion, ServiceForm
from forms_engine.stats import form_statistics
from portal.insights.measures import Measures
from portal.interactions.constants import InteractionType as T
from portal.interactions.models import Interaction
from tests.accounts.factories import staff_in

from .factories import form_published, q, step

pytestmark = pytest.mark.django_db


def event(form, kind, *, session="s1", step_id="", days_ago=1.0, extras=None, journey=None):
    return Interaction.objects.create(
        occurred_at=timezone.now() - timedelta(days=days_ago),
        type=kind,
        session_key=session,
        journey=journey or form.slug,
        step=step_id,
        extras=extras or {},
    )


@pytest.fixture
def form():
    return form_published()


def step_ids(form) -> list[str]:
    return [s["id"] for s in FormVersion.objects.get(form=form).schema["steps"]]


def test_figures_for_a_hand_built_period(form):
    first, second, third = step_ids(form)
    # Four people start. A finishes; B finishes, going back to step 1 once; C stops after
    # step 1 and is marked abandoned; D never gets past step 1's errors.
    for session in "ABCD":
        event(form, T.FORM_START, session=session)
    for session, steps in {
        "A": [first, second, third],
        "B": [first, first, second, third],
        "C": [first],
    }.items():
        for order, step_id in enumerate(steps, start=1):
            event(form, T.FORM_STEP, session=session, step_id=step_id, extras={"order": order})
    event(form, T.FORM_SUBMIT, session="A")
    event(form, T.FORM_SUBMIT, session="B")
    event(form, T.FORM_SAVE, session="C")
    event(form, T.FORM_ABANDON, session="C", step_id=first)
    event(form, T.FORM_ERROR, session="D", step_id=first, extras={"fields": ["bin_type"]})
    event(form, T.FORM_ERROR, session="D", step_id=first, extras={"fields": ["bin_type"]})
    event(form, T.FORM_ERROR, session="B", step_id=third, extras={"fields": ["items"]})
    # Not counted: another form, and an event older than the period.
    event(form, T.FORM_START, session="X", journey="another-form")
    event(form, T.FORM_START, session="Y", days_ago=40)

    stats = form_statistics(form=form, days=30)

    assert (stats.starts, stats.submits, stats.saves, stats.abandons, stats.errors) == (4, 2, 1, 1, 3)
    assert stats.completion_percent == 50.0
    assert stats.abandon_percent == 25.0
    assert [(r.number, r.title, r.completed, r.percent_of_starts, r.dropped) for r in stats.steps] == [
        (1, "Which bin?", 3, 75.0, 1),
        (2, "Garden waste", 2, 50.0, 1),
        (3, "How many?", 2, 50.0, 0),
    ]
    assert [(e.name, e.label, e.errors) for e in stats.questions] == [
        ("bin_type", "Which bin was not collected?", 2),
        ("items", "How many bins?", 1),
    ]

    longer = form_statistics(form=form, days=90)
    assert longer.starts == 5


def test_steps_follow_the_form_order_not_the_names(form):
    first, second, third = step_ids(form)
    for step_id in (third, first, second):
        event(form, T.FORM_STEP, step_id=step_id)
    assert [r.title for r in form_statistics(form=form).steps] == ["Which bin?", "Garden waste", "How many?"]


def test_steps_an_older_version_had_follow_in_their_recorded_order(form):
    first, *_ = step_ids(form)
    event(form, T.FORM_START)
    event(form, T.FORM_STEP, step_id="old-step-b", extras={"order": 5})
    event(form, T.FORM_STEP, step_id="old-step-a", extras={"order": 4})
    event(form, T.FORM_STEP, step_id=first, extras={"order": 1})
    rows = form_statistics(form=form).steps
    assert [r.title for r in rows] == ["Which bin?", "Garden waste", "How many?", "old-step-a", "old-step-b"]
    assert [r.in_current_version for r in rows] == [True, True, True, False, False]


def test_steps_are_matched_by_position_or_title_too(form):
    event(form, T.FORM_START)
    event(form, T.FORM_STEP, step_id="1")
    event(form, T.FORM_STEP, step_id="How many?", session="s2")
    rows = form_statistics(form=form).steps
    assert [r.completed for r in rows] == [1, 0, 1]


def test_the_email_step_for_people_not_signed_in_comes_last(form):
    first, *_ = step_ids(form)
    event(form, T.FORM_START)
    event(form, T.FORM_STEP, step_id="contact-email", extras={"order": 4})
    event(form, T.FORM_STEP, step_id=first, extras={"order": 1})
    rows = form_statistics(form=form).steps
    assert [(r.number, r.title, r.completed) for r in rows] == [
        (1, "Which bin?", 1),
        (2, "Garden waste", 0),
        (3, "How many?", 0),
        (4, "Your email address", 1),
    ]
    assert all(r.in_current_version for r in rows)


def test_a_form_with_no_events_has_no_data(form):
    stats = form_statistics(form=form)
    assert not stats.has_data
    assert stats.completion_percent is None
    assert [r.completed for r in stats.steps] == [0, 0, 0]


def test_the_statistics_page(client, form):
    first, *_ = step_ids(form)
    event(form, T.FORM_START)
    event(form, T.FORM_STEP, step_id=first)
    event(form, T.FORM_SUBMIT)
    client.force_login(staff_in("Editors"))
    url = f"/admin/forms/statistics/{form.pk}/"
    response = client.get(url)
    assert response.status_code == 200
    html = response.text
    assert "Report a missed bin: last 30 days" in html
    assert "Drop-off by step" in html and "1. Which bin?" in html
    assert "100.0%" in html
    assert response.context["stats"].starts == 1
    assert client.get(url, {"days": "7"}).context["stats"].days == 7
    assert client.get(url, {"days": "12"}).context["stats"].days == 30
    assert client.get(url, {"days": "x"}).context["stats"].days == 30


def test_service_managers_can_read_statistics_but_not_edit(client, form):
    client.force_login(staff_in("Service managers"))
    assert client.get(f"/admin/forms/statistics/{form.pk}/").status_code == 200
    assert client.get(f"/admin/forms/edit/{form.pk}/").status_code in (302, 403)


def test_case_officers_cannot_read_statistics(client, form):
    client.force_login(staff_in("Case officers"))
    response = client.get(f"/admin/forms/statistics/{form.pk}/")
    assert response.status_code == 302
    assert "stats" not in (response.context or {})


def test_contact_insights_funnel_follows_the_form_order():
    form = form_published(
        slug="bulky",
        steps=[
            step("Zebra first", q("text", "a", "A")),
            step("Apple second", q("text", "b", "B")),
        ],
    )
    first, second = step_ids(form)
    measures = Measures(
        start=timezone.localdate(),
        end=timezone.localdate(),
        service_code=None,
        # The funnel is web only: its ":web" rows (cohort keys already split from their
        # start day). The all-channel rows (here with 2 more bulky starts and steps, made
        # by staff for callers) are not used.
        by_key={
            "form_starts": {"bulky": 12, "other": 4},
            "form_steps": {f"bulky/{second}": 8, f"bulky/{first}": 10, "other/b": 2, "other/a": 3},
            "form_starts:web": {"bulky": 10, "other": 4},
            "form_steps:web": {f"bulky/{second}": 6, f"bulky/{first}": 8, "other/b": 2, "other/a": 3},
        },
    )
    # Each step's web completions ÷ that form's web starts: 8 ÷ 10, 6 ÷ 10, 3 ÷ 4, 2 ÷ 4.
    funnel = [(s.form, s.step, s.title, s.completions, s.percent_of_starts) for s in measures.funnel]
    assert funnel == [
        ("bulky", first, "1. Zebra first", 8, 80.0),
        ("bulky", second, "2. Apple second", 6, 60.0),
        ("other", "a", "", 3, 75.0),
        ("other", "b", "", 2, 50.0),
    ]
    assert ServiceForm.objects.count() == 1
