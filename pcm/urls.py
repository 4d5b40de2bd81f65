"""Root URLconf: portals, public pages, accounts, admin, API, health check."""

from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from pcm.api import api
from pcm.views import healthz
from portals import jobs, order_status, profile, public

admin.site.site_header = "OpenPCM administration"
admin.site.site_title = "OpenPCM admin"

urlpatterns = [
    path("", public.home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", login_not_required(RedirectView.as_view(url=static("favicon.svg"), permanent=True))),
    path("apply/", public.apply, name="apply"),
    path("apply/thanks/", public.apply_thanks, name="apply_thanks"),
    path("orders/status/<str:token>/", order_status.order_status, name="order_status"),
    path("showroom/", include("showroom.export_urls")),  # before the <slug>/ routes
    path("showroom/", include("showroom.urls")),
    path("oci/", include("showroom.oci_urls")),
    path("invite/<str:uidb64>/<str:token>/", public.invitation_accept, name="invitation_accept"),
    path("profile/", profile.profile, name="profile"),
    path("profile/tokens/new/", profile.token_create, name="profile_token_create"),
    path("profile/tokens/<int:pk>/revoke/", profile.token_revoke, name="profile_token_revoke"),
    path("jobs/<int:pk>/", jobs.job_detail, name="job_detail"),
    path("jobs/<int:pk>/progress/", jobs.job_progress, name="job_progress"),
    path("jobs/<int:pk>/errors.csv", jobs.job_error_report, name="job_error_report"),
    path("channel/", include("portals.channel.urls")),
    path("partner/", include("portals.partner.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
