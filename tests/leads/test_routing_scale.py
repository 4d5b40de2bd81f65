"""Routing at scale: rules with many candidates rank them with a heap (weighted, least loaded) or unit
vectors (nearest) and must choose exactly what comparing every candidate would; the decision keeps
the best few and counts the rest; rules of other countries are summed up; a batch writes with one
statement per table and tells partners in digests."""

import random
import time
from decimal import Decimal

import pytest
from django.utils import timezone

from leads import services
from leads.choices import LeadStatus, Strategy
from leads.models import DispatchDecision, Lead, LeadEvent
from leads.routing import FULL_LIST, TOP, LeadFacts, RoutingContext, great_circle_km
from partners.choices import PartnerStatus
from tests.factories import LeadFactory, PartnerFactory, TierFactory, rule

pytestmark = pytest.mark.django_db

CITIES = [(52.52, 13.40), (48.14, 11.58), (50.11, 8.68), (53.55, 9.99), (47.37, 8.54), (48.21, 16.37)]


def many_partners(count, *, seed=7, capacity=None):
    rng = random.Random(seed)
    tiers = [TierFactory(name=f"Scale {w}", routing_weight=w) for w in (1, 2, 4)]
    partners = []
    for i in range(count):
        lat, lon = rng.choice(CITIES)
        partners.append(
            PartnerFactory(
                name=f"Scale {i:03d}",
                tier=rng.choice(tiers),
                capacity=capacity or rng.randint(2, 6),
                latitude=Decimal(f"{lat + rng.uniform(-1, 1):.6f}"),
                longitude=Decimal(f"{lon + rng.uniform(-1, 1):.6f}"),
            )  # fmt: skip
        )
    return partners


def brute_force(context, strategy, ids, facts, declined):
    """The best partner by comparing every candidate, as routing promises (figure, then id)."""
    best = None
    for pid in ids:
        info = context.partners[pid]
        if info.status != PartnerStatus.ACTIVE or pid in declined or info.open_leads >= info.capacity:
            continue
        if strategy == Strategy.NEAREST:
            figure = great_circle_km(facts.latitude, facts.longitude, info.latitude, info.longitude)
        elif strategy == Strategy.LEAST_LOADED:
            figure = info.open_leads / info.capacity
        else:
            figure = info.recent / info.weight
        if best is None or (figure, pid) < best:
            best = (figure, pid)
    return best


def facts_at(lat, lon, pk=None):
    return LeadFacts(
        pk=pk, country="DE", region="", postal_code="", category_id=None, estimated_value=None, source="channel",
        latitude=lat, longitude=lon, normalised_company="", domain="",
    )  # fmt: skip


@pytest.mark.parametrize("strategy", [Strategy.WEIGHTED, Strategy.LEAST_LOADED, Strategy.NEAREST])
def test_a_large_rule_chooses_what_comparing_every_candidate_would(strategy):
    partners = many_partners(FULL_LIST + 15)
    partners[3].status = PartnerStatus.SUSPENDED
    partners[3].save()
    rule("Many", strategy=strategy, partners=partners)
    context = RoutingContext()
    ids = [p.pk for p in partners]
    rng = random.Random(3)
    chosen = []
    for i in range(150):  # more leads than the partners' capacity: some fill up, then none is left
        lat, lon = rng.choice(CITIES)
        facts = facts_at(lat + rng.uniform(-2, 2), lon + rng.uniform(-2, 2))
        declined = set(rng.sample(ids, 3)) if i % 5 == 0 else set()
        expected = brute_force(context, strategy, ids, facts, declined)
        decision = context.decide(facts, declined=declined)
        if expected is None:
            assert decision.partner_id is None
            continue
        assert decision.partner_id == expected[1], f"lead {i}"
        [best] = [c for c in decision.candidates if c.chosen]
        assert best.figure == pytest.approx(expected[0], abs=1e-6)
        context.assigned(decision.partner_id, saved=False)
        chosen.append(decision.partner_id)
        if i % 7 == 0:  # a lead leaves a partner now and then: it ranks again
            context.released(chosen[rng.randrange(len(chosen))])
    assert len(set(chosen)) > 10


