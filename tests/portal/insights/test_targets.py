"""Targets for the contact measures: red, amber and green in words, and who may set them."""

import html
import re
from datetime import date, datetime, time
from decimal import Decimal

import pytest

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.utils import timezone

from portal.insights.admin_views import MeasureTargetForm
from portal.insights.figures import Figure
from portal.insights.models import MeasureTarget
from portal.insights.targets import change_text, previous_period, rag, targets_for
from portal.interactions.constants import Channel
from portal.interactions.models import LgslService
from portal.interactions.rollups import rollup_build_day
from portal.interactions.services import assisted_contact_record
from tests.accounts.factories import StaffFactory

pytestmark = pytest.mark.django_db

WASTE, POTHOLES = 524, 557
DASHBOARD = "/admin/contact-insights/"
TARGETS = "/admin/contact-insights/targets/"


def text(response) -> str:
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body)))


def pct(value) -> Figure:
    return Figure("A figure", value, 1, 1)


def target(measure="avoidable", value="20", margin="5", service=None) -> MeasureTarget:
    return MeasureTarget.objects.create(
        measure=measure, target=Decimal(value), amber_margin=Decimal(margin), service_id=service
    )


def staff_in(group: str):
    user = StaffFactory()
    user.groups.add(Group.objects.get(name=group))
    return user


# RAG, lower is better (avoidable contact below 20%, margin 5 points)


@pytest.mark.parametrize(
    ("value", "level", "words"),
    [
        (0.0, "green", "On target: 0.0% against a target of 20.0% or less"),
        (19.9, "green", "On target: 19.9% against a target of 20.0% or less"),
        (20.0, "green", "On target: 20.0% against a target of 20.0% or less"),
        (
            20.1,
            "amber",
            "Near target: 20.1% against a target of 20.0% or less (within the 5.0 percentage points margin)",
        ),
        (
            25.0,
            "amber",
            "Near target: 25.0% against a target of 20.0% or less (within the 5.0 percentage points margin)",
        ),
        (25.1, "red", "Off target: 25.1% against a target of 20.0% or less"),
        (100.0, "red", "Off target: 100.0% against a target of 20.0% or less"),
    ],
)
def test_lower_is_better_at_the_boundaries(value, level, words):
    status = rag(pct(value), target("avoidable"))
    assert (status.level, status.text) == (level, words)


# Higher is better (digital take-up above 60%, margin 2.5 points)


@pytest.mark.parametrize(
    ("value", "level"),
    [(100.0, "green"), (60.0, "green"), (59.9, "amber"), (57.5, "amber"), (57.4, "red"), (0.0, "red")],
)
def test_higher_is_better_at_the_boundaries(value, level):
    status = rag(pct(value), target("digital", "60", "2.5"))
    assert status.level == level
    assert "60.0% or more" in status.text


def test_a_zero_margin_has_no_amber():
    t = target("fcr", "80", "0")
    assert rag(pct(80.0), t).level == "green"
    assert rag(pct(79.9), t).level == "red"


def test_net_satisfaction_is_in_points_and_higher_is_better():
    t = target("net_satisfaction", "40", "10")
    figure = Figure("Net satisfaction", 35.0, unit="points")
    status = rag(figure, t)
    assert status.level == "amber"
    assert (
        status.text == "Near target: +35.0 against a target of +40.0 or more (within the 10.0 points margin)"
    )
    assert (
        rag(Figure("Net satisfaction", -10.0, unit="points"), t).text
        == "Off target: -10.0 against a target of +40.0 or more"
    )


def test_average_cost_is_in_pence_shown_as_pounds_and_lower_is_better():
    t = target("average_cost", "250", "25")  # £2.50, margin £0.25
    assert (
        rag(Figure("Average cost", 250.0, unit="GBP"), t).text
        == "On target: £2.50 against a target of £2.50 or less"
    )
    assert rag(Figure("Average cost", 275.0, unit="GBP"), t).level == "amber"
    assert rag(Figure("Average cost", 275.1, unit="GBP"), t).level == "red"


def test_no_data_has_no_status():
    status = rag(pct(None), target())
    assert status.level is None
    assert status.text == "No data, so no status against a target of 20.0% or less"


def test_a_service_target_overrides_the_overall_one_for_that_service_only():
    overall = target("avoidable", "20")
    waste = target("avoidable", "10", service=WASTE)
    target("repeat", "5")
    assert targets_for(None) == {"avoidable": overall, "repeat": targets_for(None)["repeat"]}
    assert targets_for(WASTE)["avoidable"] == waste
    assert targets_for(WASTE)["repeat"].service_id is None  # no own target: the overall one
    assert targets_for(POTHOLES)["avoidable"] == overall


def test_trend_words():
    assert previous_period(date(2026, 3, 1), date(2026, 3, 30)) == (date(2026, 1, 30), date(2026, 2, 28))
    assert (
        change_text(pct(25.0), pct(22.5), "previous 30 days") == "up 2.5 points from 22.5% (previous 30 days)"
    )
    assert (
        change_text(pct(20.0), pct(22.5), "previous 30 days")
        == "down 2.5 points from 22.5% (previous 30 days)"
    )
    assert change_text(pct(20.0), pct(20.0), "previous 7 days") == "no change from 20.0% (previous 7 days)"
    assert change_text(pct(20.0), pct(None), "previous 7 days") == "No data for the previous 7 days"


# Validation


