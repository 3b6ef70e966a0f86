"""Reads the forms engine's views, My account and the case pages share."""

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from accounts.selectors import staff_mfa_step

# A module import: portal.cases.selectors reads submissions' answers from this module.
from portal.cases import selectors as case_selectors
from portal.lib.assisted import Assisted, assisted_for

from .engine import CONTACT_FIELD, Flow, answer_display
from .models import Draft, ServiceForm, Submission, Upload

if TYPE_CHECKING:
    from collections.abc import Iterable

    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User

# Anonymous residents' drafts and submissions are theirs through the browser session,
# which keeps this list when the session key changes at sign-in.
SESSION_DRAFTS = "forms_engine_drafts"
SESSION_SUBMISSIONS = "forms_engine_submissions"
# Drafts an agent started for a caller nobody has identified, kept apart from the agent's own
# (``SESSION_DRAFTS`` are claimed by whoever signs in: these never go to the agent), each with
# the call it belongs to: ``{draft id: call id}``.
SESSION_CALLER_DRAFTS = "forms_engine_caller_drafts"


def drafts_active() -> QuerySet[Draft]:
    """Drafts a resident can carry on with: by their state, not sent and not expired
    (``Draft.objects.resumable()``, ``constants.DRAFT_RESUMABLE_STATUSES``)."""
    return Draft.objects.resumable()


@dataclass(frozen=True)
class DraftSummary:
    draft: Draft
    title: str
    updated_at: datetime
    expires_at: datetime
    resume_url: str


def draft_list_for_user(user: "User | AnonymousUser | None") -> list[DraftSummary]:
    """The resident's forms in progress, most recent first, with where to carry on.

    Only drafts with at least one answer: a form merely opened is not a saved form."""
    return draft_summaries(drafts_for_user(user))


def drafts_for_user(user: "User | AnonymousUser | None") -> QuerySet[Draft]:
    """``draft_list_for_user``'s drafts as a query, to count, slice or page (My account shows
    the latest few; the saved forms page all of them, a page at a time)."""
    if user is None or not user.is_authenticated:
        return Draft.objects.none()
    return (
        drafts_active()
        .filter(user=user, version__form__archived=False)
        .exclude(answers={})
        .select_related("version__form")
        .order_by("-updated_at", "-pk")
    )


def draft_summaries(drafts: "Iterable[Draft]") -> list[DraftSummary]:
    """Each draft with its form's title and where to carry on."""
    return [
        DraftSummary(
            draft=draft,
            title=draft.version.form.title,
            updated_at=draft.updated_at,
            expires_at=draft.expires_at,
            resume_url=reverse(
                "forms_engine:resume_draft", kwargs={"slug": draft.version.form.slug, "draft": draft.pk}
            ),
        )
        for draft in drafts
    ]


def form_introduced_by(form: ServiceForm) -> Any:
    """The live service page whose start button leads to ``form`` and which already says what
    to have ready ("Before you start"), or None: the form's own start page then leaves its
    intro out rather than show a second "Before you start" in a row."""
    return form.service_pages.filter(live=True).exclude(before_you_start="").order_by("pk").first()


def draft_for_form(*, request: HttpRequest, form: ServiceForm, user: "User | None" = None) -> Draft | None:
    """This resident's (or this browser's) latest unsent draft of ``form``, if any; ``user``'s
    when given (the caller an agent is helping)."""
    drafts = drafts_active().filter(version__form=form).select_related("version")
    if user is not None:
        return drafts.filter(user=user).order_by("-updated_at").first()
    if request.user.is_authenticated:
        return drafts.filter(user=request.user).order_by("-updated_at").first()
    ids = request.session.get(SESSION_DRAFTS) or []
    if not ids:
        return None
    return drafts.filter(pk__in=ids, user__isnull=True).order_by("-updated_at").first()


def session_owns_draft(request: HttpRequest, draft: Draft) -> bool:
    return str(draft.pk) in (request.session.get(SESSION_DRAFTS) or [])


def call_owns_draft(request: HttpRequest, assisted: Assisted, draft_id: Any) -> bool:
    """Whether the agent started this draft for the caller on this same call, or the caller
    agreed on this call to the agent carrying on with it (``call_draft_allow``)."""
    owned = request.session.get(SESSION_CALLER_DRAFTS) or {}
    return owned.get(str(draft_id)) == str(assisted.call_id)


def assisted_draft_allowed(request: HttpRequest, assisted: Assisted, draft: Draft) -> bool:
    """Whether an agent on a call may open ``draft``: one started on this call (for the
    identified caller, or anonymous for an unidentified one), or the identified caller's own
    draft once they agreed on this call (asked, and audited, on the call screen). Never
    another resident's, and never without 2-step verification."""
    if staff_mfa_step(request) is not None:
        return False
    if draft.user_id is not None and (assisted.resident is None or draft.user_id != assisted.resident.pk):
        return False
    return call_owns_draft(request, assisted, draft.pk)


