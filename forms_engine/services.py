"""Publishing forms into frozen versions; residents' drafts, uploads and submissions."""

import hashlib
import logging
import secrets
import uuid
from collections.abc import Callable, Iterable
from html import unescape
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import strip_tags

from accounts.constants import StaffAccessAction
from accounts.services import staff_access_record
from payments.models import Payment
from payments.services import payment_create
from portal.cases.models import Team
from portal.cases.services import case_create, case_link_for_resident
from portal.interactions.constants import VALIDATION_LOOP_THRESHOLD, Channel, InteractionType
from portal.interactions.models import Interaction
from portal.interactions.services import interaction_record, transaction_record
from portal.lib.assisted import Assisted
from portal.lib.money import pounds
from portal.lib.ratelimit import ratelimit_hit, ratelimit_retry_after
from portal.lib.uploads import file_sha256
from portal.notifications.constants import NotificationChannel, NotificationStatus
from portal.notifications.models import Notification
from portal.notifications.services import message_rendered, message_send, notification_release_amended

from .constants import (
    DRAFT_RESUMABLE_STATUSES,
    DraftStatus,
    SubmissionChannel,
    assisted_phrase,
    draft_transition_allowed,
)
from .engine import (
    CONTACT_FIELD,
    ApiAnswerErrors,
    Flow,
    PendingUpload,
    StepForm,
    api_step_data,
    fee_pence,
    fee_quantity,
    handler_for,
)
from .messages import RESUME_LINK, SUBMITTED, SUBMITTED_PAID
from .models import Draft, FormVersion, ServiceForm, Submission, Upload, draft_lifetime
from .schema import schema_build
from .selectors import submission_answer_rows

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User

logger = logging.getLogger(__name__)


# Called with each new Submission inside the transaction that creates it, so what they write
# (the integrations app's delivery rows) is saved with the submission or not at all. Apps above
# the forms engine register here (``submission_listener_register``) instead of being imported.
_SUBMISSION_LISTENERS: list[Callable[[Submission], None]] = []


def submission_listener_register(listener: Callable[[Submission], None]) -> None:
    """Have ``listener(submission)`` called in the transaction that creates each submission."""
    if listener not in _SUBMISSION_LISTENERS:
        _SUBMISSION_LISTENERS.append(listener)


class SubmissionIncomplete(ValueError):
    """Answers that cannot be sent yet; ``step`` is the number of the step to fix."""

    def __init__(self, message: str, *, step: int) -> None:
        super().__init__(message)
        self.message = message
        self.step = step


class DraftStateError(ValueError):
    """A move of a draft's state that ``constants.DRAFT_TRANSITIONS`` does not allow."""


def draft_transition(*, draft: Draft, to: str, **fields: Any) -> bool:
    """Move ``draft`` to ``to`` if ``constants.DRAFT_TRANSITIONS`` allows it: the one writer of
    ``Draft.status``. Returns whether it moved.

    The move is made only if the row still has the state ``draft`` was read with (a
    compare-and-set), so two runs of a job, or a job and the resident, never both make it: the
    loser gets False and nothing changes. ``fields`` (``submitted_at``...) are written with the
    state. ``updated_at``, the resident's last activity, is left alone unless given. Raises
    ``DraftStateError`` for a move the table forbids.
    """
    if to not in DraftStatus.values or not draft_transition_allowed(draft.status, to):
        raise DraftStateError(f"A {draft.status} draft cannot become {to}")
    moved = Draft.objects.filter(pk=draft.pk, status=draft.status).update(status=to, **fields)
    if moved:
        draft.status = to
        for name, value in fields.items():
            setattr(draft, name, value)
    return bool(moved)


def _draft_resumed(draft: Draft) -> None:
    """The resident changed an abandoned draft: it is in progress again (still counted as
    abandoned once, by ``abandoned_recorded_at``)."""
    if draft.is_abandoned:
        draft_transition(draft=draft, to=DraftStatus.IN_PROGRESS)


def uploads_delete(uploads: Iterable[Upload]) -> int:
    """Delete upload rows now, and their files from private storage once the transaction commits."""
    uploads = list(uploads)
    if not uploads:
        return 0
    names = [upload.file.name for upload in uploads if upload.file.name]  # FieldFile is truthy iff named
    Upload.objects.filter(pk__in=[upload.pk for upload in uploads]).delete()
    storage = Upload._meta.get_field("file").storage

    def delete_files() -> None:
        for name in names:
            try:
                storage.delete(name)
            except OSError:
                logger.warning("Could not delete the form upload %s", name)

    transaction.on_commit(delete_files)
    return len(uploads)


