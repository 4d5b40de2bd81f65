"""Channel portal: the MDF journal, newest lines first, and its CSV export for the ERP
(/channel/funds/journal/). Channel admins only (mdf.rules.can_see_journal): channel managers get 403,
as from the API. The URLs are in portals.channel.fund_programs."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Sum
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from mdf import rules, selectors
from mdf.exports import in_chunks, journal_csv_rows
from mdf.models import JournalEntry
from portals.channel.fund_program_forms import JournalFilterForm
from portals.crumbs import channel_crumbs
from portals.decorators import channel_required
from portals.paging import request_page

JOURNAL_PAGE_SIZE = 50


def _require_journal(request: HttpRequest) -> None:
    if not rules.can_see_journal(request.user):
        raise PermissionDenied("Only channel admins see the fund journal and export it.")


def _journal_filter(request: HttpRequest) -> tuple[JournalFilterForm, int | None]:
    programs = (
        selectors.visible_programs(request.user).order_by("-starts_on", "-id").values_list("id", "name")
    )
    form = JournalFilterForm(request.GET, programs=programs)
    if not form.is_valid():
        messages.warning(request, f"Some filters were not understood and are ignored: {form.error_labels()}.")
    return form, form.valid_values().get("program")


@channel_required
def fund_journal(request: HttpRequest) -> HttpResponse:
    """The journal's lines, newest first, in keyset pages; filter by programme; export for the ERP.

    Queries: session, user, actor, the programmes (the filter's options), the page of lines
    (programme and partner joined): 5; filtered by a programme, its debit and credit sums: 6."""
    _require_journal(request)
    form, program_id = _journal_filter(request)
    lines = selectors.visible_journal(request.user).select_related("program", "partner")
    totals = None
    if program_id is not None:
        lines = lines.filter(program_id=program_id)
        totals = JournalEntry.objects.filter(program_id=program_id).aggregate(
            debit=Sum("debit"), credit=Sum("credit"), count=Count("id")
        )
    page = request_page(request, lines, order="-id", size=JOURNAL_PAGE_SIZE)
    querystring = urlencode({"program": program_id} if program_id is not None else {})
    return render(
        request,
        "portals/channel/funds/journal.html",
        {
            "form": form,
            "page": page,
            "program_id": program_id,
            "program_name": form.program_names.get(program_id) if program_id is not None else None,
            "totals": totals,
            "querystring": querystring,
            "export_url": reverse("channel:fund_journal_export") + (f"?{querystring}" if querystring else ""),
            "breadcrumbs": channel_crumbs(
                ("Fund programmes", reverse("channel:fund_program_list")), ("Journal", None)
            ),
        },
    )


@require_safe
def fund_journal_export(request: HttpRequest) -> HttpResponseBase:
    """The journal (of one programme, or all) as CSV for the ERP, streamed line by line. Channel
    admins only (which also keeps every partner user out, as channel_required would)."""
    _require_journal(request)
    form, program_id = _journal_filter(request)
    if form.errors:
        return redirect("channel:fund_journal")
    lines = selectors.visible_journal(request.user)
    if program_id is not None:
        lines = lines.filter(program_id=program_id)
    response = StreamingHttpResponse(
        in_chunks(journal_csv_rows(lines)), content_type="text/csv; charset=utf-8"
    )
    name = f"program-{program_id}" if program_id is not None else "all"
    response["Content-Disposition"] = (
        f'attachment; filename="mdf-journal-{name}-{timezone.localdate():%Y-%m-%d}.csv"'
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
