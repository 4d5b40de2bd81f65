"""Demo marketing development funds: the open programme "FY<year> Partner Marketing" (EUR 250,000,
second approval above EUR 20,000) of the fiscal year that contains today (October to September: on
27 November 2026 that is FY2027, 1 Oct 2026 – 30 Sep 2027, claims until 31 Oct 2027), allocations for
alpine (50,000), brook (10,000), cobalt (30,000) and the other active partners by tier, and requests
and claims in every status with proof files, comments and an answered request for information.

Everything goes through mdf.services (and leads.services for the campaign leads), so the journal,
the allocation figures and the timelines are what the application itself would have written.
Idempotent: once the programme exists, it does nothing."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from catalog.models import Category
from core.models import User
from core.services import emails_suppressed
from leads import services as lead_services
from mdf import services
from mdf.choices import ActivityType, AllocationRule
from mdf.models import Claim, FundAllocation, FundComment, FundProgram, FundRequest
from partners.choices import PartnerStatus
from partners.models import Partner

BUDGET = Decimal("250000.00")
THRESHOLD = Decimal("20000.00")
DEMO_ALLOCATIONS = {
    "alpine": Decimal("50000.00"),
    "brook": Decimal("10000.00"),
    "cobalt": Decimal("30000.00"),
}
# The other active partners get money by tier; what is left stays unallocated for the admin to share.
TIER_AMOUNTS = {"Platinum": Decimal("12000.00"), "Gold": Decimal("8000.00"), "Silver": Decimal("4000.00")}
KEEP_UNALLOCATED = Decimal("20000.00")
ADMIN = "admin@openpcm.example"
CM_NORTH = "cm.north@openpcm.example"
CM_SOUTH = "cm.south@openpcm.example"
MANAGERS = {"alpine": "pm@alpine.example", "brook": "pm@brook.example", "cobalt": "pm@cobalt.example"}
LEAD_MARK = "mdf-demo-"  # external_id prefix of the campaign leads


def fiscal_year(day: date) -> int:
    """The fiscal year (October to September) that `day` falls in, named by the year it ends."""
    return day.year + 1 if day.month >= 10 else day.year


def program_period(day: date) -> tuple[str, date, date, date]:
    """Name, start, end and claim deadline of the demo programme for the fiscal year of `day`."""
    year = fiscal_year(day)
    return f"FY{year} Partner Marketing", date(year - 1, 10, 1), date(year, 9, 30), date(year, 10, 31)


# --- Proof files, generated -----------------------------------------------------------------------


def _pdf_text(value: str) -> str:
    ascii_only = value.encode("ascii", "replace").decode("ascii")
    return ascii_only.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def pdf_document(title: str, lines: list[str]) -> bytes:
    """A small, valid one-page PDF (A4, Helvetica) with a title and lines of text."""
    text = ["BT", "/F1 18 Tf", "56 780 Td", f"({_pdf_text(title)}) Tj", "/F1 11 Tf", "0 -30 Td"]
    for line in lines:
        text += [f"({_pdf_text(line)}) Tj", "0 -16 Td"]
    text.append("ET")
    stream = "\n".join(text).encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png_image(
    bars: list[int], *, colour: tuple[int, int, int] = (11, 93, 59), size: tuple[int, int] = (160, 90)
) -> bytes:
    """A small, valid PNG (8-bit RGB): a bar chart of `bars` (0–100) on white, like a photo of a
    results slide."""
    width, height = size
    slot = width // max(1, len(bars))
    rows = []
    for y in range(height):
        row = bytearray(b"\x00")  # filter type 0 (none) for each scanline
        for x in range(width):
            index = min(x // slot, len(bars) - 1)
            inside = slot * index + 4 <= x < slot * (index + 1) - 4
            filled = inside and (height - y) <= bars[index] * (height - 8) // 100
            row += bytes(colour) if filled else b"\xff\xff\xff"
        rows.append(bytes(row))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + _png_chunk(b"IEND", b"")
    )


def _invoice(name: str, supplier: str, what: str, amount: str) -> SimpleUploadedFile:
    body = pdf_document(
        f"Invoice - {supplier}",
        [what, f"Amount: EUR {amount} (net)", "Payment terms: 30 days", "Demo document generated by OpenPCM"],
    )
    return SimpleUploadedFile(name, body, content_type="application/pdf")


def _photo(name: str, bars: list[int]) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_image(bars), content_type="image/png")


# --- The seeder -----------------------------------------------------------------------------------


@dataclass
class _People:
    admin: User
    cm_north: User
    cm_south: User
    pm: dict[str, User]


def _people() -> _People | None:
    users = {
        u.email: u for u in User.objects.filter(email__in=[ADMIN, CM_NORTH, CM_SOUTH, *MANAGERS.values()])
    }
    if any(email not in users for email in [ADMIN, CM_NORTH, CM_SOUTH, *MANAGERS.values()]):
        return None
    return _People(
        admin=users[ADMIN],
        cm_north=users[CM_NORTH],
        cm_south=users[CM_SOUTH],
        pm={slug: users[email] for slug, email in MANAGERS.items()},
    )


def seed_funds(**_: Any) -> int:
    """Create the demo programme and its history once; returns how many records it created."""
    name, *_period = program_period(timezone.localdate())
    if FundProgram.objects.filter(name=name).exists():
        return 0
    people = _people()
    partners = {p.slug: p for p in Partner.objects.filter(slug__in=DEMO_ALLOCATIONS)}
    if people is None or len(partners) != len(DEMO_ALLOCATIONS):
        return 0
    with emails_suppressed(), transaction.atomic():
        return _Seeder(people, partners).run()


class _Seeder:
    def __init__(self, people: _People, partners: dict[str, Partner]) -> None:
        self.people = people
        self.partners = partners
        self.today = timezone.localdate()
        self.created = 0
        # What waits in the queues, and since how many days (set at the end; see `age_the_queues`).
        self.waiting_requests: list[tuple[FundRequest, int]] = []
        self.waiting_claims: list[tuple[Claim, int]] = []
        self.category = Category.objects.filter(slug="inductive-sensors").first()

    # Helpers ---------------------------------------------------------------------------------------
    def day(self, offset: int) -> date:
        """Today plus `offset` days, kept inside the programme's activity period."""
        return max(self.program.starts_on, min(self.today + timedelta(days=offset), self.program.ends_on))

    def request(
        self, slug: str, title: str, activity: ActivityType, amount: str, start: int, end: int, code: str,
        *, submit: bool = True, description: str = "", expected_leads: int | None = None,
        expected_revenue: str | None = None,
    ) -> FundRequest:  # fmt: skip
        self.created += 1
        return services.request_create(
            actor=self.people.pm[slug], allocation=self.allocations[slug], title=title, activity_type=activity,
            starts_on=self.day(start), ends_on=self.day(end), amount=amount, description=description,
            expected_leads=expected_leads, expected_revenue=expected_revenue,
            campaign_code=f"FY{self.year % 100}-{code}", submit=submit,
        )  # fmt: skip

    def claim(self, slug: str, request: FundRequest, amount: str, description: str, files: list[Any],
              *, results: str = "", actual_leads: int | None = None) -> Claim:  # fmt: skip
        self.created += 1 + len(files)
        return services.claim_submit(
            actor=self.people.pm[slug], request=request, amount=amount, description=description, files=files,
            results=results, actual_leads=actual_leads,
        )  # fmt: skip

    def comment(self) -> None:
        self.created += 1

    # The run ---------------------------------------------------------------------------------------
    def run(self) -> int:
        self.program_and_allocations()
        self.alpine()
        self.brook()
        self.cobalt()
        self.campaign_leads()
        self.age_the_queues()
        return self.created

    def age_the_queues(self) -> None:
        """The services stamp everything "now"; what waits in the queues gets its age back (days
        since it was submitted, and its comments in order), so the queues read like a working week.
        Timestamps only: no amount and no journal line changes."""
        now = timezone.now()
        for request, days in self.waiting_requests:
            submitted = now - timedelta(days=days, hours=3)
            FundRequest.objects.filter(pk=request.pk).update(
                created_at=submitted - timedelta(hours=1), submitted_at=submitted
            )
            FundRequest.objects.filter(pk=request.pk, first_approved_at__isnull=False).update(
                first_approved_at=submitted + timedelta(hours=18)
            )
            self._age_comments(FundComment.objects.filter(request=request, claim__isnull=True), submitted)
        for claim, days in self.waiting_claims:
            filed = now - timedelta(days=days, hours=2)
            Claim.objects.filter(pk=claim.pk).update(created_at=filed)
            self._age_comments(FundComment.objects.filter(claim=claim), filed)

    @staticmethod
    def _age_comments(comments: Any, since: datetime) -> None:
        for step, pk in enumerate(
            comments.order_by("created_at", "id").values_list("pk", flat=True), start=1
        ):
            FundComment.objects.filter(pk=pk).update(created_at=since + timedelta(hours=18 * step))

    def program_and_allocations(self) -> None:
        admin = self.people.admin
        name, starts_on, ends_on, deadline = program_period(self.today)
        self.year = fiscal_year(self.today)
        self.program = services.program_create(
            actor=admin, name=name, starts_on=starts_on, ends_on=ends_on, claim_deadline=deadline,
            budget=BUDGET, approval_threshold=THRESHOLD, allocation_rule=AllocationRule.MANUAL,
            description="Co-funded marketing for the year: events, trade shows, digital campaigns and "
            "training that bring customers to our partners. Up to EUR 20,000 a channel manager approves; "
            "above it a channel admin approves as well. Claim with invoices and photos by the deadline.",
        )  # fmt: skip
        self.created += 1
        self.allocations: dict[str, FundAllocation] = {}
        for slug, amount in DEMO_ALLOCATIONS.items():
            self.allocations[slug] = services.allocation_set(
                program=self.program, partner=self.partners[slug], amount=amount, actor=admin
            )
            self.created += 1
        total = sum(DEMO_ALLOCATIONS.values(), Decimal("0"))
        others = (
            Partner.objects.filter(status=PartnerStatus.ACTIVE, tier__name__in=TIER_AMOUNTS)
            .exclude(slug__in=DEMO_ALLOCATIONS)
            .select_related("tier")
            .order_by("-tier__rank", "name")
        )
        for partner in others:
            amount = TIER_AMOUNTS[partner.tier.name]
            if total + amount > BUDGET - KEEP_UNALLOCATED:
                continue
            services.allocation_set(program=self.program, partner=partner, amount=amount, actor=admin)
            total += amount
            self.created += 1
        self.program = services.program_open(program=self.program, actor=admin)
        for allocation in self.allocations.values():
            allocation.refresh_from_db()

    def alpine(self) -> None:
        cm, pm = self.people.cm_north, self.people.pm["alpine"]
        # Closed: a roadshow claimed in two parts, both paid; the approval used up, so it closed.
        roadshow = self.request(
            "alpine", "Automation roadshow Bavaria", ActivityType.EVENT, "8000.00", -52, -45, "ALPINE-ROADSHOW",
            description="Five evening events in Munich, Augsburg, Ingolstadt, Regensburg and Rosenheim with "
            "live demonstrations of the inductive sensor range.", expected_leads=30, expected_revenue="120000.00",
        )  # fmt: skip
        services.request_approve(request=roadshow, actor=cm)
        first = self.claim(
            "alpine", roadshow, "4500.00", "Venue hire and catering, Munich and Augsburg",
            [_invoice("invoice-venues.pdf", "Eventhaus Bayern GmbH", "Venue hire, 2 evenings", "4,500.00"),
             _photo("roadshow-munich.png", [35, 60, 80, 55])],
            results="140 visitors, 22 qualified contacts", actual_leads=22,
        )  # fmt: skip
        services.claim_approve(claim=first, actor=cm)
        services.claim_pay(
            claim=first, actor=cm, payment_reference="SEPA-2026-1104-0412", paid_on=self.day(-23)
        )
        second = self.claim(
            "alpine", roadshow, "3500.00", "Demonstration kits and printed handouts for all five evenings",
            [_invoice("invoice-demo-kits.pdf", "Druckerei Huber KG", "Handouts and demo kits", "3,500.00")],
        )  # fmt: skip
        services.claim_approve(claim=second, actor=cm)
        services.claim_pay(
            claim=second, actor=cm, payment_reference="SEPA-2026-1120-0533", paid_on=self.day(-7)
        )
        self.codes = {"roadshow": roadshow}

        # Approved, partly claimed: one claim approved (waiting for payment), one rejected, one waiting
        # with a question from the channel manager.
        webinar = self.request(
            "alpine", "Sensor webinar series", ActivityType.DIGITAL_CAMPAIGN, "6000.00", -30, 60, "ALPINE-WEBINARS",
            description="Six webinars on retrofitting packaging lines, promoted by e-mail and LinkedIn.",
            expected_leads=40, expected_revenue="90000.00",
        )  # fmt: skip
        services.request_approve(request=webinar, actor=cm)
        paid_ads = self.claim(
            "alpine", webinar, "2500.00", "LinkedIn promotion of webinars 1 to 3",
            [_invoice("linkedin-ads.pdf", "LinkedIn Ireland", "Sponsored content, October", "2,500.00"),
             _photo("webinar-registrations.png", [20, 45, 70])],
            results="310 registrations, 190 attendees", actual_leads=12,
        )  # fmt: skip
        services.claim_approve(claim=paid_ads, actor=cm)
        wrong = self.claim(
            "alpine", webinar, "900.00", "Webinar platform licence",
            [_invoice("platform-licence.pdf", "Streamly GmbH", "Annual licence", "900.00")],
        )  # fmt: skip
        services.claim_reject(
            claim=wrong, actor=cm,
            reason="The invoice is the platform's annual licence, not this campaign's cost. Claim the share "
            "for the six webinars with the invoice that shows it.",
        )  # fmt: skip
        waiting = self.claim(
            "alpine", webinar, "1800.00", "E-mail campaign and landing page for webinars 4 to 6",
            [_invoice("email-campaign.pdf", "Agentur Blau", "E-mail campaign and landing page", "1,800.00")],
        )  # fmt: skip
        services.info_request(
            request=webinar, actor=cm, claim=waiting,
            question="Please add the registration figures of webinars 4 to 6 before I approve this claim.",
        )  # fmt: skip
        self.comment()
        self.codes["webinar"] = webinar
        self.waiting_claims.append((waiting, 4))

        # Submitted above the threshold: the channel manager approved first; a channel admin decides.
        messe = self.request(
            "alpine", "Hannover Messe stand", ActivityType.TRADE_SHOW, "24000.00", 130, 135, "ALPINE-MESSE",
            description="A 60 m² stand in hall 9 with the full sensor and controller range.",
            expected_leads=120, expected_revenue="400000.00",
        )  # fmt: skip
        services.request_approve(request=messe, actor=cm)
        self.comment()  # the first approval leaves a comment

        # Submitted, the channel manager asked for more and the partner answered.
        catalogue = self.request(
            "alpine", "Print catalogue", ActivityType.PRINT, "3500.00", 20, 50, "ALPINE-CATALOGUE",
            description="Our printed catalogue of the sensor range.", expected_leads=15,
        )  # fmt: skip
        services.info_request(
            request=catalogue, actor=cm,
            question="Which products does the catalogue show, and how many copies do you print and send?",
        )  # fmt: skip
        services.comment_add(
            request=catalogue, actor=pm,
            body="The whole inductive and pressure sensor range (48 pages); 5,000 copies, 1,200 of them mailed "
            "to machine builders in Bavaria, the rest handed out at the roadshow and the Messe.",
        )  # fmt: skip
        self.comment()
        self.comment()
        self.waiting_requests += [(messe, 2), (catalogue, 6)]

        # A draft, a rejected request, and an approved one cancelled (its reservation released).
        self.request(
            "alpine", "Customer training day Munich", ActivityType.TRAINING, "2000.00", 75, 75, "ALPINE-TRAINING",
            submit=False, description="Hands-on commissioning training for 20 customers' technicians.",
        )  # fmt: skip
        radio = self.request(
            "alpine", "Regional radio spots", ActivityType.CO_OP_ADVERTISING, "12000.00", 10, 40, "ALPINE-RADIO",
            description="Three weeks of 20-second spots on Bavarian regional radio.",
        )  # fmt: skip
        services.request_reject(
            request=radio, actor=cm,
            reason="Radio reaches consumers, not machine builders; a digital campaign with tracked leads "
            "would qualify. Happy to approve one.",
        )  # fmt: skip
        augsburg = self.request(
            "alpine", "Trade fair Augsburg", ActivityType.TRADE_SHOW, "4000.00", 40, 42, "ALPINE-AUGSBURG",
        )  # fmt: skip
        services.request_approve(request=augsburg, actor=cm)
        services.request_cancel(request=augsburg, actor=pm)

    def brook(self) -> None:
        cm, pm = self.people.cm_north, self.people.pm["brook"]
        # Approved for less than asked; its claim approved in part, waiting for payment.
        linkedin = self.request(
            "brook", "LinkedIn lead campaign Austria", ActivityType.DIGITAL_CAMPAIGN, "4000.00", -40, 20,
            "BROOK-LINKEDIN", expected_leads=25, expected_revenue="60000.00",
        )  # fmt: skip
        services.request_approve(request=linkedin, actor=cm, amount="3000.00")
        ads = self.claim(
            "brook", linkedin, "2000.00", "Sponsored posts, October and November",
            [_invoice("linkedin-brook.pdf", "LinkedIn Ireland", "Sponsored content", "2,000.00"),
             _photo("campaign-results.png", [30, 50, 65, 90])],
            results="18 form leads", actual_leads=18,
        )  # fmt: skip
        services.claim_approve(claim=ads, actor=cm, amount="1800.00")
        # Waiting in the queue.
        meetup = self.request(
            "brook", "Vienna automation meetup", ActivityType.EVENT, "2500.00", 45, 45, "BROOK-MEETUP",
            description="An evening meetup for 60 automation engineers, with two customer talks.",
            expected_leads=12,
        )  # fmt: skip
        # Claimed in part and paid, then closed by the partner: the rest is released.
        workshop = self.request(
            "brook", "Installer workshop Graz", ActivityType.TRAINING, "2000.00", -35, -34, "BROOK-WORKSHOP",
        )  # fmt: skip
        services.request_approve(request=workshop, actor=cm)
        room = self.claim(
            "brook", workshop, "1200.00", "Training room and lunch for 18 installers",
            [_invoice("workshop-graz.pdf", "Seminarhotel Graz", "Room and catering", "1,200.00")],
        )  # fmt: skip
        services.claim_approve(claim=room, actor=cm)
        services.claim_pay(
            claim=room, actor=cm, payment_reference="SEPA-2026-1112-0471", paid_on=self.day(-15)
        )
        services.request_close(request=workshop, actor=pm)
        self.codes |= {"linkedin": linkedin, "workshop": workshop}
        self.waiting_requests.append((meetup, 1))

    def cobalt(self) -> None:
        cm, admin = self.people.cm_south, self.people.admin
        # Above the threshold: approved by the channel manager and then a channel admin. One claim paid
        # by credit note, a large one waiting.
        salon = self.request(
            "cobalt", "Salon Industrie Lyon stand", ActivityType.TRADE_SHOW, "22000.00", -20, -17,
            "COBALT-SALON", description="A 40 m² stand with live controller demonstrations.",
            expected_leads=80, expected_revenue="250000.00",
        )  # fmt: skip
        services.request_approve(request=salon, actor=cm)
        services.request_approve(request=salon, actor=admin)
        self.comment()
        booth = self.claim(
            "cobalt", salon, "6000.00", "Stand construction (first instalment)",
            [_invoice("stand-construction.pdf", "Stands & Co SARL", "Stand construction, instalment 1", "6,000.00"),
             _photo("stand-photo.png", [90, 40, 75, 60, 85])],
        )  # fmt: skip
        services.claim_approve(claim=booth, actor=cm)
        services.claim_pay(claim=booth, actor=cm, credit_note_number="AV-2026-0031", paid_on=self.day(-3))
        stand = self.claim(
            "cobalt", salon, "12000.00", "Stand space, furniture and hostesses",
            [_invoice("salon-space.pdf", "GL events", "Stand space 40 m2 and services", "12,000.00"),
             _photo("salon-visitors.png", [55, 70, 95]),
             _invoice("hostess-agency.pdf", "Accueil Lyon", "Two hostesses, four days", "1,900.00")],
            results="Four days, 260 conversations, 64 qualified leads", actual_leads=64,
        )  # fmt: skip
        newsletter = self.request(
            "cobalt", "Newsletter sponsorship France", ActivityType.DIGITAL_CAMPAIGN, "1500.00", 15, 45,
            "COBALT-NEWSLETTER", expected_leads=10,
        )  # fmt: skip
        self.codes["salon"] = salon
        self.waiting_requests.append((newsletter, 3))
        self.waiting_claims.append((stand, 6))

    def campaign_leads(self) -> None:
        """Leads carrying the requests' campaign codes, worked by the partners: the return on the funds."""
        # (request, partner slug, [(company, city, country, estimated value, outcome)])
        plan = [
            ("roadshow", "alpine", [
                ("Berg Verpackung GmbH", "Augsburg", "DE", "52000", ("won", "48000")),
                ("Isar Maschinenbau GmbH", "Munich", "DE", "24000", ("won", "21500")),
                ("Lech Fördertechnik GmbH", "Augsburg", "DE", "18000", ("lost", "")),
                ("Donau Anlagen GmbH", "Regensburg", "DE", "30000", ("qualified", "")),
                ("Chiemgau Abfülltechnik GmbH", "Rosenheim", "DE", "15000", ("qualified", "")),
                ("Altmühl Robotik GmbH", "Ingolstadt", "DE", "12000", ("accepted", "")),
            ]),
            ("webinar", "alpine", [
                ("Nord Pack Systems GmbH", "Munich", "DE", "16000", ("won", "15800")),
                ("Alpen Getränketechnik GmbH", "Munich", "DE", "22000", ("qualified", "")),
                ("Würm Automation GmbH", "Munich", "DE", "9000", ("accepted", "")),
                ("Ammersee Food Tech GmbH", "Munich", "DE", "11000", ("dispatched", "")),
            ]),
            ("linkedin", "brook", [
                ("Wiener Verpackungswerke GmbH", "Vienna", "AT", "9800", ("won", "9400")),
                ("Donaustadt Logistik GmbH", "Vienna", "AT", "14000", ("lost", "")),
                ("Prater Anlagenbau GmbH", "Vienna", "AT", "7000", ("accepted", "")),
            ]),
            ("workshop", "brook", [
                ("Mur Elektrotechnik GmbH", "Vienna", "AT", "6500", ("won", "6200")),
                ("Schlossberg Installationen GmbH", "Vienna", "AT", "4000", ("qualified", "")),
            ]),
            ("salon", "cobalt", [
                ("Rhône Emballage SAS", "Lyon", "FR", "38000", ("won", "36000")),
                ("Saône Automatismes SAS", "Lyon", "FR", "29000", ("won", "27500")),
                ("Fourvière Process SAS", "Lyon", "FR", "21000", ("lost", "")),
                ("Confluence Robotique SAS", "Lyon", "FR", "17000", ("qualified", "")),
                ("Croix-Rousse Mécanique SAS", "Lyon", "FR", "12000", ("qualified", "")),
            ]),
        ]  # fmt: skip
        admin = self.people.admin
        for key, slug, leads in plan:
            request, partner, pm = self.codes[key], self.partners[slug], self.people.pm[slug]
            for i, (company, city, country, value, (outcome, won)) in enumerate(leads):
                lead = lead_services.lead_create(
                    actor=admin, route=False,
                    fields={
                        "company": company, "contact_name": f"Contact {i + 1} {company.split()[0]}",
                        "email": f"purchasing{i + 1}@{request.campaign_code.lower()}.example", "country": country,
                        "city": city, "postal_code": partner.postal_code if city == partner.city else "",
                        "category": self.category, "estimated_value": Decimal(value), "source": "channel",
                        "campaign_code": request.campaign_code, "external_id": f"{LEAD_MARK}{request.campaign_code}-{i + 1}",
                        "products_of_interest": "Inductive sensors and controllers",
                    },
                )  # fmt: skip
                lead = lead_services.lead_dispatch_to(
                    lead=lead, actor=admin, partner=partner, reason=f"Lead from {request.title}"
                )
                self.created += 1
                if outcome == "dispatched":
                    continue
                lead = lead_services.lead_accept(lead=lead, actor=pm)
                if outcome == "accepted":
                    continue
                if outcome == "lost":
                    lead_services.lead_mark_lost(lead=lead, actor=pm, reason="Chose a competitor's offer")
                    continue
                lead = lead_services.lead_qualify(
                    lead=lead,
                    actor=pm,
                    budget="Approved",
                    need="Sensors for a new line",
                    timeline="This year",
                )
                if outcome == "won":
                    lead_services.lead_mark_won(lead=lead, actor=pm, value=Decimal(won))
