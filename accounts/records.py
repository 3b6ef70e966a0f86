"""A resident record the contact centre kept for a caller with no account, added to the
account the person makes later: the offer, an agent's proposal, and the merge.

A record (``User.has_account`` False) is *offered* to an account (a resident's, never staff's) when

- the account has a *verified* email address equal, ignoring case, to the record's
  ``contact_email``; or
- an agent, on a call with the account's identified holder, proposed it
  (``resident_record_link_propose``: a ``RecordLink`` row, and an audit entry).

Phone numbers cannot be verified yet, so a matching phone number alone offers nothing: that
is what the agent's proposal is for.

Nothing is attached until the resident confirms (``resident_record_merge``, from a POST).
The match is checked again there, inside the transaction, with the record's row locked;
every app's registered ``reassign`` (``portal.lib.personal_data``) moves its rows from the
record to the account, and the record is then **deleted**, not deactivated: it only held the
person's business until they had an account, and a second, stale copy of their name, phone
and address would keep turning up in the contact centre's searches, where the resident can
neither see nor correct it. What happened stays on record: the ``RecordLink`` row (with the
record's old id), a staff-only note on each request's timeline, and the interaction log's
events, which keep the record's person key (history does not move). The account's own
contact details are kept; the record's are not copied over, except its support needs when
the account has none.
"""

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from allauth.account.models import EmailAddress

from django.db import transaction
from django.db.models import ForeignObjectRel, Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from forms_engine.models import Draft
from payments.models import Payment
from portal.cases.models import Case
from portal.interactions.constants import InteractionType
from portal.interactions.models import Interaction
from portal.lib import personal_data

from .constants import StaffAccessAction
from .models import RecordLink, StaffAccess, SupportNeeds, User


class RecordMergeError(ValueError):
    """A record that cannot be added to the account; the message is for the resident."""


class RecordNotOffered(RecordMergeError):
    """The record is not (or no longer) offered to this account: the view answers 404."""


# Relations to a user that the merge leaves on the record on purpose: they are deleted with it.
# Anything else still pointing at the record after every ``reassign`` stops the merge, so no
# app's rows are ever unlinked or deleted silently.
_DELETED_WITH_RECORD = {
    ("accounts.SupportNeeds", "user"),  # the account's own support needs win
    ("accounts.RecordLink", "record"),
    ("wagtailusers.UserProfile", "user"),
}


# Offers


def _resident_account(user) -> bool:
    return bool(
        user.is_authenticated
        and user.has_account
        and user.is_active
        and not user.is_staff
        and not user.is_superuser
    )


def _verified_emails(user: User) -> list[str]:
    return sorted(
        {
            email.lower()
            for email in EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)
        }
    )


def _records_offered_to(user: User) -> QuerySet[User]:
    """Records without an account offered to ``user``: by a verified email, or by an agent."""
    if not _resident_account(user):
        return User.objects.none()
    offered = Q(pk__in=RecordLink.objects.filter(account=user, merged_at__isnull=True).values("record_id"))
    verified = _verified_emails(user)
    if verified:
        offered |= Q(contact_email_ci__in=verified)
    return (
        User.objects.filter(has_account=False, is_active=True)
        .annotate(contact_email_ci=Lower("contact_email"))
        .filter(offered)
        .order_by("date_joined", "pk")
    )


@dataclass(frozen=True)
class RecordOffer:
    """One record offered to the signed-in resident, and what it holds, as the pages list it."""

    record: User
    matched_email: str  # the verified address it matched, or "" when only an agent proposed it
    proposed_by_name: str
    proposed_at: datetime | None
    cases: list[Case] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    drafts: list[Draft] = field(default_factory=list)
    contacts: list[Interaction] = field(default_factory=list)
    has_support_needs: bool = False

    @property
    def proposed_by_agent(self) -> bool:
        return self.proposed_at is not None

    @property
    def is_empty(self) -> bool:
        return not (self.cases or self.payments or self.drafts or self.contacts)


