"""Demo service data: the knowledge base of the demo catalogue (50 solutions, service.solutions_data,
48 of them published) and service requests of alpine, brook and cobalt in every status (new, in
progress, waiting for the customer, escalated, resolved, closed), with comments, a file, "this
solved it" feedback and a time to resolve.

Everything goes through service.services, so the timelines, counts and checks are what the
application itself would have written; afterwards the timeline is spread over the days before
today (a request registered "5 days ago" reads so). Idempotent: solutions that exist (by title)
are left alone, and once the demo partners have service requests none are added."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from catalog.models import Category, Product
from core.models import User
from core.services import emails_suppressed
from partners.models import Partner
from service import services
from service.choices import ServiceStatus
from service.models import ServiceEvent, ServiceRequest, Solution
from service.solutions_data import SOLUTIONS

ADMIN = "admin@openpcm.example"
PARTNERS = ("alpine", "brook", "cobalt")
CHANNEL = {
    "alpine": "cm.north@openpcm.example",
    "brook": "cm.north@openpcm.example",
    "cobalt": "cm.south@openpcm.example",
}
# partner slug -> (the person who registers and works the requests, the partner's manager)
PEOPLE = {
    "alpine": ("pe@alpine.example", "pm@alpine.example"),
    "brook": ("pm@brook.example", "pm@brook.example"),
    "cobalt": ("pe@cobalt.example", "pm@cobalt.example"),
}
CUSTOMERS = {
    "alpine": [
        ("Bergbrauerei Tegernsee GmbH", "Martin Huber", "m.huber@bergbrauerei.example", "+49 8022 1234"),
        ("Isar Verpackung AG", "Julia Brandl", "j.brandl@isar-verpackung.example", "+49 89 555 201"),
        ("Allgäuer Käserei eG", "Stefan Moser", "s.moser@allgaeu-kaese.example", "+49 831 7788"),
    ],
    "brook": [
        ("Wiener Stadtwärme GmbH", "Eva Gruber", "e.gruber@stadtwaerme.example", "+43 1 400 112"),
        ("Donau Kunststoff KG", "Thomas Wimmer", "t.wimmer@donau-kunststoff.example", "+43 2236 5566"),
    ],
    "cobalt": [
        ("Laiterie des Alpes SAS", "Claire Martin", "c.martin@laiterie-alpes.example", "+33 4 76 12 34 56"),
        ("Rhône Emballages SA", "Hugo Bernard", "h.bernard@rhone-emballages.example", "+33 4 72 98 76 54"),
        ("Chimie Lyonnaise SARL", "Sophie Dubois", "s.dubois@chimie-lyon.example", "+33 4 78 11 22 33"),
    ],
}
# (target status, days ago, severity, product SKU, subject, description, solution title to resolve with)
REQUESTS: list[tuple[str, int, str, str, str, str, str | None]] = [
    (
        ServiceStatus.NEW,
        1,
        "medium",
        "KA-PT-0-10B",
        "Pressure reading drifts on the CIP line",
        "Since the cleaning cycle runs hotter, the transmitter on the CIP return line drifts by about 0.2 bar during the first hour.",
        None,
    ),
    (
        ServiceStatus.IN_PROGRESS,
        3,
        "high",
        "KA-IS12-04FPN",
        "Proximity sensor triggers without a part",
        "The end-position sensor on the capper flickers when the conveyor motor runs; the machine stops with a false jam alarm.",
        None,
    ),
    (
        ServiceStatus.WAITING_FOR_CUSTOMER,
        6,
        "low",
        "KA-PE-RR02",
        "Light barrier misses shrink-wrapped packs",
        "Transparent shrink-wrapped six-packs pass the retro-reflective sensor undetected, maybe one in twenty.",
        None,
    ),
    (
        ServiceStatus.ESCALATED,
        9,
        "critical",
        "KA-PLC-C24",
        "PLC stops with watchdog error after update",
        "After the firmware update to 3.2 the PLC stops with a watchdog error about every two hours. Line is down each time.",
        None,
    ),
    (
        ServiceStatus.RESOLVED,
        12,
        "medium",
        "KA-TCR-48x48",
        "Oven temperature overshoots at start-up",
        "The drying oven overshoots by 12 °C every morning before it settles.",
        "Temperature overshoots the set point by 10 °C",
    ),
    (
        ServiceStatus.CLOSED,
        30,
        "high",
        "KA-FL-MAG-DN25",
        "Flow meter shows flow with the pump stopped",
        "The dosing line's flow meter totals about 0.3 l/min when the pump is off, so the batch counter is wrong.",
        "Electromagnetic flow meter shows flow with the pump off",
    ),
    (
        ServiceStatus.CLOSED,
        45,
        "low",
        "KA-RTD-PT100-100",
        "Tank temperature reads 4 °C too high",
        "The new Pt100 on tank 3 shows 4 °C more than the handheld reference.",
        "Pt100 reads several degrees too high",
    ),
]
ESCALATION_REASON = (
    "Reloaded the previous program and checked the cycle time (90 ms); the stop still happens with the "
    "new firmware only. Please advise whether 3.2 has a known issue."
)
PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [3 0 R] "
    b"/Count 1 >> endobj\n3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)


def seed_service(**_: Any) -> int:
    """Create the demo knowledge base and service requests that are missing; returns how many
    records it created."""
    admin = User.objects.filter(email=ADMIN).first()
    if admin is None:
        return 0
    with emails_suppressed(), transaction.atomic():
        created = seed_solutions(admin)
        created += seed_requests()
    return created


def seed_solutions(admin: User) -> int:
    """The demo knowledge base (by title: existing solutions are left alone)."""
    existing = set(
        Solution.objects.filter(title__in=[row[2] for row in SOLUTIONS]).values_list("title", flat=True)
    )
    categories = {c.slug: c for c in Category.objects.all()}
    created = 0
    for slug, skus, title, problem, solution, tags, published in SOLUTIONS:
        if title in existing:
            continue
        services.solution_create(
            actor=admin,
            fields={
                "title": title,
                "problem": problem,
                "solution": solution,
                "tags": tags,
                "published": published,
            },
            products=list(Product.objects.filter(sku__in=skus)),
            categories=[categories[slug]] if slug in categories else [],
        )
        created += 1
    return created


def seed_requests() -> int:
    """Service requests in every status for each demo partner, once."""
    partners = {p.slug: p for p in Partner.objects.filter(slug__in=PARTNERS)}
    if len(partners) < len(PARTNERS) or ServiceRequest.objects.filter(partner__in=partners.values()).exists():
        return 0
    people = {
        u.email: u
        for u in User.objects.filter(
            email__in=[e for pair in PEOPLE.values() for e in pair] + list(CHANNEL.values())
        )
    }
    if len(people) < len({*CHANNEL.values(), *(e for pair in PEOPLE.values() for e in pair)}):
        return 0
    solutions = {s.title: s for s in Solution.objects.filter(published=True)}
    products = {p.sku: p for p in Product.objects.filter(active=True)}
    created = 0
    now = timezone.now()
    for slug in PARTNERS:
        worker, manager = (people[e] for e in PEOPLE[slug])
        channel = people[CHANNEL[slug]]
        for index, (target, days, severity, sku, subject, description, solution_title) in enumerate(REQUESTS):
            company, contact, email, phone = CUSTOMERS[slug][index % len(CUSTOMERS[slug])]
            request = services.request_create(
                actor=worker, subject=subject, description=description, severity=severity,
                customer_data={"company": company, "contact": contact, "email": email, "phone": phone},
                product=products.get(sku),
            )  # fmt: skip
            created += 1
            _work(request, target, worker, manager, channel, solutions.get(solution_title or ""))
            _spread_timeline(request, now - timedelta(days=days, hours=index), now)
    return created


def _work(
    request: ServiceRequest,
    target: str,
    worker: User,
    manager: User,
    channel: User,
    solution: Solution | None,
) -> None:
    """Move a new request along the workflow to `target`, as the people would."""
    if target == ServiceStatus.NEW:
        return
    request = services.request_start(request=request, actor=worker)
    services.comment_add(
        request=request, actor=worker, internal=True,
        body="Called the customer; they send photos of the installation.",
    )  # fmt: skip
    if target == ServiceStatus.IN_PROGRESS:
        services.attachment_add(
            request=request,
            actor=worker,
            files=[SimpleUploadedFile("installation-notes.pdf", PDF, "application/pdf")],
        )
        return
    if target == ServiceStatus.WAITING_FOR_CUSTOMER:
        services.request_wait(
            request=request, actor=worker, note="Waiting for the customer to test with the reflector tilted."
        )
        return
    if target == ServiceStatus.ESCALATED:
        services.request_escalate(request=request, actor=worker, reason=ESCALATION_REASON)
        services.comment_add(
            request=request, actor=channel,
            body="We reproduce it in the lab with firmware 3.2; a fix is being tested. Please keep the old firmware meanwhile.",
        )  # fmt: skip
        return
    request = services.request_resolve(request=request, actor=worker, solution=solution)
    if target == ServiceStatus.CLOSED:
        services.request_close(request=request, actor=manager, note="The customer confirmed the fix.")


def _spread_timeline(request: ServiceRequest, registered: Any, now: Any) -> None:
    """Date the request as registered at `registered` and spread its events evenly up to a few
    hours ago, with the escalation, resolution and closing dated as their events."""
    events = list(ServiceEvent.objects.filter(request=request).order_by("id"))
    span = (now - timedelta(hours=2)) - registered
    step = span / max(1, len(events) - 1)
    stamps: dict[str, Any] = {}
    for position, event in enumerate(events):
        when = registered + step * position
        ServiceEvent.objects.filter(pk=event.pk).update(created_at=when)
        stamps[event.kind] = when
    row = ServiceRequest.objects.get(pk=request.pk)
    updates: dict[str, Any] = {"created_at": registered}
    if row.escalated_at:
        updates["escalated_at"] = stamps.get("escalated", row.escalated_at)
    if row.resolved_at:
        resolved = stamps.get("resolved", row.resolved_at)
        updates["resolved_at"] = resolved
        updates["resolve_seconds"] = int((resolved - registered).total_seconds())
    if row.closed_at:
        updates["closed_at"] = stamps.get("closed", row.closed_at)
    ServiceRequest.objects.filter(pk=request.pk).update(**updates)
    # The first comment (the call to the customer) when the work started, the rest after the escalation.
    later = stamps.get("escalated", stamps.get("started", registered))
    for position, pk in enumerate(request.comments.order_by("id").values_list("pk", flat=True)):
        when = stamps.get("started", registered) if position == 0 else later + timedelta(minutes=5 * position)
        request.comments.filter(pk=pk).update(created_at=when)
