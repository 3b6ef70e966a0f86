import pytest
from pytest_django.plugin import validate_django_db

from django.core.cache import cache
from django.test import Client

from tests.fakes.notify_server import fake_notify  # noqa: F401 - the fixture, for every test

_django_force_login = Client.force_login


def _force_login(self, user, backend=None, *, mfa: bool = True):
    """``force_login``, as if the person also passed 2-step verification where they have it.

    The staff check reads the session's authentication records (what allauth writes when a
    code or passkey is used), which Django's ``force_login`` knows nothing of. Pass
    ``mfa=False`` for a session signed in by password alone.
    """
    from allauth.account.internal.flows.login import (
        _AUTHENTICATION_METHODS_USER_SESSION_KEY,
        AUTHENTICATION_METHODS_SESSION_KEY,
    )
    from allauth.account.internal.userkit import user_id_to_str

    from accounts.mfa import has_strong_mfa

    _django_force_login(self, user, backend)
    records = [{"method": "password", "at": 0, "email": user.email}]
    if mfa and has_strong_mfa(user):
        records.append({"method": "mfa", "at": 0, "type": "totp"})
    session = self.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = records
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = user_id_to_str(user)
    session.save()


Client.force_login = _force_login


def _run_order(item) -> tuple[int, int]:
    """pytest-django's order (database tests, then transactional ones, then the rest), with the
    transactional tests that restore the migrations' data (``serialized_rollback``) first.

    A transactional test without it ends with a flush that re-creates the content types under
    new ids on PostgreSQL (its sequences are not reset); restoring the serialized rows after
    that collides with them. Run in this order, every restore follows a restore-aware flush.
    """
    marker = item.get_closest_marker("django_db")
    fixtures = getattr(item, "fixturenames", [])
    transaction, reset_sequences, _databases, serialized, _apps = (
        validate_django_db(marker) if marker else (False, False, None, False, None)
    )
    if transaction or reset_sequences or "transactional_db" in fixtures or "live_server" in fixtures:
        return (1, 0 if serialized else 1)
    return (0, 0) if marker or "db" in fixtures else (2, 0)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    items.sort(key=_run_order)


def pytest_sessionfinish(session, exitstatus):
    """A run that collects no tests is a failure, not a silent pass (pytest exit code 5)."""
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


_DB_FIXTURES = {"db", "transactional_db", "live_server", "django_db_reset_sequences"}


@pytest.fixture(autouse=True)
def _clear_cache(request):
    """Rate-limit counters live in the shared cache; every database test starts from zero."""
    uses_db = request.node.get_closest_marker("django_db") or (_DB_FIXTURES & set(request.fixturenames))
    if not uses_db:
        yield
        return
    request.getfixturevalue("django_db_blocker")
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def password() -> str:
    return "a-long-and-unusual-passphrase-42"


class CommittingClient:
    """A test client whose requests run their on-commit callbacks, as a real request does.

    The notifications outbox queues delivery with ``transaction.on_commit``; inside a
    test's wrapping transaction nothing commits, so callbacks are captured and run.
    """

    def __init__(self, client, capture):
        self._client = client
        self._capture = capture

    def __getattr__(self, name):
        return getattr(self._client, name)

    def get(self, *args, **kwargs):
        with self._capture(execute=True):
            return self._client.get(*args, **kwargs)

    def post(self, *args, **kwargs):
        with self._capture(execute=True):
            return self._client.post(*args, **kwargs)


@pytest.fixture
def web(client, django_capture_on_commit_callbacks):
    return CommittingClient(client, django_capture_on_commit_callbacks)
