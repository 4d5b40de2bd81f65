"""Explicit shares in the matrix: a grant adds one partner to a user's scope (view, or view and
change), never more; without it the same requests answer 404."""

import pytest
from django.urls import reverse
from guardian.shortcuts import assign_perm

from core.services import api_token_create


def api(client, user):
    _, raw = api_token_create(user=user, name="share-matrix")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.mark.django_db
@pytest.mark.parametrize("shared", [False, True])
def test_channel_manager_covering_a_colleague(client, world, shared):
    if shared:
        assign_perm("partners.view_partner", world.cm_a, world.c)
    client.force_login(world.cm_a)
    detail = client.get(reverse("channel:partner_detail", args=[world.c.pk]))
    listing = client.get(reverse("channel:partner_list")).content.decode()
    api_detail = client.get(f"/api/v1/partners/{world.c.pk}", **api(client, world.cm_a))
    assert detail.status_code == (200 if shared else 404)
    assert ("Gamma Services" in listing) == shared
    assert api_detail.status_code == (200 if shared else 404)
    # A view share does not let them change it.
    edit = client.get(reverse("channel:partner_edit", args=[world.c.pk]))
    assert edit.status_code == (403 if shared else 404)


@pytest.mark.django_db
def test_change_share_lets_the_covering_manager_edit(client, world):
    assign_perm("partners.change_partner", world.cm_a, world.c)
    client.force_login(world.cm_a)
    assert client.get(reverse("channel:partner_edit", args=[world.c.pk])).status_code == 200
    response = client.patch(
        f"/api/v1/partners/{world.c.pk}",
        data={"city": "Grenoble"},
        content_type="application/json",
        **api(client, world.cm_a),
    )
    assert response.status_code == 200
    world.c.refresh_from_db()
    assert world.c.city == "Grenoble"


@pytest.mark.django_db
@pytest.mark.parametrize("shared", [False, True])
def test_partner_user_with_a_share_reads_that_partner_only(client, world, shared):
    if shared:
        assign_perm("partners.view_partner", world.pe_a, world.c)
    response = client.get("/api/v1/partners", **api(client, world.pe_a))
    ids = {item["id"] for item in response.json()["items"]}
    assert ids == ({world.a.pk, world.c.pk} if shared else {world.a.pk})
    detail = client.get(f"/api/v1/partners/{world.c.pk}", **api(client, world.pe_a))
    assert detail.status_code == (200 if shared else 404)
    # Sharing Gamma does not open Gamma's team.
    client.force_login(world.pe_a)
    assert "pe@gamma.example" not in client.get(reverse("partner:team")).content.decode()
