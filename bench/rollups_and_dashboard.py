"""Rollup build time for 1 million synthetic events, and the dashboard over a year of rollups.

Prints:
- the time to build daily rollups for N synthetic events (default 1,000,000 over 10
  days), against the time to read every event once (baseline);
- the Contact insights dashboard's server-side time (test client) over 12 months of
  rollups, all services and one service, against the same page for an empty period.
  Target: under 200 ms.

    .venv/bin/python bench/rollups_and_dashboard.py [events] [days]
"""

import os
import sys
import time
from datetime import timedelta

from _setup import django_test_database, median_ms, staff_client_login, timed

DASHBOARD_TARGET_MS = 200
SERVICES = [524, 528, 557, 474, 587, 57, 54, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]


def main(total: int = 1_000_000, days: int = 10) -> None:
    with django_test_database():
        from django.test import Client
        from django.urls import reverse
        from django.utils import timezone

        from portal.interactions.demo import synthetic_events_create
        from portal.interactions.measures import rollups_changed
        from portal.interactions.models import (
            DailyRollup,
            Interaction,
            MonthlyRollup,
            PersonNumber,
            WebPersonDay,
            WebPersonSet,
        )
        from portal.interactions.rollups import (
            day_bounds,
            person_sets_month_build,
            rollup_build_day,
            rollup_month_build,
        )
        from tests.accounts.factories import StaffFactory

        first_day = timezone.localdate() - timedelta(days=days)
        started = time.perf_counter()
        synthetic_events_create(total=total, first_day=first_day, days=days, services=SERVICES)
        print(
            f"synthesised {Interaction.objects.count():,} events over {days} days "
            f"in {time.perf_counter() - started:.1f} s"
        )

        dates = [first_day + timedelta(days=n) for n in range(days)]
        started = time.perf_counter()
        for day in dates:
            start, end = day_bounds(day)
            for _ in (
                Interaction.objects.filter(occurred_at__gte=start, occurred_at__lt=end)
                .values_list("type", "service_code", "channel", "outcome", "visitor_key")
                .iterator(chunk_size=5000)
            ):
                pass
        baseline = time.perf_counter() - started
        started = time.perf_counter()
        rows = sum(rollup_build_day(day=day) for day in dates)
        build = time.perf_counter() - started
        print(f"baseline, read every event once:       {baseline:.2f} s")
        print(
            f"build rollups for {total:,} events:     {build:.2f} s ({rows:,} rollup rows; "
            f"{build / baseline:.1f}x the baseline; {total / build:,.0f} events/s)"
        )

        # A year of rollups: repeat the built days across 365 dates.
        template = list(
            DailyRollup.objects.values("date", "service_code", "channel", "team", "metric", "key", "value")
        )
        person_sets = list(
            WebPersonSet.objects.filter(span=WebPersonSet.DAY).values(
                "date", "span", "service_code", "persons", "failed"
            )
        )
        year_end = timezone.localdate() - timedelta(days=1)
        year_start = year_end - timedelta(days=364)
        DailyRollup.objects.all().delete()
        year = []
        for offset in range(365):
            day = year_start + timedelta(days=offset)
            source = dates[offset % days]
            year += [DailyRollup(**{**r, "date": day}) for r in template if r["date"] == source]
        DailyRollup.objects.bulk_create(year, batch_size=5000)
        # The identifiable web persons' sets per day, and per month (failed web contact counts
        # distinct persons over the period, so these are read at every first load): the same
        # people return all year.
        WebPersonSet.objects.all().delete()
        for offset in range(365):
            day = year_start + timedelta(days=offset)
            source = dates[offset % days]
            WebPersonSet.objects.bulk_create(
                [WebPersonSet(**{**r, "date": day}) for r in person_sets if r["date"] == source]
            )
        month = year_start.replace(day=1)
        while month <= year_end:  # as rebuilding the days does: their months' sums and sets
            rollup_month_build(first=month)
            person_sets_month_build(first=month)
            month = (month + timedelta(days=32)).replace(day=1)
        print(
            f"a year of rollups: {DailyRollup.objects.count():,} rows "
            f"({MonthlyRollup.objects.count():,} monthly); "
            f"{WebPersonDay.objects.count():,} identifiable person-days in the built days, "
            f"{PersonNumber.objects.count():,} persons, {WebPersonSet.objects.count():,} person sets"
        )

        client = Client()
        staff_client_login(client, StaffFactory(is_superuser=True))
        url = reverse("interactions_contact_insights")
        empty = {"start": "2001-01-01", "end": "2001-12-31"}
        year_all = {"start": year_start.isoformat(), "end": year_end.isoformat()}
        year_one = {**year_all, "service": "524"}
        for params in (empty, year_all, year_one):
            assert client.get(url, params).status_code == 200

        def cold(params):
            # As after a rollup rebuild: the figures are summed from the rollups again.
            rollups_changed()
            client.get(url, params)

        if os.environ.get("BENCH_PROFILE"):  # where a cold 12-month load spends its time
            import cProfile
            import pstats

            profile = cProfile.Profile()
            profile.runcall(cold, year_all)
            pstats.Stats(profile).sort_stats("cumulative").print_stats(30)

        results = {}
        for label, params in (
            ("empty period (baseline)", empty),
            ("12 months, all services", year_all),
            ("12 months, service 524", year_one),
        ):
            results[label] = (
                median_ms(timed(lambda params=params: cold(params), repeat=9)),
                median_ms(timed(lambda params=params: client.get(url, params), repeat=15)),
            )
        # What the daily job does after rebuilding: the quick periods are summed in advance.
        from portal.insights.dashboard import dashboard_figures_warm
        from portal.insights.forms import quick_periods

        rollups_changed()
        started = time.perf_counter()
        dashboard_figures_warm()
        print(f"daily job's warm-up of the quick periods: {(time.perf_counter() - started) * 1000:.0f} ms")
        _, q_start, q_end = quick_periods()[-1]
        quick_year = {"start": q_start.isoformat(), "end": q_end.isoformat()}
        results["'Last 12 months' after the job"] = (
            median_ms(timed(lambda: client.get(url, quick_year), repeat=9)),
            median_ms(timed(lambda: client.get(url, quick_year), repeat=15)),
        )
        base_cold, base_warm = results["empty period (baseline)"]
        for label, (cold_ms, warm_ms) in results.items():
            print(
                f"dashboard, {label:<24} first load {cold_ms:6.1f} ms ({cold_ms / base_cold:.1f}x), "
                f"then {warm_ms:6.1f} ms ({warm_ms / base_warm:.1f}x)"
            )
        worst_cold = max(cold for cold, _ in results.values())
        worst_warm = max(warm for _, warm in results.values())
        job_ms = results["'Last 12 months' after the job"][0]
        print(
            f"target < {DASHBOARD_TARGET_MS} ms: a year of rollups after the daily job "
            f"{'OK' if job_ms < DASHBOARD_TARGET_MS else 'OVER'}; any other period, first load "
            f"{'OK' if worst_cold < DASHBOARD_TARGET_MS else 'OVER'}, "
            f"later loads {'OK' if worst_warm < DASHBOARD_TARGET_MS else 'OVER'}"
        )


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
