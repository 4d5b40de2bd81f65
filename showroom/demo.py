"""Demo showrooms: published showrooms for alpine, brook and cobalt, made through showroom.services.
alpine allows the demo shop http://127.0.0.1:8765/oci-return without credentials; brook allows the same
shop but requires the OCI credentials below. Idempotent: a partner that has a showroom is left alone."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from core.models import User
from partners.models import Partner
from showroom import services
from showroom.models import Showroom

ADMIN_EMAIL = "admin@openpcm.example"
DEMO_OCI_SHOP = "http://127.0.0.1:8765/oci-return"
BROOK_OCI_USERNAME = "brook-shop"
BROOK_OCI_PASSWORD = "brook-oci-2026"  # documented demo credential (README / report), demo data only

SHOWROOMS: dict[str, dict[str, Any]] = {
    "alpine": {
        "title": "Alpine Automation: sensors and controllers",
        "brand_colour": "#0b5d3b",
        "introduction": (
            "Alpine supplies the full Kestrel range of sensors and controllers from stock in Munich.\n\n"
            "Our application engineers help you choose the right sensor and commission your line."
        ),
        "oci_allowed_urls": [DEMO_OCI_SHOP],
    },
    "brook": {
        "title": "Brook Industrial Supply",
        "brand_colour": "#f2c14e",
        "introduction": "Brook delivers Kestrel sensors across Austria, with same-day dispatch on stock items.",
        "oci_allowed_urls": [DEMO_OCI_SHOP],
        "oci_username": BROOK_OCI_USERNAME,
        "oci_password": BROOK_OCI_PASSWORD,
    },
    "cobalt": {
        "title": "Cobalt Services: automation in France",
        "brand_colour": "#1f3a93",
        "introduction": "Cobalt installs and services Kestrel controllers throughout France and Benelux.",
    },
}


def seed_showrooms(**_: Any) -> int:
    """Create the demo showrooms that are missing; returns how many it created."""
    admin = User.objects.filter(email=ADMIN_EMAIL).first()
    if admin is None:
        return 0
    created = 0
    partners = {p.slug: p for p in Partner.objects.filter(slug__in=SHOWROOMS)}
    existing = set(
        Showroom.objects.filter(partner__slug__in=SHOWROOMS).values_list("partner__slug", flat=True)
    )
    with transaction.atomic():
        for slug, settings in SHOWROOMS.items():
            partner = partners.get(slug)
            if partner is None or slug in existing:
                continue
            services.showroom_update(partner=partner, actor=admin, changes={**settings, "published": True})
            created += 1
    return created
