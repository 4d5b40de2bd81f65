from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Catalogue"

    def ready(self) -> None:
        from catalog.demo import seed_catalog
        from core.demo import register_seeder
        from core.jobs import register_job_runner

        # The catalogue comes before the leads and showrooms that refer to its categories and products.
        register_seeder("catalog", seed_catalog, order=5)
        # A product import left queued (broker down, worker lost) is sent again by core's sweep.
        register_job_runner("product_import", "catalog.tasks.import_products_task")
