"""Demo data for trying OpenPCM: tiers, staff, the three demo partners and their people, a pending
application and about thirty further partners. Idempotent: running it again changes nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.text import slugify

from core.demo import run_seeders
from core.models import User
from core.services import activity_record, emails_suppressed
from partners.choices import ApplicationStatus, PartnerStatus, PartnerType, Role
from partners.models import Certification, Membership, Partner, PartnerApplication, Tier

TIERS = [
    # name, rank, routing weight, MDF share %
    ("Registered", 1, 1, Decimal("0")),
    ("Silver", 2, 2, Decimal("5")),
    ("Gold", 3, 4, Decimal("10")),
    ("Platinum", 4, 8, Decimal("15")),
]
CERTIFICATIONS = [
    ("installation", "Certified installer"),
    ("service-l2", "Service level 2"),
    ("solution-design", "Solution design"),
]
STAFF = [
    ("admin@openpcm.example", "Ada Admin", Role.CHANNEL_ADMIN),
    ("cm.north@openpcm.example", "Nora North", Role.CHANNEL_MANAGER),
    ("cm.south@openpcm.example", "Sami South", Role.CHANNEL_MANAGER),
]
# slug, name, type, tier, country, city, postal code, region, lat, lon, parent slug, manager
DEMO_PARTNERS = [
    (
        "alpine",
        "Alpine Distribution GmbH",
        PartnerType.DISTRIBUTOR,
        "Gold",
        "DE",
        "Munich",
        "80331",
        "Bavaria",
        "48.137154",
        "11.576124",
        None,
        "cm.north",
    ),
    (
        "brook",
        "Brook Systems",
        PartnerType.RESELLER,
        "Silver",
        "AT",
        "Vienna",
        "1010",
        "Vienna",
        "48.208174",
        "16.373819",
        "alpine",
        "cm.north",
    ),
    (
        "cobalt",
        "Cobalt Services SARL",
        PartnerType.RESELLER,
        "Silver",
        "FR",
        "Lyon",
        "69001",
        "Auvergne-Rhône-Alpes",
        "45.764043",
        "4.835659",
        None,
        "cm.south",
    ),
]
DEMO_VAT_IDS = {"alpine": "DE811234567", "brook": "ATU12345678", "cobalt": "FR12345678901"}
PARTNER_PEOPLE = [
    ("pm@alpine.example", "Anna Alpine", "alpine", Role.PARTNER_MANAGER),
    ("pe@alpine.example", "Emil Alpine", "alpine", Role.PARTNER_EMPLOYEE),
    ("pm@brook.example", "Bea Brook", "brook", Role.PARTNER_MANAGER),
    ("pm@cobalt.example", "Claire Cobalt", "cobalt", Role.PARTNER_MANAGER),
    ("pe@cobalt.example", "Eric Cobalt", "cobalt", Role.PARTNER_EMPLOYEE),
]
# Further partners: (country, city, postal code, region, lat, lon) — the north team owns DACH,
# the Nordics, Benelux and the east; the south team France, Iberia and Italy.
CITIES = [
    ("DE", "Hamburg", "20095", "Hamburg", "53.551086", "9.993682"),
    ("DE", "Berlin", "10115", "Berlin", "52.520008", "13.404954"),
    ("DE", "Cologne", "50667", "North Rhine-Westphalia", "50.937531", "6.960279"),
    ("DE", "Stuttgart", "70173", "Baden-Württemberg", "48.775845", "9.182932"),
    ("DE", "Leipzig", "04109", "Saxony", "51.339695", "12.373075"),
    ("AT", "Graz", "8010", "Styria", "47.070714", "15.439504"),
    ("AT", "Linz", "4020", "Upper Austria", "48.306940", "14.285830"),
    ("CH", "Zurich", "8001", "Zurich", "47.376887", "8.541694"),
    ("CH", "Basel", "4001", "Basel-Stadt", "47.559601", "7.588576"),
    ("NL", "Rotterdam", "3011", "South Holland", "51.924420", "4.477733"),
    ("NL", "Utrecht", "3511", "Utrecht", "52.090737", "5.121420"),
    ("BE", "Antwerp", "2000", "Flanders", "51.219448", "4.402464"),
    ("BE", "Brussels", "1000", "Brussels", "50.850346", "4.351721"),
    ("LU", "Luxembourg", "1111", "Luxembourg", "49.611621", "6.131935"),
    ("FR", "Paris", "75001", "Île-de-France", "48.856613", "2.352222"),
    ("FR", "Marseille", "13001", "Provence-Alpes-Côte d'Azur", "43.296482", "5.369780"),
    ("FR", "Toulouse", "31000", "Occitanie", "43.604652", "1.444209"),
    ("FR", "Lille", "59000", "Hauts-de-France", "50.629250", "3.057256"),
    ("FR", "Nantes", "44000", "Pays de la Loire", "47.218371", "-1.553621"),
    ("ES", "Madrid", "28001", "Madrid", "40.416775", "-3.703790"),
    ("ES", "Barcelona", "08001", "Catalonia", "41.385064", "2.173404"),
    ("PT", "Lisbon", "1100", "Lisbon", "38.722252", "-9.139337"),
    ("IT", "Milan", "20121", "Lombardy", "45.464204", "9.189982"),
    ("IT", "Turin", "10121", "Piedmont", "45.070312", "7.686856"),
    ("PL", "Warsaw", "00-001", "Masovia", "52.229676", "21.012229"),
    ("CZ", "Prague", "110 00", "Prague", "50.075538", "14.437800"),
    ("DK", "Copenhagen", "1050", "Capital Region", "55.676098", "12.568337"),
    ("SE", "Malmö", "211 20", "Skåne", "55.604981", "13.003822"),
    ("FR", "Bordeaux", "33000", "Nouvelle-Aquitaine", "44.837789", "-0.579180"),
    ("IT", "Bologna", "40121", "Emilia-Romagna", "44.494887", "11.342616"),
]
SOUTH = {"FR", "ES", "PT", "IT"}
NAME_STEMS = [
    "Nordlicht",
    "Hanse",
    "Rhein",
    "Neckar",
    "Elster",
    "Mur",
    "Donau",
    "Limmat",
    "Rhin",
    "Maas",
    "Vecht",
    "Schelde",
    "Zenne",
    "Alzette",
    "Seine",
    "Calanque",
    "Garonne",
    "Flandre",
    "Loire",
    "Castilla",
    "Llobregat",
    "Tejo",
    "Naviglio",
    "Dora",
    "Wisła",
    "Vltava",
    "Øresund",
    "Öresund",
    "Gironde",
    "Reno",
]
SUFFIX = {
    "DE": "GmbH",
    "AT": "GmbH",
    "CH": "AG",
    "NL": "B.V.",
    "BE": "BV",
    "LU": "S.à r.l.",
    "FR": "SAS",
    "ES": "S.L.",
    "PT": "Lda",
    "IT": "S.r.l.",
    "PL": "Sp. z o.o.",
    "CZ": "s.r.o.",
    "DK": "ApS",
    "SE": "AB",
}
TYPES = [
    PartnerType.RESELLER,
    PartnerType.RESELLER,
    PartnerType.SERVICE_PARTNER,
    PartnerType.DISTRIBUTOR,
    PartnerType.REFERRAL,
]
TIER_CYCLE = ["Registered", "Silver", "Gold", "Silver", "Platinum", "Registered"]
STATUS_CYCLE = [PartnerStatus.ACTIVE] * 7 + [
    PartnerStatus.ONBOARDING,
    PartnerStatus.SUSPENDED,
    PartnerStatus.ACTIVE,
]


class Command(BaseCommand):
    help = "Load the demo data (idempotent). Refused where DEMO_DATA_ALLOWED is off (production)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--password", help=f"password for every demo login (default {settings.DEMO_PASSWORD})"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_DATA_ALLOWED:
            raise CommandError(
                "Refusing to load demo data: DEMO_DATA_ALLOWED is off (production settings). "
                "Set DEMO_DATA_ALLOWED=true only on a demo or test installation."
            )
        password = options.get("password")
        explicit = bool(password)
        password = password or settings.DEMO_PASSWORD
        with emails_suppressed():
            with transaction.atomic():
                created = self.seed(password=password, reset_passwords=explicit)
            # Then the data of the apps above partners (leads, ...), registered in their AppConfig.ready.
            created += run_seeders()
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({created} records created)."))
        self.stdout.write("Demo logins (http://127.0.0.1:8000/accounts/login/):")
        for email, _, role in STAFF:
            self.stdout.write(f"  {email:<28} {Role(role).label}")
        for email, _, slug, role in PARTNER_PEOPLE:
            self.stdout.write(f"  {email:<28} {Role(role).label} of {slug}")
        if explicit:
            self.stdout.write("Password: the one given with --password.")
        else:
            self.stdout.write(f"Password for all of them: {settings.DEMO_PASSWORD}")

    # -------------------------------------------------------------------------------------------
    def seed(self, *, password: str, reset_passwords: bool) -> int:
        created = 0
        groups = {r.value: Group.objects.get_or_create(name=r.value)[0] for r in Role}
        tiers: dict[str, Tier] = {}
        for name, rank, weight, share in TIERS:
            tier_obj, new = Tier.objects.get_or_create(
                name=name, defaults={"rank": rank, "routing_weight": weight, "mdf_share": share}
            )
            tiers[name], created = tier_obj, created + new
        for code, name in CERTIFICATIONS:
            created += Certification.objects.get_or_create(code=code, defaults={"name": name})[1]

        def person(email: str, name: str, role: Role, *, superuser: bool = False) -> User:
            nonlocal created
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(
                    email=email, password=password, full_name=name, is_staff=superuser, is_superuser=superuser
                )
                created += 1
            elif reset_passwords:
                user.set_password(password)
                user.save(update_fields=["password"])
            user.groups.add(groups[role.value])
            EmailAddress.objects.get_or_create(
                user=user, email=email, defaults={"verified": True, "primary": True}
            )
            return user

        staff = {
            email.split("@")[0]: person(email, name, role, superuser=role == Role.CHANNEL_ADMIN)
            for email, name, role in STAFF
        }

        def partner(slug: str, **fields: Any) -> Partner:
            nonlocal created
            obj = Partner.objects.filter(slug=slug).first()
            if obj is None:
                obj = Partner.objects.create(slug=slug, **fields)
                activity_record(
                    actor=staff["admin"],
                    verb="partner.created",
                    target=obj,
                    partner_id=obj.pk,
                    message=f"Partner {obj.name} created (demo data)",
                )
                created += 1
            return obj

        demo: dict[str, Partner] = {}
        for (
            slug,
            name,
            ptype,
            tier_name,
            country,
            city,
            postal,
            region,
            lat,
            lon,
            parent_slug,
            manager,
        ) in DEMO_PARTNERS:
            demo[slug] = partner(
                slug,
                name=name,
                legal_name=name,
                type=ptype,
                tier=tiers[tier_name],
                country=country,
                city=city,
                postal_code=postal,
                region=region,
                latitude=Decimal(lat),
                longitude=Decimal(lon),
                parent=demo.get(parent_slug) if parent_slug else None,
                status=PartnerStatus.ACTIVE,
                capacity=60,
                vat_id=DEMO_VAT_IDS[slug],
                website=f"https://www.{slug}.example",
                email=f"info@{slug}.example",
            )
            demo[slug].managers.add(staff[manager])
        demo["alpine"].certifications.add(
            *Certification.objects.filter(code__in=["installation", "solution-design"])
        )
        demo["cobalt"].certifications.add(*Certification.objects.filter(code="service-l2"))

        for email, name, slug, role in PARTNER_PEOPLE:
            user = person(email, name, role)
            if not Membership.objects.filter(user=user).exists():
                Membership.objects.create(user=user, partner=demo[slug])
                created += 1

        distributors: dict[str, Partner] = {}
        for i, (country, city, postal, region, lat, lon) in enumerate(CITIES):
            ptype = TYPES[i % len(TYPES)]
            parent: Partner | None = None
            if ptype == PartnerType.RESELLER and country in {"DE", "AT", "CH"}:
                parent = demo["alpine"]  # Alpine's resellers across DACH
            elif ptype == PartnerType.RESELLER and country in distributors:
                parent = distributors[country]
            if ptype == PartnerType.DISTRIBUTOR:
                trade = "Distribution"
            else:
                trade = "Technik" if country in {"DE", "AT", "CH"} else "Solutions"
            name = f"{NAME_STEMS[i]} {trade} {SUFFIX[country]}"
            obj = partner(
                slugify(f"{NAME_STEMS[i]}-{city}".replace("ø", "o").replace("ł", "l")),
                name=name,
                legal_name=name,
                type=ptype,
                tier=tiers[TIER_CYCLE[i % len(TIER_CYCLE)]],
                country=country,
                city=city,
                postal_code=postal,
                region=region,
                latitude=Decimal(lat),
                longitude=Decimal(lon),
                parent=parent,
                status=STATUS_CYCLE[i % len(STATUS_CYCLE)],
                capacity=20 + (i * 7) % 60,
                vat_id=f"{country}{700000000 + i * 7919}",
                email=f"info@partner{i}.example",
            )
            if ptype == PartnerType.DISTRIBUTOR:
                distributors.setdefault(country, obj)
            obj.managers.add(staff["cm.south"] if country in SOUTH else staff["cm.north"])

        if not PartnerApplication.objects.filter(contact_email="hello@deltaenergy.example").exists():
            PartnerApplication.objects.create(
                company="Delta Energy Systems BV",
                vat_id="NL812345678B01",
                country="NL",
                city="Eindhoven",
                website="https://www.deltaenergy.example",
                contact_name="Daan de Vries",
                contact_email="hello@deltaenergy.example",
                contact_phone="+31 40 123 4567",
                sells="Solar inverters, storage and installation for commercial roofs "
                "in the southern Netherlands.",
                message="We would like to resell and install your products.",
                status=ApplicationStatus.PENDING,
            )
            created += 1
        return created
