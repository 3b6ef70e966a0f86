"""Lists that grow with a resident's history come a page at a time: the resident's requests
(20 a page, the GOV.UK pagination component), and a case's timeline on the resident's page,
the tracking page and the staff page (the newest 20 updates, then plain links to older ones).

Each is checked for the rows and order of its first and second pages, the count it shows,
page numbers that are not numbers or out of range (the first or last page, never an error),
another person's cases staying out of reach, and a flat number of queries however long the
list is (``tests/portal/test_query_counts.py`` has the same rule for every main page).
"""

import re
from datetime import timedelta

import pytest

from django.urls import reverse
from django.utils import timezone

from accounts.services import proxy_accept, proxy_invite
from portal.cases.models import Case, CaseEvent
from portal.cases.selectors import CASE_LIST_PER_PAGE, TIMELINE_PER_PAGE
from portal.cases.services import case_note_add, case_officer_message
from portal.interactions.constants import InteractionType
from portal.interactions.models import Interaction
from tests.accounts.factories import UserFactory
from tests.portal.cases.factories import case_make, officer_in, staff_in, team_make
from tests.query_counts import page_queries

pytestmark = pytest.mark.django_db

LIST = reverse("cases:list")


def _titles(html: str, pattern: str) -> list[str]:
    return re.findall(pattern, html)


# --- The resident's requests ----------------------------------------------------------------------


def _requests(resident, count: int, *, status: str = "in_progress", start: int = 0) -> list[Case]:
    """``count`` requests, "Request <n>" updated <n> minutes after the first: the higher the
    number, the newer the activity."""
    base = timezone.now() - timedelta(days=30)
    cases = []
    for n in range(start, start + count):
        case = case_make(resident=resident, status=status, title=f"Request {n:03d}")
        Case.objects.filter(pk=case.pk).update(last_public_event_at=base + timedelta(minutes=n))
        cases.append(case)
    return cases


def _listed(html: str) -> list[str]:
    return _titles(html, r">(Request \d{3})</a>")


def test_the_requests_come_twenty_a_page_newest_activity_first(client):
    resident = UserFactory()
    _requests(resident, 45)
    client.force_login(resident)

    first = client.get(LIST).text
    assert _listed(first) == [f"Request {n:03d}" for n in range(44, 24, -1)]
    assert "Showing 1 to 20 of 45 requests" in first
    assert 'class="govuk-pagination"' in first and 'aria-label="Pages of your requests"' in first
    assert 'href="?page=2" rel="next"' in first
    assert 'rel="prev"' not in first
    assert 'aria-label="Page 1" aria-current="page"' in first

    second = client.get(LIST, {"page": 2})
    assert second.status_code == 200
    assert _listed(second.text) == [f"Request {n:03d}" for n in range(24, 4, -1)]
    assert "Showing 21 to 40 of 45 requests" in second.text
    assert 'href="?page=1" rel="prev"' in second.text and 'href="?page=3" rel="next"' in second.text
    assert 'aria-label="Page 2" aria-current="page"' in second.text
    assert "<title>Your requests (page 2 of 3)" in second.text

    last = client.get(LIST, {"page": 3}).text
    assert _listed(last) == [f"Request {n:03d}" for n in range(4, -1, -1)]
    assert "Showing 41 to 45 of 45 requests" in last
    assert 'rel="next"' not in last
    assert CASE_LIST_PER_PAGE == 20


def test_open_requests_come_before_closed_ones_on_every_page(client):
    resident = UserFactory()
    _requests(resident, 15, status="resolved", start=100)  # newer activity, but closed
    _requests(resident, 15)
    client.force_login(resident)
    first = _listed(client.get(LIST).text)
    second = _listed(client.get(LIST, {"page": 2}).text)
    assert first == [f"Request {n:03d}" for n in range(14, -1, -1)] + [
        f"Request {n:03d}" for n in range(114, 109, -1)
    ]
    assert second == [f"Request {n:03d}" for n in range(109, 99, -1)]


