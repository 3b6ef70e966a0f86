"""The staff groups and everything each may do, declared in one place.

``staff_groups_sync()`` makes the database match these tables: it creates a missing group
and sets each group's permissions to exactly what is declared here (one given by hand is
taken away, one taken away by hand is given back). It runs after every ``migrate``
(a ``post_migrate`` receiver, see ``AccountsConfig.ready``), so a change to a table takes
effect on the next deploy without a migration. Groups not named here (made by a superuser
in the admin) are left alone.

Four kinds of permission, because Wagtail keeps some of them per page, per collection or per
workflow task rather than on the group:

- ``STAFF_GROUPS``: the group's own (Django) permissions, as ``"app_label.codename"``.
- ``PAGE_PERMISSIONS``: Wagtail page permissions, on the root of the page tree, so they
  apply to every page. Permissions on one section (a page and the pages below it) are the
  council's to give in Settings → Groups, and the sync leaves them alone: that is how a
  section is published without moderation (its editors may publish there).
- ``COLLECTION_PERMISSIONS``: image and document permissions, on the root collection, so
  they apply to every collection.
- ``APPROVAL_TASKS``: the groups that approve each moderation task (the tasks and their
  workflows are created by Wagtail's and cms's migrations).

No group may manage users or groups (no ``accounts`` or ``auth`` permission), and nobody
can add, edit or delete a payment in the admin, or delete a bill (bills with payments are
financial records). Which cases a case officer sees is decided by
``portal.cases.permissions``, not by these codenames.
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import DEFAULT_DB_ALIAS, transaction

from wagtail.snippets.models import create_extra_permissions

ADMIN = "wagtailadmin.access_admin"
IMAGES_AND_DOCUMENTS = [
    "wagtailimages.add_image",
    "wagtailimages.change_image",
    "wagtailimages.choose_image",
    "wagtailimages.delete_image",
    "wagtaildocs.add_document",
    "wagtaildocs.change_document",
    "wagtaildocs.choose_document",
    "wagtaildocs.delete_document",
]
# Site alerts, redirects, promoted search results and search synonyms.
CONTENT_FEATURES = [
    "cms.add_alert",
    "cms.change_alert",
    "cms.delete_alert",
    "cms.publish_alert",
    "wagtailredirects.add_redirect",
    "wagtailredirects.change_redirect",
    "wagtailredirects.delete_redirect",
    "wagtailsearchpromotions.add_searchpromotion",
    "wagtailsearchpromotions.change_searchpromotion",
    "wagtailsearchpromotions.delete_searchpromotion",
    # Words that mean the same to residents, for search and the A to Z (Settings → Search synonyms).
    "cms.add_synonymgroup",
    "cms.change_synonymgroup",
    "cms.delete_synonymgroup",
    # The wording of the emails, texts and letters the portal sends (portal.notifications).
    "notifications.change_messagetemplate",
    "notifications.publish_messagetemplate",
]
# Build online forms (Wagtail's "Forms") and submit them for moderation, as with pages.
SERVICE_FORMS = [
    "forms_engine.add_serviceform",
    "forms_engine.change_serviceform",
    "forms_engine.delete_serviceform",
]
# Approve, publish, archive and reopen forms, and lock or unlock them (Moderators).
SERVICE_FORMS_PUBLISH = [
    "forms_engine.publish_serviceform",
    "forms_engine.lock_serviceform",
    "forms_engine.unlock_serviceform",
]

# In the order the groups are created: Wagtail's migrations make Moderators and Editors.
STAFF_GROUPS: dict[str, list[str]] = {
    # Publish pages and forms, and change the council settings (name, contact details, cost per transaction).
    "Moderators": [
        ADMIN,
        *IMAGES_AND_DOCUMENTS,
        *CONTENT_FEATURES,
        *SERVICE_FORMS,
        *SERVICE_FORMS_PUBLISH,
        "cms.change_councilsettings",
    ],
    "Editors": [ADMIN, *IMAGES_AND_DOCUMENTS, *CONTENT_FEATURES, *SERVICE_FORMS],
    # Work their teams' cases and record assisted contacts.
    "Case officers": [
        ADMIN,
        "cases.view_case",
        "cases.change_case",
        "interactions.add_assistedcontact",
        "interactions.change_assistedcontact",
        "interactions.view_assistedcontact",
    ],
    # See and work every case, set up teams and their members, and the teams that handle
    # assisted contacts (archived, not deleted, once used), read Contact insights and set its targets.
    "Service managers": [
        ADMIN,
        "cases.view_case",
        "cases.change_case",
        "cases.add_team",
        "cases.change_team",
        "cases.view_team",
        "interactions.add_contactteam",
        "interactions.change_contactteam",
        "interactions.delete_contactteam",
        "interactions.view_contactteam",
        "interactions.view_assistedcontact",
        "interactions.view_contact_insights",
        "insights.set_measure_targets",
    ],
    # Contact-centre agents: find callers, check who they are, open their resident records and
    # do their business with them (forms, drafts, payment links), and record each contact.
    # The only group that sees resident records (contact_centre.help_callers).
    "Contact centre": [
        ADMIN,
        "contact_centre.help_callers",
        "interactions.add_assistedcontact",
        "interactions.change_assistedcontact",
        "interactions.view_assistedcontact",
    ],
    # Read every staff look at, and action on, residents' records (accounts.StaffAccess).
    "Auditors": [ADMIN, "accounts.audit_staffaccess"],
    # See every payment, refund, reconcile, and create, edit and import bills.
    "Finance": [
        ADMIN,
        "payments.view_payment",
        "payments.refund_payment",
        "payments.reconcile_payments",
        "payments.add_bill",
        "payments.change_bill",
        "payments.view_bill",
    ],
    # Connect the portal to other systems (portal.integrations): API keys for the apps and back
    # offices that call it, where each form's submissions are delivered, the delivery log (with
    # "Resend"), and exports of a form's submissions. Read-only on what comes back.
    "Integration managers": [
        ADMIN,
        "integrations.manage_integrations",
        "integrations.view_apiclient",
        "integrations.add_apiclient",
        "integrations.change_apiclient",
        "integrations.delete_apiclient",
        "integrations.view_destination",
        "integrations.add_destination",
        "integrations.change_destination",
        "integrations.delete_destination",
        "integrations.view_delivery",
        "integrations.view_deliveryattempt",
        "integrations.view_apikeyuse",
        "integrations.view_statusupdate",
    ],
}

PAGE_PERMISSIONS: dict[str, list[str]] = {
    "Moderators": [
        "wagtailcore.add_page",
        "wagtailcore.change_page",
        "wagtailcore.publish_page",
        "wagtailcore.lock_page",
        "wagtailcore.unlock_page",
    ],
    "Editors": ["wagtailcore.add_page", "wagtailcore.change_page"],
}

_ROOT_COLLECTION = [
    "wagtailimages.add_image",
    "wagtailimages.change_image",
    "wagtailimages.choose_image",
    "wagtaildocs.add_document",
    "wagtaildocs.change_document",
    "wagtaildocs.choose_document",
]
COLLECTION_PERMISSIONS: dict[str, list[str]] = {
    "Moderators": _ROOT_COLLECTION,
    "Editors": _ROOT_COLLECTION,
}

APPROVAL_TASKS: dict[str, list[str]] = {
    # Wagtail's default workflow ("Moderators approval"), on the tree root: pages outside any site.
    "Moderators approval": ["Moderators"],
    # The "Moderation" workflow on the council site's home page (cms's initial migration).
    "Moderator approval": ["Moderators"],
}

_MODELS = {
    "Group": "auth.Group",
    "Permission": "auth.Permission",
    "Page": "wagtailcore.Page",
    "Collection": "wagtailcore.Collection",
    "GroupPagePermission": "wagtailcore.GroupPagePermission",
    "GroupCollectionPermission": "wagtailcore.GroupCollectionPermission",
    "GroupApprovalTask": "wagtailcore.GroupApprovalTask",
}


def _permissions_ensure(using: str, apps) -> None:
    """Create every model's Permission rows now (Django and Wagtail add them later in post_migrate)."""
    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using, apps=apps)
    # Snippets' publish, lock and unlock permissions (forms_engine.publish_serviceform).
    create_extra_permissions(global_apps.get_app_config("wagtailsnippets"), using=using, apps=apps)


