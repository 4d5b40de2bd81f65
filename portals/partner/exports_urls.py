"""Catalogue export URLs of the partner portal (/partner/, namespace "partner"); included by
portals/partner/urls.py."""

from django.urls import path

from portals.partner import exports

urlpatterns = [
    path("exports/", exports.exports, name="exports"),
    path("exports/start/", exports.export_start, name="export_start"),
    path("exports/schedules/", exports.schedule_save, name="export_schedule_save"),
    path("exports/schedules/<int:pk>/rotate/", exports.schedule_rotate, name="export_schedule_rotate"),
    path("exports/schedules/<int:pk>/delete/", exports.schedule_delete, name="export_schedule_delete"),
]