def drafts_delete(drafts: Iterable[Draft]) -> int:
    """Delete drafts and the files given on them that no submission uses."""
    drafts = list(drafts)
    if not drafts:
        return 0
    ids = [draft.pk for draft in drafts]
    uploads_delete(Upload.objects.filter(draft_id__in=ids, submission__isnull=True))
    Draft.objects.filter(pk__in=ids).delete()
    return len(ids)


def form_version_current(*, form: ServiceForm) -> FormVersion | None:
    """The FormVersion of ``form``'s live revision, frozen the first time it is asked for.

    Returns None when the form is not live. Safe when two requests ask at once: the
    unique (form, revision) constraint decides, and the loser reads the winner's row.
    """
    if not form.live or form.archived or not form.live_revision_id:
        return None
    version = FormVersion.objects.filter(form=form, revision_id=form.live_revision_id).first()
    if version:
        return version
    live = form.live_revision.as_object()
    try:
        with transaction.atomic():
            number = (FormVersion.objects.filter(form=form).aggregate(n=Max("number"))["n"] or 0) + 1
            return FormVersion.objects.create(
                form=form, number=number, revision_id=form.live_revision_id, schema=schema_build(live)
            )
    except IntegrityError:
        return FormVersion.objects.get(form=form, revision_id=form.live_revision_id)


# Drafts


def _step_label(number: int, step: dict[str, Any]) -> str:
    """What ``step`` holds on form interactions: the step's stable id (``stats.step_keys``)."""
    return str(step.get("id") or number)[:100]


def _record(
    type: str,
    *,
    draft: Draft,
    request: HttpRequest | None = None,
    step: str = "",
    outcome: str = "",
    channel: str | None = None,
    staff: "User | None" = None,
    **kwargs: Any,
) -> Interaction:
    """One event of ``draft``'s journey. On the web it is the resident's ``request``; when a
    member of ``staff`` fills the form in for a caller (``channel`` phone, face to face...),
    there is no request to take it from (the browser is the agent's): it is the draft's
    resident's, on the caller's channel, with ``staff`` as who did it."""
    if staff is not None:
        request = None
    schema = draft.version.schema
    # The day the draft was started (London), so the measures count a submission, a step
    # or an abandonment only against starts of the same period (a subset of them).
    started = timezone.localdate(draft.created_at) if draft.created_at else timezone.localdate()
    extras = {**kwargs.pop("extras", {}), "started": started.isoformat()}
    return interaction_record(
        type=type,
        request=request,
        user=draft.user if request is None else None,
        service_code=schema.get("service_code"),
        journey=schema.get("slug", ""),
        step=step,
        outcome=outcome,
        extras=extras,
        channel=channel,
        staff=staff,
        **kwargs,
    )


@transaction.atomic
def draft_create(
    *,
    version: FormVersion,
    user: "User | AnonymousUser | None" = None,
    session_key: str = "",
    request: HttpRequest | None = None,
    channel: str | None = None,
    staff: "User | None" = None,
) -> Draft:
    """Start a resident's answers to ``version``: theirs if signed in, else this browser session's.

    Records ``form_start``: the first step is shown next. ``channel`` and ``staff``: a member
    of staff starts it for a caller (see ``_record``; ``draft_create_for_caller``).
    """
    draft = Draft.objects.create(
        version=version,
        user=user if user is not None and user.is_authenticated else None,
        session_key="" if user is not None and user.is_authenticated else session_key,
    )
    draft.version = version
    first = (version.schema.get("steps") or [{}])[0]
    _record(
        InteractionType.FORM_START,
        draft=draft,
        request=request,
        step=_step_label(1, first) if first else "",
        extras={"order": 1, "version": version.number},
        channel=channel,
        staff=staff,
    )
    return draft


def _caller_audit(assisted: Assisted, *, action: str, detail: str = "") -> None:
    """Audit an action an agent took for the identified caller (none for an unknown caller)."""
    if assisted.resident is None:
        return
    staff_access_record(
        staff=assisted.staff,
        resident=assisted.resident,
        action=action,
        channel=assisted.channel,
        identity=assisted.identity,
        call=assisted.call_id,
        detail=detail,
    )


