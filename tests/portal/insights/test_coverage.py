"""Self-service coverage (KPI51) and the channel-shift backlog on Contact insights."""

import html
import re
from datetime import date, datetime, time, timedelta

import pytest

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from cms.models import HomePage, ServiceIndexPage, ServicePage, StandardPage
from forms_engine.lifecycle import form_archive
from portal.insights import coverage as cov
from portal.insights.coverage import service_coverage
from portal.interactions.constants import Channel
from portal.interactions.rollups import rollup_build_day
from portal.interactions.services import assisted_contact_record
from tests.accounts.factories import staff_in
from tests.cms.factories import draft, publish
from tests.forms_engine.factories import form_build, question, step

pytestmark = pytest.mark.django_db

URL = "/admin/contact-insights/"
DAY = date(2026, 3, 10)
BEFORE = DAY - timedelta(days=3)
PERIOD = {"start": DAY.isoformat(), "end": DAY.isoformat()}

# LGSL codes
MISSED_BIN, BULKY, POTHOLES, PERMITS, FLYTIPPING = 524, 528, 557, 474, 587
HOME_EDUCATION, CLOTHING, MEDICATION, NURSERY, PRIMARY, SECONDARY = 1, 2, 5, 12, 13, 14


def text(response) -> str:
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body)))


def _form(slug: str, **fields):
    return form_build(slug=slug, steps=[step("About", question("text", "details"))], **fields)


def _service(parent, title: str, code: int | None, **fields) -> ServicePage:
    slug = re.sub(r"[^a-z]+", "-", title.lower()).strip("-")
    return publish(parent, ServicePage(title=title, slug=slug, service_id=code, **fields))


class Council:
    """Service pages covering every rule, with the expected status of each service:

    ======================  ======  ==================================================  ===========
    page                    LGSL    start button / marking                              counts as
    ======================  ======  ==================================================  ===========
    Report a missed bin     524     live form                                           portal
    Bin collection days     524     none (the service's other page wins)                –
    Bulky waste             528     live form with a fixed fee                          portal
    Potholes                557     archived form                                       backlog
    Parking permits         474     link to another site                                elsewhere
    Fly-tipping             587     not suitable (reason)                               not suitable
    Home education          1       start page → "Report a missed bin" (live form)      portal
    School clothing         2       start page → a standard page                        backlog
    School medication       5       not suitable, although it has a link                not suitable
    Nursery places          12      form never published                                backlog
    Secondary school        14      no start button                                     backlog
    Primary school          13      live form, but the page is a draft                  not counted
    Council tax help        none    link                                                not counted
    ======================  ======  ==================================================  ===========

    10 services; 2 not suitable, so the denominator is 8; online: 3 in the portal + 1
    elsewhere = 4; share 4 ÷ 8 = 50.0%, portal only 3 ÷ 8 = 37.5%.
    """

    def __init__(self):
        home = HomePage.objects.get()
        self.category = publish(home, ServiceIndexPage(title="Services", slug="services"))
        self.standard = publish(home, StandardPage(title="How to apply", slug="how-to-apply"))
        missed = _form("missed-bin")
        bulky = _form(
            "bulky-waste", fee_type="fixed", fee_amount_pence=2500, fee_description="Bulky waste collection"
        )
        potholes = _form("potholes")
        form_archive(form=potholes)
        nursery = _form("nursery", publish=False, live=False)  # saved as a draft, as the editor does
        primary = _form("primary")
        c = self.category
        self.missed_bin = _service(c, "Report a missed bin", MISSED_BIN, start_form=missed)
        self.bin_days = _service(c, "Bin collection days", MISSED_BIN)
        self.bulky = _service(c, "Bulky waste", BULKY, start_form=bulky)
        self.potholes = _service(c, "Potholes", POTHOLES, start_form=potholes)
        self.permits = _service(c, "Parking permits", PERMITS, start_url="https://permits.example.org/apply")
        self.flytipping = _service(
            c,
            "Fly-tipping",
            FLYTIPPING,
            not_suitable_online=True,
            not_suitable_online_reason="Officers must inspect the site",
        )
        self.home_education = _service(c, "Home education", HOME_EDUCATION, start_page=self.missed_bin)
        self.clothing = _service(c, "School clothing", CLOTHING, start_page=self.standard)
        self.medication = _service(
            c,
            "School medication",
            MEDICATION,
            start_url="https://book.example.org/appointment",
            not_suitable_online=True,
            not_suitable_online_reason="A nurse agrees a plan with the family in person",
        )
        self.nursery = _service(c, "Nursery places", NURSERY, start_form=nursery)
        self.secondary = _service(c, "Secondary school", SECONDARY)
        self.primary = draft(c, ServicePage(title="Primary school", slug="primary", service_id=PRIMARY))
        self.primary.start_form = primary
        self.primary.save()
        self.council_tax = _service(c, "Council tax help", None, start_url="https://tax.example.org/")


