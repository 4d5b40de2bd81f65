"""Partner portal home: the partner at a glance, next steps while onboarding, the role gate."""

import pytest
from django.urls import reverse

from partners.choices import PartnerStatus, Role
from tests.factories import PartnerFactory, partner_user

PARTNER_PAGES = [
    "partner:home",
    "partner:company",
    "partner:company_edit",
    "partner:team",
    "partner:subpartner_list",
]


@pytest.mark.django_db
def test_manager_sees_name_status_tier_team_and_subpartners(world, login):
    response = login(world.pm_a).get(reverse("partner:home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Alpha Distribution · OpenPCM</title>" in html
    assert "Alpha Distribution" in html
    assert "Active" in html
    assert "Gold" in html
    assert "2 people" in html  # pm_a and pe_a
    assert response.context["partner"].children_count == 1
    assert "See sub-partners" in html
    assert "Welcome to the partner programme" not in html


@pytest.mark.django_db
def test_reseller_home_has_no_subpartner_card(world, login):
    response = login(world.pm_b).get(reverse("partner:home"))
    assert response.status_code == 200
    assert "See sub-partners" not in response.content.decode()


@pytest.mark.django_db
def test_onboarding_partner_manager_sees_next_steps(world, login):
    world.a.status = PartnerStatus.ONBOARDING
    world.a.save()
    html = login(world.pm_a).get(reverse("partner:home")).content.decode()
    assert "Welcome to the partner programme" in html
    assert "Complete your company profile" in html
    assert reverse("partner:company_edit") in html
    assert "Invite your team" in html


@pytest.mark.django_db
def test_onboarding_step_shows_done_once_profile_is_complete(world, login):
    world.a.status = PartnerStatus.ONBOARDING
    world.a.address, world.a.postal_code, world.a.phone = "Main St 1", "80331", "+49 89 1"
    world.a.description = "Pumps"
    world.a.save()
    response = login(world.pm_a).get(reverse("partner:home"))
    assert response.context["profile_complete"] is True
    assert response.context["team_invited"] is True  # pe_a is already on the team


@pytest.mark.django_db
def test_onboarding_employee_is_told_a_manager_does_the_steps(world, login):
    world.a.status = PartnerStatus.ONBOARDING
    world.a.save()
    html = login(world.pe_a).get(reverse("partner:home")).content.decode()
    assert "Welcome to the partner programme" in html
    assert "A partner manager does this" in html
    assert reverse("partner:company_edit") not in html


@pytest.mark.django_db
def test_suspended_partner_is_told_to_contact_the_channel_manager(world, login):
    world.c.status = PartnerStatus.SUSPENDED
    world.c.save()
    html = login(world.pm_c).get(reverse("partner:home")).content.decode()
    assert "is suspended. Please contact your channel manager" in html


@pytest.mark.django_db
def test_home_names_the_channel_manager(world, login):
    html = login(world.pe_a).get(reverse("partner:home")).content.decode()
    assert "cm.a@test.example" in html


@pytest.mark.django_db
@pytest.mark.parametrize("name", PARTNER_PAGES)
def test_channel_staff_get_403_in_the_partner_portal(world, login, name):
    assert login(world.cm_a).get(reverse(name)).status_code == 403
    assert login(world.admin).get(reverse(name)).status_code == 403


@pytest.mark.django_db
def test_user_without_a_role_gets_403(world, login, django_user_model):
    nobody = django_user_model.objects.create_user(email="nobody@test.example", password="x-very-long-pw")
    assert login(nobody).get(reverse("partner:home")).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("people", [1, 20])
def test_home_query_count_does_not_grow_with_the_team(world, login, django_assert_num_queries, people):
    partner = PartnerFactory(name="Delta")
    manager = partner_user(partner, Role.PARTNER_MANAGER)
    for _ in range(people - 1):
        partner_user(partner)
    for _ in range(people):
        PartnerFactory(parent=partner)
    client = login(manager)
    # session, user, actor (role, partner), partner (tier, parent, sub-partner count),
    # its channel managers, its certifications, team size
    with django_assert_num_queries(7):
        response = client.get(reverse("partner:home"))
    assert response.context["team_size"] == people
