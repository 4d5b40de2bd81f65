"""Explainable routing: rules by priority, candidates, strategies, capacity, declines, protection."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from leads import services
from leads.choices import LeadStatus, Strategy
from leads.models import DealRegistration, DispatchDecision, Lead
from leads.routing import RoutingContext, great_circle_km
from partners.choices import PartnerStatus
from tests.factories import LeadFactory, rule

pytestmark = pytest.mark.django_db


def route(lead):
    return services.lead_route(lead=lead, actor=None)


def test_great_circle_distance_munich_vienna():
    assert great_circle_km(48.137154, 11.576124, 48.208174, 16.373819) == pytest.approx(354, abs=3)


def test_first_matching_rule_by_priority_decides_and_explains(world):
    rule("France", priority=5, countries=["FR"], partners=[world.c])
    rule("DACH", priority=10, countries=["DE", "AT"], partners=[world.a])
    lead = route(LeadFactory(country="DE"))
    assert lead.status == LeadStatus.DISPATCHED
    assert lead.partner == world.a
    assert lead.accept_by is not None and lead.accept_by > timezone.now()
    assert "DACH" in lead.dispatch_reason and world.a.name in lead.dispatch_reason
    decision = DispatchDecision.objects.get(lead=lead)
    assert decision.rules_tried == [{"rule": "France", "outcome": "did not match: country DE not in FR"}]
    assert [c["partner_id"] for c in decision.candidates if c["chosen"]] == [world.a.pk]


def test_no_rule_matches_means_unroutable_and_channel_managers_are_told(
    world, django_capture_on_commit_callbacks, mailoutbox
):
    rule("France", countries=["FR"], partners=[world.c])
    with django_capture_on_commit_callbacks(execute=True):
        lead = route(LeadFactory(country="JP"))
    assert lead.status == LeadStatus.UNROUTABLE and lead.partner is None
    assert "No rule found a partner" in lead.dispatch_reason
    assert mailoutbox and "could not be routed" in mailoutbox[0].subject


def test_inactive_full_and_declined_partners_are_left_out_with_reasons(world):
    world.b.status = PartnerStatus.SUSPENDED
    world.b.save()
    world.c.capacity = 1
    world.c.save()
    LeadFactory(partner=world.c, status=LeadStatus.DISPATCHED)  # C is now full
    rule("All", partners=[world.a, world.b, world.c])
    lead = route(LeadFactory())
    assert lead.partner == world.a
    reasons = {c["name"]: c["excluded"] for c in DispatchDecision.objects.get(lead=lead).candidates}
    assert reasons[world.b.name].startswith("not active")
    assert reasons[world.c.name].startswith("at capacity (1/1")
    assert reasons[world.a.name] == ""


def test_falls_through_to_the_next_rule_when_no_candidate_is_left(world):
    world.c.status = PartnerStatus.SUSPENDED
    world.c.save()
    rule("Only C", priority=1, partners=[world.c])
    rule("Fallback", priority=2, partners=[world.a])
    lead = route(LeadFactory())
    assert lead.partner == world.a
    assert "no candidate left" in DispatchDecision.objects.get(lead=lead).rules_tried[0]["outcome"]


def test_weighted_strategy_is_fair_over_time_by_tier_weight(world):
    # A is Gold (weight 4), C Silver (weight 2): A gets about twice as many.
    rule("Weighted", strategy=Strategy.WEIGHTED, partners=[world.a, world.c])
    context = RoutingContext()
    for _ in range(30):
        services.lead_route(lead=LeadFactory(), actor=None, context=context)
    counts = {p: Lead.objects.filter(partner=p).count() for p in (world.a, world.c)}
    assert counts[world.a] == 20 and counts[world.c] == 10


def test_least_loaded_picks_the_lowest_share_of_capacity(world):
    world.a.capacity, world.c.capacity = 10, 100
    world.a.save()
    world.c.save()
    for _ in range(3):
        LeadFactory(partner=world.a, status=LeadStatus.ACCEPTED)  # A at 30%
    for _ in range(10):
        LeadFactory(partner=world.c, status=LeadStatus.ACCEPTED)  # C at 10%
    rule("Load", strategy=Strategy.LEAST_LOADED, partners=[world.a, world.c])
    lead = route(LeadFactory())
    assert lead.partner == world.c
    assert "least loaded at 10% of capacity" in lead.dispatch_reason


def test_nearest_uses_great_circle_distance_and_needs_coordinates(world):
    world.a.latitude, world.a.longitude = Decimal("48.137154"), Decimal("11.576124")  # Munich
    world.c.latitude, world.c.longitude = Decimal("45.764043"), Decimal("4.835659")  # Lyon
    world.a.save()
    world.c.save()
    rule("Nearest", strategy=Strategy.NEAREST, partners=[world.a, world.b, world.c])
    lead = route(
        LeadFactory(country="CH", latitude=Decimal("46.204391"), longitude=Decimal("6.143158"))
    )  # Geneva
    assert lead.partner == world.c
    assert "nearest at 1" in lead.dispatch_reason  # about 112 km
    reasons = {c["name"]: c["excluded"] for c in DispatchDecision.objects.get(lead=lead).candidates}
    assert reasons[world.b.name] == "no coordinates"
    no_coordinates = route(LeadFactory(country="CH"))
    assert no_coordinates.status == LeadStatus.UNROUTABLE


def test_candidate_filters_without_explicit_partners(world):
    rule("Gold and up", min_tier=world.gold)
    lead = route(LeadFactory())
    assert lead.partner == world.a  # the only Gold partner


def test_value_range_and_source_conditions(world):
    rule("Big deals", priority=1, min_value=Decimal("50000"), partners=[world.c])
    rule("API only", priority=2, sources=["api"], partners=[world.b])
    rule("Rest", priority=3, partners=[world.a])
    assert route(LeadFactory(estimated_value=Decimal("60000"))).partner == world.c
    assert route(LeadFactory(source="api")).partner == world.b
    assert route(LeadFactory()).partner == world.a


def test_a_protected_customer_goes_only_to_the_registering_partner(world):
    DealRegistration.objects.create(
        partner=world.c, customer_company="Prospect Protected AG", normalised_company="prospect protected",
        customer_domain="protected.example", country="DE", value=Decimal("5000"),
        expected_close=timezone.localdate() + timedelta(days=30), status="approved",
        protected_until=timezone.localdate() + timedelta(days=60),
    )  # fmt: skip
    rule("DACH", countries=["DE"], partners=[world.a])
    by_name = route(LeadFactory(company="Prospect Protected GmbH"))
    by_domain = route(LeadFactory(company="Other Name", email="it@protected.example"))
    assert by_name.partner == world.c and by_domain.partner == world.c
    assert "protected by their approved deal registration" in by_name.dispatch_reason
    unrelated = route(LeadFactory(company="Unrelated KG"))
    assert unrelated.partner == world.a


def test_decline_reroutes_at_once_without_the_decliner(world):
    rule("Both", strategy=Strategy.LEAST_LOADED, partners=[world.a, world.c])
    lead = route(LeadFactory())
    first = lead.partner
    holder = world.pm_a if first == world.a else world.pm_c
    lead = services.lead_decline(lead=lead, actor=holder, reason="Not our field")
    assert lead.status == LeadStatus.DISPATCHED and lead.partner not in (None, first)
    other = world.pm_c if lead.partner == world.c else world.pm_a
    lead = services.lead_decline(lead=lead, actor=other, reason="Too far")
    assert lead.status == LeadStatus.UNROUTABLE  # both declined, nobody left


def test_expired_acceptance_window_redispatches_and_counts_as_declined(
    world, django_capture_on_commit_callbacks, mailoutbox
):
    rule("Both", strategy=Strategy.LEAST_LOADED, partners=[world.a, world.c], accept_within_hours=2)
    lead = route(LeadFactory())
    late = lead.partner
    with django_capture_on_commit_callbacks(execute=True):
        moved = services.leads_expire_overdue(now=timezone.now() + timedelta(hours=3))
    assert moved == 1
    lead.refresh_from_db()
    assert lead.status == LeadStatus.DISPATCHED and lead.partner != late
    assert lead.declines.get().expired
    assert any("re-dispatched" in m.subject for m in mailoutbox)


def test_batch_routing_routes_new_leads_once(world):
    rule("All", partners=[world.a, world.c])
    leads = [
        services.lead_create(
            actor=world.admin, fields={"company": f"Batch {i}", "country": "DE"}, route=False
        )
        for i in range(7)
    ]
    assert services.leads_route_batch(limit=5) == 5
    assert services.leads_route_batch(limit=5) == 2
    assert services.leads_route_batch(limit=5) == 0
    assert Lead.objects.filter(pk__in=[x.pk for x in leads], status=LeadStatus.DISPATCHED).count() == 7