@pytest.mark.parametrize(
    ("asked", "shown"),
    [("abc", 1), ("", 1), ("0", 1), ("-2", 1), ("2.5", 1), ("3", 3), ("4", 3), ("99999999999999999999", 3)],
)
def test_a_page_number_that_is_not_a_page_gives_the_first_or_last_page(client, asked, shown):
    resident = UserFactory()
    _requests(resident, 45)
    client.force_login(resident)
    response = client.get(LIST, {"page": asked})
    assert response.status_code == 200
    assert f'aria-label="Page {shown}" aria-current="page"' in response.text


def test_one_page_of_requests_has_no_pagination_and_says_how_many(client):
    resident = UserFactory()
    _requests(resident, 3)
    client.force_login(resident)
    text = client.get(LIST).text
    assert "3 requests, open ones first" in text
    assert "govuk-pagination" not in text and "Showing" not in text


def test_page_links_keep_the_rest_of_the_query(client):
    """Filters in the address stay on every page link (only ``page`` changes)."""
    resident = UserFactory()
    _requests(resident, 25)
    client.force_login(resident)
    text = client.get(LIST, {"status": "open", "page": 1}).text
    assert 'href="?status=open&amp;page=2" rel="next"' in text


def test_nobody_sees_another_residents_requests_on_any_page(client):
    resident, other = UserFactory(), UserFactory()
    _requests(resident, 25)
    theirs = case_make(resident=other, title="Someone else's request")
    client.force_login(resident)
    for page in (1, 2):
        text = client.get(LIST, {"page": page}).text
        assert "Someone else&#x27;s request" not in text and theirs.reference not in text
    assert "Showing 21 to 25 of 25 requests" in client.get(LIST, {"page": 2}).text


def test_the_list_costs_the_same_queries_for_3_or_60_requests(client):
    resident = UserFactory()
    _requests(resident, 3)
    client.force_login(resident)
    few = page_queries(client, LIST)
    _requests(resident, 57, start=3)
    assert page_queries(client, LIST) == few
    assert page_queries(client, LIST, {"page": 2}) == few
    assert page_queries(client, LIST, {"page": 99}) == few


# --- A case's timeline ----------------------------------------------------------------------------


def test_someone_acting_for_the_resident_pages_through_their_requests(client):
    resident, carer, stranger = UserFactory(), UserFactory(), UserFactory()
    proxy, _ = proxy_invite(
        resident=resident, email=carer.email, relationship="carer", can_submit=False, can_pay=False
    )
    proxy_accept(proxy=proxy, person=carer)
    _requests(resident, 25)
    _requests(stranger, 3, start=900)
    url = reverse("account_acting_for", kwargs={"pk": proxy.pk})
    client.force_login(carer)
    first = client.get(url).text
    assert _listed(first) == [f"Request {n:03d}" for n in range(24, 4, -1)]
    assert "Showing 1 to 20 of 25 requests" in first
    assert 'aria-label="Pages of their requests"' in first and 'href="?page=2" rel="next"' in first
    second = client.get(url, {"page": 2}).text
    assert _listed(second) == [f"Request {n:03d}" for n in range(4, -1, -1)]
    assert "(page 2 of 2)" in second
    assert _listed(client.get(url, {"page": "x"}).text)[0] == "Request 024"
    client.force_login(stranger)
    assert client.get(url, {"page": 2}).status_code == 404


def _messages(case, officer, count: int, start: int = 0) -> None:
    """``count`` messages from the officer, "Message <n>", with an internal note after each."""
    for n in range(start, start + count):
        case_officer_message(case=case, actor=officer, message=f"Message {n:03d}")
        case_note_add(case=case, actor=officer, message=f"Note {n:03d}")


def _shown(html: str, word: str = "Message") -> list[str]:
    return _titles(html, rf"({word} \d{{3}})")


@pytest.fixture
def team_officer():
    team = team_make()
    return team, officer_in(team)


def _busy_case(team, officer, messages: int, **kwargs):
    case = case_make(team=team, status="in_progress", **kwargs)
    _messages(case, officer, messages)
    return case


