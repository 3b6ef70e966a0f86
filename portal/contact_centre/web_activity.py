"""What a resident did on the web lately, as an agent reads it on the resident record.

The agent should see "started the missed-bin form yesterday and stopped at the address
step" before the caller explains. ``web_activity`` reads the resident's own web events
from the interaction log (by their pseudonymous ``person_key``, so only events made while
signed in as them) and their drafts, and turns them into one plain-English line each:

- a form attempt (all the events of one draft: start, steps, errors, save, abandon, submit)
  is one line: sent, stopped at a step, or stuck on a step's errors;
- a card payment (its start and result) is one line: paid, failed (and why), or not finished;
- a "not useful" answer to "Was this page useful?" is one line, with the reason given;
- failed sign-ins are one line a day.

``web_signals`` answers the questions the agent confirms when closing the call: did the
caller try online first, did it fail, and on which service.

Only the web channel counts: what an agent did for the resident on the phone, or at the
desk, is an assisted event and never web activity.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.utils import dateformat, timezone

from wagtail.models import Page

from cms.services import FeedbackReason
from forms_engine.models import Draft, FormVersion
from payments.constants import FailureCode, PaymentStatus
from portal.interactions.constants import PAYMENT_FAILURE_OUTCOMES, Channel, InteractionType, Outcome
from portal.interactions.models import Interaction
from portal.lib.dates import DATE_FORMAT
from portal.lib.money import pounds

if TYPE_CHECKING:
    from accounts.models import User

T = InteractionType

# What a line is about (``WebActivity.kind``).
FORM = "form"
PAYMENT = "payment"
FEEDBACK = "feedback"
SIGN_IN = "sign_in"

_FORM_TYPES = (T.FORM_START, T.FORM_STEP, T.FORM_ERROR, T.FORM_SAVE, T.FORM_SUBMIT, T.FORM_ABANDON)
_PAYMENT_TYPES = (T.PAYMENT_START, T.PAYMENT_RESULT)
_SIGN_IN_FAILURES: dict[str, str] = {
    Outcome.LOGIN_FAILED: "wrong password",
    Outcome.MFA_FAILED: "wrong 2-step verification code",
    Outcome.LOGIN_CODE_FAILED: "wrong sign-in code",
}
_TYPES = (*_FORM_TYPES, *_PAYMENT_TYPES, T.PAGE_FEEDBACK, T.AUTH, T.TRANSACTION)
_FEEDBACK_REASONS = dict(FeedbackReason.CHOICES)
CHECK_STEP = "check"
# A draft saved this soon after a web event was saved by the same request.
_SAME_REQUEST = timedelta(minutes=1)
# Recorded ``step`` values on form events that are not a step of the form.
_NOT_STEPS = frozenset({"resume link", "submit"})


@dataclass(frozen=True)
class WebActivity:
    """One line of what the resident did on the web."""

    at: datetime
    kind: str
    summary: str
    service_code: int | None = None
    journey: str = ""  # the form's slug, for a form
    step_title: str = ""  # where they stopped, for a form not sent
    draft_id: UUID | None = None  # when the agent can carry on with the draft (with consent)
    failed: bool = False  # tried and did not get it done online (not completed since)
    expires_at: datetime | None = None  # when the resumable draft is deleted


@dataclass(frozen=True)
class WebSignals:
    """What closing a call prefills: the agent confirms or changes it."""

    tried_online: bool
    failed_online: bool
    service_code: int | None
    summary: str


@dataclass
class _Attempt:
    """The events of one form attempt: one draft (a form and the day it was started)."""

    journey: str
    started: str
    events: list[Interaction] = field(default_factory=list)


def _since(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)


def _events(resident: "User", start: datetime, end: datetime) -> list[Interaction]:
    """The resident's own web events in [start, end], oldest first: one query on the
    ``interaction_person_service`` index (person key, then the time)."""
    if not resident.person_key:
        return []
    return list(
        Interaction.objects.filter(
            person_key=resident.person_key,
            channel=Channel.WEB,
            staff__isnull=True,
            type__in=_TYPES,
            occurred_at__gte=start,
            occurred_at__lte=end,
        )
        .exclude(person_key="")
        .order_by("occurred_at", "pk")
        .only(
            "occurred_at",
            "type",
            "service_code",
            "journey",
            "step",
            "outcome",
            "reason_code",
            "case_reference",
            "path",
            "extras",
        )
    )


def _quoted(text: str) -> str:
    return f"\u201c{text}\u201d"


def _date(value: datetime) -> str:
    return dateformat.format(timezone.localtime(value), DATE_FORMAT)


class _Schemas:
    """Step titles and question labels of the forms in the events: from the draft's own
    version, else the form's newest version (one query for all the forms)."""

    def __init__(self, slugs: set[str]) -> None:
        self.latest: dict[str, dict[str, Any]] = {}
        if slugs:
            for slug, schema in (
                FormVersion.objects.filter(form__slug__in=slugs)
                .order_by("form_id", "-number")
                .values_list("form__slug", "schema")
            ):
                self.latest.setdefault(slug, schema)

    def schema(self, journey: str, draft: Draft | None) -> dict[str, Any]:
        if draft is not None:
            return draft.version.schema
        return self.latest.get(journey) or {}

    @staticmethod
    def form_title(schema: dict[str, Any], journey: str) -> str:
        return schema.get("title") or journey.replace("-", " ").capitalize()

    @staticmethod
    def step_title(schema: dict[str, Any], step: str) -> str:
        if not step:
            return ""
        if step == CHECK_STEP:
            return "Check your answers"
        for number, item in enumerate(schema.get("steps") or [], start=1):
            if step in (str(item.get("id") or ""), str(number), item.get("title")):
                return str(item.get("title") or "")
        return ""

    @staticmethod
    def first_step(schema: dict[str, Any]) -> str:
        steps = schema.get("steps") or []
        return str(steps[0].get("id") or "1") if steps else ""

    @staticmethod
    def labels(schema: dict[str, Any], names: list[str]) -> list[str]:
        known = {
            q.get("name"): q.get("label") or q.get("name")
            for item in schema.get("steps") or []
            for q in item.get("questions") or []
        }
        labels = []
        for name in names:
            label = "The answers together" if name == "__all__" else known.get(name)
            label = label or name.replace("_", " ").capitalize()
            if label not in labels:
                labels.append(label)
        return labels


