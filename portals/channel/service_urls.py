"""Service URLs of the channel portal (/channel/service/, namespace "channel"); included by
portals/channel/urls.py."""

from django.urls import path

from portals.channel import service

urlpatterns = [
    path("service/", service.service_queue, name="service_queue"),
    path("service/requests/", service.service_request_list, name="service_request_list"),
    path("service/requests/<int:pk>/", service.service_request_detail, name="service_request_detail"),
    path(
        "service/requests/<int:pk>/hand-back/",
        service.service_request_hand_back,
        name="service_request_hand_back",
    ),
    path(
        "service/requests/<int:pk>/resolve/", service.service_request_resolve, name="service_request_resolve"
    ),
    path(
        "service/requests/<int:pk>/comment/", service.service_request_comment, name="service_request_comment"
    ),
    path("service/requests/<int:pk>/attach/", service.service_request_attach, name="service_request_attach"),
    path("service/files/<int:pk>/", service.service_attachment_download, name="service_attachment_download"),
    path("service/solutions/", service.solution_list, name="solution_list"),
    path("service/solutions/new/", service.solution_create, name="solution_create"),
    path("service/solutions/<int:pk>/", service.solution_detail, name="solution_detail"),
    path("service/solutions/<int:pk>/edit/", service.solution_edit, name="solution_edit"),
    path("service/solutions/<int:pk>/publish/", service.solution_publish, name="solution_publish"),
    path("service/solutions/<int:pk>/unpublish/", service.solution_unpublish, name="solution_unpublish"),
    path("service/volumes/", service.service_volumes, name="service_volumes"),
]