def form(**data) -> MeasureTargetForm:
    return MeasureTargetForm(
        {"measure": "avoidable", "service": "", "target": "20", "amber_margin": "5", **data}
    )


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"target": "101"}, "target", "A percentage target must be between 0 and 100"),
        ({"target": "-1"}, "target", "A percentage target must be between 0 and 100"),
        (
            {"measure": "net_satisfaction", "target": "-101"},
            "target",
            "A net satisfaction target must be between −100 and +100",
        ),
        (
            {"measure": "average_cost", "target": "-0.01"},
            "target",
            "An average cost target must be £0 or more",
        ),
        ({"target": ""}, "target", "Enter a target"),
        ({"target": "twenty"}, "target", "Enter the target as a number, such as 20"),
        ({"amber_margin": "-1"}, "amber_margin", "The amber margin must be 0 or more"),
        ({"measure": ""}, "measure", "Choose a measure"),
        ({"service": "999999"}, "service", "Choose a service from the list"),
    ],
)
def test_clear_validation_errors(data, field, message):
    f = form(**data)
    assert not f.is_valid()
    assert message in f.errors[field]


def test_net_satisfaction_may_be_negative_and_cost_is_typed_in_pounds():
    assert form(measure="net_satisfaction", target="-20").is_valid()
    f = form(measure="average_cost", target="2.50", amber_margin="0.25")
    assert f.is_valid(), f.errors
    saved = f.save()
    assert (saved.target, saved.amber_margin) == (Decimal("250.00"), Decimal("25.00"))
    edit = MeasureTargetForm(instance=saved)
    assert (edit.initial["target"], edit.initial["amber_margin"]) == (Decimal("2.5"), Decimal("0.25"))


def test_one_target_per_measure_and_service():
    target("avoidable", "20")
    target("avoidable", "10", service=WASTE)
    f = form()
    assert not f.is_valid()
    assert "There is already a target for this measure for all services: change that one instead" in str(
        f.errors
    )
    f = form(service=str(WASTE))
    assert not f.is_valid()
    assert "This service already has a target for this measure: change that one instead" in str(f.errors)
    assert form(service=str(POTHOLES)).is_valid()


def test_the_model_validates_too():
    with pytest.raises(ValidationError):
        MeasureTarget(measure="fcr", target=Decimal("150")).full_clean()


# The admin and the dashboard


def test_a_service_manager_sets_a_target_in_the_admin(client):
    client.force_login(staff_in("Service managers"))
    assert client.get(TARGETS).status_code == 200
    response = client.post(
        TARGETS + "new/", {"measure": "avoidable", "service": "", "target": "150", "amber_margin": "5"}
    )
    assert response.status_code == 200
    assert "A percentage target must be between 0 and 100" in text(response)
    assert 'value="150"' in response.content.decode()  # what was typed is kept
    response = client.post(
        TARGETS + "new/", {"measure": "avoidable", "service": str(WASTE), "target": "20", "amber_margin": "5"}
    )
    assert response.status_code == 302
    saved = MeasureTarget.objects.get()
    assert (saved.measure, saved.service_id, saved.target) == ("avoidable", WASTE, Decimal("20"))
    listing = text(client.get(TARGETS))
    assert "20.0% or less" in listing
    # The menu item, in the sidebar's data (the sidebar is drawn by script).
    assert "contact-measure-targets" in client.get("/admin/").content.decode()


@pytest.mark.parametrize("group", ["Case officers", "Editors", "Finance"])
def test_without_the_permission_the_target_admin_403s(client, group):
    t = target()
    client.force_login(staff_in(group))
    for url in (TARGETS, TARGETS + "new/", f"{TARGETS}edit/{t.pk}/", f"{TARGETS}delete/{t.pk}/"):
        assert client.get(url).status_code == 403, url
    response = client.post(TARGETS + "new/", {"measure": "repeat", "target": "5", "amber_margin": "1"})
    assert response.status_code == 403
    assert MeasureTarget.objects.count() == 1
    assert "contact-measure-targets" not in client.get("/admin/").content.decode()


def test_the_permission_belongs_to_service_managers():
    manager = staff_in("Service managers")
    assert manager.has_perm("insights.set_measure_targets")
    assert not staff_in("Moderators").has_perm("insights.set_measure_targets")


def _contacts(day: date, avoidable: int, total: int, service=WASTE):
    officer = staff_in("Case officers")
    when = timezone.make_aware(datetime.combine(day, time(12)))
    for n in range(total):
        assisted_contact_record(
            staff=officer,
            channel=Channel.PHONE,
            service_code=service,
            reason_code="enquiry",
            avoidable=n < avoidable,
            avoidable_category="progress_chasing" if n < avoidable else "",
            resolved_first_contact=True,
            occurred_at=when,
        )
    rollup_build_day(day=day)


def test_the_dashboard_shows_status_in_words_and_the_trend(client):
    # 10 March: 1 of 4 avoidable (25.0%); 9 March, the previous day: 1 of 5 (20.0%).
    _contacts(date(2026, 3, 10), 1, 4)
    _contacts(date(2026, 3, 9), 1, 5)
    target("avoidable", "20", "5")
    target("avoidable", "30", "5", service=WASTE)
    client.force_login(staff_in("Service managers"))

    page = text(client.get(DASHBOARD, {"start": "2026-03-10", "end": "2026-03-10"}))
    assert (
        "Near target: 25.0% against a target of 20.0% or less (within the 5.0 percentage points margin)"
        in page
    )
    assert "Trend: up 5.0 points from 20.0% (previous 1 day)" in page

    page = text(client.get(DASHBOARD, {"start": "2026-03-10", "end": "2026-03-10", "service": WASTE}))
    assert "On target: 25.0% against a target of 30.0% or less" in page
    assert "Near target" not in page
    assert LgslService.objects.filter(code=WASTE).exists()
