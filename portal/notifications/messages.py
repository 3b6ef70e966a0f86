"""The kinds of message the portal sends, their placeholders and default wording.

Each app registers its messages (``message_type_register``, from its ``messages`` module,
loaded by its AppConfig) with the wording used until an editor changes it. The wording
editors keep is a ``MessageTemplate`` per type; ``services.message_send`` renders it.

Placeholders are written as GOV.UK Notify writes them: ``((reference))``. Each message type
says which it offers (with an example, for the preview) and which the wording must keep
(a sign-in code without its code would be useless).
"""

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from .constants import NotificationChannel

PLACEHOLDER = re.compile(r"\(\(\s*([a-z0-9_]+)\s*\)\)")
# GOV.UK Notify's longest text message: 918 characters, six fragments.
SMS_MAX_CHARACTERS = 918

# The GSM 03.38 alphabet (one character each) and its extension table (two each). A text
# with any other character is sent as Unicode, with far fewer characters per fragment.
GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = set("^{}\\[~]|€")


@dataclass(frozen=True)
class MessageType:
    """One kind of message: when it is sent, what it can say, and its default wording.

    An empty ``sms_body`` or ``letter_body`` means the message never goes that way (a
    sign-in code never goes by post); the router then uses the person's next channel.
    ``secret_placeholders`` hold values the outbox must not keep (codes, sign-in links).
    """

    key: str
    name: str
    description: str
    placeholders: Mapping[str, str]
    email_subject: str
    email_body: str
    sms_body: str = ""
    letter_subject: str = ""
    letter_body: str = ""
    required: tuple[str, ...] = ()
    secret_placeholders: tuple[str, ...] = ()
    group: str = "General"
    extra: Mapping[str, Any] = field(default_factory=dict)


_REGISTRY: dict[str, MessageType] = {}

# Offered in every message.
COMMON_PLACEHOLDERS: dict[str, str] = {
    "council_name": "Example Council",
    "site_url": "https://www.example.gov.uk",
}


def message_type_register(*types: MessageType) -> None:
    for message in types:
        unknown = set(PLACEHOLDER.findall(_all_wording(message))) - set(_offered(message))
        if unknown:
            raise ValueError(f"{message.key}: default wording uses unknown placeholders {sorted(unknown)}")
        _REGISTRY[message.key] = message


def message_type(key: str) -> MessageType | None:
    return _REGISTRY.get(key)


def message_types() -> list[MessageType]:
    return sorted(_REGISTRY.values(), key=lambda m: (m.group, m.name))


def _offered(message: MessageType) -> dict[str, str]:
    return {**COMMON_PLACEHOLDERS, **message.placeholders}


def _all_wording(message: Any) -> str:
    return "\n".join(
        getattr(message, name)
        for name in ("email_subject", "email_body", "sms_body", "letter_subject", "letter_body")
    )


def common_context() -> dict[str, str]:
    return {"council_name": settings.WAGTAIL_SITE_NAME, "site_url": settings.SITE_URL}


def render(wording: str, context: Mapping[str, Any]) -> str:
    """Fill each ``((placeholder))``; one with no value becomes empty, and the blank lines it
    leaves are closed up, so an optional part (``((next_steps))``) can be left out."""

    def fill(match: re.Match[str]) -> str:
        value = context.get(match.group(1))
        return "" if value is None else str(value)

    text = PLACEHOLDER.sub(fill, wording)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def sms_fragments(text: str) -> tuple[int, int, bool]:
    """(characters, fragments, unicode) as a phone network counts a text message.

    GSM characters: 160 in one text, 153 per fragment once longer (extension characters
    such as € count twice); any other character makes the whole text Unicode: 70, then 67.
    """
    unicode = any(c not in GSM_BASIC and c not in GSM_EXTENDED for c in text)
    if unicode:
        length = len(text)
        single, part = 70, 67
    else:
        length = sum(2 if c in GSM_EXTENDED else 1 for c in text)
        single, part = 160, 153
    if length == 0:
        return 0, 0, unicode
    fragments = 1 if length <= single else math.ceil(length / part)
    return length, fragments, unicode


def sample_context(message: MessageType) -> dict[str, str]:
    return {**COMMON_PLACEHOLDERS, **common_context(), **message.placeholders}


