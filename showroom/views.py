"""The public showroom pages (end customers, no login): the partner locator and a partner's showroom."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.countries import COUNTRIES
from core.paging import InvalidCursor, keyset_page
from core.uploads import image_response
from showroom import selectors
from showroom.models import Showroom

PAGE_SIZE = 24
MAX_QUERY = 100


@login_not_required
@require_GET
def showroom_list(request: HttpRequest) -> HttpResponse:
    """The partner locator: published showrooms, by country and free text, a keyset page at a time."""
    # Queries: the countries that have showrooms, one page of showrooms (partner joined).
    country = request.GET.get("country", "").strip().upper()
    q = request.GET.get("q", "").strip()[:MAX_QUERY]
    notice = ""
    if country and country not in COUNTRIES:
        notice = "That country is unknown, so showrooms of every country are shown."
        country = ""
    showrooms = selectors.public_showrooms(country=country, q=q)
    try:
        page = keyset_page(
            showrooms,
            order=selectors.PUBLIC_ORDER,
            after=request.GET.get("after") or None,
            before=request.GET.get("before") or None,
            size=PAGE_SIZE,
        )
    except (InvalidCursor, ValueError, TypeError):
        notice = "That page link is no longer valid, so here is the first page."
        page = keyset_page(showrooms, order=selectors.PUBLIC_ORDER, size=PAGE_SIZE)
    countries = [(code, COUNTRIES.get(code, code)) for code in selectors.public_showroom_countries()]
    countries.sort(key=lambda item: item[1])
    context = {
        "page": page,
        "countries": countries,
        "country": country,
        "country_name": COUNTRIES.get(country, ""),
        "q": q,
        "filtered": bool(country or q),
        "notice": notice,
    }
    return render(request, "showroom/list.html", context)


def _public_showroom_or_404(slug: str) -> Showroom:
    showroom = selectors.public_showroom(slug)
    if showroom is None:
        raise Http404("No such showroom.")
    return showroom


@login_not_required
@require_GET
def showroom_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A partner's showroom: its branding, introduction and contact details. Unpublished: 404."""
    # Queries: the showroom (partner joined).
    showroom = _public_showroom_or_404(slug)
    context = {"showroom": showroom, "country_name": COUNTRIES.get(showroom.partner.country, "")}
    return render(request, "showroom/detail.html", context)


@login_not_required
@require_GET
def showroom_logo(request: HttpRequest, slug: str) -> HttpResponse:
    """A published showroom's logo, served with its checked image type (never as a page)."""
    showroom = _public_showroom_or_404(slug)
    if not showroom.logo:
        raise Http404("No logo.")
    response = image_response(showroom.logo)
    response["Cache-Control"] = "public, max-age=3600"
    return response  # type: ignore[return-value]  # a FileResponse streams