def _contacts(service: int, n: int, channel=Channel.PHONE, day: date = DAY):
    officer = staff_in("Case officers")
    for _ in range(n):
        assisted_contact_record(
            staff=officer,
            channel=channel,
            service_code=service,
            reason_code="enquiry",
            avoidable=False,
            avoidable_category="",
            resolved_first_contact=True,
            occurred_at=timezone.make_aware(datetime.combine(day, time(12))),
        )


@pytest.fixture
def council() -> Council:
    site = Council()
    _contacts(SECONDARY, 2)
    _contacts(SECONDARY, 1, Channel.FACE_TO_FACE)
    _contacts(POTHOLES, 5)
    _contacts(NURSERY, 1, Channel.EMAIL)
    _contacts(MISSED_BIN, 9)  # online: never in the backlog, however many calls
    _contacts(CLOTHING, 10, day=BEFORE)  # before the period: not counted
    rollup_build_day(day=DAY)
    rollup_build_day(day=BEFORE)
    return site


def _statuses(result) -> dict[int, str]:
    return {s.code: s.status for s in result.services}


def test_the_share_is_hand_computed_over_a_mix_of_services(council):
    result = service_coverage(start=DAY, end=DAY)
    assert _statuses(result) == {
        MISSED_BIN: cov.ONLINE,
        BULKY: cov.ONLINE,
        HOME_EDUCATION: cov.ONLINE,
        PERMITS: cov.ELSEWHERE,
        FLYTIPPING: cov.NOT_SUITABLE,
        MEDICATION: cov.NOT_SUITABLE,
        POTHOLES: cov.OFFLINE,
        CLOTHING: cov.OFFLINE,
        NURSERY: cov.OFFLINE,
        SECONDARY: cov.OFFLINE,
    }
    assert PRIMARY not in _statuses(result)  # a draft page is not counted
    assert len(result.services) == 10
    assert result.denominator == 8
    assert result.online_count == 4
    assert result.percent == 50.0
    assert result.portal_percent == 37.5
    assert [s.code for s in result.online_elsewhere] == [PERMITS]
    assert [p.title for p in result.uncoded_pages] == ["Council tax help"]


def test_each_service_says_why(council):
    by_code = {s.code: s for s in service_coverage(start=DAY, end=DAY).services}
    assert by_code[BULKY].notes == ["Form “Bulky waste” (with a fee, paid online)"]
    assert by_code[POTHOLES].notes == ["Its form “Potholes” is archived"]
    assert by_code[NURSERY].notes == ["Its form “Nursery” has not been published"]
    assert by_code[SECONDARY].notes == ["No start button"]
    assert by_code[PERMITS].notes == ["Link to permits.example.org"]
    assert by_code[HOME_EDUCATION].notes == ["Through the page “Report a missed bin”: Form “Missed bin”"]
    assert by_code[CLOTHING].notes == [
        "Its start button goes to the page “How to apply”, which is not an online service"
    ]
    assert by_code[MEDICATION].notes == ["A nurse agrees a plan with the family in person"]
    # A service with two pages takes the better one, and keeps both pages for editing.
    assert [p.title for p in by_code[MISSED_BIN].pages] == ["Bin collection days", "Report a missed bin"]
    assert [p.title for p in by_code[MISSED_BIN].deciding_pages] == ["Report a missed bin"]


def test_the_backlog_is_ordered_by_assisted_contacts_in_the_period(council):
    backlog = service_coverage(start=DAY, end=DAY).backlog
    assert [(s.code, s.assisted_contacts) for s in backlog] == [
        (POTHOLES, 5),
        (SECONDARY, 3),
        (NURSERY, 1),
        (CLOTHING, 0),
    ]
    assert backlog[1].channels_text == "Telephone 2, Face to face 1"
    # Over a period that includes the earlier calls, school clothing moves to the top.
    wider = service_coverage(start=BEFORE, end=DAY).backlog
    assert [(s.code, s.assisted_contacts) for s in wider][:2] == [(CLOTHING, 10), (POTHOLES, 5)]


def test_archiving_or_unpublishing_changes_the_share(council):
    form_archive(form=council.bulky.start_form)
    council.permits.unpublish()
    result = service_coverage(start=DAY, end=DAY)
    assert BULKY in [s.code for s in result.backlog]
    assert PERMITS not in _statuses(result)
    # 9 services, 2 not suitable: 2 online (missed bin, home education) of 7.
    assert (result.online_count, result.denominator, result.percent) == (2, 7, 28.6)


def test_a_loop_of_start_pages_is_not_online(council):
    council.bin_days.start_page = council.secondary
    council.bin_days.save_revision().publish()
    council.secondary.start_page = council.bin_days
    council.secondary.save_revision().publish()
    by_code = {s.code: s for s in service_coverage(start=DAY, end=DAY).services}
    assert by_code[SECONDARY].status == cov.OFFLINE
    assert by_code[SECONDARY].notes == ["Its start button goes round in a loop of pages"]


