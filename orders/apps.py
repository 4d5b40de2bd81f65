from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders"

    def ready(self) -> None:
        from core.demo import register_seeder
        from orders.demo import seed_orders

        # After the catalogue (5), the leads (10, whose won leads convert into orders) and the
        # showrooms (20).
        register_seeder("orders", seed_orders, order=25)