def _offer(record: User, user: User, verified: list[str]) -> RecordOffer:
    link = RecordLink.objects.filter(record=record, account=user, merged_at__isnull=True).first()
    email = record.contact_email.lower()
    return RecordOffer(
        record=record,
        matched_email=email if email and email in verified else "",
        proposed_by_name=link.proposed_by_name if link else "",
        proposed_at=link.proposed_at if link else None,
        cases=list(Case.objects.filter(resident=record).order_by("-created_at", "-pk")),
        payments=list(
            Payment.objects.filter(user=record).select_related("case", "bill").order_by("-created_at", "-pk")
        ),
        drafts=list(Draft.objects.filter(user=record).resumable().select_related("version__form")),
        contacts=list(
            Interaction.objects.filter(user=record, type=InteractionType.ASSISTED_CONTACT).order_by(
                "-occurred_at", "-pk"
            )
        ),
        has_support_needs=SupportNeeds.objects.filter(user=record).exists(),
    )


def resident_record_offers(*, user) -> list[RecordOffer]:
    """The records the contact centre kept that ``user`` may add to their account, oldest first,
    each with what it holds (requests, payments, forms in progress, contacts)."""
    records = list(_records_offered_to(user))
    if not records:
        return []
    verified = _verified_emails(user)
    return [_offer(record, user, verified) for record in records]


def resident_record_offer(*, user, record_id: int) -> RecordOffer | None:
    """One record offered to ``user``, or None (the views answer 404: nothing leaks about it)."""
    record = _records_offered_to(user).filter(pk=record_id).first()
    return _offer(record, user, _verified_emails(user)) if record is not None else None


def resident_record_merged_into(*, user, record_id: int) -> bool:
    """Whether the record with this (old) id was added to ``user``'s account already."""
    return (
        user.is_authenticated
        and RecordLink.objects.filter(record_number=record_id, account=user, merged_at__isnull=False).exists()
    )


# Writes


def _audit(
    *,
    staff: User | None,
    staff_name: str,
    resident: User,
    action: str,
    detail: str,
    call: UUID | str | None = None,
) -> None:
    """A staff access entry, as ``services.staff_access_record`` writes them; this one also
    serves a proposal whose member of staff has since left (``staff`` None, the name kept)."""
    StaffAccess.objects.create(
        resident=resident,
        resident_key=resident.person_key,
        staff=staff,
        staff_name=staff_name[:200],
        action=action,
        call=call,
        detail=detail[:300],
    )


@transaction.atomic
def resident_record_link_propose(
    *, record: User, account: User, staff: User, call: UUID | str | None = None
) -> RecordLink:
    """Offer ``record`` (kept without an account) to ``account``: for an agent on a call with
    the account's holder, whose identity they have checked, who says the record is theirs.

    The record then shows on the account's My account as an offer; nothing moves until the
    resident confirms. One offer per record: proposing it to another account replaces the
    earlier offer. The proposal is audited on the account (``call`` groups it with the
    call's other entries), so the resident sees it on their security page.
    """
    if record.has_account or not record.is_active:
        raise RecordMergeError("This is not a record kept without an account")
    if not _resident_account(account):
        raise RecordMergeError("A record can only be offered to a resident's own account")
    if account.pk == staff.pk:
        raise RecordMergeError("You cannot offer a record to your own account")
    User.objects.select_for_update().get(pk=record.pk)
    staff_name = staff.full_name or staff.email or ""
    link, _ = RecordLink.objects.update_or_create(
        record_number=record.pk,
        defaults={
            "record": record,
            "account": account,
            "proposed_by": staff,
            "proposed_by_name": staff_name[:200],
            "proposed_at": timezone.now(),
            "merged_at": None,
        },
    )
    _audit(
        staff=staff,
        staff_name=staff_name,
        resident=account,
        action=StaffAccessAction.RECORD_LINK_OFFERED,
        call=call,
        detail=f"Record kept without an account for {record.full_name}",
    )
    return link


