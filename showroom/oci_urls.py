"""OCI punch-out URLs (/oci/), no login: the shop's entry and the pages of a punch-out session."""

from django.urls import path

from showroom import oci_views

app_name = "oci"

urlpatterns = [
    path("<slug:slug>/", oci_views.oci_entry, name="entry"),
    path("<slug:slug>/products/", oci_views.oci_products, name="products"),
    path("<slug:slug>/products/<int:pk>/", oci_views.oci_product, name="product"),
    path("<slug:slug>/basket/", oci_views.oci_basket, name="basket"),
    path("<slug:slug>/basket/add/", oci_views.oci_basket_add, name="basket_add"),
    path("<slug:slug>/transfer/", oci_views.oci_transfer, name="transfer"),
]
