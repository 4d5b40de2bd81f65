"""Channel portal URLs (/channel/)."""

from django.urls import include, path

from portals.channel import (
    applications,
    catalog,
    customers,
    dashboard,
    exports,
    fund_programs,
    fund_queues,
    leads,
    partners,
    registrations,
    rules,
)
from portals.partner import showroom_urls

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
    # Leads (issue 3)
    path("leads/", leads.lead_list, name="lead_list"),
    path("leads/new/", leads.lead_create, name="lead_create"),
    path("leads/import/", leads.lead_import, name="lead_import"),
    path("leads/<int:pk>/", leads.lead_detail, name="lead_detail"),
    path("leads/<int:pk>/route/", leads.lead_route, name="lead_route"),
    path("leads/<int:pk>/dispatch/", leads.lead_dispatch, name="lead_dispatch"),
    path("leads/<int:pk>/lost/", leads.lead_lost, name="lead_lost"),
    path("settings/leads/", leads.lead_settings, name="lead_settings"),
    path("rules/", rules.rule_list, name="rule_list"),
    path("rules/new/", rules.rule_create, name="rule_create"),
    path("rules/<int:pk>/", rules.rule_edit, name="rule_edit"),
    path("rules/<int:pk>/delete/", rules.rule_delete, name="rule_delete"),
    path("registrations/", registrations.registration_list, name="registration_list"),
    path("registrations/<int:pk>/", registrations.registration_detail, name="registration_detail"),
    path("registrations/<int:pk>/approve/", registrations.registration_approve, name="registration_approve"),
    path("registrations/<int:pk>/reject/", registrations.registration_reject, name="registration_reject"),
    path("customers/", customers.customer_list, name="customer_list"),
    path("customers/<int:pk>/", customers.customer_detail, name="customer_detail"),
    # Catalogue (issue 4)
    path("catalog/", catalog.product_list, name="product_list"),
    path("catalog/products/new/", catalog.product_create, name="product_create"),
    path("catalog/products/<int:pk>/", catalog.product_detail, name="product_detail"),
    path("catalog/products/<int:pk>/edit/", catalog.product_edit, name="product_edit"),
    path("catalog/products/<int:pk>/image/", catalog.product_image, name="product_image"),
    path("catalog/products/<int:pk>/deactivate/", catalog.product_deactivate, name="product_deactivate"),
    path("catalog/products/<int:pk>/activate/", catalog.product_activate, name="product_activate"),
    path("catalog/import/", catalog.product_import, name="product_import"),
    path("catalog/categories/", catalog.category_list, name="category_list"),
    path("catalog/categories/new/", catalog.category_create, name="category_create"),
    path("catalog/categories/<int:pk>/", catalog.category_edit, name="category_edit"),
    path("", include(showroom_urls.channel_urlpatterns)),
    path("partners/<int:pk>/exports/", exports.partner_exports, name="partner_exports"),
    path("partners/<int:pk>/exports/start/", exports.partner_export_start, name="partner_export_start"),
    # Marketing development funds (issue 5)
    path("", include(fund_queues.urlpatterns)),
    path("", include(fund_programs.urlpatterns)),
    # Service (issue 6)
    path("", include("portals.channel.service_urls")),
    # Orders (issue 6)
    path("", include("portals.channel.orders_urls")),
    # Analytics (issue 7)
    path("", include("portals.channel.analytics_urls")),
    path("", include("portals.channel.scorecards_urls")),
]