def _permission_ids(Permission, using: str, dotted_names: set[str]) -> dict[str, int]:
    app_labels = {name.split(".", 1)[0] for name in dotted_names}
    found = {
        f"{app_label}.{codename}": pk
        for app_label, codename, pk in Permission.objects.using(using)
        .filter(content_type__app_label__in=app_labels)
        .values_list("content_type__app_label", "codename", "pk")
    }
    missing = sorted(dotted_names - found.keys())
    if missing:
        raise LookupError(f"accounts/groups.py names permissions that do not exist: {', '.join(missing)}")
    return {name: found[name] for name in dotted_names}


def _object_permissions_set(Through, using: str, group, field: str, target, permission_ids: set[int]) -> None:
    """Set the group's rows of ``Through`` (per-page or per-collection) to these permissions on ``target``.

    Only the rows on ``target`` (the root) are managed: a permission on one section, given in
    Settings → Groups (say, Editors may publish the Libraries pages without moderation), is kept.
    """
    rows = Through.objects.using(using).filter(group=group, **{f"{field}_id": target.pk if target else None})
    wanted = {(target.pk, pk) for pk in permission_ids} if target is not None else set()
    existing = {(row[0], row[1]): row[2] for row in rows.values_list(f"{field}_id", "permission_id", "pk")}
    stale = [pk for key, pk in existing.items() if key not in wanted]
    if stale:
        Through.objects.using(using).filter(pk__in=stale).delete()
    Through.objects.using(using).bulk_create(
        [
            Through(group=group, **{f"{field}_id": target_id}, permission_id=pk)
            for target_id, pk in wanted - existing.keys()
        ]
    )


