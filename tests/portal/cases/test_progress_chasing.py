"""A resident looking again at an open case with nothing new is flagged, and counted in the
measures as likely progress chasing."""

from datetime import timedelta

import pytest

from django.urls import reverse
from django.utils import timezone

from portal.cases.models import Case
from portal.cases.services import case_officer_message
from portal.insights.measures import measures_for
from portal.interactions.models import Interaction
from portal.interactions.rollups import rollup_build_day
from tests.accounts.factories import UserFactory
from tests.portal.cases.factories import case_make, officer_in, team_make

pytestmark = pytest.mark.django_db


def _view(client, case):
    assert client.get(reverse("cases:detail", kwargs={"reference": case.reference})).status_code == 200
    return Interaction.objects.filter(type="case_view").latest("id")


def _look_earlier(case, hours=2):
    """As if the resident's last look, and the last update before it, were hours ago."""
    now = timezone.now()
    Case.objects.filter(pk=case.pk).update(
        resident_seen_at=now - timedelta(hours=hours), last_public_event_at=now - timedelta(hours=hours + 1)
    )


def test_repeat_views_without_news_are_flagged_and_counted():
    from django.test import Client

    client = Client()
    team = team_make()
    officer = officer_in(team)
    resident = UserFactory()
    case = case_make(resident=resident, team=team, status="in_progress")
    client.force_login(resident)

    assert _view(client, case).outcome == "updated"
    assert _view(client, case).outcome == "reload"  # a reload straight away is not chasing
    _look_earlier(case)
    chasing = _view(client, case)
    assert chasing.outcome == "no_change"
    assert chasing.extras == {"progress_chasing": True}

    _look_earlier(case)
    case_officer_message(case=case, actor=officer, message="Crew booked")
    assert _view(client, case).outcome == "updated"

    rollup_build_day(day=timezone.localdate())
    today = timezone.localdate()
    measures = measures_for(start=today, end=today, service_code=case.service_code)
    assert measures.case_views == 4
    assert measures.progress_chasing_views == 1
    assert measures.progress_chasing_percent == 25.0

    # Service managers see it among the failure signals on Contact insights.
    from tests.portal.cases.factories import staff_in

    client.force_login(staff_in("Service managers"))
    page = client.get("/admin/contact-insights/", {"start": today, "end": today}).content.decode()
    assert "Case views that look like progress chasing" in page
    assert "25.0%" in page


def test_views_of_a_closed_case_are_not_chasing(client):
    resident = UserFactory()
    case = case_make(resident=resident, status="resolved")
    client.force_login(resident)
    _view(client, case)
    _look_earlier(case)
    assert _view(client, case).outcome == "reload"
