"""Case statuses, who may move a case between them, and the timeline's event types.

The table ``TRANSITIONS`` is the only statement of the rules: the transition service
reads it, the staff view offers only the moves it allows, and the tests walk it.
"""

from django.db import models

from accounts.constants import SupportNeed


class CaseStatus(models.TextChoices):
    AWAITING_PAYMENT = "awaiting_payment", "Waiting for payment"
    SUBMITTED = "submitted", "Received"
    IN_PROGRESS = "in_progress", "In progress"
    AWAITING_RESIDENT = "awaiting_resident", "Waiting for your reply"
    RESOLVED = "resolved", "Resolved"
    REJECTED = "rejected", "Closed without action"
    WITHDRAWN = "withdrawn", "Withdrawn"
    CLOSED_UNPAID = "closed_unpaid", "Closed: not paid"


OPEN_STATUSES = frozenset(
    {
        CaseStatus.AWAITING_PAYMENT,
        CaseStatus.SUBMITTED,
        CaseStatus.IN_PROGRESS,
        CaseStatus.AWAITING_RESIDENT,
    }
)
CLOSED_STATUSES = frozenset(set(CaseStatus) - OPEN_STATUSES)

# Open311 (GeoReport v2) only knows "open" and "closed".
OPEN311_STATUS = {status: ("open" if status in OPEN_STATUSES else "closed") for status in CaseStatus}

# Staff-facing names: residents see the labels above, written for them.
STAFF_LABELS = {
    CaseStatus.AWAITING_PAYMENT: "Awaiting payment",
    CaseStatus.SUBMITTED: "Submitted",
    CaseStatus.IN_PROGRESS: "In progress",
    CaseStatus.AWAITING_RESIDENT: "Awaiting resident",
    CaseStatus.RESOLVED: "Resolved",
    CaseStatus.REJECTED: "Rejected",
    CaseStatus.WITHDRAWN: "Withdrawn",
    CaseStatus.CLOSED_UNPAID: "Closed unpaid",
}


class Actor(models.TextChoices):
    RESIDENT = "resident", "Resident"
    STAFF = "staff", "Staff"
    SYSTEM = "system", "System"


S = CaseStatus
# (from, to) -> who may make the move.
TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    (S.AWAITING_PAYMENT, S.SUBMITTED): frozenset({Actor.SYSTEM}),  # paid
    (S.AWAITING_PAYMENT, S.CLOSED_UNPAID): frozenset({Actor.SYSTEM}),  # payment expired
    (S.SUBMITTED, S.IN_PROGRESS): frozenset({Actor.STAFF}),
    (S.IN_PROGRESS, S.AWAITING_RESIDENT): frozenset({Actor.STAFF}),
    (S.AWAITING_RESIDENT, S.IN_PROGRESS): frozenset({Actor.STAFF, Actor.RESIDENT}),  # resident replied
    (S.SUBMITTED, S.WITHDRAWN): frozenset({Actor.RESIDENT}),
    (S.AWAITING_RESIDENT, S.WITHDRAWN): frozenset({Actor.RESIDENT}),
    (S.RESOLVED, S.IN_PROGRESS): frozenset({Actor.RESIDENT, Actor.STAFF}),  # reopened
    # The resident asks for a review of a decision to close without action (within the
    # reopen window, like reopening a resolved case): an officer looks at it again.
    (S.REJECTED, S.IN_PROGRESS): frozenset({Actor.RESIDENT}),
}
# The decisions a resident may ask us to look at again (within ``CASE_REOPEN_DAYS``).
REOPENABLE_STATUSES = frozenset({S.RESOLVED, S.REJECTED})
for _open in OPEN_STATUSES:
    TRANSITIONS[(_open, S.RESOLVED)] = frozenset({Actor.STAFF})
    TRANSITIONS[(_open, S.REJECTED)] = frozenset({Actor.STAFF})
del _open, S

# Staff moves the resident will see explained in their own words.
MESSAGE_REQUIRED_FOR = frozenset({CaseStatus.AWAITING_RESIDENT, CaseStatus.RESOLVED, CaseStatus.REJECTED})


def allowed_moves(status: str, actor: str) -> list[str]:
    """The statuses ``actor`` may move a case in ``status`` to, in the order of ``CaseStatus``."""
    return [to for to in CaseStatus if actor in TRANSITIONS.get((status, to), ())]


