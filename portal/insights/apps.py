from django.apps import AppConfig

from portal.interactions.signals import rollups_refreshed


class InsightsConfig(AppConfig):
    name = "portal.insights"
    label = "insights"
    verbose_name = "Contact insights"

    def ready(self):
        # Imported here: these modules read models, which load only once the apps are ready.
        from . import demo  # reason: registers a loader that reads models
        from .receivers import dashboard_figures_warm_on_rollups  # reason: reads models

        demo.register()
        rollups_refreshed.connect(
            dashboard_figures_warm_on_rollups, dispatch_uid="insights.dashboard_figures_warm"
        )