def staff_groups_sync(*, using: str = DEFAULT_DB_ALIAS, apps=global_apps) -> None:
    """Create the staff groups and give each exactly the permissions declared above.

    Idempotent. ``apps`` is the migration state's registry when run after ``migrate``.
    """
    try:
        models = {name: apps.get_model(label) for name, label in _MODELS.items()}
    except LookupError:  # migrated back past one of these tables: nothing to sync
        return
    _permissions_ensure(using, apps)
    declared = {
        name
        for table in (STAFF_GROUPS, PAGE_PERMISSIONS, COLLECTION_PERMISSIONS)
        for names in table.values()
        for name in names
    }
    permission_ids = _permission_ids(models["Permission"], using, declared)
    root_page = models["Page"].objects.using(using).filter(depth=1).order_by("path").first()
    root_collection = models["Collection"].objects.using(using).filter(depth=1).order_by("path").first()

    with transaction.atomic(using=using):
        groups = {}
        for name, permissions in STAFF_GROUPS.items():
            group, _ = models["Group"].objects.using(using).get_or_create(name=name)
            group.permissions.set([permission_ids[p] for p in permissions])
            groups[name] = group
        for table, Through, field, target in (
            (PAGE_PERMISSIONS, models["GroupPagePermission"], "page", root_page),
            (COLLECTION_PERMISSIONS, models["GroupCollectionPermission"], "collection", root_collection),
        ):
            for name, group in groups.items():
                ids = {permission_ids[p] for p in table.get(name, [])}
                _object_permissions_set(Through, using, group, field, target, ids)
        for task_name, group_names in APPROVAL_TASKS.items():
            for task in models["GroupApprovalTask"].objects.using(using).filter(name=task_name):
                task.groups.set([groups[name] for name in group_names])


def staff_groups_sync_after_migrate(
    sender, *, using: str = DEFAULT_DB_ALIAS, apps=global_apps, plan=None, **kwargs
):
    """After ``migrate``. (``flush`` sends post_migrate too, with no plan: an emptied database stays so.)"""
    if plan is None:
        return
    staff_groups_sync(using=using, apps=apps)
