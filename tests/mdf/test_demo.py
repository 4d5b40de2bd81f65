"""The demo funds of seed_demo: the open programme of the issue with its allocations, requests and
claims in every status with proof files, campaign leads for the return on investment, books that
balance, and nothing added the second time."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db.models import F
from django.utils import timezone

from core.demo import _SEEDERS
from core.services import emails_suppressed
from core.uploads import sniff_document
from leads.choices import LeadStatus
from leads.models import Lead
from mdf import selectors, services
from mdf.choices import ClaimStatus, CommentKind, ProgramStatus, RequestStatus
from mdf.demo import LEAD_MARK, fiscal_year, pdf_document, png_image, program_period, seed_funds
from mdf.models import Claim, FundAllocation, FundComment, FundProgram, FundRequest, JournalEntry, ProofFile
from partners.management.commands.seed_demo import Command as SeedCommand
from tests.mdf.conftest import assert_books_balance

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(settings, tmp_path):
    """The demo partners and people of seed_demo, then this seeder alone (the catalogue, leads and
    showrooms are not needed here; test_seed_demo_loads_the_funds_once runs the whole command)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    with emails_suppressed():
        SeedCommand().seed(password="demo-pass-2026", reset_passwords=False)
        assert seed_funds() > 0
    return FundProgram.objects.get(name=program_period(timezone.localdate())[0])


def test_the_funds_seeder_runs_after_the_leads_and_showrooms():
    order = {name: position for position, name, _ in _SEEDERS}
    assert order["mdf"] > order["leads"] and order["mdf"] > order["showroom"]


def test_the_programme_is_that_of_the_fiscal_year_containing_today():
    assert fiscal_year(date(2026, 11, 27)) == 2027
    assert fiscal_year(date(2027, 9, 30)) == 2027
    assert fiscal_year(date(2027, 10, 1)) == 2028
    assert program_period(date(2026, 11, 27)) == (
        "FY2027 Partner Marketing",
        date(2026, 10, 1),
        date(2027, 9, 30),
        date(2027, 10, 31),
    )


def test_seed_adds_the_open_programme_with_the_issues_allocations(seeded):
    program = seeded
    today = timezone.localdate()
    assert program.status == ProgramStatus.OPEN and program.currency == "EUR"
    assert program.budget == Decimal("250000.00") and program.approval_threshold == Decimal("20000.00")
    assert program.starts_on <= today <= program.ends_on < program.claim_deadline
    amounts = dict(FundAllocation.objects.filter(program=program).values_list("partner__slug", "amount"))
    assert amounts["alpine"] == Decimal("50000.00")
    assert amounts["brook"] == Decimal("10000.00")
    assert amounts["cobalt"] == Decimal("30000.00")
    others = {slug: amount for slug, amount in amounts.items() if slug not in {"alpine", "brook", "cobalt"}}
    assert len(others) >= 5 and all(amount > 0 for amount in others.values())
    assert sum(amounts.values()) == program.allocated_total <= program.budget
    assert program.unallocated > 0  # something left for the admin to share out in the demo


def test_seed_has_requests_and_claims_in_every_status(seeded):
    program = seeded
    requests = FundRequest.objects.filter(program=program)
    assert set(requests.values_list("status", flat=True)) == set(RequestStatus.values)
    assert set(Claim.objects.filter(program=program).values_list("status", flat=True)) == set(
        ClaimStatus.values
    )
    # One request waits for a channel admin's second approval, above the threshold.
    second = requests.get(status=RequestStatus.SUBMITTED, first_approved_by__isnull=False)
    assert second.awaiting_second_approval and second.amount > program.approval_threshold
    # One request was asked about and answered (so it no longer waits for the partner).
    asked = FundComment.objects.get(kind=CommentKind.INFO_REQUEST, claim__isnull=True).request
    assert FundComment.objects.filter(request=asked, kind=CommentKind.ANSWER).exists()
    assert asked.status == RequestStatus.SUBMITTED and not asked.info_requested
    question, answer = FundComment.objects.filter(request=asked).order_by("created_at", "id")
    assert (question.kind, answer.kind) == (CommentKind.INFO_REQUEST, CommentKind.ANSWER)
    # The queues read like a working week: items have waited for days, not since the seeding.
    now = timezone.now()
    waiting = requests.filter(status=RequestStatus.SUBMITTED)
    assert all(now - timedelta(hours=20) > r.submitted_at > now - timedelta(days=10) for r in waiting)
    assert asked.submitted_at < question.created_at < answer.created_at < now
    assert second.submitted_at < second.first_approved_at < now
    claims_waiting = Claim.objects.filter(program=program, status=ClaimStatus.SUBMITTED)
    assert all(now - timedelta(days=10) < c.created_at < now - timedelta(days=3) for c in claims_waiting)
    # A partial approval of a request and of a claim; a claim paid by credit note.
    assert requests.filter(approved_amount__lt=F("amount")).exists()
    assert Claim.objects.filter(approved_amount__lt=F("amount")).exists()
    assert Claim.objects.filter(status=ClaimStatus.PAID, settlement_method="credit_note").exists()
    assert Claim.objects.filter(status=ClaimStatus.PAID, settlement_method="payment").exists()
    assert all(r.reject_reason for r in requests.filter(status=RequestStatus.REJECTED))


def test_every_claim_has_valid_proof_files(seeded):
    claims = Claim.objects.filter(program=seeded)
    assert not claims.filter(proof_files__isnull=True).exists()
    kinds = set()
    for proof in ProofFile.objects.filter(claim__in=claims):
        with proof.file.open("rb") as handle:
            content = handle.read()
        kinds.add(sniff_document(SimpleUploadedFile(proof.name, content)))
        assert proof.size == proof.file.size > 0
    assert kinds == {"application/pdf", "image/png"}


