"""Channel portal: dispatch rules (priority order and summaries; admins create, edit, delete;
managers read)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from leads.choices import Strategy
from leads.models import DispatchRule
from partners.choices import PartnerType, Role
from partners.models import Certification
from tests.factories import CategoryFactory, PartnerFactory, TierFactory, channel_user, rule

pytestmark = pytest.mark.django_db

LIST = "/channel/rules/"
NEW = "/channel/rules/new/"


def edit(r) -> str:
    return reverse("channel:rule_edit", args=[r.pk])


def delete(r) -> str:
    return reverse("channel:rule_delete", args=[r.pk])


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def rule_form(**overrides) -> dict:
    data = {
        "name": "DACH premium",
        "priority": "5",
        "active": "on",
        "countries": "de, at;CH",
        "regions": "Bavaria, Tyrol",
        "postal_prefixes": "80, 81;SW1A 1",
        "min_value": "1000",
        "max_value": "50000",
        "sources": ["channel", "api"],
        "strategy": Strategy.LEAST_LOADED,
        "accept_within_hours": "24",
    }
    data.update(overrides)
    return data


# --- List -----------------------------------------------------------------------------------------


def test_rules_are_listed_in_priority_order_with_their_summaries(world, login):
    category = CategoryFactory(name="Heat pumps")
    cert = Certification.objects.create(code="install", name="Installation")
    fallback = rule(
        "Fallback", priority=50, min_tier=world.silver, partner_types=[PartnerType.RESELLER],
        certification=cert, strategy=Strategy.NEAREST,
    )  # fmt: skip
    dach = rule(
        "DACH", priority=10, countries=["DE", "AT"], postal_prefixes=["80"], min_value=Decimal("500"),
        sources=["api"], partners=[world.a, world.b],
    )  # fmt: skip
    dach.categories.set([category])
    rule("Paused", priority=30, active=False)
    response = login(world.cm_a).get(LIST)
    assert response.status_code == 200
    assert [row["rule"].name for row in response.context["rows"]] == ["DACH", "Paused", "Fallback"]
    rows = {row["rule"].name: row for row in response.context["rows"]}
    assert rows["DACH"]["conditions"] == [
        "Countries DE, AT", "Postal codes 80…", "Categories Heat pumps", "Value from 500", "Sources API",
    ]  # fmt: skip
    assert rows["DACH"]["candidates"] == ["Alpha Distribution, Beta Resale"]
    assert rows["Fallback"]["conditions"] == ["Any lead"]
    assert rows["Fallback"]["candidates"] == [
        "All active partners", "tier Silver or better", "Reseller", "certified Installation",
    ]  # fmt: skip
    body = response.content.decode()
    assert "<title>Dispatch rules · OpenPCM</title>" in body
    assert "inactive" in body
    assert fallback.get_strategy_display() in body


def test_managers_are_not_told_the_names_of_partners_they_do_not_manage(world, login):
    rule("Mixed", partners=[world.a, world.c])
    rule("Only C", partners=[world.c, PartnerFactory(name="Delta")])
    response = login(world.cm_a).get(LIST)
    rows = {row["rule"].name: row["candidates"] for row in response.context["rows"]}
    assert rows == {
        "Mixed": ["Alpha Distribution and 1 partner you do not manage"],
        "Only C": ["2 partners you do not manage"],
    }
    body = response.content.decode()
    assert "Gamma" not in body and "Delta" not in body


def test_managers_read_the_rules_without_edit_links(world, login):
    r = rule("DACH")
    body = login(world.cm_a).get(LIST).content.decode()
    assert f'href="{NEW}"' not in body and f'href="{edit(r)}"' not in body
    assert "Channel admins edit the rules." in body


def test_admins_get_the_edit_links(world, login):
    r = rule("DACH")
    body = login(world.admin).get(LIST).content.decode()
    assert f'href="{NEW}"' in body and f'href="{edit(r)}"' in body


def test_empty_state_explains_that_leads_are_unroutable(world, login):
    body = login(world.admin).get(LIST).content.decode()
    assert "There are no dispatch rules yet" in body and "Create the first rule" in body


def test_a_long_list_of_explicit_partners_is_shortened(world, login):
    partners = [PartnerFactory(name=f"P{n}") for n in range(7)]
    rule("Many", partners=partners)
    [row] = login(world.admin).get(LIST).context["rows"]
    assert row["candidates"] == ["P0, P1, P2, P3, P4 and 2 more"]
    manager = channel_user(Role.CHANNEL_MANAGER)
    partners[0].managers.add(manager)
    [row] = login(manager).get(LIST).context["rows"]
    assert row["candidates"] == ["P0 and 6 partners you do not manage"]


@pytest.mark.parametrize("persona", ["pm_a", "pe_a"])
def test_partner_users_get_403(world, login, persona):
    assert login(getattr(world, persona)).get(LIST).status_code == 403


@pytest.mark.parametrize("count", [1, 20])
@pytest.mark.parametrize(("role", "queries"), [(Role.CHANNEL_ADMIN, 6), (Role.CHANNEL_MANAGER, 7)])
def test_list_queries_do_not_grow_with_rows(db, login, django_assert_num_queries, count, role, queries):
    user = channel_user(role)
    cert = Certification.objects.create(code="c", name="C")
    for n in range(count):
        partner = PartnerFactory(tier=TierFactory())
        partner.managers.add(user)
        r = rule(f"Rule {n}", priority=n, partners=[partner], certification=cert, min_tier=partner.tier)
        r.categories.set([CategoryFactory()])
    client = login(user)
    # session, user, actor, page rows (tier and certification joined), their partners, their
    # categories = 6; for a manager, which of the partners are theirs = 7
    with django_assert_num_queries(queries):
        response = client.get(LIST)
    assert len(response.context["rows"]) == count
    assert all("you do not manage" not in row["candidates"][0] for row in response.context["rows"])


# --- Create ---------------------------------------------------------------------------------------


def test_admin_creates_a_rule_with_partners_and_categories(world, login):
    category = CategoryFactory(name="Ovens")
    client = login(world.admin)
    page = client.get(NEW)
    assert page.status_code == 200
    assert "<title>New dispatch rule · OpenPCM</title>" in page.content.decode()
    response = client.post(
        NEW,
        rule_form(partners=[str(world.a.pk), str(world.c.pk)], categories=[str(category.pk)]),
        follow=True,
    )
    assert response.redirect_chain[-1][0] == LIST
    r = DispatchRule.objects.get()
    assert r.name == "DACH premium" and r.priority == 5 and r.active
    assert r.countries == ["DE", "AT", "CH"]
    assert r.regions == ["Bavaria", "Tyrol"] and r.postal_prefixes == ["80", "81", "SW1A 1"]
    assert (r.min_value, r.max_value) == (Decimal("1000"), Decimal("50000"))
    assert r.sources == ["channel", "api"] and r.strategy == Strategy.LEAST_LOADED
    assert r.accept_within_hours == 24
    assert set(r.partners.all()) == {world.a, world.c}
    assert list(r.categories.all()) == [category]
    assert messages_of(response) == ["Dispatch rule “DACH premium” saved (priority 5)."]


def test_candidate_filters_are_saved(world, login):
    cert = Certification.objects.create(code="install", name="Installation")
    login(world.admin).post(
        NEW,
        rule_form(
            countries="", min_value="", max_value="", min_tier=str(world.gold.pk),
            partner_types=[PartnerType.DISTRIBUTOR], certification=str(cert.pk), active="",
        ),
    )  # fmt: skip
    r = DispatchRule.objects.get()
    assert r.countries == [] and r.min_value is None and not r.active
    assert r.min_tier == world.gold and r.partner_types == ["distributor"] and r.certification == cert
    assert not r.partners.exists()


@pytest.mark.parametrize(
    ("overrides", "field", "text"),
    [
        ({"countries": "DE, XX"}, "countries", "Unknown country codes: XX"),
        ({"min_value": "900", "max_value": "100"}, "max_value", "must not be below the lowest value"),
        ({"accept_within_hours": "0"}, "accept_within_hours", ""),
        ({"name": ""}, "name", ""),
        ({"strategy": "coin_toss"}, "strategy", ""),
        ({"sources": ["fax"]}, "sources", ""),
        ({"partners": ["999999"]}, "partners", ""),
        ({"priority": "-1"}, "priority", ""),
    ],
)
def test_bad_input_is_shown_on_the_form_and_nothing_is_saved(world, login, overrides, field, text):
    response = login(world.admin).post(NEW, rule_form(**overrides))
    assert response.status_code == 400
    errors = response.context["form"].errors[field]
    assert text in " ".join(errors)
    assert not DispatchRule.objects.exists()


# --- Edit and delete ------------------------------------------------------------------------------


def test_admin_edits_a_rule_and_sees_its_current_values(world, login):
    r = rule("DACH", countries=["DE", "AT"], partners=[world.a], regions=["Bavaria"])
    client = login(world.admin)
    page = client.get(edit(r))
    assert page.status_code == 200
    form = page.context["form"]
    assert form["countries"].value() == "DE, AT" and form["regions"].value() == "Bavaria"
    assert form["partners"].value() == [world.a.pk]
    assert f'<option value="{world.a.pk}" selected>Alpha Distribution</option>' in page.content.decode()
    response = client.post(edit(r), rule_form(name="DACH only", partners=[str(world.b.pk)]), follow=True)
    assert response.redirect_chain[-1][0] == LIST
    r.refresh_from_db()
    assert r.name == "DACH only" and r.countries == ["DE", "AT", "CH"]
    assert list(r.partners.all()) == [world.b]


def test_a_refused_edit_changes_nothing(world, login):
    r = rule("DACH", countries=["DE"], partners=[world.a])
    response = login(world.admin).post(edit(r), rule_form(countries="QQ", partners=[str(world.c.pk)]))
    assert response.status_code == 400
    assert "Unknown country codes: QQ" in response.content.decode()
    r.refresh_from_db()
    assert r.name == "DACH" and r.countries == ["DE"] and list(r.partners.all()) == [world.a]


def test_admin_deletes_a_rule(world, login):
    r = rule("Old")
    client = login(world.admin)
    assert client.get(delete(r)).status_code == 405
    assert "Delete rule “Old”" in client.get(edit(r)).content.decode()
    response = client.post(delete(r), follow=True)
    assert response.redirect_chain[-1][0] == LIST
    assert not DispatchRule.objects.exists()
    assert messages_of(response) == ["Dispatch rule “Old” deleted."]


def test_unknown_rule_is_404(world, login):
    client = login(world.admin)
    assert client.get("/channel/rules/999999/").status_code == 404
    assert client.post("/channel/rules/999999/delete/").status_code == 404


def test_managers_get_403_on_create_edit_and_delete(world, login):
    r = rule("DACH", countries=["DE"])
    client = login(world.cm_a)
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, rule_form()).status_code == 403
    assert client.get(edit(r)).status_code == 403
    assert client.post(edit(r), rule_form(name="Hijacked")).status_code == 403
    assert client.post(delete(r)).status_code == 403
    r.refresh_from_db()
    assert r.name == "DACH" and DispatchRule.objects.count() == 1
