"""Staff groups hold the permissions their work needs and no more; security-relevant staff actions
are audited."""

import pytest

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from wagtail.models import GroupCollectionPermission, GroupPagePermission, ModelLogEntry

from tests.accounts.factories import StaffFactory, UserFactory
from tests.accounts.signin import sign_in

pytestmark = pytest.mark.django_db
User = get_user_model()

IMAGES_AND_DOCUMENTS = {
    "wagtailimages.add_image",
    "wagtailimages.change_image",
    "wagtailimages.choose_image",
    "wagtailimages.delete_image",
    "wagtaildocs.add_document",
    "wagtaildocs.change_document",
    "wagtaildocs.choose_document",
    "wagtaildocs.delete_document",
}
ROOT_COLLECTION = {
    "add_image",
    "change_image",
    "choose_image",
    "add_document",
    "change_document",
    "choose_document",
}
MANAGED_APPS = {
    "contact_centre",
    "wagtailadmin",
    "wagtailcore",
    "wagtailimages",
    "wagtaildocs",
    "interactions",
    "accounts",
    "auth",
}
CONTENT_GROUPS = {"Editors", "Moderators"}
EXPECTED = {
    "Editors": {
        "global": {"wagtailadmin.access_admin", *IMAGES_AND_DOCUMENTS},
        "pages": {"add_page", "change_page"},
        "collections": ROOT_COLLECTION,
    },
    "Moderators": {
        "global": {"wagtailadmin.access_admin", *IMAGES_AND_DOCUMENTS},
        "pages": {"add_page", "change_page", "publish_page", "lock_page", "unlock_page"},
        "collections": ROOT_COLLECTION,
    },
    "Case officers": {
        "global": {
            "wagtailadmin.access_admin",
            "interactions.add_assistedcontact",
            "interactions.change_assistedcontact",
            "interactions.view_assistedcontact",
            "cases.view_case",
            "cases.change_case",
        },
        "pages": set(),
        "collections": set(),
    },
    "Service managers": {
        "global": {
            "wagtailadmin.access_admin",
            "interactions.view_assistedcontact",
            "interactions.view_contact_insights",
            "insights.set_measure_targets",
            "cases.view_case",
            "cases.change_case",
            "cases.add_team",
            "cases.change_team",
            "cases.view_team",
            "interactions.add_contactteam",
            "interactions.change_contactteam",
            "interactions.delete_contactteam",
            "interactions.view_contactteam",
        },
        "pages": set(),
        "collections": set(),
    },
    "Contact centre": {
        "global": {
            "wagtailadmin.access_admin",
            "contact_centre.help_callers",
            "interactions.add_assistedcontact",
            "interactions.change_assistedcontact",
            "interactions.view_assistedcontact",
        },
        "pages": set(),
        "collections": set(),
    },
    "Auditors": {
        "global": {"wagtailadmin.access_admin", "accounts.audit_staffaccess"},
        "pages": set(),
        "collections": set(),
    },
    "Finance": {
        "global": {
            "wagtailadmin.access_admin",
            "payments.view_payment",
            "payments.refund_payment",
            "payments.reconcile_payments",
            "payments.add_bill",
            "payments.change_bill",
            "payments.view_bill",
        },
        "pages": set(),
        "collections": set(),
    },
}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_each_staff_group_has_exactly_its_permissions(name):
    group = Group.objects.get(name=name)
    perms = group.permissions.select_related("content_type")
    if name in CONTENT_GROUPS:
        # Content features (snippets, settings, search promotions) grant their own permissions.
        perms = perms.filter(content_type__app_label__in=MANAGED_APPS)
    global_perms = {f"{p.content_type.app_label}.{p.codename}" for p in perms}
    page_perms = GroupPagePermission.objects.filter(group=group)
    collection_perms = GroupCollectionPermission.objects.filter(group=group)
    assert global_perms == EXPECTED[name]["global"]
    assert {p.permission.codename for p in page_perms} == EXPECTED[name]["pages"]
    assert all(p.page.depth == 1 for p in page_perms)  # on the root: every page
    assert {p.permission.codename for p in collection_perms} == EXPECTED[name]["collections"]
    assert all(p.collection.depth == 1 for p in collection_perms)


def test_no_staff_group_can_manage_users_or_groups():
    for name in EXPECTED:
        perms = Group.objects.get(name=name).permissions.exclude(codename="audit_staffaccess")
        assert not perms.filter(content_type__app_label__in=["accounts", "auth"]).exists()


