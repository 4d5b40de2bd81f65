"""Showroom settings URLs. `urlpatterns` go into the partner portal (/partner/, namespace "partner");
`channel_urlpatterns` into the channel portal (/channel/, namespace "channel")."""

from django.urls import path

from portals.partner import showroom

urlpatterns = [
    path("showroom/", showroom.showroom_settings, name="showroom_settings"),
    path("showroom/logo/", showroom.showroom_logo, name="showroom_logo"),
]

channel_urlpatterns = [
    path("partners/<int:pk>/showroom/", showroom.partner_showroom_settings, name="partner_showroom"),
    path("partners/<int:pk>/showroom/logo/", showroom.partner_showroom_logo, name="partner_showroom_logo"),
]
