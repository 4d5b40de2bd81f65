"""A background job's page: its progress bar (htmx polls the progress partial every second until the
job ends), its counts and message, and the download of the rows it did not take. The job's owner and
channel admins may watch it; anyone else gets 404."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from catalog.imports import JOB_KIND as PRODUCT_IMPORT
from core.jobs import job_error_report as error_report_csv
from core.jobs import visible_jobs
from core.models import Job
from leads.imports import JOB_KIND as LEAD_IMPORT
from partners import access
from portals.decorators import acting_user
from showroom.exports import JOB_KIND as CATALOG_EXPORT


def _visible(request: HttpRequest) -> QuerySet[Job]:
    user = acting_user(request)
    return visible_jobs(user, sees_all=access.actor_of(user).is_admin)


def _links(request: HttpRequest, job: Job) -> dict[str, object]:
    """Where the job came from (breadcrumbs) and where its results are, by kind."""
    actor = access.actor_of(request.user)
    title = job.title or "Background job"
    if job.kind == LEAD_IMPORT and actor.is_channel:
        leads = reverse("channel:lead_list")
        return {
            "breadcrumbs": [("Leads", leads), ("Import CSV", reverse("channel:lead_import")), (title, None)],
            "results_url": f"{leads}?source=import",
            "results_label": "See the imported leads",
            "again_url": reverse("channel:lead_import"),
            "again_label": "Import another file",
        }
    if job.kind == PRODUCT_IMPORT and actor.is_channel:
        products = reverse("channel:product_list")
        return {
            "breadcrumbs": [
                ("Catalogue", products),
                ("Import CSV", reverse("channel:product_import")),
                (title, None),
            ],
            "results_url": products,
            "results_label": "See the products",
            "again_url": reverse("channel:product_import"),
            "again_label": "Import another file",
        }
    if job.kind == CATALOG_EXPORT and actor.is_partner:
        exports = reverse("partner:exports")
        return {
            "breadcrumbs": [("Partner portal", reverse("partner:home")), ("Exports", exports), (title, None)],
            "results_url": exports,
            "results_label": "See the exports and download",
            "again_url": exports,
            "again_label": "Start another export",
        }
    return {"breadcrumbs": [("Home", reverse("home")), (title, None)]}


def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The job's page; the progress part refreshes itself while the job runs."""
    job = get_object_or_404(_visible(request), pk=pk)
    return render(request, "jobs/detail.html", {"job": job, **_links(request, job)})


def job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress part alone (htmx swaps it in every second; it stops polling once the job ends)."""
    job = get_object_or_404(_visible(request), pk=pk)
    return render(request, "jobs/_progress.html", {"job": job, **_links(request, job)})


def job_error_report(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    """The rows the job did not take, as a CSV download (line, reason)."""
    job = get_object_or_404(_visible(request), pk=pk)
    response = StreamingHttpResponse(error_report_csv(job=job), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="job-{job.pk}-errors.csv"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
