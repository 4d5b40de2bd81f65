"""The lead journey of issue 3 in a real browser: a channel manager creates a lead, it is routed to
Alpine, pm@alpine sees why, assigns it to pe@alpine, who qualifies it and marks it won."""

import re

import pytest
from playwright.sync_api import Page, expect

from leads.choices import LeadStatus
from leads.models import Lead
from partners.choices import PartnerType, Role
from tests.e2e.helpers import log_in, log_out
from tests.factories import PartnerFactory, TierFactory, channel_user, partner_user, rule

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "journey-Pass-2026!"


def test_create_route_explain_assign_qualify_win(page: Page, live_server):
    base = live_server.url
    gold = TierFactory(name="Gold", rank=3, routing_weight=4)
    alpine = PartnerFactory(
        name="Alpine Distribution GmbH", slug="alpine", type=PartnerType.DISTRIBUTOR, tier=gold
    )
    cm = channel_user(Role.CHANNEL_MANAGER, email="cm.north@openpcm.example", password=PASSWORD)
    alpine.managers.add(cm)
    partner_user(alpine, Role.PARTNER_MANAGER, email="pm@alpine.example", password=PASSWORD)
    employee = partner_user(alpine, Role.PARTNER_EMPLOYEE, email="pe@alpine.example", password=PASSWORD)
    rule("DACH to Alpine", countries=["DE", "AT", "CH"], partners=[alpine])

    # 1. The channel manager creates a lead; it is routed to Alpine at once.
    log_in(page, base, "cm.north@openpcm.example", PASSWORD)
    page.goto(f"{base}/channel/leads/new/")
    page.fill("input[name=company]", "Bergblick Hotel GmbH")
    page.fill("input[name=contact_name]", "Hanna Berg")
    page.fill("input[name=email]", "hanna@bergblick.example")
    page.select_option("select[name=country]", "DE")
    page.fill("input[name=city]", "Garmisch")
    page.fill("input[name=estimated_value]", "45000")
    page.get_by_role("button", name="Create lead").click()
    expect(page.locator("main")).to_contain_text("Alpine Distribution GmbH")
    lead = Lead.objects.get(company="Bergblick Hotel GmbH")
    assert lead.status == LeadStatus.DISPATCHED and lead.partner == alpine
    log_out(page, base)

    # 2. pm@alpine (on a phone) sees the lead in the inbox and why it came to them; assigns it.
    page.set_viewport_size({"width": 375, "height": 800})
    log_in(page, base, "pm@alpine.example", PASSWORD)
    page.goto(f"{base}/partner/leads/")
    page.get_by_role("link", name="Bergblick Hotel GmbH").first.click()
    expect(page.locator("main")).to_contain_text("Why you?")
    expect(page.locator("main")).to_contain_text("DACH to Alpine")
    page.select_option("select[name=user]", str(employee.pk))
    page.get_by_role("button", name="Assign").click()
    expect(page.locator("main")).to_contain_text("pe@alpine.example")
    lead.refresh_from_db()
    assert lead.assigned_to == employee
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    log_out(page, base)

    # 3. pe@alpine accepts it from the inbox with one click, qualifies it and marks it won.
    log_in(page, base, "pe@alpine.example", PASSWORD)
    page.goto(f"{base}/partner/leads/")
    page.get_by_role("button", name=re.compile(r"^Accept")).first.click()
    expect(page.locator(".messages")).to_contain_text("ccept")
    lead.refresh_from_db()
    assert lead.status == LeadStatus.ACCEPTED
    page.goto(f"{base}/partner/leads/{lead.pk}/")
    page.fill("input[name=budget]", "EUR 45,000 approved")
    page.fill("textarea[name=need]", "Heat pumps for 40 rooms")
    page.get_by_role("button", name="Save qualification").click()
    lead.refresh_from_db()
    assert lead.status == LeadStatus.QUALIFIED
    page.fill("input[name=value]", "43500")
    page.get_by_role("button", name="Mark won").click()
    expect(page.locator("main")).to_contain_text("Won")
    lead.refresh_from_db()
    assert lead.status == LeadStatus.WON and str(lead.won_value) == "43500.00"