def _drafts(resident: "User") -> dict[tuple[str, str], Draft]:
    """The resident's drafts by (form slug, day started): the newest of each."""
    if resident.pk is None:
        return {}
    drafts: dict[tuple[str, str], Draft] = {}
    for draft in Draft.objects.filter(user=resident).select_related("version__form").order_by("-updated_at"):
        key = (draft.version.form.slug, timezone.localdate(draft.created_at).isoformat())
        drafts.setdefault(key, draft)
    return drafts


def _completions(events: list[Interaction]) -> dict[str, list[datetime]]:
    """When each journey (form slug, case or bill reference) and service was completed online."""
    done: dict[str, list[datetime]] = defaultdict(list)
    for e in events:
        if (
            e.type == T.FORM_SUBMIT
            or e.type == T.TRANSACTION
            or (e.type == T.PAYMENT_RESULT and e.outcome == PaymentStatus.SUCCESS)
        ):
            for key in (e.journey, e.case_reference):
                if key:
                    done[key].append(e.occurred_at)
            if e.type == T.TRANSACTION and e.service_code:
                done[f"service:{e.service_code}"].append(e.occurred_at)
    return done


def _completed_after(done: dict[str, list[datetime]], keys: list[str], after: datetime) -> bool:
    return any(when >= after for key in keys if key for when in done.get(key, ()))


