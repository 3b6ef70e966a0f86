"""Outcome satisfaction in the browser: an officer resolves a case in the admin, the resident
rates the outcome on their case page, and a service manager sees it on Contact insights.
Every page passes axe-core."""

import re
from urllib.parse import urlencode

import pytest

from django.contrib.auth.models import Group
from django.utils import timezone

from portal.cases.constants import SatisfactionState
from portal.interactions.models import Interaction, SatisfactionComment
from portal.interactions.rollups import rollup_build_day
from portal.notifications.models import Notification
from tests.accounts.factories import StaffFactory, UserFactory
from tests.e2e.signin import sign_in
from tests.portal.cases.factories import case_make, team_make

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

QUESTION = "How satisfied are you with the outcome?"


def _sign_in(journey, user, next_path):
    journey.page.context.clear_cookies()
    journey.goto(f"/accounts/login/?{urlencode({'next': next_path})}")
    sign_in(journey, user)
    assert journey.path().startswith(next_path.split("?")[0]), journey.path()
    journey.check()


def _staff(group, name):
    user = StaffFactory(full_name=name)
    user.groups.add(Group.objects.get(name=group))
    return user


def test_resolve_a_case_the_resident_rates_it_and_the_dashboard_shows_it(journey):
    team = team_make("Waste", "waste@council.example")
    officer = _staff("Case officers", "Olu Officer")
    team.members.add(officer)
    manager = _staff("Service managers", "Mo Manager")
    resident = UserFactory(full_name="Rae Resident")
    case = case_make(resident=resident, team=team, status="in_progress", service_code=524)
    page = journey.page

    # The officer resolves the case in the admin.
    _sign_in(journey, officer, f"/admin/cases/{case.pk}/")
    page.locator("#status-form").get_by_label("Resolved", exact=True).check()
    page.locator("#status-form textarea[name=message]").fill("We collected the bin on Tuesday.")
    journey.click_and_check(page.locator("#status-form").get_by_role("button", name="Change status"))
    case.refresh_from_db()
    assert case.status == "resolved"
    email = Notification.objects.filter(case=case).latest("created_at")
    link = re.search(r"https?://\S+/my-account/cases/\S+/satisfaction/", email.body_text)
    assert QUESTION in email.body_text and link, email.body_text

    # The resident sees the question on their case page; answering nothing explains what to do.
    _sign_in(journey, resident, f"/my-account/cases/{case.reference}/")
    assert page.get_by_role("group", name=QUESTION).is_visible()
    page.get_by_label("Tell us more (optional)").fill("Quick, thank you.")
    journey.click_and_check(page.get_by_role("button", name="Send your answer"))
    assert page.title().startswith("Error:")
    assert page.get_by_role("link", name="Select how satisfied you are with the outcome").is_visible()
    assert page.get_by_label("Tell us more (optional)").input_value() == "Quick, thank you."
    page.get_by_label("Very satisfied").check()
    journey.click_and_check(page.get_by_role("button", name="Send your answer"))
    assert journey.path() == f"/my-account/cases/{case.reference}/"
    assert page.get_by_text("Thank you for telling us how satisfied you are with the outcome").is_visible()
    assert not page.get_by_text(QUESTION).count()

    answer = Interaction.objects.get(type="satisfaction")
    assert (answer.channel, answer.service_code, answer.extras) == ("web", 524, {"score": 5})
    assert SatisfactionComment.objects.get().comment == "Quick, thank you."
    case.refresh_from_db()
    assert case.satisfaction_state == SatisfactionState.ANSWERED

    # The email's link, followed later, no longer asks.
    journey.goto(re.sub(r"^https?://[^/]+", "", link.group(0)))
    assert journey.path() == f"/my-account/cases/{case.reference}/"
    assert page.get_by_text("You have already told us about the outcome of this request").is_visible()

    # The scheduled job rebuilds the rollups; the service manager reads the figures.
    today = timezone.localdate()
    rollup_build_day(day=today)
    _sign_in(journey, manager, "/admin/contact-insights/")
    journey.goto(f"/admin/contact-insights/?start={today}&end={today}&service=524")
    section = page.locator("h2#satisfaction")
    assert section.is_visible()
    assert page.locator(".ci-card", has_text="Satisfied with the outcome").inner_text().count("100.0%")
    table = page.get_by_role("table", name=re.compile(re.escape(f"Answers to “{QUESTION}”")))
    assert table.get_by_role("row", name=re.compile(r"^Very satisfied 1 100\.0%")).is_visible()
    assert table.get_by_role("row", name=re.compile(r"Net satisfaction.*\+100\.0")).is_visible()
    assert page.get_by_text("Quick, thank you.").is_visible()

    journey.goto(f"/admin/contact-insights/?start={today}&end={today}")
    assert page.get_by_role("table", name=re.compile("Satisfaction with the outcome by service")).is_visible()
