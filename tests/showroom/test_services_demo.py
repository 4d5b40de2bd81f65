"""The demo showrooms: alpine, brook and cobalt published; the demo OCI shop allowed for alpine without
credentials and for brook with them; loading twice creates nothing new."""

from __future__ import annotations

from core import demo as core_demo
from partners.choices import Role
from showroom import demo
from showroom.models import Showroom
from tests.factories import PartnerFactory, channel_user


def test_demo_showrooms(db):
    channel_user(Role.CHANNEL_ADMIN, email=demo.ADMIN_EMAIL)
    for slug, country in (("alpine", "DE"), ("brook", "AT"), ("cobalt", "FR")):
        PartnerFactory(slug=slug, country=country)
    assert demo.seed_showrooms() == 3
    showrooms = {s.slug: s for s in Showroom.objects.all()}
    assert set(showrooms) == {"alpine", "brook", "cobalt"}
    assert all(s.published for s in showrooms.values())
    alpine, brook = showrooms["alpine"], showrooms["brook"]
    assert alpine.oci_allowed_urls == ["http://127.0.0.1:8765/oci-return"]
    assert not alpine.oci_requires_credentials and alpine.check_oci_credentials("", "")
    assert brook.oci_requires_credentials
    assert brook.check_oci_credentials(demo.BROOK_OCI_USERNAME, demo.BROOK_OCI_PASSWORD)
    assert not brook.check_oci_credentials(demo.BROOK_OCI_USERNAME, "")
    assert len({s.brand_colour for s in showrooms.values()}) == 3
    assert demo.seed_showrooms() == 0

    assert ("showroom", 20) in {(name, order) for order, name, _ in core_demo._SEEDERS}  # after the partners


def test_without_the_demo_admin_nothing_is_seeded(db):
    PartnerFactory(slug="alpine")
    assert demo.seed_showrooms() == 0
    assert not Showroom.objects.exists()
