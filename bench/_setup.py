"""Shared set-up for the benchmarks: Django with the test settings on a throwaway database.

Benchmarks print figures; they are not part of the test run. They use SQLite unless
DATABASE_URL is set (then a test database is created beside it and dropped after).
"""

import os
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")


@contextmanager
def django_test_database():
    import django

    django.setup()
    from django.db import connection
    from django.template import Template
    from django.test import utils
    from django.test.utils import setup_test_environment, teardown_test_environment

    setup_test_environment()
    # Render templates as a production server does: the test environment's instrumented
    # rendering (a signal for every template, for the test client's context) is not
    # what is being measured. teardown_test_environment() puts its own state back.
    Template._render = utils._TestState.saved_data.template_render
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        yield
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


def timed(fn, *, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return samples


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def staff_client_login(client, user) -> None:
    """Sign a member of staff in as if they had passed 2-step verification (required for
    staff): the test suite's own ``force_login`` (tests/conftest.py), without pytest."""
    import tests.conftest  # noqa: F401  # reason: patches Client.force_login to record MFA

    client.force_login(user)
