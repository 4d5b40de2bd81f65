"""The service journey of issue 6 with the pick made right after typing: a partner employee types a
customer's problem, the knowledge base suggests a published solution while they type (htmx), they pick
it at once and register the request resolved with it; the solution counts one more solved case."""

import re

import pytest
from playwright.sync_api import Page, expect

from customers.services import customer_match_or_create
from partners.choices import PartnerType, Role
from service import services
from service.choices import ServiceStatus
from service.models import ServiceRequest
from tests.e2e.helpers import log_in
from tests.factories import PartnerFactory, TierFactory, channel_user, partner_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "journey-Pass-2026!"
SUBJECT = "Heat pump shows error E42 after defrost"


def test_employee_types_a_problem_picks_a_suggested_solution_and_resolves(page: Page, live_server):
    base = live_server.url
    gold = TierFactory(name="Gold", rank=3, routing_weight=4)
    alpine = PartnerFactory(
        name="Alpine Distribution GmbH", slug="alpine", type=PartnerType.DISTRIBUTOR, tier=gold
    )
    admin = channel_user(Role.CHANNEL_ADMIN, email="admin@openpcm.example", password=PASSWORD)
    partner_user(alpine, Role.PARTNER_EMPLOYEE, email="pe@alpine.example", password=PASSWORD)
    customer_match_or_create(
        partner_id=alpine.pk, company="Bergblick Hotel GmbH", email="hanna@bergblick.example"
    )
    defrost = services.solution_create(
        actor=admin,
        fields={
            "title": "Error E42 after defrost: outdoor fan blocked by ice",
            "problem": "The heat pump stops with error E42 after a defrost cycle in freezing weather.",
            "solution": "Clear the ice around the outdoor fan and raise the unit 20 cm on its stand.",
            "tags": "defrost, E42, ice",
            "published": True,
        },
    )
    services.solution_create(
        actor=admin,
        fields={
            "title": "Display stays dark after a power cut",
            "problem": "The controller's display stays dark once the power is back.",
            "solution": "Reset the breaker of the control board.",
            "published": True,
        },
    )
    draft = services.solution_create(
        actor=admin,
        fields={
            "title": "Error E42 draft, not reviewed",
            "problem": "Defrost error E42, still being written.",
            "solution": "Not ready.",
            "published": False,
        },
    )
    assert defrost.solved_count == 0

    # 1. pe@alpine (on a phone) opens the new request form and types the problem; while they type,
    #    the knowledge base suggests the published solution (never the draft).
    page.set_viewport_size({"width": 375, "height": 800})
    log_in(page, base, "pe@alpine.example", PASSWORD)
    page.goto(f"{base}/partner/service/new/")
    suggestions = page.locator("#suggestions")
    expect(suggestions).to_contain_text("appear here as you describe the problem")
    page.get_by_label("Subject").press_sequentially(SUBJECT, delay=10)
    expect(suggestions).to_contain_text(defrost.title)
    expect(suggestions).not_to_contain_text(draft.title)
    expect(suggestions).not_to_contain_text("Display stays dark")
    page.get_by_label("Description").press_sequentially(
        "Since the frost this week the unit stops every morning; the fan is iced up.", delay=5
    )
    expect(suggestions).to_contain_text(defrost.title)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    # 2. They pick it, choose the customer and register the request resolved with that solution.
    picked = page.get_by_label(defrost.title)
    picked.check()
    # Leaving the description for the list refreshes the suggestions once more (htmx): the pick must
    # survive that refresh, or "Register and resolve" finds no solution picked.
    page.wait_for_timeout(1000)
    expect(picked).to_be_checked()
    page.get_by_label("Customer", exact=True).select_option(label="Bergblick Hotel GmbH")
    page.get_by_role("button", name="Register and resolve with the picked solution").click()
    expect(page.locator(".messages")).to_contain_text(re.compile(r"SR-\d+ is registered and resolved"))
    request = ServiceRequest.objects.get(subject=SUBJECT)
    expect(page.locator("h1")).to_contain_text(f"{request.reference}: {SUBJECT}")
    resolved = page.locator("main .alert-success[role=note]")
    expect(resolved).to_contain_text("Resolved")
    expect(resolved).to_contain_text(defrost.title)
    assert request.status == ServiceStatus.RESOLVED and request.solution == defrost
    assert request.customer.company == "Bergblick Hotel GmbH"
    assert request.assigned_to.email == "pe@alpine.example" and request.resolve_seconds is not None

    # 3. The solution counts the solved case, and its page says so.
    defrost.refresh_from_db()
    assert defrost.solved_count == 1
    page.locator("main .alert-success[role=note]").get_by_role("link", name=defrost.title).click()
    expect(page.locator("main")).to_contain_text("Solved 1 case")
