"""Reports > What to fix: failed search terms and "not useful" comments, their CSV and actions."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from django.test import Client
from django.utils import timezone

from wagtail.contrib.search_promotions.models import SearchPromotion
from wagtail.models import PageLogEntry

from cms.models import FeedbackHandled, ServicePage
from portal.interactions.constants import InteractionType, Outcome
from portal.interactions.models import Interaction
from tests.accounts.factories import UserFactory, staff_in
from tests.cms.factories import BROWSER

pytestmark = pytest.mark.django_db

URL = "/admin/reports/what-to-fix/"
ADD_TERM = "/admin/reports/what-to-fix/add-search-term/"
T = InteractionType


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in March 2026 (GMT: London time is UTC)."""
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def _search(query, at, *, visitor="", session="", found=False):
    return Interaction.objects.create(
        type=T.SEARCH,
        occurred_at=at,
        path="/search/",
        visitor_key=visitor,
        session_key=session,
        outcome=Outcome.RESULTS if found else Outcome.NO_RESULTS,
        extras={"query": query, "count": 3 if found else 0},
    )


def _view(path, at, *, visitor="", session="", status=200):
    return Interaction.objects.create(
        type=T.PAGE_VIEW,
        occurred_at=at,
        path=path,
        visitor_key=visitor,
        session_key=session,
        status_code=status,
    )


def _answer(page, at, *, useful, reason="", comment=""):
    extras = {"page_id": page.pk}
    if comment:
        extras["comment"] = comment
    return Interaction.objects.create(
        type=T.PAGE_FEEDBACK,
        occurred_at=at,
        path=page.get_url(),
        outcome=Outcome.USEFUL if useful else Outcome.NOT_USEFUL,
        reason_code=reason,
        extras=extras,
    )


@pytest.fixture
def editor(client):
    user = staff_in("Editors")
    client.force_login(user)
    return user


@pytest.fixture
def searches():
    """skip hire: 3 (two went to the bulky waste page next); council tax band: 2; "=cmd": 1."""
    _search("skip hire", _at(10, 10), visitor="A")
    _view("/search/", _at(10, 10, 0), visitor="A")  # the results page itself: not "next"
    _view("/missing/", _at(10, 10, 1), visitor="A", status=404)  # an error page: not "next"
    _view("/bins/bulky-waste/", _at(10, 10, 5), visitor="A")
    _view("/contact/", _at(10, 10, 6), visitor="A")  # the second page after: not "next"
    _search("Skip  HIRE", _at(11, 9), visitor="B")
    _view("/bins/bulky-waste/", _at(11, 9, 20), visitor="B")
    _search("skip hire", _at(12, 8), visitor="C")
    _view("/contact/", _at(12, 8, 45), visitor="C")  # 45 minutes later: too late
    _view("/contact/", _at(12, 7, 59), visitor="C")  # before the search
    _search("council tax band", _at(13, 12), visitor="D", session="s1")
    _view("/contact/", _at(13, 12, 2), visitor="E", session="s1")  # same session, new visitor key
    _search("council tax band", _at(14, 12), visitor="F")
    _view("/contact/", _at(14, 12, 3), visitor="G")  # someone else
    _search("=cmd", _at(14, 13))
    _search("bins", _at(14, 14), visitor="A", found=True)  # found something: not failed


def _rows(response):
    return [(r.query, r.count, r.next_path, r.next_count) for r in response.context["searches"]]


def test_failed_searches_grouped_counted_and_ordered_with_the_next_page(client, editor, searches):
    response = client.get(URL, {"start": "2026-03-01", "end": "2026-03-31"})
    assert response.status_code == 200
    assert _rows(response) == [
        ("skip hire", 3, "/bins/bulky-waste/", 2),
        ("council tax band", 2, "/contact/", 1),
        ("=cmd", 1, "", 0),
    ]
    html = response.text
    assert "<caption>Searches with no results, most frequent first</caption>" in html
    assert "/bins/bulky-waste/</a> (2 of 3)" in html