@transaction.atomic
def draft_create_for_caller(*, version: FormVersion, assisted: Assisted, session_key: str = "") -> Draft:
    """An agent on a call starts ``version`` for the caller: the draft is the identified
    caller's (``assisted.resident``), or, for a caller nobody has identified, the agent's
    browser session's, as an anonymous resident's would be. ``form_start`` is on the call's
    channel with the agent as staff, and the start is audited on the resident's record.
    """
    draft = draft_create(
        version=version,
        user=assisted.resident,
        session_key="" if assisted.resident is not None else session_key,
        channel=assisted.channel,
        staff=assisted.staff,
    )
    # Left idle, it is abandoned on the call's channel, by the agent: not a web abandonment.
    draft.progress = {
        **(draft.progress or {}),
        "assisted": {"channel": assisted.channel, "staff": assisted.staff.pk},
    }
    draft.save(update_fields=["progress"])
    _caller_audit(assisted, action=StaffAccessAction.FORM_STARTED, detail=version.schema.get("title", ""))
    return draft


def _upload_ids(flow: Flow, answers: dict[str, Any]) -> set[str]:
    # A link another app gave (``{"media_url": ...}``) is an answer but not an Upload.
    return {
        str(answers[name])
        for name, q in flow.questions.items()
        if q["type"] == "file" and answers.get(name) and not isinstance(answers[name], dict)
    }


def upload_store(
    *, draft: Draft, field_name: str, pending: PendingUpload, user: "User | AnonymousUser | None" = None
) -> Upload:
    """Keep a checked file in private storage, named after what it really is."""
    file = pending.file
    upload = Upload(
        draft=draft,
        user=user if user is not None and user.is_authenticated else None,
        field_name=field_name,
        original_name=(getattr(file, "name", "") or f"upload.{pending.extension}")[-255:],
        content_type=pending.content_type,
        size=file.size,
        sha256=file_sha256(file),
    )
    upload.file.save(f"{uuid.uuid4().hex}.{pending.extension}", file, save=False)
    upload.save()
    return upload


@transaction.atomic
def draft_step_save(
    *,
    draft: Draft,
    flow: Flow,
    number: int,
    form: StepForm,
    request: HttpRequest | None = None,
    partial: bool = False,
    files_only: bool = False,
    channel: str | None = None,
    staff: "User | None" = None,
) -> int | None:
    """Store the answers to step ``number`` (checked by ``form``) and return the next step's number.

    Answers the resident cleared are removed, new files are stored, and answers to
    questions that the new answers hide are dropped (with their files). ``partial`` is
    "Save and come back later": what was typed is kept and ``form_save`` is recorded;
    otherwise ``form_step``. ``files_only`` keeps just the new files of a step that had
    errors, so nobody has to choose a file twice. ``channel``/``staff``: an agent fills it in
    for a caller (``_record``).
    """
    step = flow.step(number)
    assert step is not None  # the views save only steps of the flow
    answers = dict(draft.answers)
    before = _upload_ids(flow, answers)
    if not files_only:
        for q in step["questions"]:
            answers.pop(q["name"], None)
    for name, value in form.step_answers.items():
        if isinstance(value, PendingUpload):
            value = str(upload_store(draft=draft, field_name=name, pending=value, user=draft.user).pk)
        elif files_only:
            continue
        answers[name] = value
    answers = flow.prune(answers)
    after = _upload_ids(flow, answers)
    if before != after or any(isinstance(v, PendingUpload) for v in form.step_answers.values()):
        uploads_delete(Upload.objects.filter(draft=draft, submission=None).exclude(pk__in=list(after)))
    draft.answers = answers
    next_number = None if files_only else flow.next_number(number, answers)
    if partial or files_only:
        draft.current_step = step["id"]
    else:
        next_step = flow.step(next_number) if next_number else None
        draft.current_step = next_step["id"] if next_step is not None else "check"
    label = _step_label(number, step)
    progress = dict(draft.progress or {})
    first = not partial and not files_only and label not in progress.get("steps", [])
    if first:
        progress["steps"] = [*progress.get("steps", []), label]
        draft.progress = progress
    draft.save(update_fields=["answers", "current_step", "updated_at", "progress"])
    _draft_resumed(draft)
    if not files_only:
        extras: dict[str, Any] = {"order": number, "title": step["title"][:100]}
        if not partial:
            extras["first"] = first  # a step completed again (after going back) is not counted twice
        _record(
            InteractionType.FORM_SAVE if partial else InteractionType.FORM_STEP,
            draft=draft,
            request=request,
            step=label,
            extras=extras,
            channel=channel,
            staff=staff,
        )
    return next_number


