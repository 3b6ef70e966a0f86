"""System checks: a GOV.UK Notify key set without the templates it needs to send with."""

import re
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Warning

# "<key name>-<service id>-<secret>", both uuids, as Notify issues it.
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
API_KEY_PATTERN = re.compile(rf"^.+-{_UUID}-{_UUID}$", re.IGNORECASE)
TEMPLATE_SETTINGS = ("NOTIFY_EMAIL_TEMPLATE_ID", "NOTIFY_SMS_TEMPLATE_ID", "NOTIFY_LETTER_TEMPLATE_ID")


def notify_settings_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    key = getattr(settings, "NOTIFY_API_KEY", "")
    if not key:
        return []
    messages: list[CheckMessage] = []
    if not API_KEY_PATTERN.match(key):
        messages.append(
            Warning(
                "NOTIFY_API_KEY does not look like a GOV.UK Notify API key.",
                hint="Copy the whole key from Notify's API integration page: "
                "its name, then the service id and the secret.",
                id="notifications.W001",
            )
        )
    messages += [
        Warning(
            f"NOTIFY_API_KEY is set but {name} is not: those messages cannot be sent.",
            hint=f"Set {name} to the id of the service's generic template for them.",
            id="notifications.W002",
        )
        for name in TEMPLATE_SETTINGS
        if not getattr(settings, name, "")
    ]
    if not getattr(settings, "NOTIFY_CALLBACK_TOKEN", ""):
        messages.append(
            Warning(
                "NOTIFY_API_KEY is set but NOTIFY_CALLBACK_TOKEN is not: delivery receipts are refused, "
                "and statuses come only from polling (hourly).",
                hint="Set NOTIFY_CALLBACK_TOKEN to the bearer token given to Notify for the delivery "
                "receipts callback (/notifications/callbacks/notify/receipts/).",
                id="notifications.W003",
            )
        )
    if not getattr(settings, "NOTIFY_INBOUND_CALLBACK_TOKEN", "") and not getattr(
        settings, "NOTIFY_CALLBACK_TOKEN", ""
    ):
        messages.append(
            Warning(
                "NOTIFY_API_KEY is set but neither NOTIFY_INBOUND_CALLBACK_TOKEN nor "
                "NOTIFY_CALLBACK_TOKEN is: text messages residents send are refused, so their "
                "replies and STOP are lost.",
                hint="Set NOTIFY_INBOUND_CALLBACK_TOKEN to the bearer token given to Notify for the "
                "received text messages callback (/notifications/callbacks/notify/inbound/).",
                id="notifications.W004",
            )
        )
    return messages
