"""The MDF journey of issue 5 in a real browser: pm@alpine requests funds, cm.north approves,
pm@alpine claims with a PDF, cm.north approves the claim and marks it paid, and the partner sees the
money as paid (on a phone)."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from mdf import services
from mdf.choices import ClaimStatus, RequestStatus
from mdf.models import Claim, FundAllocation, FundRequest
from partners.choices import PartnerType, Role
from tests.e2e.helpers import log_in, log_out
from tests.factories import PartnerFactory, TierFactory, channel_user, partner_user
from tests.mdf.conftest import PDF_BYTES, assert_books_balance

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "journey-Pass-2026!"


def test_request_approve_claim_with_pdf_approve_pay(page: Page, live_server, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    base = live_server.url
    today = timezone.localdate()
    gold = TierFactory(name="Gold", rank=3, routing_weight=4)
    alpine = PartnerFactory(
        name="Alpine Distribution GmbH", slug="alpine", type=PartnerType.DISTRIBUTOR, tier=gold
    )
    admin = channel_user(Role.CHANNEL_ADMIN, email="admin@openpcm.example", password=PASSWORD)
    cm = channel_user(Role.CHANNEL_MANAGER, email="cm.north@openpcm.example", password=PASSWORD)
    alpine.managers.add(cm)
    partner_user(alpine, Role.PARTNER_MANAGER, email="pm@alpine.example", password=PASSWORD)
    program = services.program_create(
        actor=admin, name="FY2027 Partner Marketing", starts_on=today - timedelta(days=30),
        ends_on=today + timedelta(days=300), claim_deadline=today + timedelta(days=330), budget="250000.00",
        approval_threshold="20000.00", allocation_rule="manual",
    )  # fmt: skip
    services.allocation_set(program=program, partner=alpine, amount="50000.00", actor=admin)
    services.program_open(program=program, actor=admin)

    # 1. pm@alpine requests funds for a trade show.
    log_in(page, base, "pm@alpine.example", PASSWORD)
    page.goto(f"{base}/partner/funds/")
    expect(page.locator("main")).to_contain_text("FY2027 Partner Marketing")
    page.locator("main").get_by_role("link", name="Request funds").first.click()
    page.get_by_label("Title").fill("Hannover Messe booth")
    page.get_by_label("Activity type").select_option("trade_show")
    page.get_by_label("Starts on").fill((today + timedelta(days=20)).isoformat())
    page.get_by_label("Ends on").fill((today + timedelta(days=25)).isoformat())
    page.get_by_label("Amount").fill("8000.00")
    page.get_by_role("button", name="Submit for approval").click()
    expect(page.locator("main")).to_contain_text("Hannover Messe booth")
    request = FundRequest.objects.get(title="Hannover Messe booth")
    assert request.status == RequestStatus.SUBMITTED
    log_out(page, base)

    # 2. cm.north finds it in the queue and approves it in full.
    log_in(page, base, "cm.north@openpcm.example", PASSWORD)
    page.goto(f"{base}/channel/funds/")
    page.locator("main").get_by_role("link", name=re.compile("Hannover Messe booth")).first.click()
    page.get_by_role("button", name="Approve").click()
    expect(page.locator("main")).to_contain_text("Approved")
    request.refresh_from_db()
    assert (request.status, request.approved_amount) == (RequestStatus.APPROVED, Decimal("8000.00"))
    log_out(page, base)

    # 3. pm@alpine files a claim with a PDF invoice.
    invoice = tmp_path / "invoice.pdf"
    invoice.write_bytes(PDF_BYTES)
    log_in(page, base, "pm@alpine.example", PASSWORD)
    page.goto(f"{base}/partner/funds/requests/{request.pk}/")
    page.locator("main").get_by_role("link", name=re.compile("File a claim")).first.click()
    page.get_by_label("Amount claimed").fill("7500.00")
    page.get_by_label("What was done").fill("Booth 12 in hall 4, three days, flyers.")
    page.get_by_label("Proof of performance").set_input_files(str(invoice))
    page.get_by_role("button", name="File the claim").click()
    expect(page.locator("main")).to_contain_text("invoice.pdf")
    claim = Claim.objects.get(request=request)
    assert claim.status == ClaimStatus.SUBMITTED and claim.proof_files.count() == 1
    log_out(page, base)

    # 4. cm.north approves the claim and marks it paid.
    log_in(page, base, "cm.north@openpcm.example", PASSWORD)
    page.goto(f"{base}/channel/funds/")
    page.goto(f"{base}/channel/funds/claims/{claim.pk}/")
    expect(page.get_by_role("link", name=re.compile("invoice.pdf"))).to_be_visible()
    page.get_by_role("button", name="Approve").click()
    expect(page.locator("main")).to_contain_text("Approved")
    page.get_by_label("Payment reference").fill("SEPA-2026-1127-01")
    page.get_by_role("button", name="Mark paid").click()
    expect(page.locator("main")).to_contain_text("SEPA-2026-1127-01")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID
    log_out(page, base)

    # 5. pm@alpine, on a phone, sees the money as paid.
    page.set_viewport_size({"width": 375, "height": 800})
    log_in(page, base, "pm@alpine.example", PASSWORD)
    page.goto(f"{base}/partner/funds/")
    main = page.locator("main")
    expect(main).to_contain_text("Paid")
    expect(main).to_contain_text("7,500.00")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    allocation = FundAllocation.objects.get(program=program, partner=alpine)
    assert allocation.paid == Decimal("7500.00") and allocation.available == Decimal("42000.00")
    assert_books_balance(program)


UNLABELLED_CONTROLS = """
() => [...document.querySelectorAll('main input, main select, main textarea')]
  .filter(el => el.type !== 'hidden' && el.offsetParent !== null)
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !el.getAttribute('aria-labelledby'))
  .map(el => el.name || el.id || el.outerHTML.slice(0, 60))
