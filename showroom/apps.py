from django.apps import AppConfig


class ShowroomConfig(AppConfig):
    name = "showroom"

    def ready(self) -> None:
        from core.demo import register_seeder
        from core.jobs import register_job_runner
        from showroom.demo import seed_showrooms

        # After the partners (and the catalogue at 5, the leads at 10).
        register_seeder("showroom", seed_showrooms, order=20)
        # Stalled export jobs are sent to this task again by core.jobs.jobs_requeue_stale.
        register_job_runner("catalog_export", "showroom.tasks.export_catalog_task")