def test_the_books_balance_and_match_the_allocations(seeded):
    assert_books_balance(seeded)
    movements = set(JournalEntry.objects.filter(program=seeded).values_list("movement", flat=True))
    assert {"allocation", "reservation", "release", "claim_approval", "payment"} <= movements
    alpine = FundAllocation.objects.get(program=seeded, partner__slug="alpine")
    assert (alpine.reserved, alpine.claimed, alpine.paid) == (
        Decimal("3500.00"),
        Decimal("2500.00"),
        Decimal("8000.00"),
    )
    # Enough left for the browser journey (a request, approved, claimed and paid), even after the
    # request waiting for its second approval is approved.
    waiting = FundRequest.objects.get(program=seeded, partner__slug="alpine", first_approved_by__isnull=False)
    assert alpine.available - waiting.amount >= Decimal("10000.00")


def test_the_queues_overview_and_roi_show_real_numbers(seeded):
    from core.models import User

    north = User.objects.get(email="cm.north@openpcm.example")
    admin = User.objects.get(email="admin@openpcm.example")
    pm_alpine = User.objects.get(email="pm@alpine.example")
    assert selectors.request_queue(north).count() >= 3
    assert selectors.claim_queue(north).exists()
    assert selectors.claims_to_pay(north).count() == 2  # alpine's and brook's approved claims
    assert selectors.request_queue(admin).filter(first_approved_by__isnull=False).exists()
    assert selectors.claim_queue(admin).filter(partner__slug="cobalt").exists()
    own = selectors.visible_requests(pm_alpine).filter(partner__slug="alpine")
    assert own.count() == 7
    roi = selectors.roi_totals(own)
    assert roi.paid == Decimal("8000.00") and roi.won_revenue == Decimal("85300.00")
    assert roi.leads == 10 and roi.won_leads == 3 and roi.ratio == Decimal("10.66")
    programme = selectors.roi_totals(FundRequest.objects.filter(program=seeded))
    assert programme.paid == Decimal("15200.00")
    assert programme.won_revenue == Decimal("164400.00")


def test_campaign_leads_were_worked_by_the_partners(seeded):
    leads = Lead.objects.filter(external_id__startswith=LEAD_MARK)
    assert leads.count() == 20
    codes = set(FundRequest.objects.filter(program=seeded).values_list("campaign_code", flat=True))
    assert set(leads.values_list("campaign_code", flat=True)) <= codes
    won = leads.filter(status=LeadStatus.WON)
    assert won.count() == 7 and not won.filter(won_value__isnull=True).exists()
    for lead in leads.select_related("partner"):
        request = FundRequest.objects.get(campaign_code=lead.campaign_code)
        assert lead.partner_id == request.partner_id


def test_seed_demo_loads_the_funds_once(settings, tmp_path, mailoutbox):
    settings.DEMO_DATA_ALLOWED = True
    settings.MEDIA_ROOT = tmp_path / "media"
    models = (FundProgram, FundAllocation, FundRequest, Claim, ProofFile, FundComment, JournalEntry, Lead)
    call_command("seed_demo")
    program = FundProgram.objects.get(name=program_period(timezone.localdate())[0])
    assert program.status == ProgramStatus.OPEN and Claim.objects.filter(program=program).exists()
    counts = [model.objects.count() for model in models]
    call_command("seed_demo")
    assert [model.objects.count() for model in models] == counts
    assert_books_balance(program)
    assert mailoutbox == []  # demo data mails nobody


def test_without_the_demo_people_nothing_is_seeded():
    from mdf.demo import seed_funds

    assert seed_funds() == 0 and not FundProgram.objects.exists()


def test_the_browser_journey_works_on_the_seeded_data(seeded):
    """pm@alpine requests, cm.north approves, pm@alpine claims with a PDF, cm.north approves and pays."""
    from core.models import User

    pm = User.objects.get(email="pm@alpine.example")
    cm = User.objects.get(email="cm.north@openpcm.example")
    allocation = FundAllocation.objects.get(program=seeded, partner__slug="alpine")
    today = timezone.localdate()
    request = services.request_create(
        actor=pm, allocation=allocation, title="Open house", activity_type="event", starts_on=today,
        ends_on=today, amount="5000.00",
    )  # fmt: skip
    services.request_approve(request=request, actor=cm)
    proof = SimpleUploadedFile("invoice.pdf", pdf_document("Invoice", ["Open house"]), "application/pdf")
    claim = services.claim_submit(
        actor=pm, request=request, amount="5000.00", description="Done", files=[proof]
    )
    services.claim_approve(claim=claim, actor=cm)
    services.claim_pay(claim=claim, actor=cm, payment_reference="SEPA-TEST-1")
    allocation.refresh_from_db()
    assert allocation.paid == Decimal("13000.00")
    assert_books_balance(seeded)


def test_generated_files_are_accepted_as_proof():
    pdf = pdf_document("Invoice (demo)", ["Line with a \\ backslash", "Ünïcode is replaced"])
    assert pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF")
    # The cross-reference table points at the objects.
    start = int(pdf.rsplit(b"startxref\n", 1)[1].split(b"\n", 1)[0])
    assert pdf[start:].startswith(b"xref")
    offsets = [int(line[:10]) for line in pdf[start:].split(b"\n")[3:8]]
    assert [pdf[o:].split(b" ", 1)[0] for o in offsets] == [b"1", b"2", b"3", b"4", b"5"]
    png = png_image([10, 50, 100])
    assert sniff_document(SimpleUploadedFile("a.pdf", pdf)) == "application/pdf"
    assert sniff_document(SimpleUploadedFile("a.png", png)) == "image/png"
