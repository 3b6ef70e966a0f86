"""Reads for the call screens: finding a caller, and the resident record an agent opens.

Finding a caller shows only what tells two people apart (name, postcode, last contact);
the full record (``resident_record``) is read only for the call's identified caller, and
the views make sure of that.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from allauth.account.models import EmailAddress

from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Q, QuerySet, Subquery

from accounts.constants import ContactPreference
from accounts.models import User
from accounts.selectors import proxies_for_resident
from forms_engine.constants import SignIn
from forms_engine.models import ServiceForm
from forms_engine.selectors import DraftSummary, draft_list_for_user
from payments.models import Bill, Payment
from payments.selectors import payment_links_for, payment_list_for_user, payments_owed_by
from portal.cases.models import Case
from portal.cases.selectors import case_list_for_resident, case_next_steps
from portal.interactions.constants import InteractionType
from portal.interactions.models import Interaction
from portal.lib.postcodes import postcode_display, postcode_is_valid
from portal.lib.validation import phone_normalise
from portal.notifications.models import Notification

SEARCH_LIMIT = 20
RECORD_LIST_LIMIT = 20


@dataclass(frozen=True)
class CallerMatch:
    """One search result: enough to tell two "J Smith"s apart, and nothing more."""

    pk: int
    name: str
    postcode: str
    last_contact: datetime | None
    has_account: bool


def residents() -> QuerySet[User]:
    """People the contact centre helps: residents and records without an account, never staff."""
    return User.objects.filter(is_staff=False, is_superuser=False, is_active=True)


def resident_for_call(pk: int) -> User | None:
    """The resident (or record) with this id, or None for staff or an id that does not exist."""
    return residents().select_related("support_needs").filter(pk=pk).first()


def _search_condition(query: str) -> Q | None:
    """Who ``query`` could mean: by email, phone, postcode, case or bill reference, or name."""
    condition = Q()
    matched = False
    if "@" in query:
        emails = EmailAddress.objects.filter(email__iexact=query, verified=True).values("user_id")
        condition |= Q(email__iexact=query) | Q(contact_email__iexact=query) | Q(pk__in=emails)
        matched = True
    else:
        try:
            phone = phone_normalise(query)
        except ValidationError:
            phone = ""
        if phone:
            condition |= Q(phone=phone)
            matched = True
        if postcode_is_valid(query):
            condition |= Q(postcode=postcode_display(query))
            matched = True
        case_residents = Case.objects.filter(reference__iexact=query, resident__isnull=False)
        if case_residents.exists():
            condition |= Q(pk__in=case_residents.values("resident_id"))
            matched = True
        bill = Bill.objects.filter(reference__iexact=query).first()
        if bill is not None:
            condition |= Q(pk__in=Payment.objects.filter(bill=bill, user__isnull=False).values("user_id"))
            if bill.payer_name and bill.postcode:
                condition |= Q(
                    full_name__iexact=bill.payer_name.strip(), postcode=postcode_display(bill.postcode)
                )
            matched = True
        if len(query) >= 2 and not any(character.isdigit() for character in query):
            condition |= Q(full_name__icontains=query)
            matched = True
    return condition if matched else None


def caller_search(query: str, *, limit: int = SEARCH_LIMIT) -> list[CallerMatch]:
    """Residents (and records without an account) ``query`` finds, best known first.

    One box: a name (part of it), an email address, a phone number or a postcode (in any
    spacing), a case reference or a bill reference. Each result carries only the name,
    the postcode and when the person was last in contact (their latest event in the
    interaction log, or the latest update to one of their cases).
    """
    query = " ".join((query or "").split())
    condition = _search_condition(query) if query else None
    if condition is None:
        return []
    return _matches(condition, limit=limit)


def possible_duplicates(*, full_name: str, phone: str, postcode: str) -> list[CallerMatch]:
    """People already known with this phone number, or this name and postcode: before a new
    record is made, the agent checks the caller is not one of them."""
    condition = Q(pk__in=[])
    if phone:
        condition |= Q(phone=phone)
    if full_name.strip() and postcode:
        condition |= Q(full_name__iexact=full_name.strip(), postcode=postcode)
    return _matches(condition, limit=SEARCH_LIMIT)


def _matches(condition: Q, *, limit: int) -> list[CallerMatch]:
    last_event = (
        Interaction.objects.filter(person_key=OuterRef("person_key"))
        .order_by("-occurred_at")
        .values("occurred_at")[:1]
    )
    last_case = Case.objects.filter(resident=OuterRef("pk")).order_by("-updated_at").values("updated_at")[:1]
    found = (
        residents()
        .filter(condition)
        .annotate(last_event=Subquery(last_event), last_case=Subquery(last_case))
        .order_by("full_name", "pk")
        .values("pk", "full_name", "postcode", "last_event", "last_case", "has_account")[:limit]
    )
    matches = []
    for row in found:
        dates = [value for value in (row["last_event"], row["last_case"]) if value is not None]
        matches.append(
            CallerMatch(
                pk=row["pk"],
                name=row["full_name"] or "Name not given",
                postcode=row["postcode"],
                last_contact=max(dates) if dates else None,
                has_account=row["has_account"],
            )
        )
    return matches


@dataclass
class CaseLine:
    case: Case
    next_step: str


@dataclass
class ResidentRecord:
    """Everything the agent sees about one identified caller, in the order the page shows it."""

    resident: User
    support_needs: list[str]
    support_details: str
    contact_preference: str
    cases: list[CaseLine]
    drafts: list[DraftSummary]
    payments_owed: list[Payment]
    bills_owed: list[Bill]
    payment_links: list[Any]
    payments: list[Payment]
    notifications: list[Notification]
    contacts: list[Interaction]
    proxies: list[Any]
    records_to_offer: list[User]
    web_activity: list[Any] = field(default_factory=list)


def resident_record(resident: User) -> ResidentRecord:
    """The resident record: read only for the current call's identified caller."""
    needs = resident.support_needs_or_none
    owed = payments_owed_by(resident)
    # Only messages sent to this resident: matching on an email address would show the
    # messages of whoever else that address belongs to.
    notifications = Notification.objects.filter(user=resident)
    return ResidentRecord(
        resident=resident,
        support_needs=needs.labels if needs else [],
        support_details=needs.details if needs else "",
        contact_preference=ContactPreference(resident.contact_preference).label,
        cases=[
            CaseLine(case=case, next_step=case_next_steps(case))
            for case in case_list_for_resident(resident)[:RECORD_LIST_LIMIT]
        ],
        drafts=draft_list_for_user(resident),
        payments_owed=owed.fees,
        bills_owed=owed.bills,
        payment_links=list(payment_links_for(resident=resident)[:10]),
        payments=list(payment_list_for_user(resident)[:RECORD_LIST_LIMIT]),
        notifications=list(notifications.order_by("-created_at")[:RECORD_LIST_LIMIT]),
        contacts=list(
            Interaction.objects.filter(type=InteractionType.ASSISTED_CONTACT)
            .filter(Q(person_key=resident.person_key) | Q(user=resident))
            .select_related("staff")
            .order_by("-occurred_at")[:10]
        ),
        proxies=proxies_for_resident(resident),
        records_to_offer=list(records_that_may_be_theirs(resident)),
    )


