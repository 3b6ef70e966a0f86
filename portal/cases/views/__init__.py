"""Residents' case pages: the one import surface for ``urls.py`` and the staff views.

- ``cases``: My account's case list and case page, messages, withdrawing and reopening,
  attachments, and the tracking link for anonymous requests
- ``satisfaction``: the outcome question (the rating page and the form on the case page)
"""

from .cases import (
    attachment_download,
    attachment_response,
    case_claim_view,
    case_detail,
    case_list,
    case_message,
    case_reopen_view,
    case_track,
    case_withdraw_view,
    track_message,
    track_reopen,
)
from .satisfaction import case_satisfaction, satisfaction_context, track_satisfaction

__all__ = [
    "attachment_download",
    "attachment_response",
    "case_claim_view",
    "case_detail",
    "case_list",
    "case_message",
    "case_reopen_view",
    "case_satisfaction",
    "case_track",
    "case_withdraw_view",
    "satisfaction_context",
    "track_message",
    "track_reopen",
    "track_satisfaction",
]
