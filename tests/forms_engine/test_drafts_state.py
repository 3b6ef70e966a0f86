"""A draft's state: ``DRAFT_TRANSITIONS`` and its one writer ``draft_transition``."""

import ast
import itertools
from datetime import timedelta
from pathlib import Path

import pytest

from django.utils import timezone

from forms_engine.constants import (
    DRAFT_RESUMABLE_STATUSES,
    DRAFT_TRANSITIONS,
    DraftStatus,
)
from forms_engine.housekeeping import drafts_abandoned_record, drafts_expired_delete, forms_housekeeping
from forms_engine.models import Draft, FormVersion
from forms_engine.selectors import draft_list_for_user
from forms_engine.services import DraftStateError, draft_transition
from portal.interactions.constants import InteractionType
from portal.interactions.models import Interaction
from tests.accounts.factories import UserFactory

from .factories import form_published

pytestmark = pytest.mark.django_db

D = DraftStatus
ROOT = Path(__file__).resolve().parents[2]
# The path from a new draft (in progress) to each state, through the writer.
PATH = {
    D.IN_PROGRESS: [],
    D.ABANDONED: [D.ABANDONED],
    D.SUBMITTED: [D.SUBMITTED],
    D.EXPIRED: [D.EXPIRED],
}


@pytest.fixture
def version():
    return FormVersion.objects.get(form=form_published(service_id=524))


def _draft(version, *, user=None, hours_idle: float = 0) -> Draft:
    draft = Draft.objects.create(version=version, user=user, answers={"bin_type": "Green"})
    if hours_idle:
        Draft.objects.filter(pk=draft.pk).update(updated_at=timezone.now() - timedelta(hours=hours_idle))
        draft.refresh_from_db()
    return draft


def _draft_in(version, status) -> Draft:
    draft = _draft(version)
    for to in PATH[status]:
        assert draft_transition(draft=draft, to=to)
    draft.refresh_from_db()
    assert draft.status == status
    return draft


def test_a_new_draft_is_in_progress_and_the_table_covers_every_state(version):
    assert _draft(version).status == D.IN_PROGRESS
    assert set(DRAFT_TRANSITIONS) == set(D)
    assert DRAFT_TRANSITIONS[D.EXPIRED] == frozenset()  # expired is the end: the job deletes it
    assert DRAFT_TRANSITIONS[D.SUBMITTED] == {D.EXPIRED}  # a sent draft is never resumed
    assert {D.IN_PROGRESS, D.ABANDONED} == DRAFT_RESUMABLE_STATUSES


@pytest.mark.parametrize("current,to", list(itertools.product(D, D)))
def test_every_draft_move_follows_the_table(version, current, to):
    draft = _draft_in(version, current)
    if to in DRAFT_TRANSITIONS[current]:
        assert draft_transition(draft=draft, to=to) is True
        assert draft.status == to
        draft.refresh_from_db()
        assert draft.status == to
    else:
        with pytest.raises(DraftStateError):
            draft_transition(draft=draft, to=to)
        draft.refresh_from_db()
        assert draft.status == current


def test_unknown_states_are_refused(version):
    with pytest.raises(DraftStateError):
        draft_transition(draft=_draft(version), to="deleted")


def test_a_move_is_made_once_when_two_make_it(version):
    draft = _draft(version)
    stale = Draft.objects.get(pk=draft.pk)
    assert draft_transition(draft=draft, to=D.ABANDONED)
    # The second reader still thinks it is in progress: nothing changes for it.
    assert draft_transition(draft=stale, to=D.ABANDONED) is False
    assert draft_transition(draft=stale, to=D.SUBMITTED) is False
    draft.refresh_from_db()
    assert draft.status == D.ABANDONED


def test_the_writer_keeps_the_last_activity_unless_told(version):
    draft = _draft(version, hours_idle=5)
    before = draft.updated_at
    draft_transition(draft=draft, to=D.ABANDONED, abandoned_recorded_at=timezone.now())
    draft.refresh_from_db()
    assert draft.updated_at == before and draft.abandoned_recorded_at is not None