@dataclass(frozen=True)
class RecordMerged:
    """What ``resident_record_merge`` did: the requests moved (by reference), and whether this
    call found the record already added (a repeated confirmation)."""

    record_number: int
    case_references: list[str]
    payment_count: int
    support_needs_moved: bool
    already_done: bool = False


def _leftovers(record: User) -> list[str]:
    """Relations still pointing at ``record`` that no app reassigned (``_DELETED_WITH_RECORD`` aside)."""
    found = []
    for relation in User._meta.get_fields(include_hidden=True):
        # Reverse relations only; a many-to-many's rows are its through model's, listed too.
        if not isinstance(relation, ForeignObjectRel) or relation.many_to_many:
            continue
        model = relation.related_model
        assert model is not None  # a reverse relation always has its model
        label, name = model._meta.label, relation.field.name
        if (label, name) in _DELETED_WITH_RECORD:
            continue
        if model._base_manager.filter(**{name: record}).exists():
            found.append(f"{label}.{name}")
    return found


def _offered(record: User, user: User) -> RecordLink | bool:
    """The agent's offer to ``user`` (its RecordLink), True for a verified email match, or False."""
    link = RecordLink.objects.filter(record=record, account=user, merged_at__isnull=True).first()
    if link is not None:
        return link
    email = record.contact_email.strip()
    return bool(email) and EmailAddress.objects.filter(user=user, verified=True, email__iexact=email).exists()


@transaction.atomic
def resident_record_merge(*, record: User, user: User) -> RecordMerged:
    """Add ``record`` (kept by the contact centre without an account) to ``user``'s account.

    Only if it is offered to them (a verified email match, or an agent's proposal), checked
    again here with the record locked. Every registered app moves its rows (requests, forms,
    payments, contacts, emails, audit entries, ...) through its ``reassign``; each request
    gets a staff-only note; an agent's proposal gets an audit entry; the record is deleted.
    Confirming twice is safe: the second finds the record already added and does nothing.
    Raises ``RecordNotOffered`` when the record is not offered to ``user``, and
    ``RecordMergeError`` if some rows could not be moved (nothing is changed then).
    """
    if not _resident_account(user):
        raise RecordNotOffered("This record is not offered to your account")
    record_number = record.pk
    locked = (
        User.objects.select_for_update().filter(pk=record_number, has_account=False, is_active=True).first()
    )
    if locked is None:
        if resident_record_merged_into(user=user, record_id=record_number):
            return RecordMerged(record_number, [], 0, support_needs_moved=False, already_done=True)
        raise RecordNotOffered("This record is not offered to your account")
    User.objects.select_for_update().get(pk=user.pk)  # one merge into an account at a time
    offer = _offered(locked, user)
    if not offer:
        raise RecordNotOffered("This record is not offered to your account")

    references = list(Case.objects.filter(resident=locked).order_by("pk").values_list("reference", flat=True))
    payment_count = Payment.objects.filter(user=locked).count()
    had_support_needs = SupportNeeds.objects.filter(user=user).exists()
    for part in personal_data.parts():
        if part.reassign is not None:
            part.reassign(locked, user)
    leftovers = _leftovers(locked)
    if leftovers:
        raise RecordMergeError(f"Rows no app moved: {', '.join(leftovers)}")
    support_needs_moved = not had_support_needs and SupportNeeds.objects.filter(user=user).exists()

    now = timezone.now()
    if isinstance(offer, RecordLink) and offer.proposed_at is not None:
        _audit(
            staff=offer.proposed_by,
            staff_name=offer.proposed_by_name,
            resident=user,
            action=StaffAccessAction.RECORD_MERGED,
            detail=f"Offered by staff and confirmed by you: {len(references)} request"
            f"{'s' if len(references) != 1 else ''} added to your account",
        )
        RecordLink.objects.filter(pk=offer.pk).update(record=None, merged_at=now)
    else:
        RecordLink.objects.filter(record_number=record_number).delete()  # an offer to someone else ends
        RecordLink.objects.create(record_number=record_number, account=user, merged_at=now)
    locked.delete()
    return RecordMerged(record_number, references, payment_count, support_needs_moved=support_needs_moved)
