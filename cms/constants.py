"""Choices of the content app's models: alert subscriptions and their deliveries."""

import re

from django.db import models

# The outward code of a UK postcode (its "district", such as LS6 or SW1A): the part before
# the space. The same shapes as ``portal.lib.postcodes.POSTCODE_PATTERN``'s first half.
POSTCODE_DISTRICT_PATTERN = re.compile(
    r"^(?:[A-PR-UWYZ][0-9]{1,2}|[A-PR-UWYZ][A-HK-Y][0-9]{1,2}|[A-PR-UWYZ][0-9][A-HJKPSTUW]"
    r"|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY])$"
)
# The plain-text summary that goes in texts and emails to subscribers.
ALERT_SUMMARY_MAX_LENGTH = 300


class AlertChannel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "Text message"


class AlertSubscriptionEnd(models.TextChoices):
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed by the link in a message"
    CANCELLED = "cancelled", "Cancelled in My account"
    STOP = "stop", "Replied STOP to a text"


class AlertDeliveryOutcome(models.TextChoices):
    QUEUED = "queued", "Queued in the outbox"
    UNREACHABLE = "unreachable", "Could not be sent (address undeliverable or STOP)"
