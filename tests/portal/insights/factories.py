"""Events for the contact measures, recorded through the log's own services at an explicit time."""

from datetime import date, datetime, time
from types import SimpleNamespace

from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.utils import timezone

from portal.interactions.constants import Channel, InteractionType, Outcome
from portal.interactions.rollups import rollup_build_day
from portal.interactions.services import assisted_contact_record, interaction_record

DAY = date(2026, 3, 10)  # a Tuesday, well away from the clock changes
WASTE = 524  # household waste collection


def at(day: date = DAY, hour: int = 12, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def web_request(ip: str = "192.0.2.1", session: str = "session-1", user=None):
    """A web request from one visitor: its IP and user agent make the visitor key."""
    request = RequestFactory().get("/", REMOTE_ADDR=ip, HTTP_USER_AGENT="Mozilla/5.0 (test)")
    request.session = SimpleNamespace(session_key=session)
    request.user = user or AnonymousUser()
    return request


def web(type: str, *, day: date = DAY, hour: int = 12, minute: int = 0, request=None, **fields):
    return interaction_record(
        type=type, request=request or web_request(), occurred_at=at(day, hour, minute), **fields
    )


def transaction(
    channel: str = Channel.WEB,
    *,
    kind: str = "form",
    service_code: int | None = WASTE,
    day: date = DAY,
    hour: int = 12,
    request=None,
    staff=None,
    resident=None,
):
    """A completed transaction, recorded as ``transaction_record`` records it (which has
    no ``occurred_at``): on the web from the resident's request, otherwise by staff for
    the resident on the channel of the contact."""
    web = channel == Channel.WEB and staff is None
    return interaction_record(
        type=InteractionType.TRANSACTION,
        request=(request or web_request()) if web else None,
        channel=channel,
        user=resident,
        staff=staff,
        service_code=service_code,
        outcome=Outcome.SUCCESS,
        extras={"kind": kind},
        occurred_at=at(day, hour),
    )


def assisted(
    *,
    staff,
    channel: str = Channel.PHONE,
    service_code: int | None = WASTE,
    avoidable: bool = False,
    category: str = "",
    resolved: bool = True,
    resident=None,
    day: date = DAY,
    hour: int = 12,
):
    return assisted_contact_record(
        staff=staff,
        channel=channel,
        service_code=service_code,
        reason_code="enquiry",
        avoidable=avoidable,
        avoidable_category=category,
        resolved_first_contact=resolved,
        resident=resident,
        occurred_at=at(day, hour),
    )


def build(*days: date) -> None:
    """Rebuild the rollups of ``days`` (``DAY`` if none), as the nightly job does."""
    for day in days or (DAY,):
        rollup_build_day(day=day)
