from datetime import timedelta
from io import StringIO

import pytest

from django.core.management import CommandError, call_command
from django.utils import timezone

from portal.interactions.constants import Channel, InteractionType
from portal.interactions.models import DailyRollup, Interaction
from portal.interactions.rollups import rollup_build_day
from portal.interactions.services import interaction_record
from portal.interactions.tasks import build_rollups, purge_interactions

pytestmark = pytest.mark.django_db


def _rows():
    return sorted(
        DailyRollup.objects.values_list("date", "service_code", "channel", "metric", "key", "value")
    )


def test_daily_job_rebuilds_recent_days_idempotently_and_purges_old_events():
    now = timezone.now()
    interaction_record(type=InteractionType.PAGE_VIEW, service_code=524, occurred_at=now)
    interaction_record(
        type=InteractionType.ASSISTED_CONTACT,
        channel=Channel.PHONE,
        service_code=524,
        avoidable=True,
        avoidable_category="progress_chasing",
        occurred_at=now - timedelta(days=3),
    )
    interaction_record(type=InteractionType.PAGE_VIEW, occurred_at=now - timedelta(days=500))
    out = StringIO()
    call_command("interactions_daily", stdout=out)
    assert "Raw events purged: 1" in out.getvalue()
    first = _rows()
    today = timezone.localdate()
    assert (today, 524, "web", "page_views", "", 1) in first
    assert (today - timedelta(days=3), 524, "phone", "avoidable_contacts", "progress_chasing", 1) in first
    call_command("interactions_daily", stdout=StringIO())
    assert _rows() == first
    assert Interaction.objects.count() == 2


def test_daily_job_rebuilds_a_chosen_range():
    day = timezone.localdate() - timedelta(days=40)
    interaction_record(
        type=InteractionType.SEARCH,
        outcome="no_results",
        service_code=557,
        occurred_at=timezone.now() - timedelta(days=40),
    )
    call_command(
        "interactions_daily",
        "--from",
        day.isoformat(),
        "--to",
        day.isoformat(),
        "--no-purge",
        stdout=StringIO(),
    )
    assert DailyRollup.objects.get(date=day, metric="searches_no_results").value == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-02-30"], "Dates must look like"),
        (["--from", "2026-03-02", "--to", "2026-03-01"], "--to must be on or after --from"),
    ],
)
def test_daily_job_explains_bad_dates(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("interactions_daily", *args)


def test_tasks_run_the_same_work():
    interaction_record(type=InteractionType.PAGE_VIEW, service_code=524)
    result = build_rollups.enqueue()
    assert result.return_value > 0
    assert DailyRollup.objects.filter(metric="page_views", service_code=524).exists()
    assert purge_interactions.enqueue().return_value == 0


def test_a_back_dated_contact_refreshes_its_day_which_the_job_no_longer_revisits(
    django_capture_on_commit_callbacks,
):
    from portal.interactions.services import assisted_contact_record, assisted_contact_update
    from tests.accounts.factories import StaffFactory

    officer = StaffFactory()
    long_ago = timezone.now() - timedelta(days=20)
    with django_capture_on_commit_callbacks(execute=True):
        contact = assisted_contact_record(
            staff=officer,
            channel=Channel.PHONE,
            service_code=524,
            reason_code="8",
            avoidable=False,
            resolved_first_contact=True,
            occurred_at=long_ago,
        )
    day = timezone.localdate(long_ago)
    assert DailyRollup.objects.get(date=day, metric="assisted_contacts", service_code=524).value == 1

    # Corrected to another service: both the old and the new figures are right at once.
    with django_capture_on_commit_callbacks(execute=True):
        assisted_contact_update(
            contact=contact,
            channel=Channel.PHONE,
            service_code=557,
            reason_code="8",
            avoidable=True,
            avoidable_category="repeat",
            resolved_first_contact=False,
            occurred_at=long_ago,
        )
    assert not DailyRollup.objects.filter(date=day, metric="assisted_contacts", service_code=524).exists()
    assert DailyRollup.objects.get(date=day, metric="avoidable_contacts", service_code=557).key == "repeat"


def test_cached_figures_change_as_soon_as_the_rollups_are_rebuilt():
    from portal.insights.measures import measures_for

    today = timezone.localdate()
    interaction_record(type=InteractionType.PAGE_VIEW, service_code=524)
    rollup_build_day(day=today)
    assert measures_for(start=today, end=today).total("page_views") == 1
    interaction_record(type=InteractionType.PAGE_VIEW, service_code=524)
    assert measures_for(start=today, end=today).total("page_views") == 1  # the rollups say so
    rollup_build_day(day=today)
    assert measures_for(start=today, end=today).total("page_views") == 2