def move_allowed(status: str, to: str, actor: str) -> bool:
    """Whether the table lets ``actor`` move a case from ``status`` to ``to``."""
    return actor in TRANSITIONS.get((status, to), ())


# The SLA clock runs in these statuses (it is paused while awaiting the resident).
SLA_RUNNING_STATUSES = frozenset({CaseStatus.SUBMITTED, CaseStatus.IN_PROGRESS})

# The GOV.UK tag colour for each status the resident sees (grey for the rest).
STATUS_TAG_CLASSES = {
    CaseStatus.AWAITING_RESIDENT: "govuk-tag--orange",
    CaseStatus.RESOLVED: "govuk-tag--green",
    CaseStatus.IN_PROGRESS: "govuk-tag--blue",
    CaseStatus.SUBMITTED: "govuk-tag--light-blue",
    CaseStatus.AWAITING_PAYMENT: "govuk-tag--yellow",
}


class EventType(models.TextChoices):
    CREATED = "created", "Request received"
    STATUS_CHANGE = "status_change", "Status changed"
    RESIDENT_MESSAGE = "resident_message", "Message from resident"
    OFFICER_MESSAGE = "officer_message", "Message from the council"
    INTERNAL_NOTE = "internal_note", "Internal note"
    ASSIGNMENT = "assignment", "Assigned"
    PAYMENT = "payment", "Payment"
    REFUND = "refund", "Refund"
    DOCUMENT = "document", "Document"
    ASSISTED_CONTACT = "assisted_contact", "Contact recorded"
    NOTIFICATION = "notification", "Email sent"
    CLAIMED = "claimed", "Added to the resident's account"


class NotifyOutcome(models.TextChoices):
    """How the resident was told of a public event (``CaseEvent.data["notify"]``): the channel
    the message went by (their contact preference, or the next way that works), or why not."""

    EMAIL = "email", "Emailed"
    SMS = "sms", "Sent by text message"
    LETTER = "letter", "Sent by post"
    # Kept on events from before the portal sent texts and letters.
    PREFERENCE_POST = "preference_post", "Not emailed: the resident prefers post."
    PREFERENCE_SMS = "preference_sms", "Not emailed: the resident prefers text messages."
    NO_ADDRESS = "no_address", "Not sent: no email address, phone number or postal address that works."
    ERROR = "error", "The message could not be written; tell the resident another way."


SENT_OUTCOMES = frozenset({NotifyOutcome.EMAIL, NotifyOutcome.SMS, NotifyOutcome.LETTER})


class SatisfactionState(models.TextChoices):
    """Where the case is with the outcome question; blank: not answered yet."""

    ANSWERED = "answered", "Answered"
    DISMISSED = "dismissed", "Dismissed"


# How a case was made, in the resident's words ("made face to face"), by ``Case.channel``
# (the contact channels of ``portal.interactions.constants.Channel`` and the forms' ``assisted``).
CHANNEL_PHRASES = {
    "web": "online",
    "phone": "by phone",
    "face_to_face": "face to face",
    "email": "by email",
    "letter": "by letter",
    "social": "on social media",
    "assisted": "with help from our staff",
}

# The outcomes residents are asked about: the council decided something.
SATISFACTION_STATUSES = frozenset({CaseStatus.RESOLVED, CaseStatus.REJECTED})


class Priority(models.IntegerChoices):
    LOW = 1, "Low"
    NORMAL = 2, "Normal"
    HIGH = 3, "High"
    URGENT = 4, "Urgent"


# Support needs in the officer's wording: the resident's choices are written in the first person.
SUPPORT_NEED_STAFF_LABELS = {
    SupportNeed.LARGE_PRINT: "Large print, or letters in another format",
    SupportNeed.INTERPRETER: "An interpreter",
    SupportNeed.BSL: "British Sign Language",
    SupportNeed.PHONE: "Finds it hard to use the phone",
    SupportNeed.READING: "Help reading or understanding forms and letters",
    SupportNeed.CARER: "Someone else, such as a carer, acts for them",
    SupportNeed.OTHER: "Something else (see the details)",
}
SUPPORT_NEED_STAFF_CHOICES = [(need.value, SUPPORT_NEED_STAFF_LABELS[need]) for need in SupportNeed]
