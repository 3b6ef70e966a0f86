import re
from datetime import timedelta

import pytest

from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portal.interactions.constants import Channel, InteractionType, Outcome
from portal.interactions.measures import bot_counter_key
from portal.interactions.models import Interaction
from portal.interactions.rollups import interactions_purge, rollup_build_day
from portal.interactions.services import InteractionError, interaction_record
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/156 Safari/537.36"
IP = "203.0.113.77"


def _get(client, path, **extra):
    return client.get(path, HTTP_USER_AGENT=BROWSER, REMOTE_ADDR=IP, **extra)


def test_a_public_page_view_is_logged_with_a_visitor_key_and_no_ip(client):
    response = _get(client, "/")
    assert response.status_code == 200
    event = Interaction.objects.get()
    assert event.type == InteractionType.PAGE_VIEW
    assert event.channel == Channel.WEB
    assert event.path == "/"
    assert event.status_code == 200
    assert event.user is None
    assert re.fullmatch(r"[0-9a-f]{32}", event.visitor_key)
    # No column of any logged row holds the address, whole or in part.
    for value in Interaction.objects.values().get().values():
        assert IP not in str(value)
        assert "203.0.113" not in str(value)


def test_my_account_page_view_carries_the_account_and_session(client):
    user = UserFactory()
    client.post("/accounts/login/", {"login": user.email, "password": DEFAULT_PASSWORD})
    Interaction.objects.all().delete()
    _get(client, "/my-account/")
    event = Interaction.objects.get(type=InteractionType.PAGE_VIEW)
    assert event.user == user
    assert event.session_key == client.session.session_key


def test_the_same_visitor_has_the_same_key_today_and_another_browser_does_not(client):
    _get(client, "/")
    _get(client, "/")
    client.get("/", HTTP_USER_AGENT=BROWSER + " Edg/150", REMOTE_ADDR=IP)
    keys = list(Interaction.objects.order_by("pk").values_list("visitor_key", flat=True))
    assert keys[0] == keys[1] != keys[2]


def test_404s_are_logged_but_redirects_and_excluded_paths_are_not(client):
    _get(client, "/no-such-page/")
    _get(client, "/my-account/")  # redirect to sign in
    for path in ("/healthz", "/static/css/portal.css", "/api/v2/pages/", "/admin/"):
        _get(client, path)
    events = list(Interaction.objects.values_list("path", "status_code"))
    assert events == [("/no-such-page/", 404)]


def test_posts_and_htmx_fragments_are_not_page_views(client):
    client.post("/accounts/login/", {"login": "x@example.org", "password": "y"}, HTTP_USER_AGENT=BROWSER)
    _get(client, "/", HTTP_HX_REQUEST="true")
    assert not Interaction.objects.filter(type=InteractionType.PAGE_VIEW).exists()
    _get(client, "/", HTTP_HX_REQUEST="true", HTTP_HX_BOOSTED="true")
    assert Interaction.objects.filter(type=InteractionType.PAGE_VIEW).count() == 1


def test_bots_are_counted_not_stored(client):
    from django.core.cache import cache

    for agent in ("Googlebot/2.1 (+http://www.google.com/bot.html)", "curl/8.5", ""):
        client.get("/", HTTP_USER_AGENT=agent)
    assert not Interaction.objects.exists()
    today = timezone.localdate()
    assert cache.get(bot_counter_key(today)) == 3
    rollup_build_day(day=today)
    from portal.interactions.models import DailyRollup

    assert DailyRollup.objects.get(date=today, metric="bot_requests").value == 3


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_logging_costs_one_insert_and_no_other_query(client):
    """Outside a test's wrapping transaction, as in production: exactly one more statement (on
    PostgreSQL, with the setting that lets it commit without waiting for the disk)."""
    # Warm every cache (site settings, the day's salt, cached page fragments) both ways.
    for enabled in (False, True, False):
        with override_settings(INTERACTIONS_ENABLED=enabled):
            _get(client, "/")
    with override_settings(INTERACTIONS_ENABLED=False), CaptureQueriesContext(connection) as off:
        _get(client, "/")
    with CaptureQueriesContext(connection) as on:
        _get(client, "/")
    extra = [q["sql"] for q in on.captured_queries[len(off.captured_queries) :]]
    if connection.vendor == "postgresql":
        # The insert commits without waiting for the disk (portal.lib.commit): its own short
        # transaction with that setting, and no wait for the flush.
        assert extra[0] == "BEGIN" and extra[-1] == "COMMIT", extra
        assert extra[1] == "SET LOCAL synchronous_commit TO OFF", extra
        extra = extra[2:-1]
    assert len(extra) == 1, extra
    assert extra[0].upper().startswith("INSERT") and "interactions_interaction" in extra[0]


def test_a_failing_log_write_never_breaks_the_page(client, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("the cache holding the daily salt is unavailable")

    monkeypatch.setattr("portal.interactions.visitor.daily_salt", broken)
    response = _get(client, "/")
    assert response.status_code == 200
    assert "Welcome to your council online" in response.text
    assert "Could not log the page view" in caplog.text


def test_a_database_error_in_the_log_insert_does_not_break_the_page(client):
    """A real insert failure (the table is gone); the page's own transaction survives it."""
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(Interaction._meta.db_table)
        gone = connection.ops.quote_name(f"{Interaction._meta.db_table}_gone")
        # Renamed rather than dropped: other tables' foreign keys point at it.
        cursor.execute(f"ALTER TABLE {table} RENAME TO {gone}")
    response = _get(client, "/")
    assert response.status_code == 200


def test_interaction_record_validates_its_input():
    with pytest.raises(InteractionError, match="Unknown interaction type"):
        interaction_record(type="telepathy")
    with pytest.raises(InteractionError, match="Unknown channel"):
        interaction_record(type=InteractionType.SEARCH, channel="pigeon")
    with pytest.raises(InteractionError, match="needs avoidable"):
        interaction_record(
            type=InteractionType.ASSISTED_CONTACT,
            channel=Channel.PHONE,
            avoidable_category="repeat",
        )


def test_sign_in_events_are_logged(client):
    user = UserFactory()
    client.post("/accounts/login/", {"login": user.email, "password": "wrong"}, HTTP_USER_AGENT=BROWSER)
    client.post(
        "/accounts/login/", {"login": user.email, "password": DEFAULT_PASSWORD}, HTTP_USER_AGENT=BROWSER
    )
    outcomes = list(
        Interaction.objects.filter(type=InteractionType.AUTH).order_by("pk").values_list("outcome", "user")
    )
    # The failed attempt is linked to the account it was for, so its owner sees it.
    assert outcomes == [(Outcome.LOGIN_FAILED, user.pk), (Outcome.LOGIN_OK, user.pk)]


def test_purge_removes_only_events_past_retention():
    old = interaction_record(type=InteractionType.PAGE_VIEW, occurred_at=timezone.now() - timedelta(days=400))
    recent = interaction_record(
        type=InteractionType.PAGE_VIEW, occurred_at=timezone.now() - timedelta(days=10)
    )
    assert interactions_purge(older_than_days=396) == 1
    assert list(Interaction.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not Interaction.objects.filter(pk=old.pk).exists()
