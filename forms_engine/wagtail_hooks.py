"""The forms editor in the Wagtail admin (views in ``admin_views.py``)."""

from wagtail import hooks
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet

from .admin_views import ServiceFormViewSet, permission_policy
from .lifecycle import ARCHIVE_ACTION, REOPEN_ACTION
from .models import ServiceForm

# Before the viewset is registered: Wagtail 8 reads policies from this registry.
register_permission_policy(ServiceForm, permission_policy, exact_class=True)
register_snippet(ServiceFormViewSet)


@hooks.register("register_log_actions")
def register_form_actions(actions):
    actions.register_action(ARCHIVE_ACTION, "Archive", "Archived: residents see the closed message")
    actions.register_action(REOPEN_ACTION, "Reopen", "Reopened to residents")
