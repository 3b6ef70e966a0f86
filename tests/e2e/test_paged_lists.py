"""Long lists in the browser, a page at a time, with axe-core on every page: a resident with many
requests and saved forms pages through them and back through a long timeline; an officer
pages back through the staff timeline. Every link is a plain link: no JavaScript needed."""

from datetime import timedelta
from urllib.parse import urlencode

import pytest

from django.utils import timezone

from forms_engine.models import Draft
from forms_engine.services import draft_create, form_version_current
from portal.cases.models import Case
from portal.cases.services import case_note_add, case_officer_message
from tests.accounts.factories import UserFactory
from tests.e2e.signin import sign_in
from tests.forms_engine.factories import form_build, question, step
from tests.portal.cases.factories import case_make, officer_in, team_make

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _sign_in(journey, user, next_path):
    journey.page.context.clear_cookies()
    journey.goto(f"/accounts/login/?{urlencode({'next': next_path})}")
    sign_in(journey, user)
    assert journey.path().startswith(next_path.split("?")[0]), journey.path()
    journey.check()


def _click(journey, role, name):
    journey.click_and_check(journey.page.get_by_role(role, name=name).first)


def test_a_resident_and_an_officer_page_through_long_lists(journey):
    page = journey.page
    team = team_make("Waste", "waste@council.example")
    officer = officer_in(team, full_name="Olu Officer")
    resident = UserFactory(full_name="Rae Resident")
    base = timezone.now() - timedelta(days=10)
    for n in range(24):
        case = case_make(resident=resident, team=team, status="in_progress", title=f"Request {n:02d}")
        Case.objects.filter(pk=case.pk).update(last_public_event_at=base + timedelta(minutes=n))
    busy = case_make(resident=resident, team=team, status="in_progress", title="A busy request")
    for n in range(25):
        case_officer_message(case=busy, actor=officer, message=f"Message {n:02d}")
        case_note_add(case=busy, actor=officer, message=f"Note {n:02d}")
    form = form_build(
        slug="report-graffiti",
        title="Report graffiti",
        steps=[step("Where", question("text", "where", "Where?"))],
    )
    for n in range(7):
        draft = draft_create(version=form_version_current(form=form), user=resident)
        Draft.objects.filter(pk=draft.pk).update(answers={"where": f"{n} Market Square"})

    # My account: the latest saved forms, and all of them on their own page.
    _sign_in(journey, resident, "/my-account/")
    _click(journey, "link", "View all saved forms (7)")
    assert journey.path() == "/my-account/saved-forms/"
    assert page.get_by_text("7 saved forms, the most recently saved first").is_visible()
    assert page.get_by_role("link", name="Report graffiti").count() == 7

    # Your requests: 25, so two pages; the second through the pagination's "Next".
    journey.goto("/my-account/cases/")
    assert page.get_by_text("Showing 1 to 20 of 25 requests").is_visible()
    assert page.get_by_role("link", name="A busy request").is_visible()  # the newest activity
    _click(journey, "link", "Next page")
    assert journey.path() == "/my-account/cases/?page=2"
    assert page.get_by_text("Showing 21 to 25 of 25 requests").is_visible()
    assert page.get_by_role("link", name="Request 00").is_visible()
    assert page.locator("[aria-current=page]").inner_text() == "2"

    # A long timeline: the newest 20 updates, then older ones at the timeline's heading.
    journey.goto(f"/my-account/cases/{busy.reference}/")
    assert page.get_by_text("Message 24").is_visible()
    assert page.get_by_text("Message 04").count() == 0
    _click(journey, "link", "Show older updates")
    assert journey.path() == f"/my-account/cases/{busy.reference}/?timeline_page=2#updates"
    assert page.get_by_text("Message 04").is_visible()
    assert page.get_by_text("Message 24").count() == 0
    _click(journey, "link", "Show newer updates")
    assert page.get_by_text("Message 24").is_visible()

    # The officer pages back through the full timeline, internal notes included.
    _sign_in(journey, officer, f"/admin/cases/{busy.pk}/")
    assert page.get_by_text("Note 24").is_visible()
    _click(journey, "link", "Show older entries")
    assert journey.path() == f"/admin/cases/{busy.pk}/?timeline_page=2#timeline-heading"
    assert page.get_by_text("Note 14").is_visible()
    assert page.get_by_text("Note 24").count() == 0