def test_ties_go_to_the_most_recent_search(client, editor):
    _search("older", _at(10, 10))
    _search("newer", _at(11, 10))
    response = client.get(URL, {"start": "2026-03-01", "end": "2026-03-31"})
    assert [r[0] for r in _rows(response)] == ["newer", "older"]


def test_the_period_is_whole_london_days_end_included(client, editor):
    # British Summer Time: London is UTC+1 from 29 March 2026.
    _search("before", datetime(2026, 6, 14, 22, 59, tzinfo=UTC))  # 23:59 on 14 June in London
    _search("first minute", datetime(2026, 6, 14, 23, 0, tzinfo=UTC))  # 00:00 on 15 June
    _search("last minute", datetime(2026, 6, 15, 22, 59, tzinfo=UTC))  # 23:59 on 15 June
    _search("after", datetime(2026, 6, 15, 23, 0, tzinfo=UTC))  # 00:00 on 16 June
    response = client.get(URL, {"start": "2026-06-15", "end": "2026-06-15"})
    assert sorted(r[0] for r in _rows(response)) == ["first minute", "last minute"]


def test_the_default_period_is_the_last_30_days(client, editor):
    now = timezone.now()
    _search("recent", now - timedelta(days=2))
    _search("long ago", now - timedelta(days=40))
    response = client.get(URL)
    assert [r[0] for r in _rows(response)] == ["recent"]
    today = timezone.localdate()
    form = response.context["form"]
    assert (form.cleaned_data["start"], form.cleaned_data["end"]) == (today - timedelta(days=29), today)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"start": "2026-13-01", "end": "2026-03-31"},
            "Enter the start date as a real date, like 2026-03-01",
        ),
        ({"start": "2026-03-01", "end": "31st"}, "Enter the end date as a real date, like 2026-03-31"),
        (
            {"start": "2026-03-31", "end": "2026-03-01"},
            "The start date must be the same as or before the end date",
        ),
        ({"start": "2024-01-01", "end": "2026-03-01"}, "The period can be at most 366 days"),
    ],
)
def test_bad_dates_are_explained_and_kept(client, editor, searches, params, message):
    response = client.get(URL, params)
    assert response.status_code == 200
    html = response.text
    assert "There is a problem" in html and message in html
    assert f'value="{params["start"]}"' in html  # what was typed is kept
    assert "searches" not in response.context  # no figures for a period that is not one
    assert "<title>Error: " in html


