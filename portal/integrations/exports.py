"""A form's submissions for a period, as CSV or JSON: the delivery for teams with no system.

The answers are keyed by question name (JSON) or headed by the question's wording (CSV), read
as staff read them (a choice's label, a date in words), files by their names only, never
their contents. A form changed over the period has the questions of every version in it:
the current wording first, then questions since removed. CSV cells go through
``portal.lib.csv`` so a spreadsheet never runs an answer as a formula.

The export carries residents' personal data: the view audits each one (Wagtail's log).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from forms_engine.models import ServiceForm, Submission
from forms_engine.selectors import submission_answers_named
from portal.lib import csv as safe_csv

# Residents' own email address when they were not signed in (the engine's extra step):
# it is the "Contact email" column, not a question.
CONTACT_FIELD = "_contact_email"
FIXED_HEADERS = ["Reference", "Submitted at", "Channel", "Status", "Contact email"]


@dataclass
class SubmissionsExport:
    form: ServiceForm
    start: date
    end: date
    # (question name, label) in column order
    questions: list[tuple[str, str]] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.rows)

    def filename(self, extension: str) -> str:
        return f"{self.form.slug}-submissions-{self.start.isoformat()}-to-{self.end.isoformat()}.{extension}"


def _period(start: date, end: date) -> tuple[datetime, datetime]:
    """The period from the start of ``start`` to the end of ``end``, in the council's time zone."""
    zone = timezone.get_current_timezone()
    return (
        datetime.combine(start, time.min, tzinfo=zone),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
    )


def submissions_for_export(*, form: ServiceForm, start: date, end: date) -> QuerySet[Submission]:
    since, until = _period(start, end)
    return (
        Submission.objects.filter(version__form=form, submitted_at__gte=since, submitted_at__lt=until)
        .select_related("version", "case")
        .order_by("submitted_at", "pk")
    )


def _questions(submissions: list[Submission]) -> list[tuple[str, str]]:
    """Every question of the versions answered, newest version's order and wording first."""
    versions = sorted({s.version for s in submissions}, key=lambda v: v.number, reverse=True)
    seen: dict[str, str] = {}
    for version in versions:
        for step in version.schema.get("steps") or []:
            for q in step.get("questions") or []:
                if q["name"] != CONTACT_FIELD:
                    seen.setdefault(q["name"], q["label"])
    return list(seen.items())


def submissions_export(*, form: ServiceForm, start: date, end: date) -> SubmissionsExport:
    """The submissions to ``form`` from ``start`` to ``end`` (both included), oldest first."""
    submissions = list(submissions_for_export(form=form, start=start, end=end))
    export = SubmissionsExport(form=form, start=start, end=end, questions=_questions(submissions))
    for submission in submissions:
        case = submission.case
        answers = {
            row["name"]: row["value"]
            for row in submission_answers_named(submission)
            if row["name"] != CONTACT_FIELD
        }
        export.rows.append(
            {
                "reference": case.reference if case else "",
                "submitted_at": timezone.localtime(submission.submitted_at).isoformat(timespec="seconds"),
                "channel": submission.channel,
                "channel_label": submission.get_channel_display(),
                "status": case.status if case else "",
                "status_label": case.get_status_display() if case else "",
                "contact_email": submission.contact_email,
                "answers": answers,
            }
        )
    return export


def export_csv(export: SubmissionsExport) -> str:
    """One row per submission; the questions' wording as headers; formulas neutralised."""
    buffer = io.StringIO()
    writer = safe_csv.writer(buffer)
    writer.writerow([*FIXED_HEADERS, *(label for _name, label in export.questions)])
    for row in export.rows:
        writer.writerow(
            [
                row["reference"],
                row["submitted_at"],
                row["channel_label"],
                row["status_label"],
                row["contact_email"],
                *(row["answers"].get(name, "") for name, _label in export.questions),
            ]
        )
    return buffer.getvalue()


def export_json(export: SubmissionsExport) -> str:
    """``{"form", "from", "to", "questions": [{"name", "label"}], "submissions": [...]}``,
    each submission's answers keyed by question name."""
    document = {
        "form": {"slug": export.form.slug, "title": export.form.title},
        "from": export.start.isoformat(),
        "to": export.end.isoformat(),
        "questions": [{"name": name, "label": label} for name, label in export.questions],
        "submissions": [
            {
                "reference": row["reference"],
                "submitted_at": row["submitted_at"],
                "channel": row["channel"],
                "status": row["status"],
                "status_label": row["status_label"],
                "contact_email": row["contact_email"],
                "answers": row["answers"],
            }
            for row in export.rows
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False)