def form_error_record(
    *,
    draft: Draft,
    number: int,
    step: dict[str, Any],
    fields: list[str],
    request: HttpRequest | None = None,
    channel: str | None = None,
    staff: "User | None" = None,
) -> None:
    """A step sent back with errors: which questions, so validation loops show in the measures.

    The draft counts its errors per question; the first time any question reaches its
    ``VALIDATION_LOOP_THRESHOLD``-th error the event is marked ``loop`` (once per draft).
    """
    progress = dict(draft.progress or {})
    errors = dict(progress.get("errors") or {})
    for name in fields:
        errors[str(name)] = errors.get(str(name), 0) + 1
    loop = not progress.get("loop") and any(n >= VALIDATION_LOOP_THRESHOLD for n in errors.values())
    progress["errors"] = errors
    if loop:
        progress["loop"] = True
    Draft.objects.filter(pk=draft.pk).update(progress=progress)
    draft.progress = progress
    _record(
        InteractionType.FORM_ERROR,
        draft=draft,
        request=request,
        step=_step_label(number, step),
        extras={"order": number, "title": step["title"][:100], "fields": fields, "loop": loop},
        channel=channel,
        staff=staff,
    )


@transaction.atomic
def upload_remove(*, draft: Draft, upload: Upload) -> None:
    """The resident removes a file they uploaded (from "Check your answers")."""
    answers = dict(draft.answers)
    if str(answers.get(upload.field_name)) == str(upload.pk):
        answers.pop(upload.field_name)
    draft.answers = answers
    draft.current_step = "check"
    draft.save(update_fields=["answers", "current_step", "updated_at"])
    _draft_resumed(draft)
    uploads_delete([upload])


@transaction.atomic
def draft_claim(*, draft: Draft, user: "User") -> Draft:
    """Give an anonymous draft (and its files) to the resident who has just signed in."""
    Draft.objects.filter(pk=draft.pk, user__isnull=True).update(user=user, session_key="")
    Upload.objects.filter(draft=draft, user__isnull=True).update(user=user)
    draft.user = user
    draft.session_key = ""
    return draft


@transaction.atomic
def draft_claim_for_caller(*, draft: Draft, assisted: Assisted) -> Draft:
    """A draft an agent started for a caller before checking who they are, on this same
    call, becomes the identified caller's (never the agent's), audited on their record."""
    if assisted.resident is None:
        raise ValueError("Only an identified caller can be given a draft")
    draft_claim(draft=draft, user=assisted.resident)
    _caller_audit(
        assisted, action=StaffAccessAction.FORM_STARTED, detail=draft.version.schema.get("title", "")
    )
    return draft


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ResumeLinkNotSent(ValueError):
    """A resume link that cannot be sent (a phone number that replied STOP, for one)."""


@transaction.atomic
def draft_resume_link_send(
    *,
    draft: Draft,
    email: str = "",
    phone: str = "",
    request: HttpRequest | None = None,
    channel: str | None = None,
    staff: "User | None" = None,
) -> str:
    """Send a link that brings an anonymous resident back to their answers: by email, or by
    text to ``phone`` (never by post: the link is a secret, kept out of the outbox).

    Only the SHA-256 of the token is stored; the link stops working after
    ``FORM_DRAFT_DAYS`` or once the form is sent. Returns the token (for tests). Raises
    ``ResumeLinkNotSent`` when it cannot go that way (a number that replied STOP).
    """
    if not (email or phone):
        raise ValueError("Give an email address or a phone number to send the link to")
    token = secrets.token_urlsafe(32)
    draft.resume_email = email
    draft.resume_token_hash = _token_hash(token)
    draft.resume_expires_at = timezone.now() + draft_lifetime()
    draft.save(update_fields=["resume_email", "resume_token_hash", "resume_expires_at", "updated_at"])
    _draft_resumed(draft)
    schema = draft.version.schema
    sent = message_send(
        key=RESUME_LINK,
        context={
            "title": schema["title"],
            "link": settings.SITE_URL + reverse("forms_engine:resume", kwargs={"token": token}),
            "expires_on": date_format(timezone.localtime(draft.resume_expires_at), "j F Y"),
        },
        email=email,
        phone=phone,
        channel=NotificationChannel.EMAIL if email else NotificationChannel.SMS,
        # The draft's own account, if any: the link goes where the person asked, logged as theirs.
        user=draft.user,
    )
    if sent is None:
        raise ResumeLinkNotSent("We cannot send text messages to this number. Enter an email address instead")
    _record(
        InteractionType.FORM_SAVE,
        draft=draft,
        request=request,
        step="resume link",
        outcome="emailed" if email else "texted",
        channel=channel,
        staff=staff,
    )
    return token