def test_failed_searches_csv(client, editor, searches):
    response = client.get(URL, {"start": "2026-03-01", "end": "2026-03-31", "export": "searches"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="failed-searches-2026-03-01-to-2026-03-31.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["Search term", "Searches", "Last searched", "Page most went to next", "Went there"]
    assert [r[0:2] + r[3:] for r in rows[1:]] == [
        ["skip hire", "3", "/bins/bulky-waste/", "2"],
        ["council tax band", "2", "/contact/", "1"],
        ["'=cmd", "1", "", "0"],  # a formula is neutralised
    ]
    assert rows[1][2] == "2026-03-12 08:00"  # UK time


def test_adding_a_term_publishes_the_keyword_and_the_search_then_finds_the_page(client, site):
    moderator = staff_in("Moderators")
    client.force_login(moderator)
    client.get("/search/", {"q": "skip hire"}, **BROWSER)
    assert Interaction.objects.filter(type=T.SEARCH).get().outcome == Outcome.NO_RESULTS
    form = client.get(ADD_TERM, {"query": "skip hire", "next": URL})
    assert form.status_code == 200
    assert 'value="skip hire"' in form.text
    assert "Book a bulky waste collection (/bins/bulky-waste)" in form.text
    assert "Bins draft service" not in form.text  # not live
    response = client.post(ADD_TERM, {"query": "skip hire", "page": site.bulky.pk, "next": URL})
    assert response.status_code == 302 and response["Location"] == URL
    page = ServicePage.objects.get(pk=site.bulky.pk)
    assert page.keywords == "sofa, fridge, mattress, skip hire"
    assert not page.has_unpublished_changes
    assert PageLogEntry.objects.filter(page=page, action="cms.search_term_added").exists()
    Client().get("/search/", {"q": "skip hire"}, **BROWSER)
    new = Interaction.objects.filter(type=T.SEARCH).latest("pk")
    assert (new.outcome, new.service_code) == (Outcome.RESULTS, 528)
    after = client.get(
        URL, {"start": timezone.localdate().isoformat(), "end": timezone.localdate().isoformat()}
    )
    assert [(r.query, r.count) for r in after.context["searches"]] == [
        ("skip hire", 1)
    ]  # only the old search


def test_an_editor_who_cannot_publish_adds_a_promotion(client, site, editor):
    response = client.post(ADD_TERM, {"query": "Skip Hire", "page": site.bulky.pk})
    assert response.status_code == 302
    assert ServicePage.objects.get(pk=site.bulky.pk).keywords == "sofa, fridge, mattress"
    (promotion,) = SearchPromotion.objects.all()
    assert (promotion.query.query_string, promotion.page_id) == ("skip hire", site.bulky.pk)
    Client().get("/search/", {"q": "skip hire"}, **BROWSER)
    new = Interaction.objects.get(type=T.SEARCH)
    assert (new.outcome, new.service_code) == (Outcome.RESULTS, 528)


def test_adding_a_term_needs_a_page(client, site, editor):
    response = client.post(ADD_TERM, {"query": "skip hire", "page": ""})
    assert response.status_code == 200
    assert "Choose the service page this search should find" in response.text
    assert 'value="skip hire"' in response.text
    response = client.post(ADD_TERM, {"query": "skip hire", "page": site.draft.pk})
    assert "Choose one of the pages listed" in response.text
    assert not SearchPromotion.objects.exists()


@pytest.fixture
def answers(site):
    """Missed bin: 3 yes, 1 no (with a comment). Bulky waste: 0 yes, 2 no (one reason only, one bare)."""
    for day in (10, 11, 12):
        _answer(site.missed_bin, _at(day, 9), useful=True)
    _answer(
        site.missed_bin, _at(12, 10), useful=False, reason="out_of_date", comment="Collection day is wrong"
    )
    _answer(site.bulky, _at(13, 9), useful=False, reason="not_found")
    _answer(site.bulky, _at(13, 10), useful=False)
    _answer(site.bulky, _at(1, 9), useful=True)  # 1 March: outside the period below
    return site


def test_usefulness_and_comments_per_page(client, editor, answers):
    response = client.get(URL, {"start": "2026-03-02", "end": "2026-03-31"})
    rows = [
        (s.title, s.useful, s.not_useful, s.usefulness, [(c.reason, c.comment) for c in s.comments])
        for s in response.context["feedback"]
    ]
    assert rows == [
        (
            "Book a bulky waste collection",
            0,
            2,
            "0.0% (0 of 2)",
            [("I could not find the information I needed", "")],
        ),
        (
            "Report a missed bin",
            3,
            1,
            "75.0% (3 of 4)",
            [("The information was wrong or out of date", "Collection day is wrong")],
        ),
    ]
    assert "75.0% (3 of 4)" in response.text and "Collection day is wrong" in response.text


def test_marking_a_comment_handled_hides_it_unless_asked(client, editor, answers):
    comment = Interaction.objects.get(reason_code="out_of_date")
    here = f"{URL}?start=2026-03-02&end=2026-03-31"
    response = client.post(f"{URL}handled/{comment.pk}/", {"next": here})
    assert response.status_code == 302 and response["Location"] == here
    handled = FeedbackHandled.objects.get()
    assert (handled.interaction_id, handled.handled_by) == (comment.pk, editor)
    assert PageLogEntry.objects.filter(page=answers.missed_bin, action="cms.feedback_handled").exists()
    page = client.get(URL, {"start": "2026-03-02", "end": "2026-03-31"})
    assert "Collection day is wrong" not in page.text
    assert "75.0% (3 of 4)" in page.text  # the answer still counts
    shown = client.get(URL, {"start": "2026-03-02", "end": "2026-03-31", "show_handled": "on"})
    assert "Collection day is wrong" in shown.text and "<strong>Handled</strong>" in shown.text
    client.post(f"{URL}handled/{comment.pk}/")  # twice: still one mark
    assert FeedbackHandled.objects.count() == 1


def test_only_not_useful_answers_can_be_marked(client, editor, answers):
    useful = Interaction.objects.filter(outcome=Outcome.USEFUL).first()
    assert client.post(f"{URL}handled/{useful.pk}/").status_code == 404
    assert client.get(f"{URL}handled/{useful.pk}/").status_code == 405


def test_marking_handled_needs_the_csrf_token(editor, answers):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(editor)
    comment = Interaction.objects.get(reason_code="out_of_date")
    assert browser.post(f"{URL}handled/{comment.pk}/").status_code == 403
    assert not FeedbackHandled.objects.exists()


def test_comments_csv(client, editor, answers):
    response = client.get(URL, {"start": "2026-03-02", "end": "2026-03-31", "export": "comments"})
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:5] == ["Page", "Address", "Useful", "Not useful", "Usefulness"]
    assert [r[0] for r in rows[1:]] == ["Book a bulky waste collection", "Report a missed bin"]
    assert rows[2][2:5] == ["3", "1", "75.0% (3 of 4)"]
    assert rows[2][6:] == ["The information was wrong or out of date", "Collection day is wrong", "No"]


def test_residents_are_sent_to_sign_in(client, site):
    client.force_login(UserFactory())
    for response in (client.get(URL), client.get(ADD_TERM), client.post(f"{URL}handled/1/")):
        assert response.status_code == 302
        assert "/login/" in response["Location"]


def test_staff_who_cannot_edit_pages_are_turned_away(client, answers):
    officer = staff_in("Case officers")
    client.force_login(officer)
    comment = Interaction.objects.get(reason_code="out_of_date")
    for response in (
        client.get(URL),
        client.get(ADD_TERM),
        client.post(ADD_TERM, {"query": "x", "page": answers.bulky.pk}),
        client.post(f"{URL}handled/{comment.pk}/"),
    ):
        assert response.status_code == 302 and response["Location"] == "/admin/"
    assert not FeedbackHandled.objects.exists()
    assert not SearchPromotion.objects.exists()
    assert "What to fix" not in client.get("/admin/").text


def test_editors_find_it_in_the_reports_menu(client, editor):
    response = client.get("/admin/")
    assert URL in response.text


def test_a_residents_own_page_is_never_shown_as_the_next_page(client, editor):
    # a tracking link reads and answers an anonymous resident's case: editors must never see one
    _search("my report", _at(10, 10), visitor="A")
    _view("/track/SECRET-TOKEN/", _at(10, 10, 1), visitor="A")
    _search("my report", _at(11, 10), visitor="B")
    _view("/my-account/cases/", _at(11, 10, 1), visitor="B")
    _search("my report", _at(12, 10), visitor="C")
    _view("/bins/", _at(12, 10, 1), visitor="C")
    response = client.get(URL, {"start": "2026-03-01", "end": "2026-03-31"})
    assert _rows(response) == [("my report", 3, "/bins/", 1)]
    assert "SECRET-TOKEN" not in response.text
    csv = client.get(URL, {"start": "2026-03-01", "end": "2026-03-31", "export": "searches"})
    assert "my report" in csv.content.decode() and "SECRET-TOKEN" not in csv.content.decode()
