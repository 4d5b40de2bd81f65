"""Reads of showrooms: the public ones (no login) and the one of a partner."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from partners.choices import PartnerStatus
from partners.models import Partner
from showroom.models import Showroom

PUBLIC_ORDER = "title"  # keyset paging by (title, id)


def public_showrooms(*, country: str = "", q: str = "") -> QuerySet[Showroom]:
    """Published showrooms of active partners, for the public partner locator; `country` is the
    partner's country code, `q` free text matched against title, partner name and city."""
    showrooms = Showroom.objects.filter(published=True, partner__status=PartnerStatus.ACTIVE).select_related(
        "partner"
    )
    if country:
        showrooms = showrooms.filter(partner__country=country.upper())
    q = q.strip()
    if q:
        showrooms = showrooms.filter(
            Q(title__icontains=q) | Q(partner__name__icontains=q) | Q(partner__city__icontains=q)
        )
    return showrooms


def public_showroom_countries() -> list[str]:
    """Country codes that have at least one public showroom (the locator's country filter), sorted."""
    codes = (
        public_showrooms().order_by("partner__country").values_list("partner__country", flat=True).distinct()
    )
    return list(codes)


def public_showroom(slug: str) -> Showroom | None:
    """The public showroom at /showroom/<slug>/, or None when unknown or not published."""
    return public_showrooms().filter(slug=slug).first()


def showroom_of(partner: Partner) -> Showroom | None:
    """The partner's showroom, published or not (None before the partner set one up). The caller has
    fetched `partner` through the access policy."""
    return Showroom.objects.filter(partner_id=partner.pk).first()
