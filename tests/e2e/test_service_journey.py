"""The service journeys of issue 6 in a real browser: a partner employee types a customer's problem,
picks a solution suggested while typing (htmx) and resolves the request at once; a request the partner
cannot solve is escalated and the brand owner resolves it from the escalations queue; and every service
page of both portals fits a phone with labelled controls."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from catalog.models import Category, Product
from customers.services import customer_match_or_create
from partners.choices import PartnerType, Role
from service import services
from service.choices import ServiceStatus
from service.models import ServiceRequest, Solution
from tests.e2e.helpers import log_in, log_out
from tests.e2e.test_mdf_journey import UNLABELLED_CONTROLS
from tests.factories import PartnerFactory, TierFactory, channel_user, partner_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "journey-Pass-2026!"


def _world():
    gold = TierFactory(name="Gold", rank=3, routing_weight=4)
    alpine = PartnerFactory(
        name="Alpine Distribution GmbH", slug="alpine", type=PartnerType.DISTRIBUTOR, tier=gold
    )
    admin = channel_user(Role.CHANNEL_ADMIN, email="admin@openpcm.example", password=PASSWORD)
    cm = channel_user(Role.CHANNEL_MANAGER, email="cm.north@openpcm.example", password=PASSWORD)
    alpine.managers.add(cm)
    pe = partner_user(alpine, Role.PARTNER_EMPLOYEE, email="pe@alpine.example", password=PASSWORD)
    category = Category.objects.create(name="Pressure sensors", slug="pressure-sensors")
    product = Product.objects.create(
        sku="KA-PT-0-10B",
        name="Pressure transmitter 0–10 bar",
        list_price=Decimal("189.00"),
        category=category,
    )
    customer = customer_match_or_create(partner_id=alpine.pk, company="Bergbrauerei Tegernsee GmbH")
    drift = services.solution_create(
        actor=admin,
        fields={
            "title": "Pressure reading drifts after warm-up",
            "problem": "The transmitter shows a correct value when cold, but drifts with hot media.",
            "solution": "Mount it on a siphon so the cell stays below 85 °C, then adjust the zero.",
            "tags": "drift, temperature",
            "published": True,
        },
        products=[product],
    )
    services.solution_create(
        actor=admin,
        fields={"title": "PLC goes to STOP with a watchdog error", "problem": "Cycle time too long.",
                "solution": "Split long loops.", "published": True},
    )  # fmt: skip
    return alpine, admin, cm, pe, customer, drift


def test_an_employee_types_a_problem_picks_a_suggestion_and_resolves(
    page: Page, live_server, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    base = live_server.url
    alpine, _, _, _, customer, drift = _world()

    page.set_viewport_size({"width": 375, "height": 800})  # on a phone, at the customer's line
    log_in(page, base, "pe@alpine.example", PASSWORD)
    page.goto(f"{base}/partner/service/")
    page.locator("main").get_by_role("link", name="New service request").first.click()
    suggestions = page.locator("#suggestions")
    expect(suggestions).to_contain_text("appear here as you describe the problem")
    page.get_by_label("Subject").press_sequentially("Pressure reading drifts", delay=20)
    # htmx asks for suggestions 300 ms after the typing stops; the matching solution appears.
    expect(suggestions).to_contain_text("Pressure reading drifts after warm-up")
    expect(suggestions).not_to_contain_text("watchdog")
    page.get_by_label("Description").fill("Since the cleaning runs hotter, the value drifts by 0.2 bar.")
    expect(suggestions).to_contain_text("Pressure reading drifts after warm-up")
    page.get_by_label("Customer", exact=True).select_option(str(customer.pk))
    page.get_by_label("Product (SKU)").fill("KA-PT-0-10B")
    page.get_by_label("Pressure reading drifts after warm-up").check()
    page.get_by_role("button", name="Register and resolve with the picked solution").click()

    main = page.locator("main")
    expect(main).to_contain_text("is registered and resolved")
    expect(main).to_contain_text("Resolved")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    request = ServiceRequest.objects.get()
    assert request.status == ServiceStatus.RESOLVED and request.solution == drift
    assert request.partner == alpine and request.customer == customer and request.product.sku == "KA-PT-0-10B"
    drift.refresh_from_db()
    assert drift.solved_count == 1


def test_an_escalated_request_is_resolved_by_the_brand_owner(page: Page, live_server, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    base = live_server.url
    _, _, _, pe, customer, drift = _world()
    request = services.request_create(
        actor=pe,
        subject="Transmitter reads zero",
        description="Shows 3.6 mA since yesterday.",
        customer=customer,
    )

    # The employee escalates it with a reason.
    log_in(page, base, "pe@alpine.example", PASSWORD)
    page.goto(f"{base}/partner/service/{request.pk}/")
    page.get_by_text("Escalate to the brand owner").click()
    page.get_by_label("Why escalate?").fill("Loop voltage is fine; the cell seems damaged.")
    page.get_by_role("button", name="Escalate").click()
    expect(page.locator("main")).to_contain_text("is escalated")
    log_out(page, base)

    # The channel manager finds it in the queue and resolves it with the knowledge base.
    log_in(page, base, "cm.north@openpcm.example", PASSWORD)
    page.goto(f"{base}/channel/service/")
    page.locator("main").get_by_role("link", name=re.compile("Transmitter reads zero")).click()
    expect(page.locator("main")).to_contain_text("Loop voltage is fine")
    page.get_by_text("Resolve it").click()
    page.get_by_label("Solution that solved it").select_option(str(drift.pk))
    page.get_by_label("Resolution note").fill("Replaced under warranty; mount on a siphon.")
    page.get_by_role("button", name="Resolve").click()
    expect(page.locator("main")).to_contain_text("is resolved")
    request.refresh_from_db()
    assert request.status == ServiceStatus.RESOLVED and request.solution == drift
    assert Solution.objects.get(pk=drift.pk).solved_count == 1


def test_every_service_page_fits_a_phone_and_labels_its_controls(page: Page, live_server, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    _, _, _, pe, customer, drift = _world()
    request = services.request_create(
        actor=pe, subject="Transmitter reads zero", description="Shows 3.6 mA.", customer=customer
    )
    escalated = services.request_escalate(
        request=services.request_create(
            actor=pe, subject="PLC stops", description="Watchdog", customer=customer
        ),
        actor=pe,
        reason="Need the lab",
    )
    partner_pages = [
        reverse("partner:service_requests"),
        reverse("partner:service_request_new"),
        reverse("partner:service_request_detail", args=[request.pk]),
        reverse("partner:solution_search") + "?q=pressure",
        reverse("partner:solution_detail", args=[drift.pk]),
    ]
    channel_pages = [
        reverse("channel:service_queue"),
        reverse("channel:service_request_list"),
        reverse("channel:service_request_detail", args=[escalated.pk]),
        reverse("channel:solution_list"),
        reverse("channel:solution_create"),
        reverse("channel:solution_detail", args=[drift.pk]),
        reverse("channel:service_volumes"),
    ]
    page.set_viewport_size({"width": 375, "height": 800})
    for email, paths in (("pe@alpine.example", partner_pages), ("cm.north@openpcm.example", channel_pages)):
        log_in(page, live_server.url, email, PASSWORD)
        for path in paths:
            response = page.goto(f"{live_server.url}{path}")
            assert response is not None and response.status == 200, path
            assert page.title().strip(), path
            assert page.evaluate("document.documentElement.scrollWidth") <= 375, path
            # Details that hold forms are opened, so that their controls are checked too.
            page.evaluate("document.querySelectorAll('main details').forEach(d => d.open = true)")
            assert page.evaluate(UNLABELLED_CONTROLS) == [], path
        log_out(page, live_server.url)
