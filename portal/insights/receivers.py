"""What Contact insights does when the interaction log tells it something (connected in ``apps.py``)."""

from .dashboard import dashboard_figures_warm


def dashboard_figures_warm_on_rollups(sender, **kwargs) -> None:
    """The rollups were rebuilt (the log's task or daily command): prepare the quick periods."""
    dashboard_figures_warm()
