"""Who may do what with council content, beyond Wagtail's own page permissions."""

from wagtail.models import Page
from wagtail.permissions import policy_registry

# Editing permissions that make a user responsible for reviewing pages.
EDIT_PERMISSIONS = ["add", "change", "publish"]


def can_review(user) -> bool:
    return policy_registry.get_by_type(Page).user_has_any_permission(user, EDIT_PERMISSIONS)
