from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"

    def ready(self) -> None:
        from analytics.demo import seed_analytics
        from analytics.tasks import refresh_soon
        from core.changes import on_data_changed
        from core.demo import register_seeder

        # Last: the roll-ups are built from every other app's demo data.
        register_seeder("analytics", seed_analytics, order=90)
        # The roll-ups follow the services' changes a few seconds after each commit.
        on_data_changed(refresh_soon)
