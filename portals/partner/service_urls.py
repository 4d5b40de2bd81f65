"""Service URLs of the partner portal (/partner/service/, namespace "partner"); included by
portals/partner/urls.py."""

from django.urls import path

from portals.partner import service

urlpatterns = [
    path("service/", service.service_requests, name="service_requests"),
    path("service/all/", service.service_partner_requests, name="service_partner_requests"),
    path("service/new/", service.service_request_new, name="service_request_new"),
    path("service/suggest/", service.service_suggest, name="service_suggest"),
    path("service/<int:pk>/", service.service_request_detail, name="service_request_detail"),
    path("service/<int:pk>/start/", service.service_request_start, name="service_request_start"),
    path("service/<int:pk>/wait/", service.service_request_wait, name="service_request_wait"),
    path("service/<int:pk>/escalate/", service.service_request_escalate, name="service_request_escalate"),
    path("service/<int:pk>/take-back/", service.service_request_take_back, name="service_request_take_back"),
    path("service/<int:pk>/resolve/", service.service_request_resolve, name="service_request_resolve"),
    path("service/<int:pk>/reopen/", service.service_request_reopen, name="service_request_reopen"),
    path("service/<int:pk>/close/", service.service_request_close, name="service_request_close"),
    path("service/<int:pk>/assign/", service.service_request_assign, name="service_request_assign"),
    path("service/<int:pk>/comment/", service.service_request_comment, name="service_request_comment"),
    path("service/<int:pk>/attach/", service.service_request_attach, name="service_request_attach"),
    path("service/files/<int:pk>/", service.service_attachment_download, name="service_attachment_download"),
    path("service/solutions/", service.solution_search, name="solution_search"),
    path("service/solutions/<int:pk>/", service.solution_detail, name="solution_detail"),
    path("service/solutions/<int:pk>/solved/", service.solution_solved, name="solution_solved"),
]
