"""The login page renders in a real browser and is usable at phone width."""

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_login_page_at_phone_width(page, live_server):
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"{live_server.url}/accounts/login/")
    assert "OpenPCM" in page.title()
    email = page.get_by_label("E-mail", exact=False).first
    assert email.is_visible()
    # Nothing wider than the screen: no horizontal scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
