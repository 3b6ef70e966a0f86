"""The staff groups get exactly what accounts/groups.py declares, after every migrate."""

import pytest

from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.core.management.sql import emit_post_migrate_signal

from wagtail.models import GroupApprovalTask, GroupCollectionPermission, GroupPagePermission

from accounts import groups
from accounts.groups import (
    APPROVAL_TASKS,
    COLLECTION_PERMISSIONS,
    PAGE_PERMISSIONS,
    STAFF_GROUPS,
    staff_groups_sync,
)

pytestmark = pytest.mark.django_db


def _dotted(permission) -> str:
    return f"{permission.content_type.app_label}.{permission.codename}"


def _state(name: str) -> dict[str, set[str]]:
    group = Group.objects.get(name=name)
    pages = GroupPagePermission.objects.filter(group=group).select_related("page", "permission__content_type")
    collections = GroupCollectionPermission.objects.filter(group=group).select_related(
        "collection", "permission__content_type"
    )
    return {
        "global": {_dotted(p) for p in group.permissions.select_related("content_type")},
        "pages": {f"{p.page.depth}:{_dotted(p.permission)}" for p in pages},
        "collections": {f"{c.collection.depth}:{_dotted(c.permission)}" for c in collections},
        "approves": set(GroupApprovalTask.objects.filter(groups=group).values_list("name", flat=True)),
    }


def _declared(name: str) -> dict[str, set[str]]:
    # Page and collection permissions are given on the roots (depth 1): every page, every collection.
    return {
        "global": set(STAFF_GROUPS[name]),
        "pages": {f"1:{p}" for p in PAGE_PERMISSIONS.get(name, [])},
        "collections": {f"1:{p}" for p in COLLECTION_PERMISSIONS.get(name, [])},
        "approves": {task for task, approvers in APPROVAL_TASKS.items() if name in approvers},
    }


def _everything() -> dict[str, dict[str, set[str]]]:
    return {name: _state(name) for name in STAFF_GROUPS}


@pytest.mark.parametrize("name", list(STAFF_GROUPS))
def test_after_migrate_each_group_has_exactly_what_is_declared(name):
    assert _state(name) == _declared(name)


def test_every_approval_task_is_approved_by_exactly_the_declared_groups():
    for task, approvers in APPROVAL_TASKS.items():
        assert set(GroupApprovalTask.objects.get(name=task).groups.values_list("name", flat=True)) == set(
            approvers
        )


def test_the_tables_name_only_declared_groups():
    for table in (PAGE_PERMISSIONS, COLLECTION_PERMISSIONS):
        assert set(table) <= set(STAFF_GROUPS)
    for approvers in APPROVAL_TASKS.values():
        assert set(approvers) <= set(STAFF_GROUPS)


def test_the_sync_is_idempotent():
    before = _everything()
    counts = (
        Group.objects.count(),
        GroupPagePermission.objects.count(),
        GroupCollectionPermission.objects.count(),
    )
    staff_groups_sync()
    staff_groups_sync()
    assert _everything() == before
    assert (
        Group.objects.count(),
        GroupPagePermission.objects.count(),
        GroupCollectionPermission.objects.count(),
    ) == counts


def test_changes_by_hand_are_undone_by_the_next_sync():
    officers = Group.objects.get(name="Case officers")
    officers.permissions.remove(
        Permission.objects.get(content_type__app_label="cases", codename="change_case")
    )
    finance = Group.objects.get(name="Finance")
    finance.permissions.add(
        Permission.objects.get(content_type__app_label="payments", codename="delete_bill")
    )
    GroupPagePermission.objects.filter(group__name="Moderators", permission__codename="publish_page").delete()
    GroupCollectionPermission.objects.filter(group__name="Editors").delete()
    GroupApprovalTask.objects.get(name="Moderator approval").groups.clear()
    Group.objects.get(name="Service managers").delete()
    assert _state("Case officers") != _declared("Case officers")

    staff_groups_sync()

    for name in STAFF_GROUPS:
        assert _state(name) == _declared(name)


def test_groups_not_in_the_table_are_left_alone():
    readers = Group.objects.create(name="Case readers")
    view_case = Permission.objects.get(content_type__app_label="cases", codename="view_case")
    readers.permissions.add(view_case)
    staff_groups_sync()
    assert list(readers.permissions.all()) == [view_case]


def test_a_change_to_the_table_takes_effect_on_the_next_migrate(monkeypatch):
    monkeypatch.setitem(groups.STAFF_GROUPS, "Finance", [*STAFF_GROUPS["Finance"], "payments.delete_bill"])
    call_command("migrate", verbosity=0)
    assert "payments.delete_bill" in _state("Finance")["global"]


def test_flush_sends_post_migrate_without_a_plan_and_nothing_is_synced():
    officers = Group.objects.get(name="Case officers")
    officers.permissions.clear()
    emit_post_migrate_signal(0, False, "default")
    assert not officers.permissions.exists()


def test_a_permission_that_does_not_exist_stops_the_sync(monkeypatch):
    monkeypatch.setitem(groups.STAFF_GROUPS, "Finance", ["payments.launder_money"])
    with pytest.raises(LookupError, match="payments.launder_money"):
        staff_groups_sync()


def test_integration_managers_manage_integrations_and_see_no_cases():
    state = _state("Integration managers")["global"]
    assert {"wagtailadmin.access_admin", "integrations.manage_integrations"} <= state
    assert {
        f"integrations.{action}_{model}"
        for action in ("view", "add", "change", "delete")
        for model in ("apiclient", "destination")
    } <= state
    assert {
        "integrations.view_delivery",
        "integrations.view_deliveryattempt",
        "integrations.view_apikeyuse",
        "integrations.view_statusupdate",
    } <= state
    # Read-only on the audit and what comes back; nothing of cases, residents or staff accounts.
    assert not {p for p in state if p.split(".")[0] in ("cases", "accounts", "auth", "contact_centre")}
    assert not {"integrations.change_delivery", "integrations.delete_apikeyuse"} & state
    # Nobody else may.
    others = {name for name in STAFF_GROUPS if "integrations.manage_integrations" in _state(name)["global"]}
    assert others == {"Integration managers"}
