"""Saved forms: My account shows the latest five with a link to all of them; the saved forms
page lists every one of the resident's own, 20 a page, most recently saved first."""

import re
from datetime import timedelta

import pytest

from django.urls import reverse
from django.utils import timezone

from forms_engine.models import Draft
from forms_engine.services import draft_create, form_version_current
from portal.views import MY_ACCOUNT_DRAFTS, SAVED_FORMS_PER_PAGE
from tests.accounts.factories import UserFactory
from tests.forms_engine.factories import form_build, question, step
from tests.query_counts import page_queries

pytestmark = pytest.mark.django_db

SAVED = reverse("saved_forms")
ACCOUNT = reverse("my_account")


@pytest.fixture
def form():
    return form_build(
        slug="report-a-pothole",
        title="Report a pothole",
        steps=[step("Where", question("text", "where", "Where is it?"))],
    )


def _drafts(form, user, count: int, start: int = 0) -> list[Draft]:
    """``count`` saved forms, draft <n> saved <n> minutes after the first (higher is newer)."""
    version = form_version_current(form=form)
    base = timezone.now() - timedelta(days=1)
    drafts = []
    for n in range(start, start + count):
        draft = draft_create(version=version, user=user)
        draft.answers = {"where": f"{n} High Street"}
        draft.save()
        Draft.objects.filter(pk=draft.pk).update(updated_at=base + timedelta(minutes=n))
        drafts.append(draft)
    return drafts


def _listed(html: str) -> list[str]:
    """The drafts linked to, by id, in the page's order."""
    return re.findall(r'href="/forms/report-a-pothole/([0-9a-f-]{36})/"', html)


def _ids(drafts) -> list[str]:
    return [str(draft.pk) for draft in drafts]


def test_my_account_shows_the_latest_five_and_links_to_all(client, form):
    resident = UserFactory()
    drafts = _drafts(form, resident, 7)
    client.force_login(resident)
    text = client.get(ACCOUNT).text
    assert _listed(text) == _ids(reversed(drafts[-MY_ACCOUNT_DRAFTS:]))
    assert f'<a class="govuk-link" href="{SAVED}">View all saved forms (7)</a>' in text


def test_my_account_lists_every_saved_form_when_there_are_five_or_fewer(client, form):
    resident = UserFactory()
    drafts = _drafts(form, resident, 5)
    client.force_login(resident)
    text = client.get(ACCOUNT).text
    assert _listed(text) == _ids(reversed(drafts))
    assert "View all saved forms" not in text


def test_the_saved_forms_page_lists_them_all_twenty_a_page(client, form):
    resident = UserFactory()
    drafts = _drafts(form, resident, 25)
    newest_first = _ids(reversed(drafts))
    client.force_login(resident)

    first = client.get(SAVED)
    assert first.status_code == 200
    assert _listed(first.text) == newest_first[:20]
    assert "Showing 1 to 20 of 25 saved forms" in first.text
    assert 'aria-label="Pages of your saved forms"' in first.text
    assert 'href="?page=2" rel="next"' in first.text
    assert "Report a pothole" in first.text

    second = client.get(SAVED, {"page": 2}).text
    assert _listed(second) == newest_first[20:]
    assert "Showing 21 to 25 of 25 saved forms" in second
    assert 'href="?page=1" rel="prev"' in second and 'rel="next"' not in second
    assert "<title>Saved forms (page 2 of 2)" in second
    assert SAVED_FORMS_PER_PAGE == 20


@pytest.mark.parametrize(("asked", "shown"), [("x", 1), ("0", 1), ("-1", 1), ("2", 2), ("3", 2), ("1e3", 1)])
def test_a_page_number_that_is_not_a_page_gives_the_first_or_last_page(client, form, asked, shown):
    resident = UserFactory()
    _drafts(form, resident, 25)
    client.force_login(resident)
    response = client.get(SAVED, {"page": asked})
    assert response.status_code == 200
    assert f'aria-label="Page {shown}" aria-current="page"' in response.text


def test_no_saved_forms_and_one_page_of_them(client, form):
    resident = UserFactory()
    client.force_login(resident)
    assert "You have no forms in progress" in client.get(SAVED).text
    _drafts(form, resident, 1)
    text = client.get(SAVED).text
    assert "1 saved form, the most recently saved first" in text
    assert "govuk-pagination" not in text


def test_only_forms_that_can_be_carried_on_are_listed(client, form):
    """A form merely opened (no answers) or one whose draft has expired is not a saved form."""
    resident = UserFactory()
    (kept,) = _drafts(form, resident, 1)
    draft_create(version=form_version_current(form=form), user=resident)  # opened, nothing answered
    (old,) = _drafts(form, resident, 1, start=1)
    Draft.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=400))
    client.force_login(resident)
    assert _listed(client.get(SAVED).text) == [str(kept.pk)]
    assert "View all saved forms" not in client.get(ACCOUNT).text


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(SAVED)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_nobody_sees_another_residents_saved_forms(client, form):
    resident, other = UserFactory(), UserFactory()
    mine = _drafts(form, resident, 21)
    theirs = _drafts(form, other, 3, start=100)
    client.force_login(resident)
    seen = _listed(client.get(SAVED).text) + _listed(client.get(SAVED, {"page": 2}).text)
    assert sorted(seen) == sorted(_ids(mine))
    assert not set(_ids(theirs)) & set(_listed(client.get(ACCOUNT).text))
    assert "View all saved forms (21)" in client.get(ACCOUNT).text
    # Their saved form's own pages are theirs alone.
    url = reverse("forms_engine:resume_draft", kwargs={"slug": form.slug, "draft": theirs[0].pk})
    assert client.get(url).status_code == 404


def test_my_account_and_the_saved_forms_page_cost_the_same_for_3_or_60_saved_forms(client, form):
    resident = UserFactory()
    _drafts(form, resident, 3)
    client.force_login(resident)
    few = [page_queries(client, ACCOUNT), page_queries(client, SAVED)]
    _drafts(form, resident, 57, start=3)
    assert [page_queries(client, ACCOUNT), page_queries(client, SAVED)] == few
    assert page_queries(client, SAVED, {"page": 3}) == few[1]
