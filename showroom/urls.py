"""Public showroom URLs (/showroom/), no login."""

from django.urls import path

from showroom import views

app_name = "showroom"

urlpatterns = [
    path("", views.showroom_list, name="list"),
    path("<slug:slug>/", views.showroom_detail, name="detail"),
    path("<slug:slug>/logo/", views.showroom_logo, name="logo"),
]
