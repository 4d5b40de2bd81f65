"""MDF fixtures: an open programme with allocations for the world's partners, and helpers to make
requests, claims and proof files through the services (never by writing rows directly)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from mdf import services
from mdf.models import Claim, FundAllocation, FundProgram, FundRequest

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def pdf(name: str = "invoice.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def png(name: str = "photo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG_BYTES, content_type="image/png")


@dataclass
class Funds:
    program: FundProgram
    alloc_a: FundAllocation
    alloc_b: FundAllocation
    alloc_c: FundAllocation

    def request(self, world, allocation=None, amount="1000.00", actor=None, **kw) -> FundRequest:
        allocation = allocation or self.alloc_a
        actor = (
            actor
            or {self.alloc_a.pk: world.pm_a, self.alloc_b.pk: world.pm_b, self.alloc_c.pk: world.pm_c}[
                allocation.pk
            ]
        )
        today = timezone.localdate()
        fields = {
            "title": "Spring trade fair",
            "activity_type": "trade_show",
            "starts_on": today,
            "ends_on": today + timedelta(days=10),
        } | kw
        return services.request_create(actor=actor, allocation=allocation, amount=amount, **fields)

    def approved(self, world, amount="1000.00", approve=None, **kw) -> FundRequest:
        request = self.request(world, amount=amount, **kw)
        approver = approve or world.admin
        return services.request_approve(request=request, actor=approver)

    def claim(self, world, request, amount="400.00", actor=None, files=None) -> Claim:
        actor = (
            actor
            or {world.a.pk: world.pm_a, world.b.pk: world.pm_b, world.c.pk: world.pm_c}[request.partner_id]
        )
        return services.claim_submit(
            actor=actor, request=request, amount=amount, description="Booth, flyers", files=files or [pdf()]
        )


def make_funds(
    world, *, budget="100000.00", threshold="20000.00", a="50000.00", b="10000.00", c="30000.00"
) -> Funds:
    today = timezone.localdate()
    program = services.program_create(
        actor=world.admin, name="FY Test", starts_on=today - timedelta(days=30), ends_on=today + timedelta(days=300),
        claim_deadline=today + timedelta(days=330), budget=budget, approval_threshold=threshold,
        allocation_rule="manual",
    )  # fmt: skip
    alloc_a = services.allocation_set(program=program, partner=world.a, amount=a, actor=world.admin)
    alloc_b = services.allocation_set(program=program, partner=world.b, amount=b, actor=world.admin)
    alloc_c = services.allocation_set(program=program, partner=world.c, amount=c, actor=world.admin)
    program = services.program_open(program=program, actor=world.admin)
    for alloc in (alloc_a, alloc_b, alloc_c):
        alloc.refresh_from_db()
    return Funds(program=program, alloc_a=alloc_a, alloc_b=alloc_b, alloc_c=alloc_c)


def assert_books_balance(program: FundProgram) -> None:
    """The invariants of the money model, checked from the database."""
    from mdf.selectors import allocation_figures_from_journal, program_journal_sum

    assert program_journal_sum(program) == 0
    total = Decimal("0")
    for allocation in FundAllocation.objects.filter(program=program):
        figures = allocation_figures_from_journal(allocation)
        assert figures["allocated"] == allocation.amount, allocation
        assert figures["reserved"] == allocation.reserved
        assert figures["claimed"] == allocation.claimed
        assert figures["paid"] == allocation.paid
        assert figures["available"] == allocation.available
        assert allocation.available >= 0
        total += allocation.amount
    program.refresh_from_db()
    assert program.allocated_total == total <= program.budget


__all__ = ["Funds", "assert_books_balance", "date", "make_funds", "pdf", "png"]
