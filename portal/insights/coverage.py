"""Self-service coverage (KPI51): the share of the council's services a resident can
complete end to end online, and the channel-shift backlog.

The rules, as the dashboard states them:

- **Services** are the live (published) service pages, counted once per LGSL code
  (``ServicePage.service``). Draft pages are not counted. Live service pages with no LGSL
  code are listed so editors can add one, and are not counted.
- **Each page's route** is where its start button goes:

  - a **form in the portal** that is live and not archived: *online in the portal*. A form
    with a fee counts too, because the resident pays online in the portal as part of the
    form. A form that was never published or has been archived gives no online route;
  - a **link to another site**: *online elsewhere* (for example a national service or a
    supplier's system). It counts as online, and is listed separately;
  - **another page on this site**: the page is treated like the page it links to (a live
    service page, followed up to a few links); a link to any other kind of page, or to an
    unpublished one, is not an online route;
  - **no start button**: not online.

  A page an editor has marked **not suitable for online** (with a reason) counts as not
  suitable whatever its start button does (an online booking link for a home visit, say).
- **A service's status** is the best of its pages' routes, in this order: online in the
  portal, online elsewhere, not suitable for online, needs a phone call or a visit.
- **The share** = services online (in the portal or elsewhere) ÷ services, where services
  marked not suitable for online are left out of the denominator (and shown separately).
- **The backlog** lists the services that still need a phone call or a visit, biggest
  first by their assisted contacts in the period (the ``assisted_contacts`` metric of the
  daily rollups: phone, face to face, email, letter and social media).

Coverage is read from the pages and forms as they are now (small tables); only the
assisted-contact volumes depend on the period, and they come from the rollups.
"""

from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlsplit

from django.db.models import Sum
from django.urls import reverse

from wagtail.models import Page
from wagtail.permission_policies.pages import PagePermissionPolicy

from cms.models import ServicePage
from portal.interactions.constants import Channel

from .measures import percent, period_rollups

ASSISTED_METRIC = "assisted_contacts"
MAX_PAGE_LINKS = 5

ONLINE = "online"
ELSEWHERE = "elsewhere"
NOT_SUITABLE = "not_suitable"
OFFLINE = "offline"
STATUS_LABELS = {
    ONLINE: "Online in the portal",
    ELSEWHERE: "Online elsewhere",
    NOT_SUITABLE: "Not suitable for online",
    OFFLINE: "Needs a phone call or a visit",
}
# Best first: a service takes the best status of its pages.
_RANK = {ONLINE: 0, ELSEWHERE: 1, NOT_SUITABLE: 2, OFFLINE: 3}


@dataclass(frozen=True)
class PageRoute:
    """One live service page and what its start button gives a resident."""

    pk: int
    title: str
    status: str
    note: str
    edit_url: str  # blank when the viewer may not edit the page

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass
class ServiceCoverage:
    """One LGSL service: its status, its live pages and its assisted contacts in the period."""

    code: int
    label: str
    status: str
    pages: list[PageRoute]
    assisted_contacts: int = 0
    assisted_by_channel: list[tuple[str, int]] = field(default_factory=list)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def deciding_pages(self) -> list[PageRoute]:
        """The pages that give the service its status (the others are weaker routes)."""
        return [page for page in self.pages if page.status == self.status]

    @property
    def notes(self) -> list[str]:
        return list(dict.fromkeys(page.note for page in self.deciding_pages if page.note))

    @property
    def channels_text(self) -> str:
        return ", ".join(f"{label} {n:,}" for label, n in self.assisted_by_channel)


@dataclass
class Coverage:
    """KPI51 for the council's services now, with the backlog ranked over ``start``–``end``."""

    start: date
    end: date
    services: list[ServiceCoverage]
    uncoded_pages: list[PageRoute]
    selected: ServiceCoverage | None = None

    def _with(self, status: str) -> list[ServiceCoverage]:
        return [s for s in self.services if s.status == status]

    @property
    def online_portal(self) -> list[ServiceCoverage]:
        return self._with(ONLINE)

    @property
    def online_elsewhere(self) -> list[ServiceCoverage]:
        return self._with(ELSEWHERE)

    @property
    def not_suitable(self) -> list[ServiceCoverage]:
        return self._with(NOT_SUITABLE)

    @property
    def backlog(self) -> list[ServiceCoverage]:
        """Services that still need a phone call or a visit, most assisted contacts first."""
        return sorted(self._with(OFFLINE), key=lambda s: (-s.assisted_contacts, s.label.lower(), s.code))

    @property
    def online_count(self) -> int:
        return len(self.online_portal) + len(self.online_elsewhere)

    @property
    def denominator(self) -> int:
        """Every service except those marked not suitable for online."""
        return len(self.services) - len(self.not_suitable)

    @property
    def percent(self) -> float | None:
        return percent(self.online_count, self.denominator)

    @property
    def portal_percent(self) -> float | None:
        return percent(len(self.online_portal), self.denominator)

    @property
    def backlog_assisted_contacts(self) -> int:
        return sum(s.assisted_contacts for s in self.backlog)