def test_only_auditors_read_the_staff_access_audit_and_only_agents_open_resident_records():
    holders = {
        name: set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))
        for name in EXPECTED
    }
    assert {name for name, codes in holders.items() if "audit_staffaccess" in codes} == {"Auditors"}
    assert {name for name, codes in holders.items() if "help_callers" in codes} == {"Contact centre"}


def _entries(action, **filters):
    return ModelLogEntry.objects.filter(action=action, **filters)


def test_staff_sign_ins_and_failed_attempts_are_audited(client):
    staff = StaffFactory()
    resident = UserFactory()
    client.post(reverse("account_login"), {"login": staff.email, "password": "wrong"})
    sign_in(client, staff)
    sign_in(client, resident)
    assert _entries("portal.staff.sign_in_failed", object_id=str(staff.pk)).count() == 1
    entry = _entries("portal.staff.sign_in", object_id=str(staff.pk)).get()
    assert entry.user_id == staff.pk
    assert not ModelLogEntry.objects.filter(
        object_id=str(resident.pk), action__startswith="portal.staff.sign"
    )


def test_mfa_changes_of_staff_are_audited(web):
    from allauth.mfa.models import Authenticator

    staff = StaffFactory()
    extra = Authenticator.objects.create(user=staff, type=Authenticator.Type.WEBAUTHN, data={"name": "Key"})
    sign_in(web, staff)
    web.post(reverse("account_reauthenticate"), {"password": "a-long-and-unusual-passphrase-42"})
    # Removing the TOTP is allowed while a passkey remains.
    response = web.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 302
    entry = _entries("portal.staff.mfa_removed", object_id=str(staff.pk)).first()
    assert entry is not None and entry.data["kind"] == "totp"
    assert extra.pk


def test_group_and_permission_changes_and_deactivation_are_audited():
    staff = StaffFactory()
    editors = Group.objects.get(name="Editors")
    staff.groups.add(editors)
    staff.groups.remove(editors)
    finance = Group.objects.get(name="Finance")
    finance.permissions.add(Permission.objects.get(codename="view_assistedcontact"))
    staff.is_active = False
    staff.save()
    staff.is_superuser = True
    staff.is_active = True
    staff.save()

    assert _entries("portal.staff.groups_changed", object_id=str(staff.pk), data__added=["Editors"]).exists()
    assert _entries(
        "portal.staff.groups_changed", object_id=str(staff.pk), data__removed=["Editors"]
    ).exists()
    assert _entries(
        "portal.staff.group_permissions_changed",
        object_id=str(finance.pk),
        data__added=["interactions.view_assistedcontact"],
    ).exists()
    assert _entries("portal.staff.deactivated", object_id=str(staff.pk)).exists()
    assert _entries("portal.staff.reactivated", object_id=str(staff.pk)).exists()
    assert _entries(
        "portal.staff.admin_rights_changed", object_id=str(staff.pk), data__is_superuser=True
    ).exists()


def test_changes_made_in_the_admin_record_who_made_them(client):
    admin = StaffFactory(is_superuser=True)
    target = StaffFactory(full_name="Tess Target")
    client.force_login(admin)
    response = client.post(
        reverse("wagtailusers_users:edit", args=[target.pk]),
        {
            "email": target.email,
            "full_name": "Tess Target",
            "is_active": "",
            "groups": [Group.objects.get(name="Finance").pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[:1000]
    deactivated = _entries("portal.staff.deactivated", object_id=str(target.pk)).get()
    assert deactivated.user_id == admin.pk
    assert _entries("portal.staff.groups_changed", object_id=str(target.pk), user=admin).exists()


def test_only_superusers_see_the_staff_audit_log(client):
    staff = StaffFactory()
    sign_in(client, staff)
    client.logout()

    superuser = StaffFactory(is_superuser=True)
    client.force_login(superuser)
    response = client.get("/admin/reports/site-history/results/?action=portal.staff.sign_in")
    assert response.status_code == 200
    assert "Staff: signed in" in response.text

    editor = StaffFactory()
    editor.groups.add(Group.objects.get(name="Moderators"))
    client.force_login(editor)
    response = client.get("/admin/reports/site-history/results/?action=portal.staff.sign_in")
    assert "Staff: signed in" not in response.text


def test_staff_change_their_email_in_my_account_not_unverified_in_the_admin(client):
    staff = StaffFactory()
    staff.groups.add(Group.objects.get(name="Editors"))
    client.force_login(staff)
    page = client.get("/admin/account/")
    assert page.status_code == 200
    assert 'name="name_email-email"' not in page.text
