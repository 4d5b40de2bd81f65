from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "leads"
    verbose_name = "Leads"

    def ready(self) -> None:
        from core.demo import register_seeder
        from core.jobs import register_job_runner
        from leads.demo import seed_leads

        register_seeder("leads", seed_leads, order=10)
        # A lead import left queued (broker down, worker lost) is sent again by core's sweep.
        register_job_runner("lead_import", "leads.tasks.import_leads_task")
