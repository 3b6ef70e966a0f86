from django.db import models


class NotificationStatus(models.TextChoices):
    """Delivery states, named as GOV.UK Notify names them."""

    CREATED = "created", "Created"
    SENDING = "sending", "Sending"
    DELIVERED = "delivered", "Delivered"
    TEMPORARY_FAILURE = "temporary-failure", "Temporary failure"
    PERMANENT_FAILURE = "permanent-failure", "Permanent failure"
    TECHNICAL_FAILURE = "technical-failure", "Technical failure"
    # Letters (and precompiled letters), as Notify names their states.
    PENDING_VIRUS_CHECK = "pending-virus-check", "Letter being checked by GOV.UK Notify"
    ACCEPTED = "accepted", "Letter accepted for printing"
    RECEIVED = "received", "Letter printed and posted"
    CANCELLED = "cancelled", "Letter cancelled (not posted)"
    VALIDATION_FAILED = "validation-failed", "Letter refused: layout or address not valid (not posted)"
    VIRUS_SCAN_FAILED = "virus-scan-failed", "Letter refused: failed virus scan (not posted)"


FINAL_STATUSES = frozenset(
    {
        NotificationStatus.DELIVERED,
        NotificationStatus.PERMANENT_FAILURE,
        NotificationStatus.TECHNICAL_FAILURE,
        NotificationStatus.RECEIVED,
        NotificationStatus.CANCELLED,
        NotificationStatus.VALIDATION_FAILED,
        NotificationStatus.VIRUS_SCAN_FAILED,
    }
)
# It arrived: an email or text delivered, a letter printed and posted.
DELIVERED_STATUSES = frozenset({NotificationStatus.DELIVERED, NotificationStatus.RECEIVED})
FAILURE_STATUSES = frozenset(
    {
        NotificationStatus.TEMPORARY_FAILURE,
        NotificationStatus.PERMANENT_FAILURE,
        NotificationStatus.TECHNICAL_FAILURE,
        NotificationStatus.CANCELLED,
        NotificationStatus.VALIDATION_FAILED,
        NotificationStatus.VIRUS_SCAN_FAILED,
    }
)
# Where a status stands in a message's life at Notify, so receipts that arrive out of order
# never move a row back: 0 not yet sent, 1 with Notify or its provider, 2 an outcome.
STATUS_RANK: dict[str, int] = {
    NotificationStatus.CREATED: 0,
    NotificationStatus.SENDING: 1,
    NotificationStatus.PENDING_VIRUS_CHECK: 1,
    NotificationStatus.ACCEPTED: 1,
}
OUTCOME_RANK = 2
# What each failure means, in words staff can act on (kept as the row's last error).
STATUS_REASONS: dict[str, str] = {
    NotificationStatus.PERMANENT_FAILURE: "GOV.UK Notify: the email address or phone number does not exist "
    "or cannot take messages (permanent failure). Ask the person for a new one.",
    NotificationStatus.TEMPORARY_FAILURE: "GOV.UK Notify: the message could not be delivered, for example "
    "the inbox was full or the phone was off (temporary failure). Send it again later.",
    NotificationStatus.TECHNICAL_FAILURE: "GOV.UK Notify: the message was not sent because of a technical "
    "problem at Notify (technical failure). Send it again.",
    NotificationStatus.CANCELLED: "GOV.UK Notify: the letter was cancelled before it was posted.",
    NotificationStatus.VALIDATION_FAILED: "GOV.UK Notify: the letter was refused because its content or "
    "address did not fit the letter template (validation failed).",
    NotificationStatus.VIRUS_SCAN_FAILED: "GOV.UK Notify: the letter was refused because it failed the "
    "virus scan.",
}

# Attempts before a notification is given up as a technical failure, and the
# delay before each retry (seconds): 1 min, 5 min, 30 min, 2 h.
MAX_ATTEMPTS = 5
RETRY_DELAYS = (60, 300, 1800, 7200)


class NotificationChannel(models.TextChoices):
    """How a message reaches the person (GOV.UK Notify's three template types)."""

    EMAIL = "email", "Email"
    SMS = "sms", "Text message"
    LETTER = "letter", "Letter"


class NotificationProvider(models.TextChoices):
    """Who took the message from the outbox (``providers.provider_for`` chooses)."""

    SMTP = "smtp", "Email server"
    NOTIFY = "notify", "GOV.UK Notify"
    CONSOLE = "console", "Console (not sent: no GOV.UK Notify key)"


class InboundOutcome(models.TextChoices):
    """What became of a text message a resident sent to the council's number."""

    STOP = "stop", "Asked for no more texts (STOP)"
    START = "start", "Asked for texts again (START)"
    CASE = "case", "Added to their case"
    TRIAGE = "triage", "Sent to the contact centre"


# UK networks' words for "no more texts" and "texts again", said on their own.
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
START_WORDS = frozenset({"START", "UNSTOP", "SUBSCRIBE"})


class InboundHandled(models.TextChoices):
    """How the contact centre dealt with a text message it triaged."""

    ADDED_TO_CASE = "added_to_case", "Added to a case"
    REPLIED = "replied", "Replied by text"
    CONTACT_RECORDED = "contact_recorded", "Recorded as a contact"
    NO_ACTION = "no_action", "No action needed"
