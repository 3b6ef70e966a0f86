from django.db import models


class SignIn(models.TextChoices):
    REQUIRED = "required", "Required: residents must sign in"
    OPTIONAL = "optional", "Optional: residents may sign in or continue without"
    NONE = "none", "Not needed: no sign-in offered (an email address gets the reference)"


class FeeType(models.TextChoices):
    NONE = "none", "No fee"
    FIXED = "fixed", "A fixed fee"
    PER_ANSWER = "per_answer", "Per item: an amount times a number answer"


class FormState(models.TextChoices):
    DRAFT = "draft", "Draft"
    LIVE = "live", "Live"
    ARCHIVED = "archived", "Archived"


class SubmissionChannel(models.TextChoices):
    WEB = "web", "Online"
    ASSISTED = "assisted", "Assisted (staff on the resident's behalf)"
    API = "api", "Another app (Open311 or API)"


class DraftStatus(models.TextChoices):
    """Where a resident's answers in progress stand (``Draft.status``); see ``DRAFT_TRANSITIONS``."""

    IN_PROGRESS = "in_progress", "In progress"
    ABANDONED = "abandoned", "Abandoned (left idle)"
    SUBMITTED = "submitted", "Submitted"
    EXPIRED = "expired", "Expired"


# The moves a draft makes, and no others: ``forms_engine.services.draft_transition`` (the only
# writer of ``Draft.status``) refuses the rest, and the tests walk the table.
#
# * in_progress -> submitted: the resident sends the form (``submission_create``).
# * in_progress -> abandoned: left idle ``FORM_ABANDON_HOURS`` (the daily job, which records one
#   ``form_abandon`` interaction per draft, the first time only: ``abandoned_recorded_at``).
# * abandoned -> in_progress: the resident comes back and changes an answer. An abandoned
#   draft can also be sent as it is (abandoned -> submitted); either way it stays counted as
#   abandoned once, and is not counted again if left idle again.
# * any -> expired: untouched for ``FORM_DRAFT_DAYS`` (``Draft.expires_at``), sent or not.
#   The daily job moves each such draft to expired and then deletes the expired drafts and
#   their files, in one transaction, so an expired row does not outlive the job. Until the
#   job runs, a draft past its time is already treated as gone: ``Draft.is_expired`` and
#   ``Draft.objects.resumable()`` read the lifetime as well as the state.
#
# A submitted draft is not deleted when it is sent: it is kept (submitted) until it expires,
# so that a refresh or a second click finds the one Submission made from it (by its
# ``idempotency_key``) and goes back to the confirmation. A submitted draft is never resumed.
DRAFT_TRANSITIONS: dict[str, frozenset[str]] = {
    DraftStatus.IN_PROGRESS: frozenset({DraftStatus.SUBMITTED, DraftStatus.ABANDONED, DraftStatus.EXPIRED}),
    DraftStatus.ABANDONED: frozenset({DraftStatus.IN_PROGRESS, DraftStatus.SUBMITTED, DraftStatus.EXPIRED}),
    DraftStatus.SUBMITTED: frozenset({DraftStatus.EXPIRED}),
    DraftStatus.EXPIRED: frozenset(),
}

# The states a resident can carry on from (and send): those the table lets become submitted.
DRAFT_RESUMABLE_STATUSES = frozenset(
    status for status, moves in DRAFT_TRANSITIONS.items() if DraftStatus.SUBMITTED in moves
)


def draft_transition_allowed(current: str, to: str) -> bool:
    return to in DRAFT_TRANSITIONS.get(current, frozenset())


# How a request was made for a resident by staff, in the resident's words, by the call's
# channel (``portal.interactions.constants.ASSISTED_CHANNELS``): "sent for you by phone".
ASSISTED_PHRASES = {
    "phone": "by phone",
    "face_to_face": "at a council office",
    "email": "by email",
    "letter": "by letter",
    "social": "on social media",
}
ASSISTED_PHRASE_DEFAULT = "with help from our staff"


def assisted_phrase(channel: str) -> str:
    """ "by phone", "at a council office"... for a request staff made for a resident."""
    return ASSISTED_PHRASES.get(channel, ASSISTED_PHRASE_DEFAULT)


# The query a service page's start button adds to its form's address: the resident has just
# read the service page's "Before you start", so the form begins at its first question
# (forms_engine.views.start; cms.models.ServicePage.start_button_href).
FROM_SERVICE_PAGE = "from=service"
