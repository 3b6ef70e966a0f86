"""Reads shared by the resident pages, the staff workspace and the daily job.

Each list is built in a fixed number of queries whatever the number of cases or events
(the tests count them): related rows come through ``select_related``/``prefetch_related``.
"""

from django.core.cache import cache
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Case as When_
from django.db.models import IntegerField, Prefetch, QuerySet, Value, When
from django.utils import timezone

from portal.interactions.models import LgslService
from portal.notifications.models import Notification

from .constants import OPEN_STATUSES, SLA_RUNNING_STATUSES, CaseStatus
from .models import Case, CaseAttachment, CaseEvent
from .sla import working_days_add

DUE_SOON_WORKING_DAYS = 2


def case_list_for_resident(user) -> QuerySet[Case]:
    """The resident's cases, open ones first, then most recently updated."""
    return (
        Case.objects.filter(resident=user)
        .annotate(
            open_first=When_(
                When(status__in=[s.value for s in OPEN_STATUSES], then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("open_first", "-updated_at", "-pk")
    )


def case_for_resident(user, reference: str) -> Case | None:
    """The resident's own case with this reference, or None (the view answers 404)."""
    if not user.is_authenticated:
        return None
    return Case.objects.select_related("submission").filter(resident=user, reference=reference).first()


def case_public_timeline(case: Case) -> list[CaseEvent]:
    """What the resident sees: public events, with their attachments and whether they were emailed."""
    return list(
        case.events.filter(public=True)
        .select_related("actor")
        .prefetch_related(
            Prefetch("attachments", queryset=CaseAttachment.objects.order_by("created_at")),
            Prefetch("notifications", queryset=Notification.objects.only("pk", "case_event_id", "status")),
        )
        .order_by("created_at", "pk")
    )


def case_full_timeline(case: Case) -> list[CaseEvent]:
    """Everything on the case for staff, internal notes included, newest first."""
    return list(
        case.events.select_related("actor")
        .prefetch_related(
            Prefetch("attachments", queryset=CaseAttachment.objects.order_by("created_at")),
            Prefetch(
                "notifications",
                queryset=Notification.objects.only(
                    "pk", "case_event_id", "status", "to", "attempts", "last_error", "created_at"
                ),
            ),
        )
        .order_by("-created_at", "-pk")
    )


def case_notifications(case: Case):
    """The emails sent about a case, newest first, with their delivery status (staff only)."""
    return Notification.objects.filter(case=case).only(
        "pk", "to", "subject", "status", "attempts", "last_error", "created_at", "sent_at", "case_id"
    )


def case_submission(case: Case):
    """The form submission that opened the case, or None for cases opened without one."""
    try:
        return case.submission
    except ObjectDoesNotExist:
        return None


def case_answer_rows(case: Case) -> list[dict] | None:
    """The resident's original answers as summary-list rows, or None when there are none to show."""
    submission = case_submission(case)
    if submission is None:
        return None
    try:
        # imported late and optional: a case can exist without the forms engine installed
        from forms_engine.selectors import submission_answer_rows
    except ImportError:
        return None
    return submission_answer_rows(submission)


def case_next_steps(case: Case) -> str:
    """What happens next, and when, in the resident's words."""
    due = f"{case.due_on:%-d %B %Y}" if case.due_on else None
    status = case.status
    if status == CaseStatus.AWAITING_PAYMENT:
        return "Pay the fee to send your request. We start work on it once it is paid."
    if status == CaseStatus.SUBMITTED:
        return "An officer will look at your request" + (f". We aim to finish by {due}." if due else " soon.")
    if status == CaseStatus.IN_PROGRESS:
        return "An officer is working on your request" + (f". We aim to finish by {due}." if due else ".")
    if status == CaseStatus.AWAITING_RESIDENT:
        how = "Reply below." if case.resident_id else f"Contact us, quoting your reference {case.reference}."
        return (
            f"We need more information from you. {how} We have paused the deadline "
            "until you reply; it moves on by the number of working days we wait."
        )
    if status == CaseStatus.RESOLVED:
        until = case.reopen_until
        return (
            "We have finished working on your request. If the problem was not fixed, you can reopen "
            f"this case until {until:%-d %B %Y}."
            if until
            else "We have finished working on your request."
        )
    if status == CaseStatus.WITHDRAWN:
        return "You withdrew this request, so we have stopped working on it."
    if status == CaseStatus.CLOSED_UNPAID:
        return "The fee was not paid, so this request was closed. You can make a new request."
    return "This request is closed. If you still need help, make a new request or contact us."


def due_soon_cutoff(today=None):
    """The last due date that counts as "due within 2 working days"."""
    return working_days_add(today or timezone.localdate(), DUE_SOON_WORKING_DAYS)


def cases_due_soon_or_overdue(queryset: QuerySet[Case], today=None) -> QuerySet[Case]:
    """Open, not paused cases whose due date has passed or falls within 2 working days."""
    return queryset.filter(
        status__in=sorted(SLA_RUNNING_STATUSES),
        due_on__isnull=False,
        due_on__lte=due_soon_cutoff(today),
    )


def case_is_overdue(case: Case, today=None) -> bool:
    return bool(
        case.due_on and case.status in SLA_RUNNING_STATUSES and case.due_on < (today or timezone.localdate())
    )


SERVICE_CHOICES_KEY = "cases:queue:service-choices"


def case_service_choices() -> list[tuple[int, str]]:
    """The services that have cases, by name; cached for a few minutes (it reads every case)."""
    choices = cache.get(SERVICE_CHOICES_KEY)
    if choices is None:
        codes = list(
            Case.objects.filter(service_code__isnull=False)
            .order_by()
            .values_list("service_code", flat=True)
            .distinct()
        )
        labels = dict(LgslService.objects.filter(code__in=codes).values_list("code", "label"))
        choices = sorted(
            ((code, f"{labels.get(code, 'Service')} ({code})") for code in codes), key=lambda c: c[1]
        )
        cache.set(SERVICE_CHOICES_KEY, choices, 300)
    return choices
