"""The catalogue export API: POST /catalog/exports starts an export of a partner's assortment (CSV, JSON or
BMEcat 2005) as a background job; GET /catalog/exports/{id} answers its status, progress and, once done,
where to download the file. The partner must be in your scope (else 404); its managers, channel admins and
its channel managers may start one (others 403); an empty assortment is refused (422)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import Http404, HttpRequest
from django.urls import reverse
from ninja import Field, Router, Schema, Status

from core.api import MAX_ID, READ_ERRORS, WRITE_ERRORS, current_user
from showroom import exports
from showroom.models import DEFAULT_EXPORT_LANGUAGE, CatalogExport

router = Router(tags=["catalogue exports"])


class ExportIn(Schema):
    partner: int = Field(ge=1, le=MAX_ID, description="The partner whose assortment to export.")
    format: Literal["csv", "json", "bmecat"] = Field(description="csv, json or bmecat (BMEcat 2005 XML).")
    language: str = Field(
        DEFAULT_EXPORT_LANGUAGE, max_length=3, description="ISO 639-2 code of the texts (BMEcat), e.g. eng."
    )


class ExportOut(Schema):
    """A catalogue export and how far it got."""

    id: int
    partner: int
    format: str
    language: str
    status: str = Field(description="queued, running, done or failed.")
    progress: int = Field(description="Percent of the products written, 0 to 100.")
    done: int = Field(description="Products written so far.")
    total: int = Field(description="Products in the assortment when the export started.")
    message: str = Field(description="Why it failed, or a summary once done.")
    rows: int = Field(description="Products in the file (once done).")
    size: int = Field(description="Bytes of the file (once done).")
    created_at: datetime
    finished_at: datetime | None
    download_url: str | None = Field(description="Where to download the file once done (with your token).")


def export_out(request: HttpRequest, export: CatalogExport) -> dict[str, Any]:
    job = export.job
    done = exports.export_is_done(export)
    url = reverse("showroom_exports:download", kwargs={"pk": export.pk}) if done else None
    return {
        "id": export.pk, "partner": export.partner_id, "format": export.format, "language": export.language,
        "status": job.status, "progress": job.progress, "done": job.done, "total": job.total,
        "message": job.message, "rows": export.rows, "size": export.size, "created_at": export.created_at,
        "finished_at": export.finished_at, "download_url": request.build_absolute_uri(url) if url else None,
    }  # fmt: skip


@router.post("", response={202: ExportOut, **WRITE_ERRORS}, summary="Start a catalogue export")
def export_create(request: HttpRequest, payload: ExportIn) -> Any:
    """Queue an export of the partner's assortment with its prices, stock and lead times. Answers 202 with
    the export; follow it at GET /catalog/exports/{id}. A partner you do not see is 404; seeing it without
    managing it is 403; an empty assortment or an unknown language is 422 and nothing is queued."""
    user = current_user(request)
    partner = exports.exportable_partner(user, payload.partner)
    if partner is None:
        raise Http404
    export = exports.export_start(
        actor=user, partner=partner, format=payload.format, language=payload.language
    )
    export = CatalogExport.objects.select_related("job").get(pk=export.pk)
    return Status(202, export_out(request, export))


@router.get("/{id}", response={200: ExportOut, **READ_ERRORS}, summary="One catalogue export")
def export_detail(request: HttpRequest, id: int) -> Any:
    """An export of a partner you may see; any other id answers 404."""
    if not 1 <= id <= MAX_ID:
        raise Http404
    export = exports.visible_exports(current_user(request)).filter(pk=id).first()
    if export is None:
        raise Http404
    return export_out(request, export)
