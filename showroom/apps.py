from django.apps import AppConfig


class ShowroomConfig(AppConfig):
    name = "showroom"

    def ready(self) -> None:
        from core.demo import register_seeder
        from showroom.demo import seed_showrooms

        # After the partners (and the catalogue at 5, the leads at 10).
        register_seeder("showroom", seed_showrooms, order=20)