# A few links an hour per draft: enough for a typo, too few to pester someone else's inbox.
RESUME_LINKS_PER_HOUR = 3


def draft_resume_link_request(
    *,
    draft: Draft,
    email: str = "",
    phone: str = "",
    request: HttpRequest | None = None,
    channel: str | None = None,
    staff: "User | None" = None,
) -> bool:
    """Send a resume link (``draft_resume_link_send``) unless this draft has already had
    ``RESUME_LINKS_PER_HOUR`` this hour; returns False, sending nothing, when it has."""
    if ratelimit_hit(
        f"forms_engine:resume_links:{draft.pk}", limit=RESUME_LINKS_PER_HOUR, window_seconds=3600
    ):
        return False
    # Texts cost money and reach a person: a few an hour to one number, however many drafts ask.
    digits = "".join(c for c in phone if c.isdigit())
    if digits and ratelimit_hit(
        f"forms_engine:resume_links:phone:{digits}", limit=RESUME_LINKS_PER_HOUR, window_seconds=3600
    ):
        return False
    draft_resume_link_send(
        draft=draft, email=email, phone=phone, request=request, channel=channel, staff=staff
    )
    return True


def draft_resume_link_retry_after(draft: Draft) -> int:
    """Seconds until ``draft_resume_link_request`` will send this draft another link."""
    return ratelimit_retry_after(f"forms_engine:resume_links:{draft.pk}", window_seconds=3600)


def draft_session_attach(*, draft: Draft, session_key: str) -> None:
    """An anonymous draft opened from its emailed link belongs to this browser session from now on."""
    Draft.objects.filter(pk=draft.pk).update(session_key=session_key)


def draft_by_resume_token(token: str) -> Draft | None:
    """The unsent, unexpired draft a resume link points at."""
    if not token or len(token) > 200:
        return None
    return (
        Draft.objects.select_related("version__form")
        .filter(
            resume_token_hash=_token_hash(token),
            resume_expires_at__gt=timezone.now(),
            status__in=DRAFT_RESUMABLE_STATUSES,
        )
        .first()
    )


# Submitting


def _plain(html: str) -> str:
    return unescape(strip_tags((html or "").replace("</p>", "</p>\n"))).strip()


# The outbox template of the confirmation, so a held one is found to add the receipt to.
CONFIRMATION_TEMPLATE = SUBMITTED
# A form's fee is usually paid within minutes of sending the form: its confirmation waits this
# long for the payment, so that a resident who pays gets one message, with the receipt in it. A
# resident who does not pay still gets the confirmation (with their reference) afterwards.
CONFIRMATION_HOLD_SECONDS = 15 * 60


def _confirmation_context(
    submission: Submission, schema: dict[str, Any], *, paid: bool = False
) -> dict[str, str]:
    """The placeholders of the confirmation (``messages.SUBMITTED`` and ``SUBMITTED_PAID``)."""
    case = submission.case
    reference = case.reference if case else ""
    assisted = submission.channel == SubmissionChannel.ASSISTED
    fee = pounds(submission.fee_pence) if submission.fee_pence else ""
    answers = ""
    if assisted:
        rows = "\n".join(f"{row['label']}: {row['value']}" for row in _answers_plain(submission))
        answers = (
            f"What we sent for you\n{rows}\n\nIf anything here is wrong, reply to us on your request "
            "or contact us."
        )
    resident = submission.user
    return {
        "name": (resident.full_name if resident else "") or (case.contact_name if case else "") or "there",
        "title": schema["title"],
        "reference": reference,
        "reference_line": f"Your reference number is {reference}. Please quote it if you contact us "
        "about this request."
        if reference
        else "",
        # Made for them by staff: how and when, and what was sent, so they can check it.
        "made_for_you": f"We made this request for you {assisted_phrase(case.channel if case else '')} on "
        f"{date_format(timezone.localtime(submission.submitted_at), 'j F Y')}."
        if assisted
        else "",
        "fee": fee,
        "payment_due": f"We will start work on your request when you have paid {fee}."
        if fee and not paid
        else "",
        "confirmation_text": _plain(schema["case"].get("confirmation_text", "")),
        "next_steps": _plain(schema["case"].get("next_steps", "")),
        "answers": answers,
        "link": case_link_for_resident(case) if case else "",
    }


