"""The cases app's write services: the one import surface other apps and views use.

- ``create``: opening a case and its reference
- ``transitions``: moving a case between statuses (the only writer of ``Case.status``)
- ``timeline``: adding events to a case's timeline
- ``messages``: residents' and officers' messages, staff notes, residents' views
- ``assignment``: giving a case to an officer or team
- ``assisted``: recording a contact staff took about a case
- ``notifications``: emailing the resident about what they can see
- ``digest``: the daily deadline email to teams
- ``satisfaction``: recording the resident's answer to the outcome question (once per case)
- ``support_needs``: support needs an officer records on a case
- ``claim``: a resident adding their anonymous requests to their account
- ``checks``: ``CaseError`` and who may act on a case
- ``back_office``: updates a back-office system sends (status, message, note, expected date)
"""

from .assignment import case_assign
from .assisted import AssistedContactRecorded, case_assisted_contact_record
from .back_office import case_back_office_update
from .checks import CaseError
from .claim import case_claim
from .create import case_create, case_reference_next
from .digest import case_deadline_digest_send
from .messages import (
    PROGRESS_CHASE_GAP,
    case_message_by_text,
    case_message_send,
    case_message_send_anonymous,
    case_note_add,
    case_officer_message,
    case_view_record,
)
from .notifications import case_link_for_resident
from .satisfaction import (
    case_satisfaction_answer,
    case_satisfaction_dismiss,
    case_satisfaction_record_assisted,
    satisfaction_record_for_contact,
)
from .support_needs import SupportNeedsError, case_support_needs_update
from .timeline import case_event_add
from .transitions import (
    WORKING_STATUSES,
    case_reopen,
    case_reopen_anonymous,
    case_staff_transition,
    case_transition,
    case_withdraw,
)

__all__ = [
    "PROGRESS_CHASE_GAP",
    "WORKING_STATUSES",
    "AssistedContactRecorded",
    "CaseError",
    "SupportNeedsError",
    "case_assign",
    "case_assisted_contact_record",
    "case_back_office_update",
    "case_claim",
    "case_create",
    "case_deadline_digest_send",
    "case_event_add",
    "case_link_for_resident",
    "case_message_by_text",
    "case_message_send",
    "case_message_send_anonymous",
    "case_note_add",
    "case_officer_message",
    "case_reference_next",
    "case_reopen",
    "case_reopen_anonymous",
    "case_satisfaction_answer",
    "case_satisfaction_dismiss",
    "case_satisfaction_record_assisted",
    "case_staff_transition",
    "case_support_needs_update",
    "case_transition",
    "case_view_record",
    "case_withdraw",
    "satisfaction_record_for_contact",
]