def test_the_abandon_job_moves_idle_drafts_through_the_writer_and_counts_each_once(settings, version):
    settings.FORM_ABANDON_HOURS = 24
    idle = _draft(version, hours_idle=30)
    fresh = _draft(version, hours_idle=2)
    sent = _draft_in(version, D.SUBMITTED)
    Draft.objects.filter(pk=sent.pk).update(updated_at=timezone.now() - timedelta(hours=50))

    assert drafts_abandoned_record() == 1
    statuses = dict(Draft.objects.values_list("pk", "status"))
    assert statuses == {idle.pk: D.ABANDONED, fresh.pk: D.IN_PROGRESS, sent.pk: D.SUBMITTED}

    # Resumed: in progress again, still counted once, and not again when left idle again.
    idle.refresh_from_db()
    idle.answers = {"bin_type": "Blue"}
    idle.save(update_fields=["answers", "updated_at"])
    assert draft_transition(draft=idle, to=D.IN_PROGRESS)
    Draft.objects.filter(pk=idle.pk).update(updated_at=timezone.now() - timedelta(hours=30))
    assert drafts_abandoned_record() == 0
    idle.refresh_from_db()
    assert idle.status == D.ABANDONED
    assert Interaction.objects.filter(type=InteractionType.FORM_ABANDON).count() == 1


def test_the_expiry_job_marks_drafts_expired_then_deletes_them(settings, version, monkeypatch):
    settings.FORM_DRAFT_DAYS = 30
    old = [_draft_in(version, status) for status in (D.IN_PROGRESS, D.ABANDONED, D.SUBMITTED)]
    Draft.objects.filter(pk__in=[d.pk for d in old]).update(updated_at=timezone.now() - timedelta(days=31))
    recent = _draft(version, hours_idle=29 * 24)
    moved = []

    def spy(*, draft, to, **fields):
        moved.append((draft.status, to))
        return draft_transition(draft=draft, to=to, **fields)

    monkeypatch.setattr("forms_engine.housekeeping.draft_transition", spy)
    assert drafts_expired_delete() == 3
    monkeypatch.undo()
    assert sorted(moved) == sorted((d.status, D.EXPIRED) for d in old)
    assert list(Draft.objects.values_list("pk", "status")) == [(recent.pk, D.IN_PROGRESS)]
    assert forms_housekeeping()["expired"] == 0


def test_my_account_lists_drafts_by_their_state(version):
    resident = UserFactory()
    in_progress = _draft(version, user=resident)
    abandoned = _draft(version, user=resident)
    draft_transition(draft=abandoned, to=D.ABANDONED)
    sent = _draft(version, user=resident)
    draft_transition(draft=sent, to=D.SUBMITTED)
    listed = {summary.draft.pk for summary in draft_list_for_user(resident)}
    assert listed == {in_progress.pk, abandoned.pk}
    assert in_progress.is_resumable and abandoned.is_resumable
    assert not sent.is_resumable and sent.is_submitted
    # Past its lifetime, a draft is gone at once, before the daily job marks it.
    Draft.objects.filter(pk=in_progress.pk).update(updated_at=timezone.now() - timedelta(days=400))
    in_progress.refresh_from_db()
    assert in_progress.is_expired and not in_progress.is_resumable
    assert {summary.draft.pk for summary in draft_list_for_user(resident)} == {abandoned.pk}


def test_only_draft_transition_writes_a_drafts_status():
    """Read from the source: ``status`` is given to a draft only in ``forms_engine/services.py``'s
    ``draft_transition`` (the migration's data step aside)."""
    found = []
    for path in sorted((ROOT / "forms_engine").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            targets = node.targets if isinstance(node, ast.Assign) else []
            if isinstance(node, (ast.AugAssign, ast.AnnAssign)):
                targets = [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and target.attr == "status":
                    found.append((path.name, ast.unparse(node)))
            if isinstance(node, ast.Call) and any(k.arg == "status" for k in node.keywords):
                callee = ast.unparse(node.func)
                if callee.endswith((".update", ".create", ".get_or_create", ".update_or_create")):
                    found.append((path.name, ast.unparse(node)))
    assert [name for name, _ in found] == ["services.py", "services.py"], found
