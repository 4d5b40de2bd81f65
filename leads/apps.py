from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "leads"
    verbose_name = "Leads"

    def ready(self) -> None:
        from core.demo import register_seeder
        from leads.demo import seed_leads

        register_seeder("leads", seed_leads, order=10)
