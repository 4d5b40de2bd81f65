"""The access matrix of DESIGN.md for partners, teams and applications: each persona × each page and
API route. Out of scope is 404, the wrong portal 403, anonymous users go to the login page (portals)
or get 401 (API)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.services import api_token_create
from partners.models import Membership
from tests.factories import ApplicationFactory

PERSONAS = ["admin", "cm_a", "cm_c", "pm_a", "pe_a", "pm_b", "pm_c", "pe_c", "anonymous"]
CHANNEL = {"admin", "cm_a", "cm_c"}

# Which partners each persona may see ("a" distributor, "b" reseller under a, "c" independent).
VISIBLE = {
    "admin": {"a", "b", "c"},
    "cm_a": {"a", "b"},
    "cm_c": {"c"},
    "pm_a": {"a", "b"},
    "pe_a": {"a"},
    "pm_b": {"b"},
    "pm_c": {"c"},
    "pe_c": {"c"},
    "anonymous": set(),
}
# Which partners each persona may change (channel side: full profile; partner side: own company).
EDITABLE_CHANNEL = {"admin": {"a", "b", "c"}, "cm_a": {"a", "b"}, "cm_c": {"c"}}


def as_persona(client, world, persona):
    if persona != "anonymous":
        client.force_login(getattr(world, persona))
    return client


def assert_login_redirect(response):
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


# --- Channel portal -------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_channel_partner_list(client, world, persona):
    response = as_persona(client, world, persona).get(reverse("channel:partner_list"))
    if persona == "anonymous":
        return assert_login_redirect(response)
    if persona not in CHANNEL:
        assert response.status_code == 403
        return None
    assert response.status_code == 200
    content = response.content.decode()
    for key in "abc":
        partner = getattr(world, key)
        assert (partner.name in content) == (key in VISIBLE[persona]), (persona, key)
    return None


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("target", ["a", "b", "c"])
@pytest.mark.parametrize("page", ["partner_detail", "partner_edit", "partner_team"])
def test_channel_partner_pages(client, world, persona, target, page):
    partner = getattr(world, target)
    response = as_persona(client, world, persona).get(reverse(f"channel:{page}", args=[partner.pk]))
    if persona == "anonymous":
        return assert_login_redirect(response)
    if persona not in CHANNEL:
        assert response.status_code == 403
    elif target in VISIBLE[persona]:
        assert response.status_code == 200
    else:
        assert response.status_code == 404
    return None


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["admin", "cm_a", "cm_c", "pm_a"])
@pytest.mark.parametrize("target", ["a", "b", "c"])
def test_channel_status_change_out_of_scope_is_404_and_changes_nothing(client, world, persona, target):
    partner = getattr(world, target)
    response = as_persona(client, world, persona).post(
        reverse("channel:partner_status", args=[partner.pk]), {"status": "suspended", "reason": "matrix"}
    )
    partner.refresh_from_db()
    if persona not in CHANNEL:
        assert response.status_code == 403
        assert partner.status == "active"
    elif target in EDITABLE_CHANNEL[persona]:
        assert response.status_code in (200, 302)
        assert partner.status == "suspended"
    else:
        assert response.status_code == 404
        assert partner.status == "active"


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_applications_are_the_channel_sides_queue(client, world, persona):
    application = ApplicationFactory(company="Zeta Applicant")
    c = as_persona(client, world, persona)
    for url in (
        reverse("channel:application_list"),
        reverse("channel:application_detail", args=[application.pk]),
    ):
        response = c.get(url)
        if persona == "anonymous":
            assert_login_redirect(response)
        elif persona in CHANNEL:
            assert response.status_code == 200
            assert "Zeta Applicant" in response.content.decode()
        else:
            assert response.status_code == 403


# --- Partner portal -------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_partner_company_and_team_show_only_their_own_partner(client, world, persona):
    c = as_persona(client, world, persona)
    for url in (reverse("partner:company"), reverse("partner:team")):
        response = c.get(url)
        if persona == "anonymous":
            assert_login_redirect(response)
            continue
        if persona in CHANNEL:
            assert response.status_code == 403
            continue
        assert response.status_code == 200
        content = response.content.decode()
        own = getattr(world, persona).membership.partner
        assert own.name in content
        others = [p for p in (world.a, world.b, world.c) if p != own]
        if url.endswith("/team/"):
            foreign_people = Membership.objects.exclude(partner=own).values_list("user__email", flat=True)
            for email in foreign_people:
                assert email not in content, (persona, email)
        else:
            for other in others:
                # A distributor's page may name its resellers, and a reseller's its distributor.
                if other.parent_id != own.pk and other.pk != own.parent_id:
                    assert other.name not in content, (persona, other.name)


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["pm_a", "pe_a", "pm_b", "pm_c", "pe_c", "admin"])
def test_partner_company_edit_is_for_partner_managers(client, world, persona):
    response = as_persona(client, world, persona).get(reverse("partner:company_edit"))
    assert response.status_code == (200 if persona in {"pm_a", "pm_b", "pm_c"} else 403)


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["pm_a", "pe_a", "pm_b", "pm_c"])
@pytest.mark.parametrize("target", ["b", "c"])
def test_sub_partner_pages_show_only_the_distributors_resellers(client, world, persona, target):
    partner = getattr(world, target)
    response = as_persona(client, world, persona).get(reverse("partner:subpartner_detail", args=[partner.pk]))
    allowed = persona == "pm_a" and target == "b"
    assert response.status_code == (200 if allowed else 404)


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["pm_a", "pm_b", "pm_c", "cm_a"])
def test_team_actions_on_another_partners_member_are_404(client, world, persona):
    victim = Membership.objects.get(user=world.pe_c)
    c = as_persona(client, world, persona)
    for name in ("partner:member_deactivate", "partner:member_role", "partner:member_resend"):
        response = c.post(reverse(name, args=[victim.pk]), {"role": "partner_manager"})
        if persona == "cm_a":
            assert response.status_code == 403  # wrong portal
        elif persona == "pm_c":
            continue  # own team: allowed, covered by the team tests
        else:
            assert response.status_code == 404, (persona, name)
    world.pe_c.refresh_from_db()
    assert world.pe_c.is_active or persona == "pm_c"


# --- API ------------------------------------------------------------------------------------------


def bearer(world, persona):
    if persona == "anonymous":
        return {}
    _, raw = api_token_create(user=getattr(world, persona), name="matrix")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_api_partner_list(client, world, persona):
    response = client.get("/api/v1/partners", **bearer(world, persona))
    if persona == "anonymous":
        assert response.status_code == 401
        return
    assert response.status_code == 200
    ids = {item["id"] for item in response.json()["items"]}
    assert ids == {getattr(world, key).pk for key in VISIBLE[persona]}


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("target", ["a", "b", "c"])
def test_api_partner_detail_and_change(client, world, persona, target):
    partner = getattr(world, target)
    headers = bearer(world, persona)
    response = client.get(f"/api/v1/partners/{partner.pk}", **headers)
    if persona == "anonymous":
        assert response.status_code == 401
        return
    assert response.status_code == (200 if target in VISIBLE[persona] else 404)
    response = client.patch(
        f"/api/v1/partners/{partner.pk}",
        data={"city": "Matrixstadt"},
        content_type="application/json",
        **headers,
    )
    if target not in VISIBLE[persona]:
        expected = 404
    elif persona in CHANNEL and target in EDITABLE_CHANNEL[persona]:
        expected = 200
    else:
        expected = 403
    assert response.status_code == expected, (persona, target, response.content)
    partner.refresh_from_db()
    assert (partner.city == "Matrixstadt") == (expected == 200)
