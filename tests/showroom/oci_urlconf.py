"""The project's URLs plus the OCI punch-out at /oci/ (for the OCI view tests, whether or not pcm.urls
includes showroom.oci_urls yet)."""

from django.urls import include, path

from pcm.urls import urlpatterns as project_urlpatterns

urlpatterns = list(project_urlpatterns)
if not any(getattr(pattern, "namespace", None) == "oci" for pattern in urlpatterns):
    urlpatterns.append(path("oci/", include("showroom.oci_urls")))
