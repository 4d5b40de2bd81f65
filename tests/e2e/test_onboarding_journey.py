"""The onboarding journey of issue 2 in a real browser: a company applies at /apply/, a channel manager
approves it, the invited partner manager sets a password, logs in, edits the company and invites an
employee, who logs in and sees the partner portal and nothing of other partners."""

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from partners.choices import Role
from partners.models import Partner, PartnerApplication
from tests.e2e.helpers import log_in, log_out
from tests.factories import PartnerFactory, TierFactory, channel_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "journey-Pass-2026!"


def invitation_path(to: str) -> str:
    message = next(m for m in reversed(mail.outbox) if to in m.to)
    return re.search(r"https?://[^/\s]+(/invite/\S+/)", message.body).group(1)


def test_apply_approve_invite_and_work_in_the_partner_portal(page: Page, live_server, settings):
    settings.SITE_URL = live_server.url
    base = live_server.url
    silver = TierFactory(name="Silver", rank=2)
    other = PartnerFactory(name="Elsewhere Competitor AG", tier=silver)
    manager = channel_user(Role.CHANNEL_MANAGER, email="cm.journey@openpcm.example", password=PASSWORD)
    other.managers.add(manager)
    page.set_viewport_size({"width": 375, "height": 800})  # a phone: the whole journey works at 375 px

    # 1. A company applies.
    page.goto(f"{base}/apply/")
    page.fill("input[name=company]", "Journey Solar GmbH")
    page.fill("input[name=vat_id]", "DE 271 828 182")
    page.select_option("select[name=country]", "DE")
    page.fill("input[name=contact_name]", "Jo Journey")
    page.fill("input[name=contact_email]", "jo@journey.example")
    page.fill("textarea[name=sells]", "Solar roofs and storage")
    page.get_by_role("button", name="Send application").click()
    expect(page.locator("h1")).to_contain_text("Thank")
    application = PartnerApplication.objects.get(vat_id="DE271828182")

    # 2. The channel manager approves it.
    log_in(page, base, "cm.journey@openpcm.example", PASSWORD)
    expect(page).to_have_url(re.compile(r"/channel/$"))
    page.goto(f"{base}/channel/applications/")
    page.get_by_role("link", name="Journey Solar GmbH").click()
    page.select_option("select[name=tier]", label="Silver")
    page.select_option("select[name=partner_type]", "reseller")
    page.get_by_role("button", name="Approve").click()
    expect(page.locator("h1")).to_contain_text("Journey Solar GmbH")
    partner = Partner.objects.get(application=application)
    assert partner.status == "onboarding"
    log_out(page, base)

    # 3. The invited partner manager sets a password, lands in the partner portal, edits the company.
    page.goto(base + invitation_path("jo@journey.example"))
    page.fill("input[name=new_password1]", PASSWORD)
    page.fill("input[name=new_password2]", PASSWORD)
    page.get_by_role("button", name="Set password and log in").click()
    expect(page).to_have_url(re.compile(r"/partner/$"))
    expect(page.locator("main")).to_contain_text("Journey Solar GmbH")
    page.goto(f"{base}/partner/company/edit/")
    page.fill("input[name=city]", "Freiburg")
    page.fill("input[name=postal_code]", "79098")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("main")).to_contain_text("Freiburg")
    partner.refresh_from_db()
    assert partner.city == "Freiburg"

    # ... and invites an employee.
    page.goto(f"{base}/partner/team/")
    page.fill("input[name=email]", "emp@journey.example")
    page.fill("input[name=full_name]", "Em Ployee")
    page.select_option("select[name=role]", "partner_employee")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.locator("main")).to_contain_text("emp@journey.example")
    log_out(page, base)

    # 4. The employee accepts, logs in, sees the partner portal and nothing of other partners.
    page.goto(base + invitation_path("emp@journey.example"))
    page.fill("input[name=new_password1]", PASSWORD)
    page.fill("input[name=new_password2]", PASSWORD)
    page.get_by_role("button", name="Set password and log in").click()
    expect(page).to_have_url(re.compile(r"/partner/$"))
    log_out(page, base)
    log_in(page, base, "emp@journey.example", PASSWORD)
    expect(page).to_have_url(re.compile(r"/partner/$"))
    expect(page.locator("main")).to_contain_text("Journey Solar GmbH")
    for path in ("/partner/", "/partner/company/", "/partner/team/", "/partner/sub-partners/"):
        page.goto(base + path)
        assert "Elsewhere Competitor AG" not in page.content()
    response = page.goto(f"{base}/channel/partners/")
    assert response is not None and response.status == 403
    response = page.goto(f"{base}/partner/sub-partners/{other.pk}/")
    assert response is not None and response.status == 404
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
