"""The content app's public views that are not Wagtail pages: the one import surface for ``urls.py``.

- ``pages``: site search, robots.txt, and "Was this page useful?"
- ``alerts``: residents' service alerts (subscribe, confirm, unsubscribe, My account's list),
  reached by their module (``views.alerts.subscribe``)
"""

from . import alerts
from .pages import page_feedback, page_feedback_reason, robots_txt, search

__all__ = ["alerts", "page_feedback", "page_feedback_reason", "robots_txt", "search"]