def _answers_plain(submission: Submission) -> list[dict[str, str]]:
    """The answers sent, as "question: answer" lines for a plain-text message."""
    return [
        {"label": row["label"], "value": _plain(str(row["value"]))}
        for row in submission_answer_rows(submission)
    ]


def _confirmation_send(submission: Submission, schema: dict[str, Any], *, hold: bool = False) -> None:
    """The one message confirming a submission, by the resident's chosen channel (email, text
    or letter), linked to its case (staff see it there).

    With ``hold`` (a form with a fee) it waits ``CONFIRMATION_HOLD_SECONDS`` for the payment:
    paid meanwhile, it goes at once with the receipt in it
    (``submission_confirmation_with_receipt``), so the resident gets one message, not three.
    Nobody to reach (no account, no email): the case is followed up by phone.
    """
    if submission.user is None and not submission.contact_email:
        return
    message_send(
        key=SUBMITTED,
        context=_confirmation_context(submission, schema),
        user=submission.user,
        email=submission.contact_email,
        case=submission.case,
        hold_seconds=CONFIRMATION_HOLD_SECONDS if hold else 0,
    )


def submission_confirmation_with_receipt(*, payment: Payment, receipt: dict[str, str]) -> bool:
    """Put the payment's receipt into the form's confirmation still held for it, and send it now.

    Called by ``payments.services.receipts`` when the payment succeeds, with the receipt's
    placeholders (``payments.services.payment_receipt_context``). The held message is
    reworded (``messages.SUBMITTED_PAID``) for the channel it was going by: email, text or
    letter. Returns False, sending nothing, when no confirmation is waiting (not a form's
    fee, or it has gone already): the receipt is then sent on its own.
    """
    if not payment.case_id:
        return False
    submission = (
        Submission.objects.select_related("version", "case", "user")
        .filter(case_id=payment.case_id, fee_pence__gt=0)
        .first()
    )
    if submission is None:
        return False
    held_channel = (
        Notification.objects.filter(
            case_id=payment.case_id,
            template=CONFIRMATION_TEMPLATE,
            status=NotificationStatus.CREATED,
            attempts=0,
            next_attempt_at__gt=timezone.now(),
        )
        .values_list("channel", flat=True)
        .first()
    )
    if held_channel is None:
        return False
    context = {**_confirmation_context(submission, submission.version.schema, paid=True), **receipt}
    subject, body = message_rendered(key=SUBMITTED_PAID, context=context, channel=held_channel)
    return notification_release_amended(
        case_id=payment.case_id, template=CONFIRMATION_TEMPLATE, subject=subject, body_text=body
    )


def submission_create(
    *,
    draft: Draft,
    request: HttpRequest | None = None,
    channel: str = Channel.WEB,
    staff: "User | None" = None,
    assisted: Assisted | None = None,
    api_client: str = "",
) -> Submission:
    """Send a resident's answers: the Submission, its Case and (when a fee is due) its Payment,
    in one transaction.

    Idempotent per draft: a double click, a refresh or two tabs return the one
    Submission made for ``draft.idempotency_key`` (the draft row is locked while sending
    and the key is unique, so a race ends with the loser reading the winner's row).
    Only answers to questions that were shown are stored. Raises ``SubmissionIncomplete``
    when an answer is missing or no longer valid. The new Submission carries
    ``payment`` (or None) for the caller's redirect.

    ``channel`` is how the resident reached the council: ``web`` when they filled the form
    in themselves; phone, face to face, email or letter when ``staff`` filled it in for
    them (the submission is then "assisted", and its events carry that channel and the
    staff member, never the staff member as the resident). Without a fee the submission
    completes a transaction at once; with one, when the payment succeeds.

    ``assisted`` (an agent on a call, ``portal.lib.assisted``) gives the channel and the
    staff member, and audits the submission on the identified caller's record
    (``SUBMITTED``, with the case reference), in the same transaction. A resident record with
    no email can be sent for: the case reaches them by phone or post.
    """
    if assisted is not None:
        channel, staff = assisted.channel, assisted.staff
    if channel == Channel.API:
        if staff is not None or not api_client:
            raise ValueError("An app submits on the API channel, with its name and no staff member")
    elif (channel != Channel.WEB) != (staff is not None):
        raise ValueError("Staff submit on the caller's channel; residents submit on the web")
    if channel not in Channel.values:
        raise ValueError(f"Unknown channel {channel!r}")
    existing = _submission_for(draft)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            locked = (
                Draft.objects.select_for_update(of=("self",))
                .select_related("version__form", "user")
                .get(pk=draft.pk)
            )
            existing = _submission_for(locked)
            if existing is not None:
                return existing
            return _submission_create(
                locked, request, channel=channel, staff=staff, assisted=assisted, api_client=api_client
            )
    except IntegrityError:
        existing = _submission_for(draft)
        if existing is None:
            raise
        return existing


