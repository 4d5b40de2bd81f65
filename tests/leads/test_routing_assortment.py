"""A dispatch rule can take only partners that sell the lead's category (their assortment, issue 4):
routing, the explanation, the rule form, the rules list and the API."""

import pytest

from catalog.models import PartnerCategory, PartnerProduct
from leads import services
from leads.choices import LeadStatus
from leads.models import DispatchDecision, DispatchRule
from tests.catalog.conftest import make_category, make_product
from tests.factories import LeadFactory, rule

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(world):
    """sensors > pressure; A chose all sensors, C sells one pressure product, B sells nothing."""
    sensors = make_category("Sensors", slug="sensors")
    pressure = make_category("Pressure", slug="pressure", parent=sensors)
    valves = make_category("Valves", slug="valves")
    PartnerCategory.objects.create(partner=world.a, category=sensors)
    PartnerProduct.objects.create(partner=world.c, product=make_product(pressure, sku="P-1"))
    return {"sensors": sensors, "pressure": pressure, "valves": valves}


def test_only_partners_selling_the_category_are_candidates(world, tree):
    rule("Sellers", partners=[world.a, world.b, world.c], sells_lead_category=True, strategy="least_loaded")
    chosen = set()
    for _ in range(4):
        lead = services.lead_route(lead=LeadFactory(category=tree["pressure"]), actor=None)
        assert lead.status == LeadStatus.DISPATCHED
        chosen.add(lead.partner)
        decision = DispatchDecision.objects.filter(lead=lead).get()
        assert {c["partner_id"] for c in decision.candidates} == {world.a.pk, world.c.pk}
        assert decision.considered == 2
    assert chosen == {world.a, world.c}  # both, never B


def test_nobody_sells_it_falls_through_and_no_category_does_not_match(world, tree):
    rule("Sellers", priority=1, partners=[world.a, world.b, world.c], sells_lead_category=True)
    rule("Fallback", priority=2, partners=[world.b])
    valves = services.lead_route(lead=LeadFactory(category=tree["valves"]), actor=None)
    assert valves.partner == world.b
    assert (
        "no candidate left (0 considered)"
        in DispatchDecision.objects.get(lead=valves).rules_tried[0]["outcome"]
    )
    bare = services.lead_route(lead=LeadFactory(category=None), actor=None)
    assert bare.partner == world.b
    assert DispatchDecision.objects.get(lead=bare).rules_tried == [
        {"rule": "Sellers", "outcome": "takes only partners selling the lead's category; it has none"}
    ]


def test_a_batch_keeps_one_candidate_set_per_category(world, tree):
    rule("Sellers", sells_lead_category=True)  # all active partners, filtered by what they sell
    leads = [LeadFactory(category=tree["sensors"]) for _ in range(3)]
    leads += [LeadFactory(category=tree["valves"])]
    assert services.leads_route_batch(limit=10) == 4
    for lead in leads[:3]:
        lead.refresh_from_db()
        assert lead.partner in (world.a, world.c)
    leads[3].refresh_from_db()
    assert leads[3].status == LeadStatus.UNROUTABLE


def test_the_rule_form_the_list_and_the_api_carry_the_setting(world, login, api_client_for_admin):
    from django.urls import reverse

    from tests.portals.test_channel_rules import NEW, rule_form

    client = login(world.admin)
    client.post(NEW, rule_form(name="Sellers only", sells_lead_category="on"))
    saved = DispatchRule.objects.get(name="Sellers only")
    assert saved.sells_lead_category
    rows = {r["rule"].name: r for r in client.get(reverse("channel:rule_list")).context["rows"]}
    assert "selling the lead's category" in rows["Sellers only"]["candidates"]
    listed = api_client_for_admin.get("/api/v1/dispatch-rules").json()["items"]
    assert [r["sells_lead_category"] for r in listed if r["id"] == saved.pk] == [True]
    response = api_client_for_admin.patch(
        f"/api/v1/dispatch-rules/{saved.pk}", {"sells_lead_category": False}
    )
    assert response.status_code == 200 and response.json()["sells_lead_category"] is False
    bad = api_client_for_admin.patch(f"/api/v1/dispatch-rules/{saved.pk}", {"sells_lead_category": "maybe"})
    assert bad.status_code == 422
    saved.refresh_from_db()
    assert not saved.sells_lead_category


@pytest.fixture
def api_client_for_admin(client, world):
    from core.services import api_token_create
    from tests.api.conftest import ApiClient

    return ApiClient(client, api_token_create(user=world.admin, name="t")[1])
