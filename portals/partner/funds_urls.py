"""MDF URLs of the partner portal (/partner/funds/, namespace "partner"); included by
portals/partner/urls.py."""

from django.urls import path

from portals.partner import fund_claims, funds

urlpatterns = [
    path("funds/", funds.funds_overview, name="funds"),
    path("funds/requests/new/", funds.fund_request_new, name="fund_request_new"),
    path("funds/requests/<int:pk>/", funds.fund_request_detail, name="fund_request_detail"),
    path("funds/requests/<int:pk>/edit/", funds.fund_request_edit, name="fund_request_edit"),
    path("funds/requests/<int:pk>/submit/", funds.fund_request_submit, name="fund_request_submit"),
    path("funds/requests/<int:pk>/cancel/", funds.fund_request_cancel, name="fund_request_cancel"),
    path("funds/requests/<int:pk>/close/", funds.fund_request_close, name="fund_request_close"),
    path("funds/requests/<int:pk>/comment/", funds.fund_comment, name="fund_comment"),
    path("funds/requests/<int:pk>/claim/", fund_claims.fund_claim_new, name="fund_claim_new"),
    path("funds/claims/<int:pk>/", fund_claims.fund_claim_detail, name="fund_claim_detail"),
    path("funds/claims/<int:pk>/comment/", fund_claims.fund_claim_comment, name="fund_claim_comment"),
    path("funds/proof/<int:pk>/", fund_claims.fund_proof_download, name="fund_proof_download"),
]
