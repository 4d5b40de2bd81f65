"""Sub-partners: a distributor's manager sees its resellers read-only; others an empty state."""

import pytest
from django.urls import reverse

from partners.choices import PartnerType, Role
from tests.factories import PartnerFactory, partner_user


@pytest.mark.django_db
def test_distributor_manager_lists_its_resellers(world, login):
    response = login(world.pm_a).get(reverse("partner:subpartner_list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Beta Resale" in html
    assert reverse("partner:subpartner_detail", args=[world.b.pk]) in html
    assert "Gamma Services" not in html


@pytest.mark.django_db
def test_distributor_manager_sees_a_resellers_profile_and_team(world, login):
    world.b.legal_name = "Beta Resale GmbH"
    world.b.save()
    response = login(world.pm_a).get(reverse("partner:subpartner_detail", args=[world.b.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Beta Resale GmbH" in html
    assert world.pm_b.display_name in html
    assert "Partner manager" in html
    # Read-only: no edit or team actions.
    assert "<form" not in html.split("</header>", 1)[1]


@pytest.mark.django_db
def test_employee_of_a_distributor_gets_the_empty_state(world, login):
    response = login(world.pe_a).get(reverse("partner:subpartner_list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Beta Resale" not in html
    assert "Your partner managers see the sub-partners" in html


@pytest.mark.django_db
def test_reseller_gets_the_empty_state(world, login):
    html = login(world.pm_b).get(reverse("partner:subpartner_list")).content.decode()
    assert "only distributors have resellers" in html


@pytest.mark.django_db
def test_distributor_without_resellers_gets_the_empty_state(world, login):
    partner = PartnerFactory(name="Lonely", type=PartnerType.DISTRIBUTOR)
    html = (
        login(partner_user(partner, Role.PARTNER_MANAGER))
        .get(reverse("partner:subpartner_list"))
        .content.decode()
    )
    assert "Lonely has no sub-partners yet" in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "target"),
    [("pm_a", "c"), ("pm_a", "a"), ("pe_a", "b"), ("pm_b", "b"), ("pm_c", "b"), ("pm_b", "a")],
)
def test_a_partner_that_is_not_your_sub_partner_is_404(world, login, persona, target):
    response = login(getattr(world, persona)).get(
        reverse("partner:subpartner_detail", args=[getattr(world, target).pk])
    )
    assert response.status_code == 404


@pytest.mark.django_db
def test_channel_staff_get_403_on_sub_partner_detail(world, login):
    assert login(world.cm_a).get(reverse("partner:subpartner_detail", args=[world.b.pk])).status_code == 403


@pytest.mark.django_db
def test_sub_partners_page_by_keyset(world, login, settings):
    settings.PAGE_SIZE = 25
    for n in range(29):
        PartnerFactory(name=f"Reseller {n:02d}", parent=world.a)
    client = login(world.pm_a)
    first = client.get(reverse("partner:subpartner_list"))
    page = first.context["page"]
    assert len(page.items) == 25
    assert page.items[0].name == "Beta Resale"
    assert 'rel="next"' in first.content.decode()
    second = client.get(reverse("partner:subpartner_list"), {"after": page.next_cursor})
    names = [p.name for p in second.context["page"].items]
    assert names == ["Reseller 24", "Reseller 25", "Reseller 26", "Reseller 27", "Reseller 28"]
    assert not second.context["page"].has_next


@pytest.mark.django_db
def test_a_bad_cursor_shows_the_first_page(world, login):
    response = login(world.pm_a).get(reverse("partner:subpartner_list"), {"before": "%%%"})
    assert response.status_code == 200
    assert [p.name for p in response.context["page"].items] == ["Beta Resale"]


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [1, 20])
def test_sub_partner_list_query_count_is_constant(world, login, django_assert_num_queries, rows):
    for n in range(rows - 1):
        PartnerFactory(name=f"Reseller {n:02d}", parent=world.a)
    client = login(world.pm_a)
    # session, user, actor, own partner (tier, parent), one page of sub-partners (tier, parent)
    with django_assert_num_queries(5):
        response = client.get(reverse("partner:subpartner_list"))
    assert len(response.context["page"].items) == rows


@pytest.mark.django_db
@pytest.mark.parametrize("people", [1, 20])
def test_sub_partner_detail_query_count_is_constant(world, login, django_assert_num_queries, people):
    for _ in range(people - 1):
        partner_user(world.b)
    client = login(world.pm_a)
    # session, user, actor, own partner, the sub-partner (tier, parent), its team (users), their groups
    with django_assert_num_queries(7):
        response = client.get(reverse("partner:subpartner_detail", args=[world.b.pk]))
    assert len(response.context["team"]) == people
