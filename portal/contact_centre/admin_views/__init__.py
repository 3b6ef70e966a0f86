"""The contact centre's staff views inside the Wagtail admin, registered in ``wagtail_hooks.py``.

- ``contacts``: recording and reviewing assisted contacts (the viewset, a case's "record a contact")
- ``calls``: taking a call: find, identify, the resident record, forms and links, close
- ``texts``: *Text messages to triage*
"""

from .calls import HELP_CALLERS, TAKE_A_CALL, call_urlpatterns
from .contacts import (
    RECORD_LABEL,
    AssistedContactViewSet,
    CaseAssistedContactView,
    ContactTeamViewSet,
    permission_policy,
)
from .texts import TEXTS_TO_TRIAGE, text_urlpatterns

__all__ = [
    "HELP_CALLERS",
    "RECORD_LABEL",
    "TAKE_A_CALL",
    "TEXTS_TO_TRIAGE",
    "AssistedContactViewSet",
    "CaseAssistedContactView",
    "ContactTeamViewSet",
    "call_urlpatterns",
    "permission_policy",
    "text_urlpatterns",
]
