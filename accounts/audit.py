"""The audit log of security-relevant staff actions, kept in Wagtail's own log.

Entries are logged against the staff user (or the group) concerned, so they appear in
*Reports → Site history* and in that user's history in the admin: visible to superusers
only, since no staff group may view users. The acting user comes from Wagtail's log
context, which the admin sets for each request.

Like the interaction log's receivers, this is instrumentation hanging off the framework's
signals: a failure is logged and never breaks what was being done.
"""

import functools
import logging

from allauth.mfa import signals as mfa_signals

from django.contrib.auth import get_user_model
from django.contrib.auth import signals as auth_signals
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver

from wagtail.log_actions import log
from wagtail.models import GroupCollectionPermission, GroupPagePermission

from portal.interactions.receivers import account_for_credentials

from .mfa import has_admin_access

logger = logging.getLogger(__name__)
User = get_user_model()

STAFF_ACTIONS = {
    "portal.staff.sign_in": "Staff: signed in",
    "portal.staff.sign_in_failed": "Staff: sign-in failed",
    "portal.staff.mfa_added": "Staff: 2-step verification added",
    "portal.staff.mfa_removed": "Staff: 2-step verification removed",
    "portal.staff.recovery_codes_reset": "Staff: new recovery codes",
    "portal.staff.groups_changed": "Staff: groups changed",
    "portal.staff.group_permissions_changed": "Staff: group permissions changed",
    "portal.staff.deactivated": "User deactivated",
    "portal.staff.reactivated": "User reactivated",
    "portal.staff.admin_rights_changed": "Staff: staff or superuser status changed",
}
_WATCHED_FLAGS = ("is_active", "is_staff", "is_superuser")


def _log(instance, action: str, *, user=None, **data) -> None:
    with transaction.atomic():
        log(instance, action, user=user, data=data)


def _quietly(receiver_function):
    """Run a receiver in a savepoint; if it fails, log why and let the caller carry on."""

    @functools.wraps(receiver_function)
    def wrapper(*args, **kwargs):
        if kwargs.get("raw"):  # loading fixtures or serialized test data: nothing is happening
            return
        try:
            with transaction.atomic():
                receiver_function(*args, **kwargs)
        except Exception:
            logger.exception("Could not write an audit entry in %s", receiver_function.__name__)

    return wrapper


@receiver(auth_signals.user_logged_in)
@_quietly
def _signed_in(sender, request, user, **kwargs):
    if has_admin_access(user):
        _log(user, "portal.staff.sign_in", user=user)


@receiver(auth_signals.user_login_failed)
@_quietly
def _sign_in_failed(sender, credentials, request=None, **kwargs):
    account = account_for_credentials(credentials)
    if account is not None and has_admin_access(account):
        _log(account, "portal.staff.sign_in_failed")


@receiver(mfa_signals.authenticator_added)
@_quietly
def _mfa_added(sender, request, user, authenticator, **kwargs):
    if has_admin_access(user):
        _log(user, "portal.staff.mfa_added", user=user, kind=authenticator.type)


@receiver(mfa_signals.authenticator_removed)
@_quietly
def _mfa_removed(sender, request, user, authenticator, **kwargs):
    if has_admin_access(user):
        _log(user, "portal.staff.mfa_removed", user=user, kind=authenticator.type)


@receiver(mfa_signals.authenticator_reset)
@_quietly
def _mfa_reset(sender, request, user, authenticator, **kwargs):
    if has_admin_access(user):
        _log(user, "portal.staff.recovery_codes_reset", user=user, kind=authenticator.type)


@receiver(m2m_changed, sender=User.groups.through)
@_quietly
def _groups_changed(sender, instance, action, reverse, model, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    change = "removed" if action in ("post_remove", "pre_clear") else "added"
    if not reverse:
        groups = instance.groups.all() if action == "pre_clear" else Group.objects.filter(pk__in=pk_set or ())
        names = sorted(group.name for group in groups)
        if names:
            _log(instance, "portal.staff.groups_changed", **{change: names})
        return
    users = instance.user_set.all() if action == "pre_clear" else User.objects.filter(pk__in=pk_set or ())
    for user in users:
        _log(user, "portal.staff.groups_changed", **{change: [instance.name]})


@receiver(m2m_changed, sender=Group.permissions.through)
@_quietly
def _group_permissions_changed(sender, instance, action, reverse, model, pk_set, **kwargs):
    if reverse or action not in ("post_add", "post_remove", "pre_clear"):
        return
    change = "removed" if action in ("post_remove", "pre_clear") else "added"
    permissions = (
        instance.permissions.all() if action == "pre_clear" else model.objects.filter(pk__in=pk_set or ())
    )
    codenames = sorted(
        f"{p.content_type.app_label}.{p.codename}" for p in permissions.select_related("content_type")
    )
    if codenames:
        _log(instance, "portal.staff.group_permissions_changed", **{change: codenames})


@_quietly
def _object_permission_changed(sender, instance, created=True, **kwargs):
    target = getattr(instance, "page", None) or getattr(instance, "collection", None)
    change = "added" if kwargs.get("signal") is post_save else "removed"
    _log(
        instance.group,
        "portal.staff.group_permissions_changed",
        **{change: [f"{instance.permission.codename} on {target}"]},
    )


for _model in (GroupPagePermission, GroupCollectionPermission):
    post_save.connect(_object_permission_changed, sender=_model, dispatch_uid=f"audit-save-{_model.__name__}")
    post_delete.connect(
        _object_permission_changed, sender=_model, dispatch_uid=f"audit-delete-{_model.__name__}"
    )


@receiver(pre_save, sender=User)
@_quietly
def _remember_flags(sender, instance, update_fields=None, raw=False, **kwargs):
    if raw or instance.pk is None:
        return
    if update_fields is not None and not set(update_fields) & set(_WATCHED_FLAGS):
        return
    instance._audit_flags = User.objects.filter(pk=instance.pk).values(*_WATCHED_FLAGS).first()


@receiver(post_save, sender=User)
@_quietly
def _flags_changed(sender, instance, created, raw=False, **kwargs):
    before = instance.__dict__.pop("_audit_flags", None)
    if raw or created or not before:
        return
    if before["is_active"] != instance.is_active:
        _log(instance, "portal.staff.reactivated" if instance.is_active else "portal.staff.deactivated")
    changed = {
        flag: instance.__dict__[flag]
        for flag in ("is_staff", "is_superuser")
        if before[flag] != instance.__dict__[flag]
    }
    if changed:
        _log(instance, "portal.staff.admin_rights_changed", **changed)
