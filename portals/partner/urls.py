"""Partner portal URLs (/partner/)."""

from django.urls import include, path

from portals.partner import assortment, company, customers, home, leads, registrations, subpartners, team

app_name = "partner"

urlpatterns = [
    path("", home.home, name="home"),
    path("company/", company.company, name="company"),
    path("company/edit/", company.company_edit, name="company_edit"),
    path("team/", team.team, name="team"),
    path("team/invite/", team.team_invite, name="team_invite"),
    path("team/<int:pk>/role/", team.member_role, name="member_role"),
    path("team/<int:pk>/deactivate/", team.member_deactivate, name="member_deactivate"),
    path("team/<int:pk>/reactivate/", team.member_reactivate, name="member_reactivate"),
    path("team/<int:pk>/resend/", team.member_resend, name="member_resend"),
    path("sub-partners/", subpartners.subpartner_list, name="subpartner_list"),
    path("sub-partners/<int:pk>/", subpartners.subpartner_detail, name="subpartner_detail"),
    # Leads (issue 3)
    path("leads/", leads.lead_inbox, name="lead_inbox"),
    path("leads/<int:pk>/", leads.lead_detail, name="lead_detail"),
    path("leads/<int:pk>/accept/", leads.lead_accept, name="lead_accept"),
    path("leads/<int:pk>/decline/", leads.lead_decline, name="lead_decline"),
    path("leads/<int:pk>/assign/", leads.lead_assign, name="lead_assign"),
    path("leads/<int:pk>/qualify/", leads.lead_qualify, name="lead_qualify"),
    path("leads/<int:pk>/won/", leads.lead_won, name="lead_won"),
    path("leads/<int:pk>/lost/", leads.lead_lost, name="lead_lost"),
    path("registrations/", registrations.registration_list, name="registration_list"),
    path("registrations/new/", registrations.registration_create, name="registration_create"),
    path("registrations/<int:pk>/", registrations.registration_detail, name="registration_detail"),
    path("customers/", customers.customer_list, name="customer_list"),
    path("customers/<int:pk>/", customers.customer_detail, name="customer_detail"),
    path("assortment/", assortment.assortment, name="assortment"),
    path("assortment/categories/", assortment.assortment_categories, name="assortment_categories"),
    path("assortment/add/", assortment.assortment_add, name="assortment_add"),
    path("assortment/upload/", assortment.assortment_upload, name="assortment_upload"),
    path("assortment/<int:pk>/", assortment.assortment_product, name="assortment_product"),
    path("assortment/<int:pk>/remove/", assortment.assortment_remove, name="assortment_remove"),
    path("", include("portals.partner.showroom_urls")),
    path("", include("portals.partner.exports_urls")),
    path("", include("portals.partner.funds_urls")),
    path("", include("portals.partner.service_urls")),
    path("", include("portals.partner.orders_urls")),
    path("", include("portals.partner.analytics_urls")),
    path("", include("portals.partner.scorecard_urls")),
]