def _form_line(
    attempt: _Attempt, draft: Draft | None, schemas: _Schemas, done: dict[str, list[datetime]]
) -> WebActivity:
    schema = schemas.schema(attempt.journey, draft)
    title = _quoted(schemas.form_title(schema, attempt.journey))
    events = attempt.events
    last = events[-1] if events else None
    service_code = next((e.service_code for e in reversed(events) if e.service_code), None)
    if service_code is None:
        service_code = schema.get("service_code")
    submit = next((e for e in reversed(events) if e.type == T.FORM_SUBMIT), None)
    if submit is not None:
        reference = f" ({submit.case_reference})" if submit.case_reference else ""
        return WebActivity(
            at=submit.occurred_at,
            kind=FORM,
            summary=f"Sent {title}{reference}",
            service_code=service_code,
            journey=attempt.journey,
        )
    # Where they stopped online: the draft knows best, unless it changed after their last web
    # event (an agent carried on with it for them); else the last event with a step says.
    step, after = "", False
    untouched = last is None or (draft is not None and draft.updated_at <= last.occurred_at + _SAME_REQUEST)
    if draft is not None and draft.current_step and untouched:
        step = draft.current_step
    else:
        stepped = next((e for e in reversed(events) if e.step and e.step not in _NOT_STEPS), None)
        if stepped is not None:
            step, after = stepped.step, stepped.type == T.FORM_STEP
        else:
            step = schemas.first_step(schema)
    step_title = schemas.step_title(schema, step)
    if last is not None:
        at = last.occurred_at
    else:
        assert draft is not None  # an attempt without events in the window is a draft's
        at = draft.updated_at
    errors = [e for e in events if e.type == T.FORM_ERROR and e.step == step]
    if errors and not after:
        fields: list[str] = []
        for e in errors:
            fields.extend(str(name) for name in (e.extras or {}).get("fields") or [])
        labels = schemas.labels(schema, fields)
        count = len(errors)
        summary = (
            f"Got {count} error{'s' if count != 1 else ''} on {_quoted(step_title or 'a step')} of {title}"
            + (f": {', '.join(labels)}" if labels else "")
        )
    elif step_title:
        summary = f"Started {title} and stopped {'after' if after else 'at'} {_quoted(step_title)}"
    else:
        summary = f"Started {title} and did not send it"
    resumable = draft if draft is not None and draft.is_resumable else None
    if resumable is not None:
        summary += f" (answers saved until {_date(resumable.expires_at)})"
    elif draft is not None and draft.is_submitted:
        summary += " (sent later with help from staff)"  # no web submit: it was sent for them
    return WebActivity(
        at=at,
        kind=FORM,
        summary=summary,
        service_code=service_code,
        journey=attempt.journey,
        step_title=step_title,
        draft_id=resumable.pk if resumable is not None else None,
        failed=not _completed_after(done, [attempt.journey], at),
        expires_at=resumable.expires_at if resumable is not None else None,
    )


def _payment_line(events: list[Interaction], done: dict[str, list[datetime]]) -> WebActivity:
    last = events[-1]
    extras = last.extras or {}
    amount = pounds(extras.get("amount_pence"))
    reference = last.journey or last.case_reference or extras.get("payment", "")
    details = ", ".join(part for part in (amount, reference) if part)
    details = f" ({details})" if details else ""
    result = next((e for e in reversed(events) if e.type == T.PAYMENT_RESULT), None)
    if result is not None and result.outcome == PaymentStatus.SUCCESS:
        summary, failed = f"Paid by card{details}", False
    elif result is not None and result.outcome in PAYMENT_FAILURE_OUTCOMES:
        reason = (
            FailureCode(result.reason_code).label.lower()
            if result.reason_code in FailureCode.values
            else PaymentStatus(result.outcome).label.lower()
        )
        summary = f"Card payment failed: {reason}{details}"
        failed = not _completed_after(done, [last.journey, last.case_reference], last.occurred_at)
    else:
        summary, failed = f"Started a card payment and did not finish it{details}", False
    return WebActivity(
        at=last.occurred_at,
        kind=PAYMENT,
        summary=summary,
        service_code=last.service_code,
        failed=failed,
    )


def _feedback_line(
    event: Interaction, titles: dict[int, str], done: dict[str, list[datetime]]
) -> WebActivity:
    extras = event.extras or {}
    page = titles.get(extras.get("page_id") or 0) or event.path or "a page"
    said = extras.get("comment") or _FEEDBACK_REASONS.get(event.reason_code, "")
    summary = f"Said a page was not useful: {_quoted(page)}" + (f" \u2014 {_quoted(said)}" if said else "")
    return WebActivity(
        at=event.occurred_at,
        kind=FEEDBACK,
        summary=summary,
        service_code=event.service_code,
        failed=not _completed_after(done, [f"service:{event.service_code}"], event.occurred_at)
        if event.service_code
        else True,
    )


