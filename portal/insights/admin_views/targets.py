"""Contact measure targets in the Wagtail admin (Reports, "Contact measure targets").

Only staff with "Can set contact measure targets" (service managers) see or change them; for
anyone else every URL of the viewset answers 403 (Wagtail would otherwise redirect). The
average cost is stored in pence, as every amount in the portal, and typed in pounds.
"""

from decimal import Decimal

from django.template.response import TemplateResponse
from django.urls import URLPattern
from django.utils.functional import cached_property

from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy

from portal.interactions.models import LgslService

from ..models import AVERAGE_COST, MeasureTarget
from ..targets import PERMISSION, can_set_targets

PAGE_TITLE = "Contact measure targets"
ACTIONS = ("add", "change", "delete", "view")


class TargetPermissionPolicy(ModelPermissionPolicy):
    """Every action on targets needs the one permission, "Can set contact measure targets"."""

    def user_has_permission(self, user, action):
        return action in ACTIONS and can_set_targets(user)

    def _get_permission_codenames(self, actions):
        # Who may act on targets (Wagtail asks, e.g. for notifications): the one permission.
        return {PERMISSION.split(".")[1]} if set(actions) & set(ACTIONS) else set()


permission_policy = TargetPermissionPolicy(MeasureTarget)


class MeasureTargetForm(WagtailAdminModelForm):
    """The measure, the service (blank: all services), the target and the amber margin."""

    class Meta:
        model = MeasureTarget
        fields = ["measure", "service", "target", "amber_margin"]
        labels = {"amber_margin": "Amber margin"}
        error_messages = {
            "measure": {"required": "Choose a measure"},
            "target": {"required": "Enter a target", "invalid": "Enter the target as a number, such as 20"},
            "amber_margin": {
                "required": "Enter an amber margin, or 0 for none",
                "invalid": "Enter the amber margin as a number, such as 5",
            },
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        service = self.fields["service"]
        service.queryset = LgslService.objects.all()
        service.empty_label = "All services"
        service.required = False
        service.error_messages["invalid_choice"] = "Choose a service from the list"
        if self.instance.pk and self.instance.measure == AVERAGE_COST:
            # Stored in pence: shown in pounds.
            self.initial["target"] = self.instance.target / 100
            self.initial["amber_margin"] = self.instance.amber_margin / 100

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("measure") == AVERAGE_COST:
            for name in ("target", "amber_margin"):
                if cleaned.get(name) is not None:
                    cleaned[name] = (cleaned[name] * 100).quantize(Decimal("0.01"))
        return cleaned


def _forbid_without_permission(view):
    def guarded(request, *args, **kwargs):
        if not can_set_targets(request.user):
            return TemplateResponse(
                request, "insights/targets_forbidden.html", {"page_title": PAGE_TITLE}, status=403
            )
        return view(request, *args, **kwargs)

    guarded.__name__ = getattr(view, "__name__", "guarded")
    return guarded


def _service(target: MeasureTarget) -> str:
    return str(target.service) if target.service_id else "All services"


def _amount(target: MeasureTarget) -> str:
    return target.direction_text


def _margin(target: MeasureTarget) -> str:
    return target.margin_text


class MeasureTargetViewSet(ModelViewSet):
    """Targets per measure, for all services or one service, listed in Reports beside Contact insights."""

    model = MeasureTarget
    form_class = MeasureTargetForm
    permission_policy = permission_policy
    icon = "pick"
    menu_label = PAGE_TITLE
    name = "measure_targets"
    url_prefix = "contact-insights/targets"
    add_to_admin_menu = False
    copy_view_enabled = False
    inspect_view_enabled = False
    add_to_reference_index = False
    list_filter = ["measure"]

    @cached_property
    def list_display(self):
        return [
            "measure",
            Column("service", label="Service", accessor=_service),
            Column("target", label="Target", accessor=_amount),
            Column("amber_margin", label="Amber margin", accessor=_margin),
        ]

    def get_form_class(self, for_update=False):
        return MeasureTargetForm

    def get_urlpatterns(self):
        return [
            URLPattern(p.pattern, _forbid_without_permission(p.callback), p.default_args, p.name)
            if isinstance(p, URLPattern)
            else p
            for p in super().get_urlpatterns()
        ]