def _submission_for(draft: Draft) -> Submission | None:
    submission = (
        Submission.objects.select_related("case", "version")
        .filter(idempotency_key=draft.idempotency_key)
        .first()
    )
    if submission is not None:
        # Not a field: the new attempt, carried for the caller's redirect (see submission_create).
        submission.payment = submission_payment(submission)  # type: ignore[attr-defined]
    return submission


def submission_payment(submission: Submission) -> Payment | None:
    """The payment for a submission's fee, if there is one (payments are made by the PAY app)."""
    if not submission.fee_pence or not submission.case_id:
        return None
    return Payment.objects.filter(case_id=submission.case_id).order_by("-pk").first()


def _submission_create(
    draft: Draft,
    request: HttpRequest | None,
    *,
    channel: str = Channel.WEB,
    staff: "User | None" = None,
    assisted: Assisted | None = None,
    api_client: str = "",
) -> Submission:
    by_staff = channel not in (Channel.WEB, Channel.API)
    if channel != Channel.WEB:
        request = None  # the request is the staff member's or the app's: the events are the resident's
    version = draft.version
    schema = version.schema
    user = draft.user
    flow = Flow(schema, anonymous=user is None)
    answers = flow.prune(draft.answers)
    uploads = {u.field_name: u for u in Upload.objects.filter(draft=draft, submission__isnull=True)}
    invalid = flow.invalid_step(answers, uploads)
    if invalid is not None:
        raise SubmissionIncomplete("Some answers are missing or need changing", step=invalid)
    if user is not None:
        # A record the contact centre keeps may have no email: it is reached by phone or post.
        email = user.message_email or flow.contact_email(answers)
        if not (email or user.phone or user.has_address):
            raise SubmissionIncomplete(
                "Add a phone number, an address or an email address to their record, "
                "so we can tell them about their request",
                step=len(flow.steps),
            )
    else:
        email = flow.contact_email(answers)
    if not email and user is None:
        raise SubmissionIncomplete(
            "Enter an email address so we can send you the reference", step=len(flow.steps)
        )
    fee = fee_pence(schema, answers)
    case_settings = schema.get("case") or {}
    case = None
    if case_settings.get("creates_case", True):
        team_id = case_settings.get("team_id")
        case = case_create(
            title=schema["title"],
            reference_prefix=case_settings.get("reference_prefix") or "REQ",
            service_code=schema.get("service_code"),
            resident=user,
            contact_email=email,
            contact_name=(user.full_name if user is not None else "") or flow.contact_name(answers),
            team=Team.objects.filter(pk=team_id).first() if team_id else None,
            sla_working_days=case_settings.get("sla_working_days"),
            awaiting_payment=fee > 0,
            channel=channel,
            notify=False,  # the confirmation email below carries the reference and the link
        )
    submission = Submission.objects.create(
        version=version,
        user=user,
        case=case,
        answers=answers,
        contact_email=email,
        channel=(
            SubmissionChannel.ASSISTED
            if by_staff
            else SubmissionChannel.API
            if channel == Channel.API
            else SubmissionChannel.WEB
        ),
        fee_pence=fee,
        idempotency_key=draft.idempotency_key,
    )
    kept = _upload_ids(flow, answers)
    Upload.objects.filter(draft=draft, pk__in=list(kept)).update(submission=submission)
    uploads_delete(Upload.objects.filter(draft=draft, submission__isnull=True))
    payment = None
    if fee:
        fee_settings = schema.get("fee") or {}
        description = fee_settings.get("description") or schema["title"]
        quantity = fee_quantity(schema, answers)
        if quantity:
            description = f"{description} ({quantity} × {pounds(int(fee_settings.get('amount_pence') or 0))})"
        payment = payment_create(
            amount_pence=fee,
            description=description[:200],
            vat_status=fee_settings.get("vat", ""),
            user=user,
            email=email,
            case=case,
        )
    now = timezone.now()
    draft_transition(
        draft=draft, to=DraftStatus.SUBMITTED, submitted_at=now, resume_token_hash="", updated_at=now
    )
    _record(
        InteractionType.FORM_SUBMIT,
        draft=draft,
        request=request,
        step="submit",
        outcome=case.status if case else "submitted",
        case_reference=case.reference if case else "",
        extras={
            "fee_pence": fee,
            "version": version.number,
            "order": len(flow.steps) + 1,
            **({"client": api_client} if api_client else {}),
        },
        channel=channel,
        staff=staff,
    )
    if not fee:
        transaction_record(
            kind="form",
            channel=channel,
            service_code=schema.get("service_code"),
            journey=schema.get("slug", ""),
            user=user,
            request=request,
            staff=staff,
            case_reference=case.reference if case else "",
        )
    if assisted is not None and assisted.resident is not None and user == assisted.resident:
        _caller_audit(
            assisted, action=StaffAccessAction.SUBMITTED, detail=case.reference if case else schema["title"]
        )
    for listener in _SUBMISSION_LISTENERS:
        listener(submission)  # in this transaction: e.g. the deliveries to back offices (outbox rows)
    _confirmation_send(submission, schema, hold=payment is not None and case is not None)
    submission.payment = payment  # type: ignore[attr-defined]  # not a field: for the caller's redirect
    return submission