def test_nothing_to_count_gives_no_data(db):
    result = service_coverage(start=DAY, end=DAY)
    assert result.services == [] and result.percent is None and result.backlog == []


def test_not_suitable_needs_a_reason(council):
    page = council.secondary
    page.not_suitable_online = True
    page.not_suitable_online_reason = "   "
    with pytest.raises(ValidationError) as error:
        page.full_clean()
    assert error.value.message_dict["not_suitable_online_reason"] == [
        "Enter why this service is not suitable for online"
    ]
    page.not_suitable_online_reason = "It needs a home visit"
    page.full_clean()


def test_editors_mark_a_page_in_its_own_panel(client, council):
    client.force_login(staff_in("Editors"))
    response = client.get(reverse("wagtailadmin_pages:edit", args=[council.secondary.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="not_suitable_online"' in page
    assert 'name="not_suitable_online_reason"' in page
    assert "Online service" in page


def test_the_dashboard_shows_coverage_to_a_service_manager(client, council):
    manager = staff_in("Service managers")
    manager.groups.add(Group.objects.get(name="Editors"))  # who may edit the pages, so gets links
    client.force_login(manager)
    response = client.get(URL, PERIOD)
    assert response.status_code == 200
    page = text(response)
    assert "Self-service coverage" in page
    assert "Services available online 50.0% 4 of 8 services" in page
    assert "Online in the portal 3 37.5% of 8" in page
    assert "Left out of the share" in page
    backlog = page.split("Channel-shift backlog", 1)[1].split("Not suitable for online", 1)[0]
    order = [
        backlog.index(name) for name in ("Potholes", "Secondary school", "Nursery places", "School clothing")
    ]
    assert order == sorted(order)
    assert "Telephone 2, Face to face 1" in backlog
    assert "All 4 services 9" in backlog
    content = response.content.decode()
    potholes_edit = reverse("wagtailadmin_pages:edit", args=[council.potholes.pk])
    assert f'<a href="{potholes_edit}">Potholes</a>' in content
    assert "Officers must inspect the site" in page
    assert "permits.example.org" in page
    assert "1 live service page has no LGSL service" in page
    draft_edit = reverse("wagtailadmin_pages:edit", args=[council.primary.pk])
    assert f'href="{draft_edit}"' not in content


def test_a_chosen_service_is_described_and_the_council_is_still_counted(client, council):
    client.force_login(staff_in("Service managers"))
    page = text(client.get(URL, {**PERIOD, "service": POTHOLES}))
    assert "Potholes (LGSL 557): needs a phone call or a visit (Its form “Potholes” is archived)." in page
    assert "50.0%" in page
    page = text(client.get(URL, {**PERIOD, "service": 15}))
    assert "(LGSL 15) has no live service page, so it is not counted" in page


def test_pages_link_to_the_editor_only_for_those_who_may_edit_them(client, council):
    client.force_login(staff_in("Service managers"))
    response = client.get(URL, PERIOD)
    potholes_edit = reverse("wagtailadmin_pages:edit", args=[council.potholes.pk])
    assert potholes_edit not in response.content.decode()
    assert "Potholes" in text(response).split("Channel-shift backlog", 1)[1]


@pytest.mark.parametrize("group", ["Case officers", "Editors"])
def test_other_staff_are_refused_as_before(client, council, group):
    client.force_login(staff_in(group))
    response = client.get(URL, PERIOD)
    assert response.status_code == 403
    assert "Self-service coverage" not in text(response)
    assert "Officers must inspect the site" not in text(response)


def test_the_csv_download_has_the_coverage_and_the_backlog(client, council):
    import csv
    import io

    client.force_login(staff_in("Service managers"))
    response = client.get(URL, {**PERIOD, "format": "csv"})
    assert response.status_code == 200
    rows = {row[0]: row[1:] for row in csv.reader(io.StringIO(response.content.decode()))}
    label = "Self-service coverage (KPI51): services residents can complete online"
    assert rows[label] == ["50.0", "4", "8", "%"]
    assert rows["Self-service coverage: online in the portal"] == ["37.5", "3", "8", "%"]
    assert rows["Services not suitable for online"][0] == "2"
    backlog = [name for name in rows if name.startswith("Needs a phone call or visit")]
    assert len(backlog) == 4 and f"(LGSL {POTHOLES})" in backlog[0]


def test_a_start_button_to_a_service_of_this_site_is_online_in_the_portal(council):
    council.secondary.start_url = "/pay/"
    council.secondary.full_clean()
    council.secondary.save_revision().publish()
    by_code = {s.code: s for s in service_coverage(start=DAY, end=DAY).services}
    assert by_code[SECONDARY].status == cov.ONLINE
    assert by_code[SECONDARY].notes == ["A service of this site at /pay/"]
