"""Serving catalogue export files: the download of one export (logged in, only for those who may see the
partner; anything else is 404) and the token-protected feed of a daily schedule that a partner's shop
polls (no login; an unknown token is 404). Files stream from storage as attachments."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe

from core.api import BearerAuth
from showroom import exports
from showroom.models import CatalogExport


def _file_response(export: CatalogExport, *, cache: str) -> FileResponse:
    if not exports.export_is_done(export):
        raise Http404("This export is not finished.")
    try:
        handle = default_storage.open(export.file, "rb")
    except FileNotFoundError:
        raise Http404("The export file is gone.")
    response = FileResponse(
        handle, as_attachment=True, filename=exports.export_filename(export), content_type=export.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = cache
    return response


@login_not_required
@require_safe
def export_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    """A finished export as an attachment, for those who may see its partner (else 404). A logged-in
    person, or an API client with `Authorization: Bearer <token>` (the API's download_url); anybody else
    goes to the login page."""
    if not request.user.is_authenticated:
        if not request.headers.get("Authorization"):
            return redirect_to_login(request.get_full_path())
        if BearerAuth()(request) is None:
            return JsonResponse({"detail": "Invalid or missing token."}, status=401)
    export = get_object_or_404(exports.visible_exports(request.user), pk=pk)
    return _file_response(export, cache="private, no-store")


@login_not_required
@require_safe
def export_feed(request: HttpRequest, token: str) -> FileResponse:
    """The newest finished export of the schedule this feed token belongs to (404 for any other)."""
    export = exports.feed_export(token)
    if export is None:
        raise Http404("No such feed.")
    return _file_response(export, cache="private, no-cache")
