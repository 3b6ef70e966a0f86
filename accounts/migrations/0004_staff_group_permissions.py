"""Each staff group gets the permissions its work needs, and no more.

Wagtail's own migrations give every group with admin access the image and document
choosers; the portal's non-content groups do not need them, so they are taken away here.
Only the permissions of the apps below are set; others (the content features' snippets,
settings and search promotions) are granted by those features and left alone. The sets
are also asserted, one by one, in tests/accounts/test_staff.py.
"""

from django.db import migrations

IMAGE_DOCUMENT = [
    "wagtailimages.add_image",
    "wagtailimages.change_image",
    "wagtailimages.choose_image",
    "wagtailimages.delete_image",
    "wagtaildocs.add_document",
    "wagtaildocs.change_document",
    "wagtaildocs.choose_document",
    "wagtaildocs.delete_document",
]
COLLECTION = [
    "add_image",
    "change_image",
    "choose_image",
    "add_document",
    "change_document",
    "choose_document",
]

GROUPS = {
    "Editors": {
        "global": ["wagtailadmin.access_admin", *IMAGE_DOCUMENT],
        "root_page": ["add_page", "change_page"],
        "root_collection": COLLECTION,
    },
    "Moderators": {
        "global": ["wagtailadmin.access_admin", *IMAGE_DOCUMENT],
        "root_page": ["add_page", "change_page", "publish_page", "lock_page", "unlock_page"],
        "root_collection": COLLECTION,
    },
    "Case officers": {
        "global": [
            "wagtailadmin.access_admin",
            "interactions.add_assistedcontact",
            "interactions.change_assistedcontact",
            "interactions.view_assistedcontact",
        ],
    },
    "Service managers": {
        "global": [
            "wagtailadmin.access_admin",
            "interactions.view_assistedcontact",
            "interactions.view_contact_insights",
        ],
    },
    # Until payments exist, Finance can sign in to the admin and nothing else.
    "Finance": {"global": ["wagtailadmin.access_admin"]},
}
MANAGED_APPS = {
    "wagtailadmin",
    "wagtailcore",
    "wagtailimages",
    "wagtaildocs",
    "interactions",
    "accounts",
    "auth",
}


def _ensure_permissions(apps):
    from django.contrib.auth.management import create_permissions

    for label in ("wagtailcore", "wagtailimages", "wagtaildocs", "interactions"):
        config = apps.get_app_config(label)
        # create_permissions skips app configs without a models module; migration stubs have none.
        had_models_module = getattr(config, "models_module", None)
        config.models_module = had_models_module or True
        create_permissions(config, apps=apps, verbosity=0)
        config.models_module = had_models_module
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    admin_ct, _ = ContentType.objects.get_or_create(app_label="wagtailadmin", model="admin")
    Permission.objects.get_or_create(
        content_type=admin_ct, codename="access_admin", defaults={"name": "Can access Wagtail admin"}
    )


def _permission(apps, dotted):
    app_label, codename = dotted.split(".")
    return apps.get_model("auth", "Permission").objects.get(
        content_type__app_label=app_label, codename=codename
    )


def grant(apps, schema_editor):
    _ensure_permissions(apps)
    Group = apps.get_model("auth", "Group")
    Page = apps.get_model("wagtailcore", "Page")
    Collection = apps.get_model("wagtailcore", "Collection")
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    GroupCollectionPermission = apps.get_model("wagtailcore", "GroupCollectionPermission")
    Permission = apps.get_model("auth", "Permission")
    root_page = Page.objects.filter(depth=1).first()
    root_collection = Collection.objects.filter(depth=1).first()

    for name, spec in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = [_permission(apps, dotted) for dotted in spec["global"]]
        keep = set(
            group.permissions.exclude(content_type__app_label__in=MANAGED_APPS).values_list("pk", flat=True)
        )
        group.permissions.set([p.pk for p in wanted] + list(keep))

        GroupPagePermission.objects.filter(group=group).delete()
        for codename in spec.get("root_page", []):
            GroupPagePermission.objects.create(
                group=group,
                page=root_page,
                permission=Permission.objects.get(content_type__app_label="wagtailcore", codename=codename),
            )
        GroupCollectionPermission.objects.filter(group=group).delete()
        for codename in spec.get("root_collection", []):
            app_label = "wagtailimages" if codename.endswith("_image") else "wagtaildocs"
            GroupCollectionPermission.objects.create(
                group=group,
                collection=root_collection,
                permission=Permission.objects.get(content_type__app_label=app_label, codename=codename),
            )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_profile_and_data_exports"),
        ("interactions", "0004_rollup_key_length"),
        ("wagtailadmin", "0006_formstate"),
        ("wagtailcore", "0098_apitoken"),
        ("wagtailimages", "0027_image_description"),
        ("wagtaildocs", "0014_alter_document_file_size"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
