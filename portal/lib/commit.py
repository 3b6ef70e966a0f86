"""A transaction whose commit does not wait for the disk: for the interaction log only.

PostgreSQL normally makes every commit wait until its WAL record is flushed to disk. For one
small INSERT that wait is most of the cost (about 3 ms against 0.5 ms on the development
machines), and a page writes its log row on every view. ``SET LOCAL synchronous_commit TO
OFF`` lets this one transaction commit at once; PostgreSQL flushes it within
``3 × wal_writer_delay`` (0.6 s by default). The database stays consistent: a crash of the
database server itself can lose the last fraction of a second of such rows, nothing else.

Use it only for records the measures can afford to lose that way (the interaction log, a
case's "last seen by the resident" time). Submissions, cases, payments and the outbox commit
synchronously, always. Inside a caller's transaction it is a plain savepoint and the
caller's commit decides. On other databases (SQLite) it changes nothing: each statement
commits on its own, as without it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction


@contextmanager
def commit_without_waiting() -> Iterator[None]:
    if connection.in_atomic_block:
        with transaction.atomic():
            yield
        return
    if connection.vendor != "postgresql":
        yield  # autocommit: each statement is its own transaction, as without this block
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
        yield