def test_a_large_rule_keeps_the_best_few_and_counts_those_left_out():
    partners = many_partners(FULL_LIST + 20, capacity=5)
    partners[0].status = PartnerStatus.SUSPENDED
    partners[0].save()
    for p in partners[1:4]:
        for _ in range(5):
            LeadFactory(partner=p, status=LeadStatus.DISPATCHED)  # full
    rule("Many", strategy=Strategy.LEAST_LOADED, partners=partners)
    lead = services.lead_route(lead=LeadFactory(), actor=None)
    decision = DispatchDecision.objects.get(lead=lead)
    assert decision.considered == FULL_LIST + 20
    assert len(decision.candidates) == TOP
    assert [c["chosen"] for c in decision.candidates].count(True) == 1
    assert decision.left_out == {"not active": 1, "at capacity": 3}
    assert f"among {FULL_LIST + 20 - 4} candidates" in lead.dispatch_reason


def test_rules_of_other_countries_are_summed_up_when_many(world):
    for i in range(5):
        rule(f"Elsewhere {i}", priority=i, countries=["JP"], partners=[world.c])
    rule("Germany but big", priority=20, countries=["DE"], min_value=Decimal("1000000"), partners=[world.c])
    rule("Germany", priority=30, countries=["DE"], partners=[world.a])
    rule("Later", priority=40, countries=["FR"], partners=[world.c])
    lead = services.lead_route(lead=LeadFactory(country="DE", estimated_value=Decimal("5000")), actor=None)
    assert lead.partner == world.a
    assert DispatchDecision.objects.get(lead=lead).rules_tried == [
        {"rule": "5 rules for other countries", "outcome": "did not match: country DE"},
        {"rule": "Germany but big", "outcome": "did not match: value 5000.00 below 1000000.00"},
    ]


def test_a_batch_routes_writes_decisions_and_events_and_mails_nothing_yet(world, mailoutbox):
    rule("DACH", countries=["DE"], partners=[world.a, world.c])
    leads = [LeadFactory(company=f"Batch {i} AG", country="DE") for i in range(6)]
    lost = LeadFactory(company="Far Away KK", country="JP")
    assert services.leads_route_batch(limit=100) == 7
    for lead in leads:
        lead.refresh_from_db()
        assert lead.status == LeadStatus.DISPATCHED and lead.partner in (world.a, world.c)
        assert lead.accept_by > timezone.now() and lead.dispatched_at is not None
        assert "DACH" in lead.dispatch_reason
        assert LeadEvent.objects.filter(lead=lead, kind="dispatched", to_status="dispatched").count() == 1
        assert DispatchDecision.objects.get(lead=lead).partner_id == lead.partner_id
    lost.refresh_from_db()
    assert lost.status == LeadStatus.UNROUTABLE and lost.partner is None and lost.accept_by is None
    assert Lead.objects.filter(partner=world.a).count() + Lead.objects.filter(partner=world.c).count() == 6
    assert mailoutbox == []
    assert services.leads_route_batch(limit=100) == 0


