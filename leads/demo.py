"""Demo leads: categories, the three dispatch rules of the issue, a few hundred leads in every status
(routed by the real rules, so every one explains itself), and a pending deal registration that
conflicts with an existing lead. Idempotent: it does nothing once the demo leads exist."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from catalog.models import Category
from core.models import User
from leads import services
from leads.choices import LeadStatus, Strategy
from leads.models import DealRegistration, DispatchRule, Lead
from leads.routing import RoutingContext
from partners.choices import Role
from partners.models import Membership, Partner

# Categories of the demo catalogue (catalog.demo, seeded first), so that leads, showrooms and the
# partners' assortments speak of the same products.
CATEGORIES = [
    ("inductive-sensors", "Inductive proximity sensors"),
    ("pressure-sensors", "Pressure sensors"),
    ("compact-plcs", "Compact PLCs"),
    ("temperature-controllers", "Temperature controllers"),
]
# (country, city, postal code, region, latitude, longitude)
PLACES = [
    ("DE", "Munich", "80331", "Bavaria", "48.1372", "11.5755"),
    ("DE", "Augsburg", "86150", "Bavaria", "48.3705", "10.8978"),
    ("DE", "Nuremberg", "90402", "Bavaria", "49.4521", "11.0767"),
    ("DE", "Frankfurt", "60311", "Hesse", "50.1109", "8.6821"),
    ("AT", "Salzburg", "5020", "Salzburg", "47.8095", "13.0550"),
    ("AT", "Innsbruck", "6020", "Tyrol", "47.2692", "11.4041"),
    ("CH", "Bern", "3011", "Bern", "46.9480", "7.4474"),
    ("FR", "Grenoble", "38000", "Auvergne-Rhône-Alpes", "45.1885", "5.7245"),
    ("FR", "Dijon", "21000", "Bourgogne-Franche-Comté", "47.3220", "5.0415"),
    ("FR", "Rennes", "35000", "Brittany", "48.1173", "-1.6778"),
    ("BE", "Ghent", "9000", "Flanders", "51.0543", "3.7174"),
    ("NL", "Eindhoven", "5611", "North Brabant", "51.4416", "5.4697"),
    ("IT", "Verona", "37121", "Veneto", "45.4384", "10.9916"),
    ("ES", "Valencia", "46001", "Valencian Community", "39.4699", "-0.3763"),
    ("PL", "Kraków", "30-001", "Lesser Poland", "50.0647", "19.9450"),
    ("DK", "Aarhus", "8000", "Central Denmark", "56.1629", "10.2039"),
    ("US", "Boston", "02108", "Massachusetts", "42.3601", "-71.0589"),  # no rule covers these:
    ("JP", "Osaka", "530-0001", "Osaka", "34.6937", "135.5023"),  # they end up unroutable
]
EUROPE = sorted(
    {
        "DE",
        "AT",
        "CH",
        "FR",
        "BE",
        "NL",
        "LU",
        "IT",
        "ES",
        "PT",
        "PL",
        "CZ",
        "DK",
        "SE",
        "NO",
        "FI",
        "IE",
        "GB",
    }
)
COMPANY_WORDS = [
    "Berg",
    "Tal",
    "Nord",
    "Süd",
    "Stadtwerke",
    "Hotel",
    "Klinik",
    "Agrar",
    "Logistik",
    "Bau",
    "Immo",
]
SUFFIXES = {"DE": "GmbH", "AT": "GmbH", "CH": "AG", "FR": "SAS", "BE": "BV", "NL": "B.V.", "IT": "S.r.l.",
            "ES": "S.L.", "PL": "Sp. z o.o.", "DK": "ApS", "US": "Inc.", "JP": "K.K."}  # fmt: skip
DEMO_MARK = "demo-"
LEADS = 240


def seed_leads(**_: Any) -> int:
    """Create the demo leads world once; returns how many records it created."""
    if Lead.objects.filter(external_id__startswith=DEMO_MARK).exists():
        return 0
    alpine = Partner.objects.filter(slug="alpine").first()
    if alpine is None:
        return 0
    with transaction.atomic():
        return _seed()


def _seed() -> int:
    created = 0
    categories = {}
    for slug, name in CATEGORIES:
        categories[slug], new = Category.objects.get_or_create(slug=slug, defaults={"name": name})
        created += new
    alpine = Partner.objects.get(slug="alpine")
    brook = Partner.objects.get(slug="brook")
    cobalt = Partner.objects.get(slug="cobalt")
    admin = User.objects.get(email="admin@openpcm.example")
    french_benelux = list(Partner.objects.filter(country__in=["FR", "BE", "NL", "LU"], status="active"))
    rules = [
        ("DACH to Alpine and Brook", 10, {"countries": ["DE", "AT", "CH"], "strategy": Strategy.WEIGHTED}, [alpine, brook]),
        ("France and Benelux", 20, {"countries": ["FR", "BE", "NL", "LU"], "strategy": Strategy.LEAST_LOADED},
         [cobalt, *[p for p in french_benelux if p != cobalt]]),
        ("Rest of Europe: nearest partner", 90, {"countries": EUROPE, "strategy": Strategy.NEAREST}, []),
    ]  # fmt: skip
    for name, priority, conditions, partners in rules:
        if not DispatchRule.objects.filter(name=name).exists():
            services.dispatch_rule_save(
                actor=admin, fields={"name": name, "priority": priority, "accept_within_hours": 48, **conditions},
                partners=partners,
            )  # fmt: skip
            created += 1
    rng = random.Random(2026)  # noqa: S311 (demo data, not security)
    context = RoutingContext()
    leads: list[Lead] = []
    for i in range(LEADS):
        country, city, postal, region, lat, lon = PLACES[i % len(PLACES)]
        company = f"{rng.choice(COMPANY_WORDS)} {city} {SUFFIXES.get(country, 'Ltd')}"
        fields: dict[str, Any] = {
            "company": company if i % 7 else f"{company} {i}",
            "contact_name": rng.choice(["Anna", "Ben", "Clara", "David", "Eva", "Felix"]) + " " + rng.choice(
                ["Huber", "Martin", "Rossi", "Jansen", "Nowak", "Berger"]
            ),
            "email": f"contact{i}@{city.lower().replace(' ', '').replace('ó', 'o')}-{i}.example",
            "country": country, "city": city, "postal_code": postal, "region": region,
            "latitude": Decimal(lat), "longitude": Decimal(lon),
            "category": categories[CATEGORIES[i % len(CATEGORIES)][0]],
            "estimated_value": Decimal(rng.randrange(2, 120) * 1000),
            "source": ["channel", "api", "import", "showroom"][i % 4],
            "campaign_code": "SPRING26" if i % 5 == 0 else "",
            "external_id": f"{DEMO_MARK}{i}",
        }  # fmt: skip
        leads.append(services.lead_create(actor=admin, fields=fields, route=i % 12 != 0, context=context))
    created += len(leads)
    # Move leads along the workflow by the partners' own actions, so timelines are real.
    managers = {
        m.partner_id: m.user
        for m in Membership.objects.filter(user__groups__name=Role.PARTNER_MANAGER).select_related("user")
    }
    for i, lead in enumerate(leads):
        if lead.status != LeadStatus.DISPATCHED or lead.partner_id not in managers:
            continue
        actor = managers[lead.partner_id]
        step = i % 6
        if step == 0:
            continue  # stays dispatched, waiting for acceptance
        if step == 1:
            services.lead_decline(lead=lead, actor=actor, reason="Outside our service area", context=context)
            continue
        lead = services.lead_accept(lead=lead, actor=actor)
        if step == 2:
            continue
        lead = services.lead_qualify(lead=lead, actor=actor, budget="Approved", need="Replace old system",
                                     timeline="This quarter")  # fmt: skip
        if step == 4:
            services.lead_mark_won(lead=lead, actor=actor, value=lead.estimated_value)
        elif step == 5:
            services.lead_mark_lost(lead=lead, actor=actor, reason="Chose a competitor")
    # A pending deal registration by Cobalt in conflict with a lead Alpine holds.
    conflicting = (
        Lead.objects.filter(partner=alpine).exclude(status__in=["won", "lost"]).order_by("id").first()
    )
    pm_cobalt = User.objects.filter(email="pm@cobalt.example").first()
    if conflicting and pm_cobalt and not DealRegistration.objects.filter(partner=cobalt).exists():
        services.registration_submit(
            actor=pm_cobalt, partner=cobalt, customer_company=conflicting.company,
            customer_domain=conflicting.email.rsplit("@", 1)[-1], country=conflicting.country,
            value=Decimal("35000"), expected_close=timezone.localdate() + timedelta(days=45),
            notes="Met them at a trade fair; they asked us for an offer.",
        )  # fmt: skip
        created += 1
    return created
