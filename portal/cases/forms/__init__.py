"""Forms that shape what residents and staff type about a case; the rules live in services.

- ``cases``: residents' messages, withdrawing and reopening; the staff case view, bulk
  actions, support needs, contacts about a case, and teams
- ``satisfaction``: the outcome question as residents answer it online
"""

from .cases import (
    ATTACHMENT_LIMITS,
    ATTACHMENT_MAX_BYTES,
    ATTACHMENT_MAX_FILES,
    ATTACHMENT_TYPES,
    MESSAGE_MAX_LENGTH,
    AttachmentsField,
    BulkForm,
    FastSelect,
    MessageForm,
    MultipleFileInput,
    NoteForm,
    OfficerMessageForm,
    ReopenForm,
    ReviewForm,
    StaffForm,
    StatusForm,
    SupportNeedsStaffForm,
    TeamForm,
    TrackMessageForm,
    WithdrawForm,
    case_workers,
    reopen_form_class,
)
from .satisfaction import SatisfactionForm

__all__ = [
    "ATTACHMENT_LIMITS",
    "ATTACHMENT_MAX_BYTES",
    "ATTACHMENT_MAX_FILES",
    "ATTACHMENT_TYPES",
    "MESSAGE_MAX_LENGTH",
    "AttachmentsField",
    "BulkForm",
    "FastSelect",
    "MessageForm",
    "MultipleFileInput",
    "NoteForm",
    "OfficerMessageForm",
    "ReopenForm",
    "ReviewForm",
    "SatisfactionForm",
    "StaffForm",
    "StatusForm",
    "SupportNeedsStaffForm",
    "TeamForm",
    "TrackMessageForm",
    "WithdrawForm",
    "case_workers",
    "reopen_form_class",
]
