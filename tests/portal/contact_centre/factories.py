"""Rows the contact centre's tests start from. Staff in a group: ``tests.accounts.factories.staff_in``."""

from portal.notifications.inbound import inbound_text_process, inbound_text_store
from portal.notifications.models import InboundText


def inbound_text_make(
    message: str, number: str = "447700900982", notify_id: str = "", at: str = "2026-12-07T10:15:30.000000Z"
) -> InboundText:
    """A text a resident sent to the council's number, stored and processed as Notify's callback is."""
    text, _ = inbound_text_store(
        payload={
            "id": notify_id or f"id-{InboundText.objects.count() + 1}",
            "source_number": number,
            "destination_number": "07700900000",
            "message": message,
            "date_received": at,
        }
    )
    return inbound_text_process(inbound_id=text.pk)
