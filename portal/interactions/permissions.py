from django.contrib.contenttypes.models import ContentType
from django.utils.functional import cached_property

from wagtail.permission_policies import ModelPermissionPolicy


class ProxyModelPermissionPolicy(ModelPermissionPolicy):
    """A model permission policy that also works for proxy models.

    Django gives a proxy model its own permissions, under the proxy's content type
    (``interactions.add_assistedcontact``). Wagtail's ``ModelPermissionPolicy`` checks
    users with ``has_perm`` (which is right), but finds ``Permission`` rows under
    ``ContentType.objects.get_for_model(model)``, the *concrete* model's content type,
    so ``users_with_permission`` and friends would find nobody.
    """

    @cached_property
    def _content_type(self):
        return ContentType.objects.get_for_model(self.auth_model, for_concrete_model=False)


PERMISSION = "interactions.view_contact_insights"


def can_view_contact_insights(user) -> bool:
    """Service managers (and superusers): anyone granted the dashboard's own permission."""
    return bool(user and user.is_active and (user.is_superuser or user.has_perm(PERMISSION)))
