"""My company: partners see their profile; partner managers edit the partner-editable fields."""

from decimal import Decimal

import pytest
from django.urls import reverse

from core.models import ActivityEvent
from partners.choices import Role
from partners.models import Certification
from tests.factories import PartnerFactory, channel_user, partner_user

VALID = {
    "legal_name": "Alpha Distribution GmbH",
    "website": "https://alpha.example",
    "email": "office@alpha.example",
    "phone": "+49 89 123",
    "address": "Marienplatz 1",
    "postal_code": "80331",
    "city": "Munich",
    "region": "Bavaria",
    "latitude": "48.137154",
    "longitude": "11.576124",
    "description": "Industrial pumps and service.",
}


@pytest.mark.django_db
def test_company_page_shows_the_profile(world, login):
    world.a.legal_name = "Alpha Distribution GmbH"
    world.a.save()
    response = login(world.pe_a).get(reverse("partner:company"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Alpha Distribution GmbH" in html
    assert "Gold" in html
    assert "Distributor" in html
    assert "<title>My company · Alpha Distribution · OpenPCM</title>" in html


@pytest.mark.django_db
def test_employee_sees_no_edit_button_and_gets_403_on_edit(world, login):
    client = login(world.pe_a)
    assert reverse("partner:company_edit") not in client.get(reverse("partner:company")).content.decode()
    assert client.get(reverse("partner:company_edit")).status_code == 403
    response = client.post(reverse("partner:company_edit"), VALID)
    assert response.status_code == 403
    world.a.refresh_from_db()
    assert world.a.legal_name == ""


@pytest.mark.django_db
def test_manager_edits_the_profile_and_the_trail_records_it(world, login):
    client = login(world.pm_a)
    assert reverse("partner:company_edit") in client.get(reverse("partner:company")).content.decode()
    response = client.post(reverse("partner:company_edit"), VALID)
    assert response.status_code == 302
    assert response["Location"] == reverse("partner:company")
    world.a.refresh_from_db()
    assert world.a.legal_name == "Alpha Distribution GmbH"
    assert world.a.website == "https://alpha.example"
    assert world.a.latitude == Decimal("48.137154")
    assert world.a.city == "Munich"
    event = ActivityEvent.objects.get(verb="partner.updated", partner_id=world.a.pk)
    assert event.actor == world.pm_a
    assert "legal_name" in event.data["fields"]
    followed = client.get(reverse("partner:company"))
    assert "Company profile saved." in followed.content.decode()


@pytest.mark.django_db
def test_fields_the_brand_owner_keeps_cannot_be_changed(world, login):
    data = {
        **VALID,
        "name": "Renamed",
        "vat_id": "DE999999999",
        "status": "terminated",
        "tier": world.platinum.pk,
    }
    login(world.pm_a).post(reverse("partner:company_edit"), data)
    world.a.refresh_from_db()
    assert world.a.name == "Alpha Distribution"
    assert world.a.vat_id == ""
    assert world.a.status == "active"
    assert world.a.tier == world.gold


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("website", "not a url", "Enter a valid URL."),
        ("email", "office-at-alpha", "Enter a valid email address."),
        ("latitude", "91", "less than or equal to 90"),
        ("longitude", "abc", "Enter a number."),
        ("phone", "1" * 41, "at most 40 characters"),
    ],
)
def test_bad_input_shows_errors_and_changes_nothing(world, login, field, value, message):
    response = login(world.pm_a).post(reverse("partner:company_edit"), {**VALID, field: value})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["form"].errors[field]
    world.a.refresh_from_db()
    assert world.a.legal_name == ""
    assert not ActivityEvent.objects.filter(verb="partner.updated").exists()


@pytest.mark.django_db
def test_latitude_without_longitude_is_refused(world, login):
    response = login(world.pm_a).post(reverse("partner:company_edit"), {**VALID, "longitude": ""})
    assert response.status_code == 200
    assert "Give both latitude and longitude, or neither." in response.content.decode()
    world.a.refresh_from_db()
    assert world.a.latitude is None


@pytest.mark.django_db
def test_saving_without_changes_records_nothing(world, login):
    client = login(world.pm_a)
    initial = {
        k: ("" if v is None else v)
        for k, v in client.get(reverse("partner:company_edit")).context["form"].initial.items()
    }
    response = client.post(reverse("partner:company_edit"), initial, follow=True)
    assert "Nothing changed." in response.content.decode()
    assert not ActivityEvent.objects.filter(verb="partner.updated").exists()


@pytest.mark.django_db
def test_reseller_manager_edits_only_their_own_company(world, login):
    login(world.pm_b).post(reverse("partner:company_edit"), VALID)
    world.a.refresh_from_db()
    world.b.refresh_from_db()
    assert world.b.legal_name == "Alpha Distribution GmbH"
    assert world.a.legal_name == ""


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [1, 20])
def test_company_page_query_count_is_constant(world, login, django_assert_num_queries, rows):
    partner = PartnerFactory(name="Delta", parent=world.a)
    user = partner_user(partner, Role.PARTNER_EMPLOYEE)
    for n in range(rows):
        partner.certifications.add(Certification.objects.create(code=f"cert-{n}", name=f"Cert {n}"))
        partner.managers.add(channel_user(Role.CHANNEL_MANAGER))
    client = login(user)
    # session, user, actor, partner (tier, parent, sub-partner count), its managers, its certifications
    with django_assert_num_queries(6):
        response = client.get(reverse("partner:company"))
    assert response.status_code == 200
    assert "Alpha Distribution" in response.content.decode()  # the distributor it sits under
