from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"

    def ready(self) -> None:
        from analytics.demo import seed_analytics
        from core.demo import register_seeder

        # Last: the roll-ups are built from every other app's demo data.
        register_seeder("analytics", seed_analytics, order=90)
