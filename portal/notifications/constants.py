from django.db import models


class NotificationStatus(models.TextChoices):
    """Delivery states, named as GOV.UK Notify names them."""

    CREATED = "created", "Created"
    SENDING = "sending", "Sending"
    DELIVERED = "delivered", "Delivered"
    TEMPORARY_FAILURE = "temporary-failure", "Temporary failure"
    PERMANENT_FAILURE = "permanent-failure", "Permanent failure"
    TECHNICAL_FAILURE = "technical-failure", "Technical failure"


FINAL_STATUSES = frozenset(
    {
        NotificationStatus.DELIVERED,
        NotificationStatus.PERMANENT_FAILURE,
        NotificationStatus.TECHNICAL_FAILURE,
    }
)
FAILURE_STATUSES = frozenset(
    {
        NotificationStatus.TEMPORARY_FAILURE,
        NotificationStatus.PERMANENT_FAILURE,
        NotificationStatus.TECHNICAL_FAILURE,
    }
)

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