def _edit_url(pk: int) -> str:
    return reverse("wagtailadmin_pages:edit", args=[pk])


def _own_route(page) -> tuple[str, str]:
    """(status, note) from the page's own settings, or ("", "") when it links to a page."""
    if page.not_suitable_online:
        return NOT_SUITABLE, page.not_suitable_online_reason
    if page.start_form_id:
        form = page.start_form
        if form.archived:
            return OFFLINE, f"Its form “{form.title}” is archived"
        if not form.live:
            return OFFLINE, f"Its form “{form.title}” has not been published"
        fee = " (with a fee, paid online)" if form.fee_type != "none" else ""
        return ONLINE, f"Form “{form.title}”{fee}"
    if page.start_url.startswith("/"):
        return ONLINE, f"A service of this site at {page.start_url}"
    if page.start_url:
        return ELSEWHERE, f"Link to {urlsplit(page.start_url).hostname or page.start_url}"
    if page.start_page_id:
        return "", ""
    return OFFLINE, "No start button"


def _route(page, pages: dict, others: dict) -> tuple[str, str]:
    """The page's route, following start-page links through live service pages."""
    seen = {page.pk}
    current = page
    for _ in range(MAX_PAGE_LINKS + 1):
        status, note = _own_route(current)
        if status:
            if current is page:
                return status, note
            return status, f"Through the page “{current.title}”: {note}" if note else note
        target_id = current.start_page_id
        target = pages.get(target_id)
        if target is None:
            title, live = others.get(target_id, ("", False))
            if not live:
                return OFFLINE, "Its start button goes to a page that is not published"
            return OFFLINE, f"Its start button goes to the page “{title}”, which is not an online service"
        if target.pk in seen:
            return OFFLINE, "Its start button goes round in a loop of pages"
        seen.add(target.pk)
        current = target
    return OFFLINE, "Its start button goes through too many pages"


def _assisted(codes: set[int], start: date, end: date) -> dict[int, dict[str, int]]:
    volumes: dict[int, dict[str, int]] = {}
    if not codes:
        return volumes
    rows = (
        row
        for rollups in period_rollups(start, end, metric=ASSISTED_METRIC, service_code__in=sorted(codes))
        for row in rollups.values("service_code", "channel").annotate(n=Sum("value")).order_by()
    )
    for row in rows:
        if row["n"]:
            channels = volumes.setdefault(row["service_code"], {})
            channels[row["channel"]] = channels.get(row["channel"], 0) + row["n"]
    return volumes


def _channel_label(value: str) -> str:
    return Channel(value).label if value in Channel.values else value


def _editable(user, pks: set[int]) -> set[int]:
    if user is None:
        return pks
    editable = PagePermissionPolicy().instances_user_has_any_permission_for(user, {"change"})
    return set(editable.filter(pk__in=sorted(pks)).values_list("pk", flat=True))


def service_coverage(*, start: date, end: date, service_code: int | None = None, user=None) -> Coverage:
    """Self-service coverage now, with assisted contacts between ``start`` and ``end``
    (inclusive) from the daily rollups. ``service_code`` picks one service out as
    ``selected`` (the whole council is always counted). With ``user``, pages link to their
    edit view only where that user may edit them."""
    live = list(
        ServicePage.objects.live()
        .select_related("service", "start_form")
        .only(
            "pk",
            "title",
            "service__label",
            "start_form__title",
            "start_form__live",
            "start_form__archived",
            "start_form__fee_type",
            "start_page",
            "start_url",
            "not_suitable_online",
            "not_suitable_online_reason",
        )
        .order_by("title", "pk")
    )
    pages = {page.pk: page for page in live}
    missing = {p.start_page_id for p in live if p.start_page_id and p.start_page_id not in pages}
    others = {
        pk: (title, is_live)
        for pk, title, is_live in Page.objects.filter(pk__in=missing).values_list("pk", "title", "live")
    }

    editable = _editable(user, set(pages))
    by_code: dict[int, ServiceCoverage] = {}
    uncoded = []
    for page in live:
        status, note = _route(page, pages, others)
        edit_url = _edit_url(page.pk) if page.pk in editable else ""
        route = PageRoute(page.pk, page.title, status, note, edit_url)
        if page.service_id is None:
            uncoded.append(route)
            continue
        service = by_code.get(page.service_id)
        if service is None:
            service = by_code[page.service_id] = ServiceCoverage(
                code=page.service_id, label=page.service.label, status=status, pages=[]
            )
        service.pages.append(route)
        if _RANK[status] < _RANK[service.status]:
            service.status = status

    for code, channels in _assisted(set(by_code), start, end).items():
        service = by_code[code]
        service.assisted_contacts = sum(channels.values())
        service.assisted_by_channel = sorted(
            ((_channel_label(c), n) for c, n in channels.items()), key=lambda item: (-item[1], item[0])
        )

    services = sorted(by_code.values(), key=lambda s: (s.label.lower(), s.code))
    return Coverage(
        start=start,
        end=end,
        services=services,
        uncoded_pages=uncoded,
        selected=by_code.get(service_code) if service_code is not None else None,
    )
