from django.apps import AppConfig


class ServiceConfig(AppConfig):
    name = "service"
    verbose_name = "Service"

    def ready(self) -> None:
        from core.demo import register_seeder
        from service.demo import seed_service

        # After the catalogue (5), the leads (10) and the showrooms (20): solutions refer to the demo
        # products, requests to the partners' customers.
        register_seeder("service", seed_service, order=25)
