"""Public showroom URLs (/showroom/), no login."""

from django.urls import path

from showroom import views

app_name = "showroom"

urlpatterns = [
    path("", views.showroom_list, name="list"),
    path("<slug:slug>/", views.showroom_detail, name="detail"),
    path("<slug:slug>/logo/", views.showroom_logo, name="logo"),
    path("<slug:slug>/c/<slug:category>/", views.showroom_category, name="category"),
    path("<slug:slug>/search/", views.showroom_search, name="search"),
    path("<slug:slug>/p/<path:sku>/", views.showroom_product, name="product"),
    path("<slug:slug>/basket/", views.basket_view, name="basket"),
    path("<slug:slug>/basket/add/", views.basket_add, name="basket_add"),
    path("<slug:slug>/quote/", views.quote_request, name="quote"),
    path("<slug:slug>/quote/sent/", views.quote_sent, name="quote_sent"),
    path("<slug:slug>/order/placed/", views.order_placed, name="order_placed"),
]