def wording_errors(template: Any) -> dict[str, list[str]]:
    """What is wrong with an editor's wording, by field, in words an editor can act on."""
    message = message_type(template.key)
    if message is None:
        return {}
    offered = _offered(message)
    names = ", ".join(f"(({name}))" for name in offered)
    errors: dict[str, list[str]] = {}
    for field_name, label in (
        ("email_subject", "The email subject"),
        ("email_body", "The email"),
        ("sms_body", "The text message"),
        ("letter_subject", "The letter heading"),
        ("letter_body", "The letter"),
    ):
        wording = getattr(template, field_name) or ""
        unknown = sorted(set(PLACEHOLDER.findall(wording)) - set(offered))
        if unknown:
            errors.setdefault(field_name, []).append(
                f"{label} uses {', '.join(f'(({u}))' for u in unknown)}, which this message does not have. "
                f"Use only: {names}"
            )
        if "((" in PLACEHOLDER.sub("", wording) or "))" in PLACEHOLDER.sub("", wording):
            errors.setdefault(field_name, []).append(
                f"{label} has a placeholder that is not complete: write it as ((name)), "
                "with lower-case letters, numbers or underscores"
            )
        body = field_name.endswith("_body")
        if body and wording.strip():
            missing = [name for name in message.required if name not in PLACEHOLDER.findall(wording)]
            if missing:
                errors.setdefault(field_name, []).append(
                    f"{label} must include {', '.join(f'(({m}))' for m in missing)}: "
                    "without it the message is no use to the person"
                )
    sms = render(template.sms_body or "", sample_context(message))
    length, fragments, _unicode = sms_fragments(sms)
    if length > SMS_MAX_CHARACTERS:
        errors.setdefault("sms_body", []).append(
            f"The text message is {length} characters with the example values; "
            f"it must be {SMS_MAX_CHARACTERS} or fewer"
        )
    if (template.letter_body or "").strip() and not (template.letter_subject or "").strip():
        errors.setdefault("letter_subject", []).append("Enter a heading for the letter")
    if not message.sms_body and (template.sms_body or "").strip():
        errors.setdefault("sms_body", []).append("This message cannot be sent by text: leave it blank")
    if not message.letter_body and (template.letter_body or "").strip():
        errors.setdefault("letter_body", []).append("This message cannot be sent by post: leave it blank")
    return errors


def preview(template: Any) -> dict[str, Any]:
    """The wording filled with each placeholder's example, and the text's length."""
    message = message_type(template.key)
    context = sample_context(message) if message else common_context()
    sms = render(template.sms_body or "", context)
    characters, fragments, unicode = sms_fragments(sms)
    return {
        "email_subject": render(template.email_subject, context),
        "email_body": render(template.email_body, context),
        "sms_body": sms,
        "sms_characters": characters,
        "sms_fragments": fragments,
        "sms_unicode": unicode,
        "sms_max": SMS_MAX_CHARACTERS,
        "letter_subject": render(template.letter_subject or "", context),
        "letter_body": render(template.letter_body or "", context),
        "placeholders": sorted((message.placeholders if message else {}).items()),
        "common_placeholders": sorted(COMMON_PLACEHOLDERS.items()),
    }


def channel_offered(message: MessageType | None, wording: Any, channel: str) -> bool:
    """Whether this message can go by ``channel`` (its wording for that channel is not blank)."""
    if channel == NotificationChannel.EMAIL:
        return True
    source = wording if wording is not None else message
    if source is None:
        return False
    attribute = "sms_body" if channel == NotificationChannel.SMS else "letter_body"
    return bool((getattr(source, attribute, "") or "").strip())


message_type_register(
    MessageType(
        key="notifications/text_reply",
        name="Reply to a text message",
        description="When the contact centre answers a text message a resident sent to the "
        "council's number. Sent by text only.",
        group="Contact centre",
        placeholders={"name": "Sam", "message": "Thank you. We have passed this to the waste team."},
        required=("message",),
        email_subject="Your text message to ((council_name))",
        email_body="Hello ((name)),\n\n((message))\n\n((council_name))",
        sms_body="((message))\n\n((council_name))",
    )
)
