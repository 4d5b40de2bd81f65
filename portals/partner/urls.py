"""Partner portal URLs (/partner/)."""

from django.urls import path

from portals.partner import company, home, subpartners, team

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
]
