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
