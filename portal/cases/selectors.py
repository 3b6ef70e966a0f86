"""Reads shared by the resident pages, the staff workspace and the daily job.

Also the officer's view of a case's support needs, and where the outcome question stands.

Each list is built in a fixed number of queries whatever the number of cases or events
(the tests count them): related rows come through ``select_related``/``prefetch_related``.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from allauth.account.models import EmailAddress

from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.exceptions import ObjectDoesNotExist
from django.core.paginator import Page
from django.db.models import Case as When_
from django.db.models import Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from accounts.constants import SupportNeed
from accounts.models import Proxy, SupportNeeds, User
from forms_engine.selectors import submission_answer_rows
from portal.interactions.constants import InteractionType, SatisfactionScore
from portal.interactions.models import Interaction, LgslService, SatisfactionComment
from portal.lib.pagination import page_of
from portal.lib.postcodes import POSTCODE_PATTERN, postcode_compact, postcode_display
from portal.notifications.models import Notification
from portal.notifications.selectors import notifications_with_wording

from .constants import (
    OPEN_STATUSES,
    SATISFACTION_STATUSES,
    SLA_RUNNING_STATUSES,
    SUPPORT_NEED_STAFF_LABELS,
    CaseStatus,
    SatisfactionState,
)
from .models import Case, CaseAttachment, CaseEvent, CaseSupportNeeds, Team

# The case queue's visibility rule, re-exported for the apps above (the contact centre)
# that filter by it: they import this module, not ``permissions``.
from .permissions import (
    case_visible_to_staff_by_reference as case_visible_to_staff_by_reference,
)
from .permissions import (
    cases_visible_to_staff,
    staff_can_use_queue,
    staff_can_view_case,
    staff_is_case_worker,
    staff_sees_all_cases,
)
from .permissions import (
    interactions_visible_to_staff as interactions_visible_to_staff,
)
from .sla import working_days_add

if TYPE_CHECKING:
    from forms_engine.models import Submission

DUE_SOON_WORKING_DAYS = 2


def case_list_for_resident(user: User) -> QuerySet[Case]:
    """The resident's cases, open ones first, then newest activity first: the last update
    they can see (the list's "Last update"), or when the request was made."""
    return (
        Case.objects.filter(resident=user)
        .annotate(
            open_first=When_(
                When(status__in=[s.value for s in OPEN_STATUSES], then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
            last_activity_at=Coalesce("last_public_event_at", "created_at"),
        )
        .order_by("open_first", "-last_activity_at", "-pk")
    )


def case_claimable_for_resident(user: User | AnonymousUser) -> QuerySet[Case]:
    """Anonymous requests made with one of the resident's *verified* email addresses, which
    they may add to their account (``services.case_claim``), oldest first."""
    if not user.is_authenticated:
        return Case.objects.none()
    verified = [
        address.lower()
        for address in EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)
    ]
    if not verified:
        return Case.objects.none()
    return Case.objects.filter(resident__isnull=True, contact_email__in=verified).order_by("created_at", "pk")


def case_for_resident(user: User | AnonymousUser, reference: str) -> Case | None:
    """The resident's own case with this reference, or None (the view answers 404)."""
    if not user.is_authenticated:
        return None
    return Case.objects.select_related("submission").filter(resident=user, reference=reference).first()


@dataclass(frozen=True)
class CaseAccess:
    """A case the signed-in person may see, and on what footing: their own (``proxy`` None),
    or a resident's they act for under an active ``proxy``."""

    case: Case
    proxy: Proxy | None = None

    @property
    def is_proxy(self) -> bool:
        return self.proxy is not None

    @property
    def can_submit(self) -> bool:
        """Messages, replies, withdrawing and reopening."""
        return self.proxy is None or self.proxy.can_submit

    @property
    def can_pay(self) -> bool:
        return self.proxy is None or self.proxy.can_pay


def case_access_for(user: User | AnonymousUser, reference: str) -> CaseAccess | None:
    """The case with this reference if ``user`` is its resident, or acts for its resident under
    an active arrangement (accepted, not ended, end date not passed); else None (a 404)."""
    if not user.is_authenticated:
        return None
    case = (
        Case.objects.select_related("submission", "resident")
        .filter(reference=reference, resident__isnull=False)
        .first()
    )
    if case is None:
        return None
    if case.resident_id == user.pk:
        return CaseAccess(case=case)
    proxy = Proxy.objects.active().filter(resident_id=case.resident_id, person_id=user.pk).first()
    return CaseAccess(case=case, proxy=proxy) if proxy is not None else None


def case_public_timeline(case: Case, *, page: Any = 1, per_page: int | None = None) -> "Page[CaseEvent]":
    """What the resident sees: public events, newest first, with their attachments and whether
    they were emailed; one page of ``per_page`` (``TIMELINE_PER_PAGE``), the newest by default,
    ``page`` as it came in the URL (see ``page_of``)."""
    events = (
        case.events.filter(public=True)
        .select_related("actor")
        .prefetch_related(
            Prefetch("attachments", queryset=CaseAttachment.objects.order_by("created_at")),
            Prefetch(
                "notifications",
                queryset=Notification.objects.only("pk", "case_event_id", "status", "channel"),
            ),
        )
        .order_by("-created_at", "-pk")
    )
    return page_of(events, page, per_page=per_page or TIMELINE_PER_PAGE)


def case_full_timeline(case: Case, *, page: Any = 1, per_page: int | None = None) -> "Page[CaseEvent]":
    """Everything on the case for staff, internal notes included, newest first; one page of
    ``per_page`` (``TIMELINE_PER_PAGE``), the newest by default."""
    events = (
        case.events.select_related("actor")
        .prefetch_related(
            Prefetch("attachments", queryset=CaseAttachment.objects.order_by("created_at")),
            Prefetch(
                "notifications",
                queryset=Notification.objects.only(
                    "pk", "case_event_id", "channel", "status", "to", "attempts", "last_error", "created_at"
                ),
            ),
        )
        .order_by("-created_at", "-pk")
    )
    return page_of(events, page, per_page=per_page or TIMELINE_PER_PAGE)


def case_notifications(case: Case) -> QuerySet[Notification]:
    """The messages sent about a case, newest first, with their delivery status and the
    version of the editors' wording each used (staff only)."""
    messages = Notification.objects.filter(case=case).only(
        "pk",
        "channel",
        "to",
        "subject",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "sent_at",
        "case_id",
        "message_template_id",
        "template_revision",
        "template_revision__created_at",
    )
    return notifications_with_wording(messages)


def case_submission(case: Case) -> "Submission | None":
    """The form submission that opened the case, or None for cases opened without one."""
    try:
        return case.submission
    except ObjectDoesNotExist:
        return None


def case_answer_rows(case: Case) -> list[dict[str, Any]] | None:
    """The resident's original answers as summary-list rows, or None when there are none to show."""
    submission = case_submission(case)
    if submission is None:
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
    if status == CaseStatus.REJECTED and case.can_reopen:
        return (
            "We closed this request without taking action. If you think we got this wrong, you can "
            f"ask for a review until {case.reopen_until:%-d %B %Y}."
        )
    return "This request is closed. If you still need help, make a new request or contact us."


def due_soon_cutoff(today: date | None = None) -> date:
    """The last due date that counts as "due within 2 working days"."""
    return working_days_add(today or timezone.localdate(), DUE_SOON_WORKING_DAYS)


def cases_due_soon_or_overdue(queryset: QuerySet[Case], today: date | None = None) -> QuerySet[Case]:
    """Open, not paused cases whose due date has passed or falls within 2 working days."""
    return queryset.filter(
        status__in=sorted(SLA_RUNNING_STATUSES),
        due_on__isnull=False,
        due_on__lte=due_soon_cutoff(today),
    )


def case_is_overdue(case: Case, today: date | None = None) -> bool:
    return bool(
        case.due_on and case.status in SLA_RUNNING_STATUSES and case.due_on < (today or timezone.localdate())
    )


# What a queue search looks like: a postcode or its first half ("SW1A", "SW1A 1"), a phone
# number (digits, spaces, brackets, dashes, a leading +), or anything else (names, emails,
# references).
_OUTWARD_CODE = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]?([0-9][A-Z]{0,2})?$")
_PHONE_QUERY = re.compile(r"^\+?[0-9 ()\-.]{6,}$")
_WHOLE_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")
QUEUE_SEARCH_MIN_LENGTH = 2


def case_queue_search(queryset: QuerySet[Case], query: str) -> QuerySet[Case]:
    """The staff queue's search: part of a reference, the resident's name, part of an email,
    a postcode (whole or its first half) or a phone number (any spacing, +44 or 0).

    Names, emails and references are matched anywhere in the case's contact details and the
    resident's account; the submitted answers (which hold an anonymous resident's address and
    phone) are searched only when the query has a postcode's or a phone number's shape, so an
    ordinary search never reads them. A whole email address finds that address (in any case),
    not the longer addresses that contain it; if no case has it, it is matched anywhere.

    One query, ``queryset`` narrowed to ``pk IN (… UNION …)``: the cases whose own fields
    match, the cases of the residents whose account matches, the cases whose answers match.
    Each branch is a query on one table that an index serves (PostgreSQL: the trigram
    indexes of migration 0005, on exactly the ``UPPER(col::text)`` that ``icontains``
    writes), where one ``WHERE a OR b OR resident_id IN (…)`` defeats every index and reads
    the whole cases table.
    """
    query = " ".join((query or "").split())
    if len(query) < QUEUE_SEARCH_MIN_LENGTH:
        return queryset.filter(reference=query.upper()) if query else queryset
    return queryset.filter(pk__in=_queue_search_ids(query))


def _queue_search_ids(query: str) -> QuerySet[Case, Any]:
    """The ids of every case the search ``query`` finds, as a UNION of indexed queries."""
    if _WHOLE_EMAIL.match(query):
        # A whole address: that address, in any case (an index lookup); a common domain's
        # trigrams are in nearly every row. Only when no case has it (a partial address
        # that looks whole, "j.smith@council.gov" for "…gov.uk") is it matched anywhere, below.
        exact = (
            Case.objects.filter(contact_email__iexact=query)
            .order_by()
            .values("pk")
            .union(Case.objects.filter(resident__email__iexact=query).order_by().values("pk"))
        )
        if exact.exists():
            return exact
    residents = Q(full_name__icontains=query) | Q(email__icontains=query)
    own = Q(reference__icontains=query) | Q(contact_email__icontains=query) | Q(contact_name__icontains=query)
    answers = Q()
    compact = postcode_compact(query)
    if POSTCODE_PATTERN.match(compact) or _OUTWARD_CODE.match(compact):
        # Stored postcodes are upper case with one space ("SW1A 1AA"), in accounts and answers.
        shown = postcode_display(compact) if POSTCODE_PATTERN.match(compact) else query.upper()
        residents |= Q(postcode__istartswith=shown) | Q(postcode__istartswith=compact)
        answers |= Q(submission__answers__icontains=shown)
    if _PHONE_QUERY.match(query):
        digits = re.sub(r"[^0-9]", "", query)
        if query.startswith("+44") or digits.startswith("44") and len(digits) > 11:
            digits = "0" + digits[2:].removeprefix("0")
        # Accounts store phones as digits ("07700900982"); answers as typed, so also the query.
        residents |= Q(phone__contains=digits)
        answers |= Q(submission__answers__icontains=digits) | Q(submission__answers__icontains=query)
    # UNION (not UNION ALL): a case found by two branches comes back once.
    ids = Case.objects.filter(own).order_by().values("pk")
    branches = [Case.objects.filter(resident_id__in=User.objects.filter(residents).values("pk"))]
    if answers:
        branches.append(Case.objects.filter(answers))
    return ids.union(*(branch.order_by().values("pk") for branch in branches))


def case_queue_visible(user: Any) -> QuerySet[Case]:
    """The cases ``user`` may see (``cases_visible_to_staff``, the one rule), for the queue.

    For a case officer, the rule's ``team IN (their teams) OR assignee = them`` is a subquery
    inside an OR, which no index serves. The same condition with their teams read first (a
    short list) is ANDed on: the database reads the cases through the team and assignee
    indexes, and the rule itself still decides (it only filters what the indexes found).
    """
    visible = cases_visible_to_staff(user)
    if not user.is_authenticated or staff_sees_all_cases(user) or not staff_is_case_worker(user):
        return visible
    teams = list(Team.objects.filter(members=user).order_by().values_list("pk", flat=True))
    return visible.filter(Q(team_id__in=teams) | Q(assignee_id=user.pk))


def case_workload_counts(user: Any, today: date | None = None) -> dict[str, int]:
    """For the admin home: the officer's open cases, and the cases they see that are overdue or
    due within 2 working days, counted as the queue's "assigned to me" and "deadline" filters
    count them.

    Three counts, each a range of one of the open-case indexes (``case_open_assignee_due``,
    ``case_open_due``; for an officer, their teams' and their own through
    ``case_queue_visible``), rather than one aggregate that reads every case the user sees.
    """
    today = today or timezone.localdate()
    visible = case_queue_visible(user)
    running = visible.filter(status__in=sorted(SLA_RUNNING_STATUSES), due_on__isnull=False)
    return {
        "mine": visible.filter(assignee_id=user.pk, status__in=sorted(OPEN_STATUSES)).count(),
        "overdue": running.filter(due_on__lt=today).count(),
        "due_soon": running.filter(due_on__gte=today, due_on__lte=due_soon_cutoff(today)).count(),
    }


SERVICE_CHOICES_KEY = "cases:queue:service-choices"


def case_service_choices() -> list[tuple[int, str]]:
    """The services that have cases, by name; cached for a few minutes (it reads every case)."""
    choices = cache.get(SERVICE_CHOICES_KEY)
    if choices is None:
        codes = [
            code
            for code in Case.objects.filter(service_code__isnull=False)
            .order_by()
            .values_list("service_code", flat=True)
            .distinct()
            if code is not None
        ]
        labels = dict(LgslService.objects.filter(code__in=codes).values_list("code", "label"))
        choices = sorted(
            ((code, f"{labels.get(code, 'Service')} ({code})") for code in codes), key=lambda c: c[1]
        )
        cache.set(SERVICE_CHOICES_KEY, choices, 300)
    return choices


def support_labels(needs: list[str], language: str = "") -> list[str]:
    """The needs in the officer's words, the interpreter's language included."""
    labels = []
    for need in SupportNeed:
        if need.value in needs:
            label = SUPPORT_NEED_STAFF_LABELS[need]
            if need == SupportNeed.INTERPRETER and language:
                label = f"{label} ({language})"
            labels.append(label)
    return labels


@dataclass(frozen=True)
class CaseSupport:
    """The support needs an officer sees on a case, wherever they are kept."""

    labels: list[str]
    needs: list[str]
    language: str
    details: str
    updated_at: datetime | None
    recorded_by: str  # "the resident", or the officer's name
    on_account: bool  # kept with the resident's account (else with this case only)


def _recorder(record: SupportNeeds | CaseSupportNeeds, resident: User | None) -> str:
    if record.recorded_by_id is None or (resident is not None and record.recorded_by_id == resident.pk):
        return "the resident"
    officer = record.recorded_by
    return (officer.full_name or officer.email or "an officer") if officer else "an officer"


def case_support_needs(case: Case) -> CaseSupport | None:
    """The support needs to show on ``case`` (the caller has checked the viewer may see it).

    Reads what ``select_related("resident__support_needs__recorded_by",
    "support_needs__recorded_by")`` fetched with the case, so it adds no query then.
    """
    resident = case.resident  # None without a query when there is no resident
    record = resident.support_needs_or_none if resident is not None else _case_record(case)
    if record is None:
        return None
    return CaseSupport(
        labels=support_labels(record.needs, record.language),
        needs=list(record.needs),
        language=record.language,
        details=record.details,
        updated_at=record.updated_at,
        recorded_by=_recorder(record, resident),
        on_account=resident is not None,
    )


def _case_record(case: Case) -> CaseSupportNeeds | None:
    try:
        return case.support_needs
    except CaseSupportNeeds.DoesNotExist:
        return None


def cases_with_support_flag(queryset: QuerySet[Case]) -> QuerySet[Case]:
    """Annotate ``has_support_needs``: the resident's record or the case's own. Two EXISTS
    subqueries in the same query, so the queue costs no more queries however many rows."""
    return queryset.annotate(
        has_support_needs=Exists(SupportNeeds.objects.filter(user_id=OuterRef("resident_id")))
        | Exists(CaseSupportNeeds.objects.filter(case_id=OuterRef("pk")))
    )


def cases_needing_support(queryset: QuerySet[Case]) -> QuerySet[Case]:
    """The cases in ``queryset`` with support needs recorded, on the resident's account or on
    the case: what ``has_support_needs`` marks, as ``pk IN (… UNION …)`` so that the
    (few) records lead through the indexes rather than every case being tested."""
    on_account = Case.objects.filter(resident_id__in=SupportNeeds.objects.values("user_id")).order_by()
    on_case = CaseSupportNeeds.objects.order_by().values("case_id")
    return queryset.filter(pk__in=on_account.values("pk").union(on_case))


def case_satisfaction_due(case: Case) -> bool:
    """Whether the resident should be asked now: the case has an outcome and they have not
    answered or dismissed the question."""
    return case.status in SATISFACTION_STATUSES and not case.satisfaction_state


def case_satisfaction_path(case: Case) -> str:
    """The rating page: under the tracking link for anonymous requests (no sign-in needed),
    else under the resident's case page in My account."""
    if case.resident_id:
        return reverse("cases:satisfaction", kwargs={"reference": case.reference})
    return reverse("cases:track_satisfaction", kwargs={"token": case.tracking_token})


def case_satisfaction_staff_can_record(case: Case) -> bool:
    """Staff may record the resident's answer (given by phone or in person) while the case has
    an outcome and the resident has not answered yet, even if they dismissed the online question."""
    return case.status in SATISFACTION_STATUSES and case.satisfaction_state != SatisfactionState.ANSWERED


def case_satisfaction_for_staff(case: Case) -> dict | None:
    """What the resident said about the outcome, for the staff case view (None: not asked yet).

    The answer is a ``satisfaction`` interaction, found through the (type, time) index
    around the moment the case recorded it, since the log is not indexed by case.
    """
    if not case.satisfaction_state:
        return None
    answer = None
    if case.satisfaction_state == SatisfactionState.ANSWERED and case.satisfaction_at:
        window = timedelta(minutes=5)
        answer = (
            Interaction.objects.filter(
                type=InteractionType.SATISFACTION,
                occurred_at__range=(case.satisfaction_at - window, case.satisfaction_at + window),
                case_reference=case.reference,
            )
            .order_by("-occurred_at")
            .first()
        )
    score = (answer.extras or {}).get("score") if answer else None
    comment = SatisfactionComment.objects.filter(interaction_id=answer.pk).first() if answer else None
    return {
        "state": SatisfactionState(case.satisfaction_state).label,
        "at": case.satisfaction_at,
        "score": SatisfactionScore(score).label if score in SatisfactionScore.values else "",
        "channel": answer.get_channel_display() if answer else "",
        "comment": comment.comment if comment else "",
    }


def case_for_staff(user: Any, pk: int) -> Case:
    """The case ``pk`` with what its staff page shows, or 404 when ``user`` may not see it.

    404 rather than 403 for a case outside the officer's queue, so its existence does not leak.
    """
    case = (
        Case.objects.select_related(
            "team",
            "assignee",
            "resident",
            # The support needs shown on the case, fetched in the same query.
            "resident__support_needs__recorded_by",
            "support_needs__recorded_by",
        )
        .filter(pk=pk)
        .first()
    )
    if case is None or not staff_can_use_queue(user) or not staff_can_view_case(user, case):
        raise Http404("No such case")
    return case


# --- Pages of lists that grow with a resident's history -------------------------------------------

# A case's timeline shows its newest updates, with a link to older ones.
TIMELINE_PER_PAGE = 20
# The resident's list of requests.
CASE_LIST_PER_PAGE = 20


def case_page_for_resident(user: User, number: Any, *, per_page: int = CASE_LIST_PER_PAGE) -> "Page[Case]":
    """One page of the resident's cases (``case_list_for_resident``'s order)."""
    return page_of(case_list_for_resident(user), number, per_page=per_page)
