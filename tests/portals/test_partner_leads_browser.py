"""The partner's lead pages on a phone (375 px wide, real browser): nothing wider than the screen, a
new lead accepted with one tap from the inbox, the home page's panel counting new leads."""

import os
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from leads import services
from leads.choices import LeadStatus
from leads.models import Lead
from tests.factories import PASSWORD, rule
from tests.portals.test_partner_customers import contact, customer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# As in tests/e2e/conftest.py (this module lives beside the other partner-portal tests): Playwright's
# sync API runs an event loop in the test thread, and the browser is Debian's Chromium.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
CHROMIUM = "/usr/bin/chromium"

PHONE = {"width": 375, "height": 740}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
    }


def fits_the_screen(page: Page) -> None:
    # Nothing wider than the screen: no sideways scrolling on a phone (tables scroll in their box).
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.url


def log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/partner/$"))


def test_partner_works_leads_on_a_phone(page: Page, live_server, world):
    base = live_server.url
    rule("Alpha", partners=[world.a])
    lead = services.lead_create(
        actor=world.cm_a,
        fields={
            "company": "Bergmann Kältetechnik und Klimaanlagenbau GmbH & Co. KG",
            "country": "DE",
            "city": "Garmisch-Partenkirchen",
            "email": "einkauf.zentral@bergmann-kaeltetechnik-klimaanlagen.example",
            "estimated_value": "1250000",
        },
    )
    services.lead_create(actor=world.cm_a, fields={"company": "Second Lead AG", "country": "DE"})
    cust = customer(world.a, "Huber Haustechnik", email_domain="huber-haustechnik.example")
    contact(cust, "Hanna Huber", email="hanna.huber@huber-haustechnik.example")
    Lead.objects.filter(company="Second Lead AG").update(accept_by=timezone.now() - timedelta(hours=1))
    page.set_viewport_size(PHONE)
    log_in(page, base, "pm@alpha.example")

    # Home: the panel loads the count of new leads.
    expect(page.get_by_text("2 new leads")).to_be_visible()
    fits_the_screen(page)

    # Inbox: one tap accepts.
    page.get_by_role("link", name="Open the lead inbox").click()
    expect(page.locator("h1")).to_have_text("Leads")
    expect(page.get_by_text("overdue by 1 h")).to_be_visible()
    fits_the_screen(page)
    page.get_by_role("button", name=f"Accept the lead {lead.company}").click()
    expect(page.get_by_text(f"You accepted the lead {lead.company}. Qualify it next.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/partner/leads/$"))
    fits_the_screen(page)
    lead.refresh_from_db()
    assert lead.status == LeadStatus.ACCEPTED

    # The lead page: qualify it.
    page.get_by_role("link", name=lead.company).click()
    fits_the_screen(page)
    page.get_by_label("Need").fill("Cold rooms for two sites")
    page.get_by_role("button", name="Save qualification").click()
    expect(page.get_by_text(f"The lead {lead.company} is qualified.")).to_be_visible()
    fits_the_screen(page)

    # Deal registration form and customers.
    page.goto(f"{base}/partner/registrations/new/")
    fits_the_screen(page)
    page.goto(f"{base}/partner/customers/")
    fits_the_screen(page)
    page.get_by_role("link", name="Huber Haustechnik").click()
    expect(page.get_by_text("Hanna Huber")).to_be_visible()
    fits_the_screen(page)