"""


def test_every_fund_page_fits_a_phone_and_labels_its_controls(page: Page, live_server, settings, tmp_path):
    """Each MDF page of both portals at 375 px: a title, no sideways scrolling, no unlabelled control."""
    from django.urls import reverse

    from tests.mdf.conftest import make_funds, pdf

    settings.MEDIA_ROOT = tmp_path / "media"
    tiers = {name: TierFactory(name=name, rank=rank) for rank, name in enumerate(["Silver", "Gold"], start=2)}
    a = PartnerFactory(
        name="Alpha Distribution", slug="alpha", type=PartnerType.DISTRIBUTOR, tier=tiers["Gold"]
    )
    b = PartnerFactory(name="Beta Resale", slug="beta", parent=a, tier=tiers["Silver"])
    c = PartnerFactory(name="Gamma Services", slug="gamma", tier=tiers["Silver"])

    class _World:
        pass

    world = _World()
    world.a, world.b, world.c = a, b, c
    world.admin = channel_user(Role.CHANNEL_ADMIN, email="admin@test.example", password=PASSWORD)
    world.cm_a = channel_user(Role.CHANNEL_MANAGER, email="cm.a@test.example", password=PASSWORD)
    a.managers.add(world.cm_a)
    world.pm_a = partner_user(a, Role.PARTNER_MANAGER, email="pm@alpha.example", password=PASSWORD)
    world.pm_b = partner_user(b, Role.PARTNER_MANAGER, email="pm@beta.example", password=PASSWORD)
    world.pm_c = partner_user(c, Role.PARTNER_MANAGER, email="pm@gamma.example", password=PASSWORD)
    funds = make_funds(world)
    request = funds.approved(world, amount="1200.00")
    claim = funds.claim(world, request, amount="500.00", files=[pdf()])
    waiting = funds.request(world, amount="700.00", title="Webinar series")

    channel_pages = [
        reverse("channel:fund_queue"),
        reverse("channel:fund_program_list"),
        f"/channel/funds/programs/{funds.program.pk}/",
        "/channel/funds/programs/new/",
        "/channel/funds/journal/",
        f"/channel/funds/requests/{waiting.pk}/",
        f"/channel/funds/claims/{claim.pk}/",
        "/channel/funds/settlement/",
    ]
    partner_pages = [
        reverse("partner:funds"),
        reverse("partner:fund_request_new"),
        reverse("partner:fund_request_detail", args=[request.pk]),
        reverse("partner:fund_claim_new", args=[request.pk]),
        reverse("partner:fund_claim_detail", args=[claim.pk]),
    ]
    page.set_viewport_size({"width": 375, "height": 800})
    for email, paths in (("admin@test.example", channel_pages), ("pm@alpha.example", partner_pages)):
        log_in(page, live_server.url, email, PASSWORD)
        for path in paths:
            response = page.goto(f"{live_server.url}{path}")
            assert response is not None and response.status == 200, path
            assert page.title().strip(), path
            assert page.evaluate("document.documentElement.scrollWidth") <= 375, path
            assert page.evaluate(UNLABELLED_CONTROLS) == [], path
        log_out(page, live_server.url)


def test_settlement_select_all_pays_every_claim_on_the_page(page: Page, live_server, settings, tmp_path):
    """The settlement list's "select all" box (static/js/ui.js, no inline handler) ticks every claim,
    and one payment reference settles them all."""
    from tests.mdf.conftest import make_funds, pdf

    settings.MEDIA_ROOT = tmp_path / "media"
    a = PartnerFactory(name="Alpha Distribution", slug="alpha", tier=TierFactory(name="Gold", rank=3))

    class _World:
        pass

    world = _World()
    world.a, world.b, world.c = a, PartnerFactory(parent=a), PartnerFactory()
    world.admin = channel_user(Role.CHANNEL_ADMIN, email="admin@test.example", password=PASSWORD)
    world.pm_a = partner_user(a, Role.PARTNER_MANAGER, email="pm@alpha.example")
    world.pm_b = partner_user(world.b, Role.PARTNER_MANAGER, email="pm@beta.example")
    world.pm_c = partner_user(world.c, Role.PARTNER_MANAGER, email="pm@gamma.example")
    funds = make_funds(world)
    claims = []
    for title in ("Fair", "Mailing", "Webinar"):
        request = funds.approved(world, amount="900.00", title=title)
        claim = funds.claim(world, request, amount="300.00", files=[pdf()])
        claims.append(services.claim_approve(claim=claim, actor=world.admin))

    log_in(page, live_server.url, "admin@test.example", PASSWORD)
    page.goto(f"{live_server.url}/channel/funds/settlement/")
    page.get_by_label("Select all claims on this page").check()
    for claim in claims:
        expect(page.get_by_label(re.compile(f"Pay {claim.reference} "))).to_be_checked()
    page.get_by_label("Payment reference").fill("SEPA-BATCH-7")
    page.get_by_role("button", name="Mark ticked claims paid").click()
    expect(page.locator("main")).to_contain_text("3")
    assert Claim.objects.filter(status=ClaimStatus.PAID, payment_reference="SEPA-BATCH-7").count() == 3
    assert_books_balance(funds.program)
