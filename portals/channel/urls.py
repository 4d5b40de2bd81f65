"""Channel portal URLs (/channel/)."""

from django.urls import path

from portals.channel import applications, dashboard, partners

app_name = "channel"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("partners/", partners.partner_list, name="partner_list"),
    path("partners/new/", partners.partner_create, name="partner_create"),
    path("partners/<int:pk>/", partners.partner_detail, name="partner_detail"),
    path("partners/<int:pk>/edit/", partners.partner_edit, name="partner_edit"),
    path("partners/<int:pk>/status/", partners.partner_status, name="partner_status"),
    path("partners/<int:pk>/tier/", partners.partner_tier, name="partner_tier"),
    path("partners/<int:pk>/managers/", partners.partner_managers, name="partner_managers"),
    path("partners/<int:pk>/team/", partners.partner_team, name="partner_team"),
    path("applications/", applications.application_list, name="application_list"),
    path("applications/<int:pk>/", applications.application_detail, name="application_detail"),
    path("applications/<int:pk>/approve/", applications.application_approve, name="application_approve"),
    path("applications/<int:pk>/reject/", applications.application_reject, name="application_reject"),
]
