"""Trigram (and upper-case) indexes for the staff queue's search, on PostgreSQL only (SQLite: nothing to do).

The search matches part of a value anywhere (``icontains``), which Django writes on
PostgreSQL as ``UPPER(col::text) LIKE UPPER('%…%')``: a b-tree cannot serve it, a pg_trgm
GIN index on that same expression can. Each index is on exactly the expression the lookup
writes (checked with ``EXPLAIN`` by bench/case_queue.py):

- the case's reference, contact email and contact name;
- the resident's account: name, email, postcode (``istartswith``) and phone (``contains``);
- the submitted answers (as text), searched only for a postcode- or phone-shaped query,
  where an anonymous resident's address and phone are kept;
- and b-trees on ``UPPER(email)``, for a whole email address (matched with ``iexact``).

The account and submission indexes live here, with the search they serve. They are built
``CONCURRENTLY`` (so the migration is not atomic): a council's tables stay writable while
they are built. SQLite has neither pg_trgm nor GIN; there the search stays a scan.
"""

from django.db import migrations

INDEXES = {
    "case_reference_trgm": ("cases_case", "gin", "UPPER((reference)::text) gin_trgm_ops"),
    "case_contact_email_trgm": ("cases_case", "gin", "UPPER((contact_email)::text) gin_trgm_ops"),
    "case_contact_name_trgm": ("cases_case", "gin", "UPPER((contact_name)::text) gin_trgm_ops"),
    "user_full_name_trgm": ("accounts_user", "gin", "UPPER((full_name)::text) gin_trgm_ops"),
    "user_email_trgm": ("accounts_user", "gin", "UPPER((email)::text) gin_trgm_ops"),
    "user_postcode_trgm": ("accounts_user", "gin", "UPPER((postcode)::text) gin_trgm_ops"),
    "user_phone_trgm": ("accounts_user", "gin", "((phone)::text) gin_trgm_ops"),
    "submission_answers_trgm": ("forms_engine_submission", "gin", "UPPER((answers)::text) gin_trgm_ops"),
    # A whole email address is matched exactly (``iexact``): a b-tree finds it at once, where
    # the trigrams of a common domain ("example.org") are in nearly every row.
    "case_contact_email_upper": ("cases_case", "btree", "UPPER((contact_email)::text)"),
    "user_email_upper": ("accounts_user", "btree", "UPPER((email)::text)"),
}


def _postgresql(schema_editor) -> bool:
    return schema_editor.connection.vendor == "postgresql"


def create_indexes(apps, schema_editor):
    if not _postgresql(schema_editor):
        return
    # Trusted since PostgreSQL 13: the database's owner may create it.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, (table, method, expression) in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} USING {method} ({expression})"
        )


def drop_indexes(apps, schema_editor):
    # The extension stays: other code may use it, and it costs nothing unused.
    if not _postgresql(schema_editor):
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("cases", "0004_queue_indexes"),
        ("accounts", "0008_texted_code_identity"),
        ("forms_engine", "0007_serviceform_open311_listed"),
    ]

    operations = [migrations.RunPython(create_indexes, drop_indexes, elidable=False)]