def records_that_may_be_theirs(resident: User) -> QuerySet[User]:
    """Records kept without an account with this account holder's phone number, or their
    name and postcode: the agent asks the caller, and may offer one to their account."""
    if not resident.has_account:
        return User.objects.none()
    same = Q(pk__in=[])
    if resident.phone:
        same |= Q(phone=resident.phone)
    if resident.full_name.strip() and resident.postcode:
        same |= Q(full_name__iexact=resident.full_name.strip(), postcode=resident.postcode)
    return residents().filter(same, has_account=False).exclude(pk=resident.pk).order_by("pk")[:5]


def resident_cases(resident: User) -> QuerySet[Case]:
    """The caller's cases, for "which case was the call about?"."""
    return case_list_for_resident(resident)


def forms_for_caller(*, identified: bool) -> QuerySet[ServiceForm]:
    """Live forms an agent can start for the caller; for a caller who is not identified,
    only those that need nobody to sign in (no personal record is touched)."""
    forms = ServiceForm.objects.filter(live=True, archived=False).order_by("title")
    if not identified:
        forms = forms.exclude(sign_in=SignIn.REQUIRED)
    return forms


def call_service_code(*, staff: User, since: datetime) -> int | None:
    """The service of the last form the agent submitted or worked on during the call."""
    return (
        Interaction.objects.filter(
            staff=staff,
            occurred_at__gte=since,
            service_code__isnull=False,
            type__in=[
                InteractionType.FORM_SUBMIT,
                InteractionType.FORM_STEP,
                InteractionType.FORM_START,
                InteractionType.PAYMENT_START,
            ],
        )
        .order_by("-occurred_at")
        .values_list("service_code", flat=True)
        .first()
    )
