"""Signals the interaction log sends; apps above it (such as ``portal.insights``) connect to them,
so the log never imports them."""

from django.dispatch import Signal

# Sent (sender=None) after the rollup job, the ``build_rollups`` task or the
# ``interactions_daily`` command, has rebuilt the daily rollups. A receiver's error fails the job.
rollups_refreshed = Signal()