def test_the_case_page_shows_the_newest_updates_and_links_to_older_ones(client, team_officer):
    resident = UserFactory()
    case = _busy_case(*team_officer, 45, resident=resident)
    total = case.events.filter(public=True).count()  # the 45 messages, and how the case began
    assert total > 45
    client.force_login(resident)
    url = reverse("cases:detail", kwargs={"reference": case.reference})

    first = client.get(url).text
    assert _shown(first) == [f"Message {n:03d}" for n in range(44, 24, -1)]
    assert f"Showing updates 1 to 20 of {total}, newest first." in first
    assert 'id="updates"' in first
    assert f'href="{url}?timeline_page=2#updates" rel="next"' in first
    assert "Show older updates" in first and "Show newer updates" not in first
    assert not _shown(first, "Note")  # internal notes stay internal on every page

    second = client.get(url, {"timeline_page": 2}).text
    assert _shown(second) == [f"Message {n:03d}" for n in range(24, 4, -1)]
    assert f"Showing updates 21 to 40 of {total}, newest first." in second
    assert f'href="{url}?timeline_page=3#updates" rel="next"' in second
    assert f'href="{url}#updates" rel="prev"' in second  # newer: back to the case page itself
    assert not _shown(second, "Note")

    last = client.get(url, {"timeline_page": 3}).text
    assert _shown(last) == [f"Message {n:03d}" for n in range(4, -1, -1)]
    assert "Show older updates" not in last
    assert f'href="{url}?timeline_page=2#updates" rel="prev"' in last
    assert TIMELINE_PER_PAGE == 20


@pytest.mark.parametrize(("asked", "first_shown"), [("x", 44), ("0", 44), ("-1", 44), ("9", 4), ("3", 4)])
def test_a_bad_timeline_page_gives_the_newest_or_oldest(client, team_officer, asked, first_shown):
    resident = UserFactory()
    case = _busy_case(*team_officer, 45, resident=resident)
    client.force_login(resident)
    url = reverse("cases:detail", kwargs={"reference": case.reference})
    response = client.get(url, {"timeline_page": asked})
    assert response.status_code == 200
    assert _shown(response.text)[0] == f"Message {first_shown:03d}"


def test_a_short_timeline_has_no_links_to_older_updates(client, team_officer):
    resident = UserFactory()
    case = _busy_case(*team_officer, 2, resident=resident)
    client.force_login(resident)
    text = client.get(reverse("cases:detail", kwargs={"reference": case.reference})).text
    assert _shown(text) == ["Message 001", "Message 000"]
    assert "Newest first." in text
    assert "Show older updates" not in text and "govuk-pagination" not in text


def test_only_the_case_page_itself_is_a_case_view(client, team_officer):
    """Paging back through the updates is the same look at the case: one case view, not one
    per page (the progress-chasing measure counts case views)."""
    resident = UserFactory()
    case = _busy_case(*team_officer, 25, resident=resident)
    client.force_login(resident)
    url = reverse("cases:detail", kwargs={"reference": case.reference})
    client.get(url)
    client.get(url, {"timeline_page": 2})
    assert (
        Interaction.objects.filter(type=InteractionType.CASE_VIEW, case_reference=case.reference).count() == 1
    )
    client.get(url, {"timeline_page": 1})
    assert (
        Interaction.objects.filter(type=InteractionType.CASE_VIEW, case_reference=case.reference).count() == 2
    )


def test_a_message_with_an_error_keeps_the_older_updates_link_on_the_case_page(client, team_officer):
    """The page re-shown after a failed message is at the message's address: its timeline links
    still lead to the case page."""
    resident = UserFactory()
    case = _busy_case(*team_officer, 25, resident=resident)
    client.force_login(resident)
    url = reverse("cases:detail", kwargs={"reference": case.reference})
    response = client.post(reverse("cases:message", kwargs={"reference": case.reference}), {"message": ""})
    assert response.status_code == 200
    assert f'href="{url}?timeline_page=2#updates" rel="next"' in response.text


def test_another_resident_gets_404_for_any_page_of_a_timeline(client, team_officer):
    case = _busy_case(*team_officer, 25, resident=UserFactory())
    client.force_login(UserFactory())
    url = reverse("cases:detail", kwargs={"reference": case.reference})
    for page in ("1", "2", "x"):
        assert client.get(url, {"timeline_page": page}).status_code == 404


