"""Catalogue export files: /showroom/exports/<id>/download/ (logged in) and /showroom/feeds/<token>/ (a
schedule's feed, no login). Included in pcm/urls.py before showroom.urls, whose <slug>/ routes would
otherwise see "exports" and "feeds" as showroom addresses."""

from django.urls import path

from showroom import feeds

app_name = "showroom_exports"

urlpatterns = [
    path("exports/<int:pk>/download/", feeds.export_download, name="download"),
    path("feeds/<str:token>/", feeds.export_feed, name="feed"),
]
