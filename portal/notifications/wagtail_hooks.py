"""Editors keep the wording of every message in Wagtail: Snippets → Messages."""

from django.utils.functional import cached_property

from wagtail.admin.ui.tables import Column, LiveStatusTagColumn, UpdatedAtColumn
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .messages import message_type
from .models import MessageTemplate


class MessageTemplatePermissionPolicy(ModelPermissionPolicy):
    """Editors change and publish wording; no one adds or deletes a message (its kinds are the
    portal's: each row is made from a message type on migrate)."""

    def user_has_permission(self, user, action):
        if action in ("add", "delete", "copy"):
            return False
        return super().user_has_permission(user, action)

    def user_has_permission_for_instance(self, user, action, instance):
        if action in ("add", "delete", "copy"):
            return False
        return super().user_has_permission_for_instance(user, action, instance)


def _group(template: MessageTemplate) -> str:
    message = message_type(template.key)
    return message.group if message else ""


def _channels(template: MessageTemplate) -> str:
    ways = ["Email"]
    if template.sms_body.strip():
        ways.append("text")
    if template.letter_body.strip():
        ways.append("letter")
    return ", ".join(ways)


class MessageTemplateViewSet(SnippetViewSet):
    model = MessageTemplate
    icon = "mail"
    menu_label = "Messages"
    menu_name = "messages"
    menu_order = 220
    add_to_admin_menu = True
    url_prefix = "messages"
    search_fields = ["name", "email_subject", "key"]
    search_backend_name = None
    ordering = ["name"]
    list_per_page = 50
    copy_view_enabled = False
    inspect_view_enabled = False

    @cached_property
    def list_display(self):
        return [
            "name",
            Column("group", label="About", accessor=_group),
            Column("channels", label="Can be sent by", accessor=_channels),
            # "Live + draft": a change saved as a draft, not yet sent to anyone.
            LiveStatusTagColumn(),
            UpdatedAtColumn(),
        ]


# Before the viewset is registered: Wagtail 8 reads policies from this registry.
permission_policy = MessageTemplatePermissionPolicy(MessageTemplate)
register_permission_policy(MessageTemplate, permission_policy, exact_class=True)
register_snippet(MessageTemplateViewSet)