def _sign_in_line(events: list[Interaction]) -> WebActivity:
    reasons = sorted({_SIGN_IN_FAILURES[e.outcome] for e in events})
    count = len(events)
    times = "once" if count == 1 else f"{count} times"
    return WebActivity(
        at=events[-1].occurred_at,
        kind=SIGN_IN,
        summary=f"Could not sign in {times} ({', '.join(reasons)})",
        failed=True,
    )


def _lines(resident: "User", events: list[Interaction], *, with_drafts: bool) -> list[WebActivity]:
    done = _completions(events)
    attempts: dict[tuple[str, str], _Attempt] = {}
    payments: dict[str, list[Interaction]] = defaultdict(list)
    feedback: list[Interaction] = []
    sign_ins: dict[str, list[Interaction]] = defaultdict(list)
    for e in events:
        if e.type in _FORM_TYPES and e.journey:
            started = str((e.extras or {}).get("started") or "")
            key = (e.journey, started)
            attempts.setdefault(key, _Attempt(journey=e.journey, started=started)).events.append(e)
        elif e.type in _PAYMENT_TYPES:
            payments[str((e.extras or {}).get("payment") or e.journey)].append(e)
        elif e.type == T.PAGE_FEEDBACK and e.outcome == Outcome.NOT_USEFUL:
            feedback.append(e)
        elif e.type == T.AUTH and e.outcome in _SIGN_IN_FAILURES:
            sign_ins[timezone.localdate(e.occurred_at).isoformat()].append(e)

    drafts = _drafts(resident) if attempts or with_drafts else {}
    if with_drafts:
        # Drafts still in progress whose events are older than the window: still worth a line.
        for (slug, started), draft in drafts.items():
            if draft.is_resumable and (slug, started) not in attempts:
                attempts[(slug, started)] = _Attempt(journey=slug, started=started)
    schemas = _Schemas({a.journey for a in attempts.values() if (a.journey, a.started) not in drafts})
    lines = [
        _form_line(attempt, drafts.get(key), schemas, done)
        for key, attempt in attempts.items()
        if attempt.events or key in drafts
    ]
    lines.extend(_payment_line(group, done) for group in payments.values())
    page_ids = {int(pk) for e in feedback if isinstance(pk := (e.extras or {}).get("page_id"), int)}
    titles = dict(Page.objects.filter(pk__in=page_ids).values_list("pk", "title")) if page_ids else {}
    lines.extend(_feedback_line(e, titles, done) for e in feedback)
    lines.extend(_sign_in_line(group) for group in sign_ins.values())
    lines.sort(key=lambda line: line.at, reverse=True)
    return lines


def web_activity(*, resident: "User", days: int = 30, now: datetime | None = None) -> list[WebActivity]:
    """What ``resident`` did on the web in the last ``days`` days, newest first, one line each,
    with their drafts still in progress (where they stopped, until when they are kept)."""
    now = now or timezone.now()
    return _lines(resident, _events(resident, _since(now, days), now), with_drafts=True)


def _tried(line: WebActivity) -> bool:
    if line.kind == FORM:
        return True
    if line.kind == PAYMENT:
        return line.summary.startswith("Card payment failed")
    return line.kind == FEEDBACK


def web_signals(*, resident: "User", since: datetime, now: datetime | None = None) -> WebSignals:
    """Did ``resident`` try online since ``since`` (a form started, stuck on errors or left,
    a failed card payment, a page they said was not useful), and did it fail (not completed
    online since)? ``service_code`` and ``summary`` are those of the most recent failed try,
    else of the most recent try. Sign-in failures are not counted as a try at a service.
    """
    now = now or timezone.now()
    events = _events(resident, since, now)
    tries = [line for line in _lines(resident, events, with_drafts=False) if _tried(line)]
    if not tries:
        return WebSignals(tried_online=False, failed_online=False, service_code=None, summary="")
    failed = [line for line in tries if line.failed]
    chosen = (failed or tries)[0]
    return WebSignals(
        tried_online=True,
        failed_online=bool(failed),
        service_code=chosen.service_code,
        summary=chosen.summary,
    )
