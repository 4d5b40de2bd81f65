"""The access matrix for showroom settings and the public showroom: each persona × own partner, sub-partner,
other partner, shared (view or change grant), not shared; read and change; and the public pages, which
everyone reads, published only.

The settings routes come from portals.partner.showroom_urls through the test urlconf of
tests/showroom/test_settings.py (until the portals' URLconfs include them)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from guardian.shortcuts import assign_perm

from showroom import services
from showroom.models import Showroom
from tests.showroom.test_settings import URLCONF, form_data

PERSONAS = ["admin", "cm_a", "cm_c", "pm_a", "pe_a", "pm_b", "pm_c", "pe_c", "anonymous"]
PARTNER_OF = {"pm_a": "a", "pe_a": "a", "pm_b": "b", "pm_c": "c", "pe_c": "c"}
MANAGERS = {"pm_a", "pm_b", "pm_c"}
# Which partners each channel persona may see (and change) in the channel portal: cm_a owns A and so B.
CHANNEL_SEES = {"admin": {"a", "b", "c"}, "cm_a": {"a", "b"}, "cm_c": {"c"}}


@pytest.fixture(autouse=True)
def _urls(settings, tmp_path):
    settings.ROOT_URLCONF = URLCONF
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def showrooms(world):
    """A published showroom for each partner, with OCI credentials that must never be shown."""
    for key in ("a", "b", "c"):
        services.showroom_update(
            partner=getattr(world, key),
            actor=world.admin,
            changes={"published": True, "title": f"Showroom {key}", "oci_username": f"user-{key}",
                     "oci_password": "never-shown-pass"},
        )  # fmt: skip


def client_for(client, world, persona):
    if persona != "anonymous":
        client.force_login(getattr(world, persona))
    return client


def title_of(world, key):
    return Showroom.objects.get(partner=getattr(world, key)).title


@pytest.mark.parametrize("persona", PERSONAS)
def test_partner_portal_settings(client, world, showrooms, persona):
    c = client_for(client, world, persona)
    url = reverse("partner:showroom_settings")
    get = c.get(url)
    post = c.post(url, form_data(slug=PARTNER_OF.get(persona, "x"), title="Changed"))
    if persona == "anonymous":
        assert get.status_code == post.status_code == 302
        assert get["Location"].startswith(reverse("account_login"))
    elif persona in CHANNEL_SEES:
        assert get.status_code == post.status_code == 403
    else:
        own = PARTNER_OF[persona]
        assert get.status_code == 200
        html = get.content.decode()
        assert f"Showroom {own}" in html
        assert all(f"Showroom {key}" not in html for key in "abc" if key != own)
        assert "never-shown-pass" not in get.content.decode()
        assert post.status_code == (302 if persona in MANAGERS else 403)
        assert (title_of(world, own) == "Changed") == (persona in MANAGERS)
    # Nobody's settings but the persona's own partner's were changed.
    changed = {key for key in "abc" if title_of(world, key) == "Changed"}
    assert changed == ({PARTNER_OF[persona]} if persona in MANAGERS else set())


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("target", ["a", "b", "c"])  # own/managed, sub-partner, other
def test_channel_portal_settings(client, world, showrooms, persona, target):
    c = client_for(client, world, persona)
    partner = getattr(world, target)
    url = reverse("channel:partner_showroom", args=[partner.pk])
    get = c.get(url)
    post = c.post(url, form_data(slug=partner.slug, title="Changed"))
    logo = c.get(reverse("channel:partner_showroom_logo", args=[partner.pk]))
    if persona == "anonymous":
        expected = 302
    elif persona in PARTNER_OF:
        expected = 403
    else:
        expected = 200 if target in CHANNEL_SEES[persona] else 404
    assert get.status_code == expected
    assert post.status_code == (302 if expected == 200 else expected)
    assert logo.status_code == (404 if expected == 200 else expected)  # no logo uploaded
    assert (title_of(world, target) == "Changed") == (expected == 200)
    if expected == 200:
        assert "never-shown-pass" not in get.content.decode()


@pytest.mark.parametrize(
    ("grant", "may_change"), [("partners.view_partner", False), ("partners.change_partner", True)]
)
def test_a_shared_partner_is_read_with_a_view_grant_and_changed_with_a_change_grant(
    client, world, showrooms, grant, may_change
):
    url = reverse("channel:partner_showroom", args=[world.a.pk])
    c = client_for(client, world, "cm_c")
    assert c.get(url).status_code == 404  # not shared
    assign_perm(grant, world.cm_c, world.a)
    get = c.get(url)
    assert get.status_code == 200
    assert ('name="title"' in get.content.decode()) == may_change
    post = c.post(url, form_data(slug="alpha", title="Changed"))
    assert post.status_code == (302 if may_change else 403)
    assert (title_of(world, "a") == "Changed") == may_change


@pytest.mark.parametrize("persona", PERSONAS)
def test_public_pages_show_published_showrooms_to_everyone(client, world, showrooms, persona):
    Showroom.objects.filter(partner=world.b).update(published=False)
    c = client_for(client, world, persona)
    html = c.get(reverse("showroom:list")).content.decode()
    assert "Showroom a" in html and "Showroom c" in html and "Showroom b" not in html
    assert c.get(reverse("showroom:detail", args=["alpha"])).status_code == 200
    assert c.get(reverse("showroom:detail", args=["beta"])).status_code == 404
    assert "user-a" not in html and "never-shown-pass" not in html
