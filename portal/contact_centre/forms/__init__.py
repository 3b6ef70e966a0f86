"""The contact centre's forms, one module per screen family.

- ``contacts``: recording an assisted contact (and a case's), contact teams
- ``calls``: taking a call: starting, finding and identifying the caller, their details, closing
- ``texts``: *Text messages to triage*: add to a case, reply by text, record a contact
"""

from .calls import (
    CallCloseForm,
    CallerSearchForm,
    CallStartForm,
    DraftResumeForm,
    IdentityCodeForm,
    IdentityMethodForm,
    RecordCreateForm,
    ResidentDetailsForm,
    SendByForm,
)
from .contacts import AssistedContactForm, CaseAssistedContactForm, ContactTeamForm
from .texts import TextContactForm, TextReplyForm, TextToCaseForm

__all__ = [
    "AssistedContactForm",
    "CallCloseForm",
    "CallStartForm",
    "CallerSearchForm",
    "CaseAssistedContactForm",
    "ContactTeamForm",
    "DraftResumeForm",
    "IdentityCodeForm",
    "IdentityMethodForm",
    "RecordCreateForm",
    "ResidentDetailsForm",
    "SendByForm",
    "TextContactForm",
    "TextReplyForm",
    "TextToCaseForm",
]
