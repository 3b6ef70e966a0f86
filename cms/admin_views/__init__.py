"""The content app's staff views inside the Wagtail admin, registered in ``wagtail_hooks.py``.

- ``reviews``: "Pages due for review" (Reports) and its dashboard panel
- ``insights``: Reports > What to fix (failed searches, "not useful" answers)
"""

from .insights import AddSearchTermView, MarkFeedbackHandledView, WhatToFixView
from .reviews import PagesDueForReviewPanel, PagesDueForReviewView

__all__ = [
    "AddSearchTermView",
    "MarkFeedbackHandledView",
    "PagesDueForReviewPanel",
    "PagesDueForReviewView",
    "WhatToFixView",
]
