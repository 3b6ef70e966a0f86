"""The provider interface: what a provider is given, returns and raises."""

from dataclasses import dataclass
from typing import Protocol

from ..models import Notification


@dataclass(frozen=True)
class MessageContent:
    """What is sent: the outbox row's wording, or the unredacted wording held for it."""

    subject: str
    body_text: str
    body_html: str = ""


class ProviderError(Exception):
    """A provider did not take the message; ``str()`` is kept as the row's last error."""


class TemporaryProviderError(ProviderError):
    """Worth trying again later: the provider is down, slow, or refused our credentials."""


class PermanentProviderError(ProviderError):
    """Trying again would fail the same way (an invalid number, a letter Notify will not print)."""


class Provider(Protocol):
    name: str
    # The row's status once the provider has taken the message.
    accepted_status: str

    def send(self, notification: Notification, content: MessageContent) -> str: ...