def call_draft_allow(request: HttpRequest, *, call_id: Any, draft_id: Any) -> None:
    """Let the agent's session open ``draft_id`` for the rest of call ``call_id`` (and only
    then): a draft started on the call, or the caller's own once they agreed on the call."""
    owned = dict(request.session.get(SESSION_CALLER_DRAFTS) or {})
    owned[str(draft_id)] = str(call_id)
    request.session[SESSION_CALLER_DRAFTS] = dict(list(owned.items())[-20:])


def contact_centre_url(name: str, assisted: Assisted | None = None) -> str:
    """The contact centre's page ``name`` for the agent's current call (the caller's record,
    the forms to start, closing the call), or the admin's home until those screens exist.

    The contact centre sits above this app, so its pages are found by URL name alone: first
    as a page of the current call (no arguments: the call is in the agent's session), then
    with the call's id.
    """
    attempts: list[dict[str, str]] = [{}]
    if assisted is not None:
        attempts.append({"call": str(assisted.call_id)})
    for kwargs in attempts:
        try:
            return reverse(name, kwargs=kwargs or None)
        except NoReverseMatch:
            continue
    return "/admin/"


def upload_visible_to(request: HttpRequest, upload: Upload) -> bool:
    """Whether ``request`` may download ``upload``: its owner, someone acting for the owner
    who may see the submission's case, the browser session whose draft it is on, or staff
    allowed to see the submission's case."""
    user = request.user
    if user.is_authenticated and upload.user_id == user.pk:
        return True
    if user.is_authenticated and not user.is_staff and upload.submission_id and upload.user_id:
        case = upload.submission.case if upload.submission is not None else None
        if case is not None and case.resident_id == upload.user_id:
            access = case_selectors.case_access_for(user, case.reference)
            if access is not None and access.proxy is not None:
                return True
    assisted = assisted_for(request)
    if assisted is not None and upload.submission_id is None and upload.draft_id:
        # A file on a draft the agent is filling in for the caller (its "Check your answers").
        if upload.user_id is not None:
            allowed = assisted.resident is not None and upload.user_id == assisted.resident.pk
        else:
            allowed = call_owns_draft(request, assisted, upload.draft_id)
        if allowed and staff_mfa_step(request) is None:
            return True
    if (
        upload.user_id is None
        and upload.draft_id
        and str(upload.draft_id) in (request.session.get(SESSION_DRAFTS) or [])
    ):
        return True
    if user.is_authenticated and user.is_staff and upload.submission_id:
        if staff_mfa_step(request) is not None:
            return False  # staff reach residents' files, as the admins, only after 2-step verification
        case = upload.submission.case if upload.submission is not None else None
        return case is not None and case_selectors.staff_can_view_case(user, case)
    return False


def submission_answer_rows(submission: Submission) -> list[dict[str, Any]]:
    """The answers of ``submission`` as given, read against its own FormVersion: an older
    version shows its own questions, whatever the form says now.

    Rows are ``{"step", "label", "value", "files"}``; ``files`` lists Uploads.
    """
    schema = submission.version.schema
    answers = submission.answers or {}
    flow = Flow(schema, anonymous=CONTACT_FIELD in answers)
    uploads: dict[str, list[Upload]] = {}
    if any(q["type"] == "file" for q in flow.questions.values()):
        for upload in Upload.objects.filter(submission=submission).order_by("created_at"):
            uploads.setdefault(upload.field_name, []).append(upload)
    rows = []
    for _number, step in flow.visible_steps(answers):
        for q in step["questions"]:
            if q["name"] not in answers:
                continue
            files = uploads.get(q["name"], []) if q["type"] == "file" else []
            value = (
                ", ".join(f.original_name for f in files) if files else answer_display(q, answers[q["name"]])
            )
            rows.append({"step": step["title"], "label": q["label"], "value": value, "files": files})
    return rows


def submission_answers_named(submission: Submission) -> list[dict[str, str]]:
    """The answers of ``submission`` keyed by question name, as staff read them, for exports
    and deliveries to other systems (which match answers by name, not by the wording of the
    question): ``{"name", "label", "value"}`` in form order, files by their names, never contents.

    Read against the submission's own FormVersion, as ``submission_answer_rows``.
    """
    schema = submission.version.schema
    answers = submission.answers or {}
    flow = Flow(schema, anonymous=CONTACT_FIELD in answers)
    files: dict[str, list[str]] = {}
    if any(q["type"] == "file" for q in flow.questions.values()):
        for upload in Upload.objects.filter(submission=submission).order_by("created_at"):
            files.setdefault(upload.field_name, []).append(upload.original_name)
    rows = []
    for _number, step in flow.visible_steps(answers):
        for q in step["questions"]:
            if q["name"] not in answers:
                continue
            if q["type"] == "file" and files.get(q["name"]):
                value = ", ".join(files[q["name"]])
            else:  # a file another app gave as a link shows as the link
                value = answer_display(q, answers[q["name"]])
            rows.append({"name": q["name"], "label": q["label"], "value": value})
    return rows
