"""The benchmark data set: partners at a given scale, with tiers, a two-level hierarchy, channel
managers that each own a few hundred partners, and the personas the scenarios log in as.

Deterministic (a seeded random generator), built with `bulk_create` in batches inside one
transaction, and idempotent: a data set of the requested scale and version is reused, anything else
is wiped and rebuilt. The scale is recorded as an activity-trail line (`bench.dataset`)."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.utils.text import slugify

from bench.database import MARKER_VERB
from core.models import ActivityEvent, ApiToken, User
from partners import access
from partners.choices import PartnerStatus, PartnerType, Role
from partners.models import Membership, Partner, Tier

# Bump when the shape of the data changes, so that an old data set is rebuilt rather than reused.
DATASET_VERSION = 1
SEED = 20261127
BATCH_SIZE = 2000
EMAIL_DOMAIN = "bench.openpcm.example"
ADMIN_EMAIL = f"admin@{EMAIL_DOMAIN}"
CHANNEL_MANAGER_EMAIL = f"cm01@{EMAIL_DOMAIN}"
PARTNER_MANAGER_EMAIL = f"pm@{EMAIL_DOMAIN}"
PASSWORD = "bench-pass-2026"
# Timestamps are spread over the years before this date, so that sorting by creation is realistic.
REFERENCE_DATE = datetime(2026, 11, 1, tzinfo=UTC)
HISTORY_DAYS = 6 * 365

SUB_PARTNER_SHARE = 0.03  # partners under a distributor
DISTRIBUTOR_SHARE = 0.015  # top-level distributors that the sub-partners sit under
UNMANAGED_SHARE = 0.2  # top-level partners no channel manager owns yet
CO_MANAGED_SHARE = 0.05  # partners owned by two channel managers
PARTNERS_PER_MANAGER = 400  # one channel manager per this many partners (at least two)

TIERS = [
    # name, rank, routing weight, MDF share %, share of partners
    ("Registered", 1, 1, Decimal("0"), 50),
    ("Silver", 2, 2, Decimal("5"), 30),
    ("Gold", 3, 4, Decimal("10"), 15),
    ("Platinum", 4, 8, Decimal("15"), 5),
]
STATUSES = [
    (PartnerStatus.ACTIVE, 70),
    (PartnerStatus.ONBOARDING, 10),
    (PartnerStatus.SUSPENDED, 7),
    (PartnerStatus.TERMINATED, 8),
    (PartnerStatus.APPLIED, 5),
]
TYPES = [  # top-level partners that are not distributors
    (PartnerType.RESELLER, 60),
    (PartnerType.SERVICE_PARTNER, 25),
    (PartnerType.REFERRAL, 15),
]
# country: share of partners (%), legal-form suffix, digits of the VAT number
COUNTRIES: dict[str, tuple[int, str, int]] = {
    "DE": (22, "GmbH", 9), "FR": (12, "SAS", 11), "GB": (10, "Ltd", 9), "US": (10, "Inc.", 9),
    "IT": (7, "S.r.l.", 11), "ES": (6, "S.L.", 9), "NL": (5, "B.V.", 12), "PL": (4, "Sp. z o.o.", 10),
    "AT": (4, "GmbH", 9), "CH": (4, "AG", 9), "BE": (3, "BV", 10), "SE": (3, "AB", 12),
    "DK": (2, "ApS", 8), "NO": (2, "AS", 9), "FI": (2, "Oy", 8), "PT": (2, "Lda", 9),
    "CZ": (2, "s.r.o.", 8), "IE": (2, "Ltd", 8),
}  # fmt: skip
# country, city, postal code, region, latitude, longitude
CITIES: list[tuple[str, str, str, str, float, float]] = [
    ("DE", "Munich", "80331", "Bavaria", 48.1372, 11.5761),
    ("DE", "Hamburg", "20095", "Hamburg", 53.5511, 9.9937),
    ("DE", "Berlin", "10115", "Berlin", 52.5200, 13.4050),
    ("DE", "Cologne", "50667", "North Rhine-Westphalia", 50.9375, 6.9603),
    ("DE", "Stuttgart", "70173", "Baden-Württemberg", 48.7758, 9.1829),
    ("DE", "Leipzig", "04109", "Saxony", 51.3397, 12.3731),
    ("FR", "Paris", "75001", "Île-de-France", 48.8566, 2.3522),
    ("FR", "Lyon", "69001", "Auvergne-Rhône-Alpes", 45.7640, 4.8357),
    ("FR", "Marseille", "13001", "Provence-Alpes-Côte d'Azur", 43.2965, 5.3698),
    ("FR", "Toulouse", "31000", "Occitanie", 43.6047, 1.4442),
    ("FR", "Lille", "59000", "Hauts-de-France", 50.6293, 3.0573),
    ("GB", "London", "EC1A 1BB", "England", 51.5072, -0.1276),
    ("GB", "Manchester", "M1 1AE", "England", 53.4808, -2.2426),
    ("GB", "Edinburgh", "EH1 1YZ", "Scotland", 55.9533, -3.1883),
    ("GB", "Bristol", "BS1 4DJ", "England", 51.4545, -2.5879),
    ("US", "Chicago", "60601", "Illinois", 41.8781, -87.6298),
    ("US", "Austin", "73301", "Texas", 30.2672, -97.7431),
    ("US", "Boston", "02108", "Massachusetts", 42.3601, -71.0589),
    ("US", "Denver", "80202", "Colorado", 39.7392, -104.9903),
    ("IT", "Milan", "20121", "Lombardy", 45.4642, 9.1900),
    ("IT", "Turin", "10121", "Piedmont", 45.0703, 7.6869),
    ("IT", "Bologna", "40121", "Emilia-Romagna", 44.4949, 11.3426),
    ("IT", "Rome", "00118", "Lazio", 41.9028, 12.4964),
    ("ES", "Madrid", "28001", "Madrid", 40.4168, -3.7038),
    ("ES", "Barcelona", "08001", "Catalonia", 41.3851, 2.1734),
    ("ES", "Valencia", "46001", "Valencia", 39.4699, -0.3763),
    ("NL", "Amsterdam", "1011", "North Holland", 52.3676, 4.9041),
    ("NL", "Rotterdam", "3011", "South Holland", 51.9244, 4.4777),
    ("NL", "Utrecht", "3511", "Utrecht", 52.0907, 5.1214),
    ("PL", "Warsaw", "00-001", "Masovia", 52.2297, 21.0122),
    ("PL", "Kraków", "30-001", "Lesser Poland", 50.0647, 19.9450),
    ("AT", "Vienna", "1010", "Vienna", 48.2082, 16.3738),
    ("AT", "Graz", "8010", "Styria", 47.0707, 15.4395),
    ("AT", "Linz", "4020", "Upper Austria", 48.3069, 14.2858),
    ("CH", "Zurich", "8001", "Zurich", 47.3769, 8.5417),
    ("CH", "Basel", "4001", "Basel-Stadt", 47.5596, 7.5886),
    ("CH", "Geneva", "1201", "Geneva", 46.2044, 6.1432),
    ("BE", "Antwerp", "2000", "Flanders", 51.2194, 4.4025),
    ("BE", "Brussels", "1000", "Brussels", 50.8503, 4.3517),
    ("SE", "Stockholm", "111 20", "Stockholm", 59.3293, 18.0686),
    ("SE", "Malmö", "211 20", "Skåne", 55.6050, 13.0038),
    ("DK", "Copenhagen", "1050", "Capital Region", 55.6761, 12.5683),
    ("NO", "Oslo", "0150", "Oslo", 59.9139, 10.7522),
    ("FI", "Helsinki", "00100", "Uusimaa", 60.1699, 24.9384),
    ("PT", "Lisbon", "1100", "Lisbon", 38.7223, -9.1393),
    ("PT", "Porto", "4000", "Porto", 41.1579, -8.6291),
    ("CZ", "Prague", "110 00", "Prague", 50.0755, 14.4378),
    ("CZ", "Brno", "602 00", "South Moravia", 49.1951, 16.6068),
    ("IE", "Dublin", "D01", "Leinster", 53.3498, -6.2603),
]
STREETS = ["Industriestraße", "Main Street", "Rue de la Gare", "Via Roma", "Harbour Road", "Calle Mayor"]
NAME_STEMS = (
    "Alpine", "Baltic", "Nordic", "Nordlicht", "Nordwind", "Summit", "Cedar", "Harbor", "Apex", "Vertex",
    "Meridian", "Atlas", "Beacon", "Cobalt", "Crystal", "Delta", "Ember", "Falcon", "Granite", "Helix",
    "Horizon", "Iris", "Juniper", "Keystone", "Lumen", "Magnet", "Neptun", "Orbit", "Pioneer", "Quantum",
    "Rhein", "Donau", "Elbe", "Seine", "Loire", "Tejo", "Vistula", "Sierra", "Solaris", "Sterling",
    "Tandem", "Titan", "Union", "Vector", "Westwind", "Zenit", "Aurora", "Boreal", "Cascade", "Dynamo",
    "Echo", "Fjord", "Gemini", "Hanse", "Isar", "Kestrel", "Lagoon", "Mistral", "Nova", "Oak", "Polaris",
    "Quarry", "Riviera", "Saturn", "Tundra", "Upland", "Valley", "Willow", "Yukon", "Zephyr",
)  # fmt: skip
NAME_TRADES = (
    "Systems", "Solutions", "Technik", "Networks", "Digital", "Services", "IT", "Data", "Cloud",
    "Automation", "Electric", "Engineering", "Supply", "Trading", "Consulting", "Integration", "Security",
    "Energy", "Controls", "Logistics", "Software", "Telecom", "Industrial", "Partners",
)  # fmt: skip
# Scenario inputs that match a varied share of the data set (see bench.scenarios).
SEARCH_TERM = "nord"  # Nordic, Nordlicht, Nordwind: roughly 4% of the partners
FILTER_COUNTRY = "DE"
FILTER_TIER = "Gold"


@dataclass
class Dataset:
    """What the scenarios need to know about the data set."""

    partners: int
    sub_partners: int
    distributors: int
    channel_managers: int
    admin: User
    channel_manager: User
    partner_manager: User
    reused: bool
    build_seconds: float
    managed_by_persona: int = 0

    def summary(self) -> dict[str, Any]:
        return {
            "partners": self.partners,
            "sub_partners": self.sub_partners,
            "distributors": self.distributors,
            "channel_managers": self.channel_managers,
            "partners_visible_to_channel_manager": self.managed_by_persona,
            "dataset_version": DATASET_VERSION,
            "reused": self.reused,
            "build_seconds": round(self.build_seconds, 2),
        }


def _weighted(rng: random.Random, choices: list[tuple[Any, int]]) -> Any:
    values, weights = zip(*choices, strict=True)
    return rng.choices(values, weights=weights)[0]


@contextmanager
def _given_created_at() -> Iterator[None]:
    """Let bulk_create keep the `created_at` we set (auto_now_add would stamp every row with now)."""
    created_at = Partner._meta.get_field("created_at")
    saved = created_at.auto_now_add  # type: ignore[union-attr]
    created_at.auto_now_add = False  # type: ignore[union-attr]
    try:
        yield
    finally:
        created_at.auto_now_add = saved  # type: ignore[union-attr]


def _marker() -> ActivityEvent | None:
    return ActivityEvent.objects.filter(verb=MARKER_VERB).order_by("-id").first()


def build_dataset(*, partners: int = 10_000, rebuild: bool = False, log: Any = None) -> Dataset:
    """The data set at `partners` partners: reused when it already exists at that scale, else
    (or with `rebuild`) wiped and built again."""
    if partners < 10:
        raise ValueError("The data set needs at least 10 partners.")
    say = log or (lambda message: None)
    marker = _marker()
    if (
        not rebuild
        and marker is not None
        and marker.data.get("partners") == partners
        and marker.data.get("version") == DATASET_VERSION
        and Partner.objects.count() == partners
    ):
        say(f"Reusing the data set of {partners:,} partners (--rebuild builds it again).")
        return _load(marker, reused=True, build_seconds=0.0)
    say(f"Building a data set of {partners:,} partners ...")
    started = time.perf_counter()
    with transaction.atomic():
        wipe()
        marker = _build(partners)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Planner statistics and the visibility map (index-only scans) for what was written, as
            # autovacuum would give a live system. VACUUM cannot run inside a transaction (a test's).
            command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
            for model in (Partner, Partner.managers.through, Membership, User, User.groups.through):
                cursor.execute(f"{command} {model._meta.db_table}")
    elapsed = time.perf_counter() - started
    say(f"Built in {elapsed:.1f} s.")
    return _load(marker, reused=False, build_seconds=elapsed)


def wipe() -> None:
    """Delete what a previous build left: every partner (the database is dedicated, see
    bench.database.check_dedicated), the bench users and the marker."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Foreign keys are checked at commit; rows written earlier in this transaction (a test's)
            # leave pending checks that TRUNCATE refuses to run past, so run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            # CASCADE empties the tables that point at partners: memberships, managers, shares, ...
            cursor.execute(f"TRUNCATE {Partner._meta.db_table} CASCADE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    else:
        Membership.objects.all().delete()
        Partner.objects.filter(parent__isnull=False).delete()
        Partner.objects.all().delete()
    ApiToken.objects.filter(user__email__endswith=f"@{EMAIL_DOMAIN}").delete()
    User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").delete()
    ActivityEvent.objects.filter(verb=MARKER_VERB).delete()


def _build(total: int) -> ActivityEvent:
    rng = random.Random(SEED)
    tiers = {}
    for name, rank, weight, share, _ in TIERS:
        tiers[name], _created = Tier.objects.get_or_create(
            name=name, defaults={"rank": rank, "routing_weight": weight, "mdf_share": share}
        )
    tier_weights = [(tiers[name].pk, share) for name, _, _, _, share in TIERS]

    # People: the channel admin, the channel managers (cm01 is the persona), the partner manager.
    manager_count = max(2, total // PARTNERS_PER_MANAGER)
    password = make_password(PASSWORD)
    admin = User(email=ADMIN_EMAIL, full_name="Bench Admin", is_staff=True, password=password)
    managers = [
        User(email=f"cm{i:02d}@{EMAIL_DOMAIN}", full_name=f"Channel Manager {i:02d}", password=password)
        for i in range(1, manager_count + 1)
    ]
    partner_manager = User(email=PARTNER_MANAGER_EMAIL, full_name="Bench Partner Manager", password=password)
    User.objects.bulk_create([admin, *managers, partner_manager])
    people = {u.email: u for u in User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}")}
    groups = {g.name: g for g in Group.objects.filter(name__in=[r.value for r in Role])}
    role_rows = [(ADMIN_EMAIL, Role.CHANNEL_ADMIN), (PARTNER_MANAGER_EMAIL, Role.PARTNER_MANAGER)]
    role_rows += [(m.email, Role.CHANNEL_MANAGER) for m in managers]
    User.groups.through.objects.bulk_create(
        [
            User.groups.through(user_id=people[email].pk, group_id=groups[role.value].pk)
            for email, role in role_rows
        ]
    )

    # Partners: top level first (distributors among them), then the sub-partners under distributors.
    sub_count = max(1, round(total * SUB_PARTNER_SHARE))
    top_count = total - sub_count
    distributor_count = max(1, round(total * DISTRIBUTOR_SHARE))
    distributor_slots = set(rng.sample(range(top_count), distributor_count))
    country_weights = [(country, share) for country, (share, _, _) in COUNTRIES.items()]
    cities_of = {country: [city[1:] for city in CITIES if city[0] == country] for country in COUNTRIES}

    def partner(index: int, *, ptype: str, parent: Partner | None, country: str | None = None) -> Partner:
        country = country or _weighted(rng, country_weights)
        _, suffix, digits = COUNTRIES[country]
        city, postal, region, lat, lon = rng.choice(cities_of[country])
        stem, trade = rng.choice(NAME_STEMS), rng.choice(NAME_TRADES)
        if ptype == PartnerType.DISTRIBUTOR:
            trade = rng.choice(["Distribution", "Wholesale", "Distribution"])
        name = f"{stem} {trade}" if rng.random() < 0.7 else f"{stem} {trade} {city}"
        slug = f"{slugify(name)[:60]}-{index:06d}"
        earliest = parent.created_at if parent else REFERENCE_DATE - timedelta(days=HISTORY_DAYS)
        span = (REFERENCE_DATE - earliest).total_seconds()
        # More partners joined recently than years ago.
        created = REFERENCE_DATE - timedelta(seconds=span * rng.random() ** 1.5)
        return Partner(
            name=name,
            legal_name=f"{name} {suffix}",
            slug=slug,
            vat_id=f"{country}{rng.randrange(10 ** (digits - 1), 10**digits)}",
            website=f"https://www.{slug}.example",
            email=f"info@{slug}.example",
            phone=f"+{rng.randrange(10, 99)} {rng.randrange(100, 999)} {rng.randrange(100000, 999999)}",
            address=f"{rng.choice(STREETS)} {rng.randrange(1, 200)}",
            city=city,
            postal_code=postal,
            region=region,
            country=country,
            latitude=Decimal(f"{lat + rng.uniform(-0.05, 0.05):.6f}"),
            longitude=Decimal(f"{lon + rng.uniform(-0.05, 0.05):.6f}"),
            type=ptype,
            tier_id=_weighted(rng, tier_weights),
            parent=parent,
            status=_weighted(rng, STATUSES),
            capacity=rng.choice([10, 20, 30, 50, 50, 100, 200]),
            created_at=created,
        )

    with _given_created_at():
        top = [
            partner(
                i,
                ptype=PartnerType.DISTRIBUTOR if i in distributor_slots else _weighted(rng, TYPES),
                parent=None,
            )
            for i in range(top_count)
        ]
        Partner.objects.bulk_create(top, batch_size=BATCH_SIZE)
        distributors = [p for p in top if p.type == PartnerType.DISTRIBUTOR]
        # The persona's distributor is active and has at least one reseller.
        home = distributors[0]
        Partner.objects.filter(pk=home.pk).update(status=PartnerStatus.ACTIVE)
        parents = [home] + [rng.choice(distributors) for _ in range(sub_count - 1)]
        subs = [
            partner(top_count + i, ptype=PartnerType.RESELLER, parent=parent, country=parent.country)
            for i, parent in enumerate(parents)
        ]
        Partner.objects.bulk_create(subs, batch_size=BATCH_SIZE)

    # Ownership: most top-level partners have a channel manager, a few two; sub-partners are reached
    # through their distributor.
    manager_ids = [people[m.email].pk for m in managers]
    through = Partner.managers.through
    rows = []
    for i, p in enumerate(top):
        if p is not home and rng.random() < UNMANAGED_SHARE:
            continue
        owner = manager_ids[i % manager_count]
        rows.append(through(partner_id=p.pk, user_id=owner))
        if rng.random() < CO_MANAGED_SHARE:
            other = manager_ids[(i + 1 + rng.randrange(manager_count - 1)) % manager_count]
            rows.append(through(partner_id=p.pk, user_id=other))
    through.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    Membership.objects.create(user=people[PARTNER_MANAGER_EMAIL], partner=home)

    return ActivityEvent.objects.create(
        actor=people[ADMIN_EMAIL],
        verb=MARKER_VERB,
        message=f"Benchmark data set of {total} partners (version {DATASET_VERSION})",
        target_type="bench.dataset",
        target_id=total,
        data={
            "partners": total,
            "version": DATASET_VERSION,
            "seed": SEED,
            "sub_partners": len(subs),
            "distributors": len(distributors),
            "channel_managers": manager_count,
        },
    )


def _load(marker: ActivityEvent, *, reused: bool, build_seconds: float) -> Dataset:
    people = {u.email: u for u in User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}")}
    channel_manager = people[CHANNEL_MANAGER_EMAIL]
    data = marker.data
    return Dataset(
        partners=data["partners"],
        sub_partners=data["sub_partners"],
        distributors=data["distributors"],
        channel_managers=data["channel_managers"],
        admin=people[ADMIN_EMAIL],
        channel_manager=channel_manager,
        partner_manager=people[PARTNER_MANAGER_EMAIL],
        reused=reused,
        build_seconds=build_seconds,
        managed_by_persona=access.scope_partners(channel_manager).count(),
    )