# Submitting for another app (Open311, an API)


class SubmissionInvalid(ValueError):
    """An app's answers that a resident could not have sent on the web either.

    ``errors`` is ``{question name: message}``, one per failing question, in the web's words;
    ``fields`` says, for a question of several inputs (an address, a location), which input
    failed (``{question name: "address-postcode"}``), so the app can be told which of its
    parameters to fix.
    """

    def __init__(self, errors: dict[str, str], *, fields: dict[str, str] | None = None) -> None:
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))
        self.errors = errors
        self.fields = fields or {}


def answers_check_for_app(
    *, version: FormVersion, answers: dict[str, Any], email: str = ""
) -> dict[str, Any]:
    """The answers an app sent for a whole form, checked step by step as the web checks them
    (``StepForm``), as they would be stored. Raises ``SubmissionInvalid`` naming every question
    that fails (not only the first), so the app can fix them all at once.

    Nobody signs in through an app: like an anonymous resident, the report needs an email
    address, from the form's own email question or else ``email`` (the "Your email address"
    step the web adds).
    """
    flow = Flow(version.schema, anonymous=True)
    given = dict(answers)
    if email and not given.get(CONTACT_FIELD):
        given[CONTACT_FIELD] = email
    errors: dict[str, str] = {}
    fields: dict[str, str] = {}
    kept: dict[str, Any] = {}
    for number, step in enumerate(flow.steps, 1):
        if not flow.step_visible(number, kept):
            continue
        try:
            data, media = api_step_data(step, given)
        except ApiAnswerErrors as exc:
            errors.update(exc.errors)
            continue
        form = StepForm(data, {}, step=step, answers={**kept, **media})
        form.is_valid()
        for q in form.questions:
            for field_name in handler_for(q).field_names(q):
                if field_name in form.errors and q["name"] not in errors:
                    errors[q["name"]] = str(form.errors[field_name][0])
                    if field_name != q["name"]:
                        fields[q["name"]] = field_name
        kept.update(form.step_answers)
        kept = flow.prune(kept)
    if errors:
        raise SubmissionInvalid(errors, fields=fields)
    return kept


def submission_create_for_app(
    *, form: ServiceForm, answers: dict[str, Any], api_client: str, email: str = ""
) -> Submission:
    """Send a report another app (``api_client``, e.g. "FixMyStreet") made for a resident, as
    if the resident had filled the form in on the web: the same checks
    (``answers_check_for_app``), then ``submission_create`` on the API channel, so the case,
    the confirmation to ``email``, the deliveries and the interaction log (with the app's name)
    are exactly a web submission's.

    ``answers`` are keyed by question name (``engine.api`` says what each type takes). Raises
    ``SubmissionInvalid`` for answers the web would refuse (or when the form is not open), and
    ``SubmissionIncomplete`` if ``submission_create`` still finds something missing.
    """
    version = form_version_current(form=form)
    if version is None:
        raise SubmissionInvalid({"service_code": "This service is not taking requests at the moment"})
    checked = answers_check_for_app(version=version, answers=answers, email=email)
    with transaction.atomic():
        draft = draft_create(version=version, channel=Channel.API)
        draft.answers = checked
        draft.current_step = "check"
        draft.save(update_fields=["answers", "current_step", "updated_at"])
        return submission_create(draft=draft, channel=Channel.API, api_client=api_client)