def test_the_digest_tells_each_partner_once_and_the_channel_of_unroutable_leads(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    rule("DACH", countries=["DE"], partners=[world.a])
    for i in range(3):
        LeadFactory(company=f"Digest {i} AG", country="DE")
    LeadFactory(company="Nowhere KK", country="JP")
    services.leads_route_batch(limit=100)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.routing_digests_send() == 4
    subjects = sorted((m.subject, tuple(m.to)) for m in mailoutbox)
    assert subjects == [
        ("3 new leads for you", ("pm@alpha.example",)),
        (
            "Lead could not be routed: Nowhere KK",
            tuple(sorted(m.to for m in mailoutbox if "routed" in m.subject)[0]),
        ),
    ]
    body = next(m.body for m in mailoutbox if m.subject == "3 new leads for you")
    assert all(f"Digest {i} AG" in body for i in range(3)) and "/partner/leads/" in body
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.routing_digests_send() == 0
    assert mailoutbox == []


def test_a_lead_that_moved_on_before_the_digest_is_not_announced(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    rule("DACH", countries=["DE"], partners=[world.a])
    lead = LeadFactory(company="Quick Decline AG", country="DE")
    services.leads_route_batch(limit=10)
    Lead.objects.filter(pk=lead.pk).update(status=LeadStatus.LOST)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.routing_digests_send() == 1
    assert mailoutbox == []


def test_routing_one_lead_by_itself_is_mailed_through_the_digest_at_once(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    rule("DACH", countries=["DE"], partners=[world.a])
    with django_capture_on_commit_callbacks(execute=True):
        services.lead_route(lead=LeadFactory(company="Single AG", country="DE"), actor=None)
    assert [(m.subject, m.to) for m in mailoutbox] == [("New lead: Single AG", ["pm@alpha.example"])]
    assert "Why you:" in mailoutbox[0].body
    assert not DispatchDecision.objects.filter(notified_at__isnull=True).exists()


def test_a_batch_keeps_counting_across_batches_with_one_context(world):
    world.a.capacity = 3
    world.a.save()
    rule("Only A", partners=[world.a])
    for _ in range(5):
        LeadFactory(country="DE")
    context = RoutingContext()
    assert services.leads_route_batch(limit=2, context=context) == 2
    assert services.leads_route_batch(limit=2, context=context) == 2
    assert services.leads_route_batch(limit=2, context=context) == 1
    assert Lead.objects.filter(partner=world.a).count() == 3  # capacity held across batches
    assert Lead.objects.filter(status=LeadStatus.UNROUTABLE).count() == 2


def test_the_channel_page_explains_a_large_rule_with_counts(world, login):
    from django.urls import reverse

    partners = many_partners(FULL_LIST + 10, capacity=5)
    for _ in range(5):
        LeadFactory(partner=partners[0], status=LeadStatus.DISPATCHED)  # full
    rule("Many", strategy=Strategy.LEAST_LOADED, partners=partners)
    lead = services.lead_route(lead=LeadFactory(), actor=None)
    response = login(world.admin).get(reverse("channel:lead_detail", args=[lead.pk]))
    assert response.status_code == 200
    why = response.context["why"]
    assert why["considered"] == FULL_LIST + 10 and len(why["candidates"]) == TOP
    assert why["left_out"] == [("at capacity", 1)]
    text = " ".join(response.content.decode().split())
    assert f"This rule considered {FULL_LIST + 10} partners; the best {TOP} are listed." in text
    assert "left out: 1 at capacity; the rest ranked lower." in text


def test_partners_kept_in_the_process_are_read_again_when_they_change(world):
    rule("Both", strategy=Strategy.WEIGHTED, partners=[world.a, world.c])
    first = services.lead_route(lead=LeadFactory(), actor=None).partner
    first.status = PartnerStatus.SUSPENDED
    first.save()
    second = services.lead_route(lead=LeadFactory(), actor=None).partner
    assert second not in (None, first)
    other = world.c if second == world.a else world.a
    other.tier.routing_weight = 1000  # the other's tier weighs so much that it wins again at once
    other.tier.save()
    first.status = PartnerStatus.ACTIVE
    first.save()
    context = RoutingContext()
    assert context.partners[other.pk].weight == 1000
    assert context.partners[first.pk].status == PartnerStatus.ACTIVE


@pytest.mark.django_db(transaction=True)
def test_two_digest_senders_never_send_the_same_decision(on_postgres):
    """PostgreSQL: a sender skips the decisions another one holds (SKIP LOCKED) and marks its own."""
    if not on_postgres:
        pytest.skip("row locks with SKIP LOCKED need PostgreSQL (SQLite locks the whole database)")
    import threading

    from django.db import connection, transaction

    partner = PartnerFactory()
    rule("All", partners=[partner])
    for i in range(6):
        LeadFactory(company=f"Race {i} AG")
    services.leads_route_batch(limit=10)
    held = threading.Event()
    release = threading.Event()
    seen_by_other: list[int] = []

    def other_sender():
        try:
            with transaction.atomic():
                rows = services._claim_undigested(3)  # holds the three oldest until released
                seen_by_other.extend(r[0] for r in rows)
                held.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=other_sender)
    thread.start()
    assert held.wait(10)
    try:
        started = time.monotonic()
        assert services.routing_digests_send(limit=2) == 3  # the other three, in two rounds
        assert time.monotonic() - started < 5  # it did not wait for the other sender's rows
    finally:
        release.set()
        thread.join(10)
    mine = set(DispatchDecision.objects.exclude(pk__in=seen_by_other).values_list("pk", flat=True))
    assert len(seen_by_other) == 3 and not mine & set(seen_by_other)
    assert not DispatchDecision.objects.filter(notified_at__isnull=True).exists()
    assert services.routing_digests_send() == 0