def test_someone_acting_for_the_resident_pages_through_the_timeline_too(client, team_officer):
    resident, carer = UserFactory(), UserFactory()
    proxy, _ = proxy_invite(
        resident=resident, email=carer.email, relationship="carer", can_submit=False, can_pay=False
    )
    proxy_accept(proxy=proxy, person=carer)
    case = _busy_case(*team_officer, 25, resident=resident)
    client.force_login(carer)
    url = reverse("cases:detail", kwargs={"reference": case.reference})
    assert _shown(client.get(url, {"timeline_page": 2}).text)[0] == "Message 004"


def test_the_tracking_page_pages_its_timeline(client, team_officer):
    case = _busy_case(*team_officer, 45, contact_email="sam@example.org", contact_name="Sam")
    url = reverse("cases:track", kwargs={"token": case.tracking_token})
    first = client.get(url).text
    assert _shown(first) == [f"Message {n:03d}" for n in range(44, 24, -1)]
    assert f'href="{url}?timeline_page=2#updates" rel="next"' in first
    second = client.get(url, {"timeline_page": 2})
    assert second.status_code == 200
    assert second["X-Robots-Tag"] == "noindex, nofollow"
    assert _shown(second.text) == [f"Message {n:03d}" for n in range(24, 4, -1)]
    assert not _shown(second.text, "Note")
    assert client.get(url, {"timeline_page": "nope"}).status_code == 200
    views = Interaction.objects.filter(type=InteractionType.CASE_VIEW, case_reference=case.reference)
    assert views.count() == 2  # the first page and "nope" (the first page again), not page 2


def test_the_staff_case_page_pages_its_timeline_with_internal_notes(client, team_officer):
    team, officer = team_officer
    case = _busy_case(team, officer, 25, resident=UserFactory())
    client.force_login(officer)
    url = reverse("cases_admin:case", args=[case.pk])
    total = case.events.count()

    first = client.get(url).text
    # Newest first: each message's note came after it.
    assert _shown(first, "(?:Message|Note)")[:4] == ["Note 024", "Message 024", "Note 023", "Message 023"]
    assert len(re.findall(r'<li class="case-(?:public|internal)">', first)) == TIMELINE_PER_PAGE
    assert f"Showing entries 1 to 20 of {total}, newest first." in first
    assert f'href="{url}?timeline_page=2#timeline-heading" rel="next"' in first

    second = client.get(url, {"timeline_page": 2}).text
    assert _shown(second, "(?:Message|Note)")[:2] == ["Note 014", "Message 014"]
    assert f'href="{url}#timeline-heading" rel="prev"' in second
    assert client.get(url, {"timeline_page": "last"}).status_code == 200


def test_staff_outside_the_case_get_404_for_every_page_of_its_timeline(client, team_officer):
    case = _busy_case(*team_officer, 25, resident=UserFactory())
    stranger = officer_in(team_make("Parking", "parking@council.example"))
    client.force_login(stranger)
    url = reverse("cases_admin:case", args=[case.pk])
    for page in ("1", "2"):
        assert client.get(url, {"timeline_page": page}).status_code == 404


@pytest.mark.parametrize("page", [{}, {"timeline_page": 2}])
def test_every_timeline_costs_the_same_queries_for_3_or_60_events(client, team_officer, page):
    team, officer = team_officer
    resident = UserFactory()
    case = _busy_case(team, officer, 3, resident=resident)
    anonymous = _busy_case(team, officer, 3, contact_email="sam@example.org", contact_name="Sam")
    pages = [
        (resident, reverse("cases:detail", kwargs={"reference": case.reference})),
        (None, reverse("cases:track", kwargs={"token": anonymous.tracking_token})),
        (staff_in("Service managers"), reverse("cases_admin:case", args=[case.pk])),
    ]

    def counts() -> list[int]:
        found = []
        for who, url in pages:
            client.logout()
            if who is not None:
                client.force_login(who)
            found.append(page_queries(client, url, page))
        return found

    few = counts()
    _messages(case, officer, 57, start=3)
    _messages(anonymous, officer, 57, start=3)
    assert CaseEvent.objects.filter(case=case).count() > 120
    assert counts() == few
