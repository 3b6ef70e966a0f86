"""portal.lib.commit: the interaction log's commits do not wait for the disk; nothing else's."""

import pytest

from django.db import connection, transaction

from portal.lib.commit import commit_without_waiting

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL setting")
def test_only_the_block_commits_without_waiting_on_postgresql():
    assert _synchronous_commit() == "on"
    with commit_without_waiting():
        assert connection.in_atomic_block
        assert _synchronous_commit() == "off"
    assert not connection.in_atomic_block
    assert _synchronous_commit() == "on"  # SET LOCAL ended with the transaction


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL setting")
def test_inside_a_callers_transaction_the_caller_decides():
    with transaction.atomic(), commit_without_waiting():
        assert _synchronous_commit() == "on"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="elsewhere the block changes nothing")
def test_the_block_is_a_transaction_that_rolls_back_on_error():
    from django.contrib.auth.models import Group

    with pytest.raises(RuntimeError), commit_without_waiting():
        Group.objects.create(name="Rolled back")
        raise RuntimeError("boom")
    assert not Group.objects.filter(name="Rolled back").exists()
    with commit_without_waiting():
        Group.objects.create(name="Kept")
    assert Group.objects.filter(name="Kept").exists()


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the other databases")
def test_elsewhere_the_block_changes_nothing():
    from django.contrib.auth.models import Group

    with commit_without_waiting():
        assert not connection.in_atomic_block  # autocommit, as without the block
        Group.objects.create(name="Kept")
    assert Group.objects.filter(name="Kept").exists()
