"""Contact insights' staff views inside the Wagtail admin, registered in ``wagtail_hooks.py``.

- ``insights``: the dashboard and "How these figures are worked out"
- ``targets``: Contact measure targets (the viewset and its permission policy)
"""

from .insights import ContactInsightsView, DefinitionsView, InsightsPageMixin
from .targets import MeasureTargetForm, MeasureTargetViewSet, permission_policy

__all__ = [
    "ContactInsightsView",
    "DefinitionsView",
    "InsightsPageMixin",
    "MeasureTargetForm",
    "MeasureTargetViewSet",
    "permission_policy",
]
