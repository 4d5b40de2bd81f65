"""Order URLs of the partner portal (/partner/orders/, namespace "partner"); included by
portals/partner/urls.py. "Convert to order" is posted from a lead's page."""

from django.urls import path

from portals.partner import orders

urlpatterns = [
    path("orders/", orders.order_list, name="order_list"),
    path("orders/new/", orders.order_new, name="order_new"),
    path("orders/<int:pk>/", orders.order_detail, name="order_detail"),
    path("orders/<int:pk>/edit/", orders.order_edit, name="order_edit"),
    path("orders/<int:pk>/submit/", orders.order_submit, name="order_submit"),
    path("orders/<int:pk>/accept/", orders.order_accept, name="order_accept"),
    path("orders/<int:pk>/reject/", orders.order_reject, name="order_reject"),
    path("orders/<int:pk>/cancel/", orders.order_cancel, name="order_cancel"),
    path("leads/<int:pk>/convert/", orders.lead_convert, name="lead_convert"),
]
