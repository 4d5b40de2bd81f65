"""Channel portal: the page for creating channel partners, and editing a partner's profile."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from guardian.shortcuts import assign_perm

from core.models import ActivityEvent
from partners import access
from partners.choices import PartnerStatus, PartnerType
from partners.models import Partner

pytestmark = pytest.mark.django_db

CREATE = "/channel/partners/new/"

PROFILE_FIELDS = {
    "name", "legal_name", "slug", "vat_id", "website", "email", "phone", "address", "city", "postal_code",
    "region", "country", "latitude", "longitude", "type", "tier", "parent", "capacity", "description",
    "certifications",
}  # fmt: skip


def edit(partner: Partner) -> str:
    return reverse("channel:partner_edit", args=[partner.pk])


def valid_data(world, **overrides) -> dict:
    data = {
        "name": "Delta Technik GmbH",
        "legal_name": "Delta Technik GmbH",
        "slug": "",
        "vat_id": "de 987.654.321",
        "website": "delta.example",
        "email": "info@delta.example",
        "phone": "+49 30 123456",
        "address": "Hauptstr. 1",
        "postal_code": "10115",
        "city": "Berlin",
        "region": "Berlin",
        "country": "DE",
        "latitude": "52.520008",
        "longitude": "13.404954",
        "type": PartnerType.RESELLER,
        "tier": world.silver.pk,
        "parent": world.a.pk,
        "capacity": "25",
        "description": "Pumps and valves",
    }
    data.update(overrides)
    return data


def test_create_url_is_the_contract():
    assert reverse("channel:partner_create") == CREATE


def test_create_page_offers_every_profile_field(world, login):
    response = login(world.cm_a).get(CREATE)
    assert response.status_code == 200
    assert set(response.context["form"].fields) == PROFILE_FIELDS
    body = response.content.decode()
    assert "<title>New partner · OpenPCM</title>" in body
    for legend in ("Company", "Contact", "Address", "Programme"):
        assert f">{legend}</legend>" in body
    assert 'class="form-select"' in body and 'class="form-control"' in body


def test_parent_choices_are_the_top_level_partners_the_user_sees(world, login):
    def parents(user):
        field = login(user).get(CREATE).context["form"].fields["parent"]
        return {p.name for p in field.queryset}

    assert parents(world.cm_a) == {"Alpha Distribution"}  # Beta is a reseller, Gamma not theirs
    assert parents(world.admin) == {"Alpha Distribution", "Gamma Services"}


def test_channel_manager_creates_a_partner_they_then_own(world, login):
    response = login(world.cm_a).post(CREATE, valid_data(world), follow=True)
    partner = Partner.objects.get(name="Delta Technik GmbH")
    assert response.redirect_chain == [(reverse("channel:partner_detail", args=[partner.pk]), 302)]
    assert partner.slug == "delta-technik-gmbh"
    assert partner.vat_id == "DE987654321"
    assert partner.website == "https://delta.example"
    assert partner.status == PartnerStatus.ONBOARDING
    assert (partner.tier, partner.parent, partner.capacity) == (world.silver, world.a, 25)
    assert partner.latitude == Decimal("52.520008")
    assert list(partner.managers.all()) == [world.cm_a]
    assert "Partner Delta Technik GmbH created, in onboarding." in [
        str(m) for m in response.context["messages"]
    ]
    assert ActivityEvent.objects.filter(
        verb="partner.created", partner_id=partner.pk, actor=world.cm_a
    ).exists()


def test_form_errors_show_on_the_fields_and_nothing_is_saved(world, login):
    data = valid_data(world, name="", country="", vat_id="DE-12!", latitude="95", longitude="", capacity="-1")
    response = login(world.admin).post(CREATE, data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert {"name", "country", "latitude", "capacity"} <= set(errors)
    assert 'aria-invalid="true"' in response.content.decode()
    assert not Partner.objects.filter(legal_name="Delta Technik GmbH").exists()


def test_latitude_without_longitude_is_refused(world, login):
    response = login(world.admin).post(CREATE, valid_data(world, longitude=""))
    assert response.status_code == 400
    assert "Give both latitude and longitude, or neither." in response.context["form"].errors["longitude"]


def test_service_errors_land_on_the_fields(world, login):
    client = login(world.admin)
    taken = client.post(CREATE, valid_data(world, slug="alpha"))
    assert taken.status_code == 400
    assert "slug" in taken.context["form"].errors
    bad_vat = client.post(CREATE, valid_data(world, vat_id="D!"))
    assert bad_vat.status_code == 400
    assert "VAT or tax id" in bad_vat.context["form"].errors["vat_id"][0]
    assert Partner.objects.count() == 3


def test_a_reseller_or_an_invisible_partner_cannot_be_the_parent(world, login):
    client = login(world.cm_a)
    for parent in (world.b, world.c):
        response = client.post(CREATE, valid_data(world, parent=parent.pk))
        assert response.status_code == 400
        assert "parent" in response.context["form"].errors
    assert Partner.objects.count() == 3


@pytest.mark.parametrize("persona", ["pm_a", "pe_a"])
def test_partner_users_cannot_create_partners(world, login, persona):
    client = login(getattr(world, persona))
    assert client.get(CREATE).status_code == 403
    assert client.post(CREATE, valid_data(world)).status_code == 403
    assert Partner.objects.count() == 3


# --- Edit -----------------------------------------------------------------------------------------


def test_edit_form_is_prefilled_without_the_tier(world, login):
    response = login(world.cm_a).get(edit(world.b))
    assert response.status_code == 200
    form = response.context["form"]
    assert "tier" not in form.fields
    assert form.initial["name"] == "Beta Resale" and form.initial["parent"] == world.a.pk
    assert {p.name for p in form.fields["parent"].queryset} == {"Alpha Distribution"}


def test_edit_saves_the_profile_and_records_what_changed(world, login):
    data = valid_data(world, name="Beta Resale", slug="beta", parent=world.a.pk, city="Graz", country="AT")
    data.pop("tier")
    response = login(world.cm_a).post(edit(world.b), data, follow=True)
    assert response.redirect_chain == [(reverse("channel:partner_detail", args=[world.b.pk]), 302)]
    world.b.refresh_from_db()
    assert (world.b.city, world.b.vat_id, world.b.capacity) == ("Graz", "DE987654321", 25)
    assert world.b.tier == world.silver  # the tier has its own form
    event = ActivityEvent.objects.get(verb="partner.updated", partner_id=world.b.pk)
    assert "city" in event.data["fields"] and "name" not in event.data["fields"]
    assert "Beta Resale saved." in [str(m) for m in response.context["messages"]]


def test_blank_slug_is_derived_again_from_the_name(world, login):
    data = valid_data(world, name="Gamma Neu", slug="", parent="")
    login(world.admin).post(edit(world.c), data)
    world.c.refresh_from_db()
    assert world.c.slug == "gamma-neu"


def test_edit_refuses_a_third_level_and_changes_nothing(world, login):
    # Alpha has a reseller, so it cannot itself go under Gamma.
    data = valid_data(world, name="Alpha Distribution", slug="alpha", parent=world.c.pk)
    response = login(world.admin).post(edit(world.a), data)
    assert response.status_code == 400
    assert "has sub-partners of its own" in response.context["form"].errors["parent"][0]
    world.a.refresh_from_db()
    assert world.a.parent is None and world.a.city == "Berlin"


def test_view_only_share_cannot_edit(world, login):
    assign_perm("partners.view_partner", world.cm_c, world.a)
    access.forget_actor(world.cm_c)
    client = login(world.cm_c)
    assert client.get(edit(world.a)).status_code == 403
    assert client.post(edit(world.a), valid_data(world, name="Hijacked")).status_code == 403
    world.a.refresh_from_db()
    assert world.a.name == "Alpha Distribution"


def test_change_share_can_edit(world, login):
    assign_perm("partners.change_partner", world.cm_c, world.a)
    access.forget_actor(world.cm_c)
    assert login(world.cm_c).get(edit(world.a)).status_code == 200


def test_other_channel_manager_gets_404_on_edit(world, login):
    client = login(world.cm_c)
    assert client.get(edit(world.a)).status_code == 404
    assert client.post(edit(world.b), valid_data(world, name="Hijacked")).status_code == 404
    world.b.refresh_from_db()
    assert world.b.name == "Beta Resale"


def test_partner_manager_gets_403_on_the_channel_edit_page(world, login):
    assert login(world.pm_a).get(edit(world.a)).status_code == 403


@pytest.mark.django_db
def test_certifications_are_set_on_create_and_changed_on_edit(world, login):
    from core.models import ActivityEvent
    from partners.models import Certification, Partner

    install = Certification.objects.create(code="installation", name="Certified installer")
    service = Certification.objects.create(code="service-l2", name="Service level 2")
    client = login(world.admin)
    page = client.get(reverse("channel:partner_create"))
    assert "Certified installer" in page.content.decode()
    response = client.post(
        reverse("channel:partner_create"),
        {
            "name": "Cert Partner",
            "country": "DE",
            "type": "reseller",
            "tier": world.silver.pk,
            "capacity": 10,
            "certifications": [install.pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    partner = Partner.objects.get(name="Cert Partner")
    assert list(partner.certifications.all()) == [install]
    edit = reverse("channel:partner_edit", args=[partner.pk])
    assert f'value="{install.pk}"' in client.get(edit).content.decode()
    response = client.post(
        edit,
        {
            "name": "Cert Partner",
            "country": "DE",
            "type": "reseller",
            "capacity": 10,
            "certifications": [service.pk],
        },
    )
    assert response.status_code == 302
    assert list(partner.certifications.all()) == [service]
    newest = ActivityEvent.objects.filter(partner_id=partner.pk).first()
    assert newest is not None and newest.message == "Profile changed: certifications"
