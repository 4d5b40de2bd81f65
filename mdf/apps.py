from django.apps import AppConfig


class MdfConfig(AppConfig):
    name = "mdf"

    def ready(self) -> None:
        from core.demo import register_seeder
        from mdf.demo import seed_funds

        # After the partners, the catalogue (5), the leads (10) and the showrooms (20): the demo
        # programme's campaign leads use the catalogue's categories.
        register_seeder("mdf", seed_funds, order=30)
