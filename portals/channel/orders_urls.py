"""Order URLs of the channel portal (/channel/orders/, namespace "channel"); included by
portals/channel/urls.py."""

from django.urls import path

from portals.channel import orders

urlpatterns = [
    path("orders/", orders.order_list, name="order_list"),
    path("orders/totals/", orders.order_totals, name="order_totals"),
    path("orders/<int:pk>/", orders.order_detail, name="order_detail"),
    path("orders/<int:pk>/confirm/", orders.order_confirm, name="order_confirm"),
    path("orders/<int:pk>/ship/", orders.order_ship, name="order_ship"),
    path("orders/<int:pk>/deliver/", orders.order_deliver, name="order_deliver"),
    path("orders/<int:pk>/cancel/", orders.order_cancel, name="order_cancel"),
]
