"""The partner's side of a lead, the customer link, deal registrations, and the rules on who may act."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.errors import InvalidTransition, NotAllowed
from customers.models import Customer
from leads import services
from leads.choices import LeadStatus, RegistrationStatus
from leads.models import Lead
from tests.factories import LeadFactory, rule

pytestmark = pytest.mark.django_db


def dispatched_to_a(world, **fields):
    rule("To A", partners=[world.a])
    return services.lead_route(lead=LeadFactory(**fields), actor=None)


def test_create_validates_and_routes(world):
    with pytest.raises(ValidationError) as exc:
        services.lead_create(
            actor=world.admin, fields={"company": "", "country": "XX", "estimated_value": Decimal("-1")}
        )
    assert {"company", "country", "estimated_value"} <= set(exc.value.message_dict)
    assert not Lead.objects.exists()
    rule("All", partners=[world.c])
    lead = services.lead_create(actor=world.cm_c, fields={"company": "Fresh GmbH", "country": "DE"})
    assert lead.status == LeadStatus.DISPATCHED and lead.partner == world.c
    assert [e.kind for e in lead.events.all()] == ["created", "dispatched"]


def test_external_id_is_unique_per_source(world):
    services.lead_create(
        actor=world.admin,
        fields={"company": "X", "country": "DE", "source": "import", "external_id": "42"},
        route=False,
    )
    with pytest.raises(ValidationError, match="external id 42"):
        services.lead_create(
            actor=world.admin,
            fields={"company": "Y", "country": "DE", "source": "import", "external_id": "42"},
            route=False,
        )
    services.lead_create(
        actor=world.admin,
        fields={"company": "Z", "country": "DE", "source": "api", "external_id": "42"},
        route=False,
    )


def test_partner_users_do_not_create_leads_here(world):
    with pytest.raises(NotAllowed):
        services.lead_create(actor=world.pm_a, fields={"company": "X", "country": "DE"})


def test_accept_links_a_customer_matched_by_domain(world):
    existing = Customer.objects.create(
        partner=world.a,
        company="Prospect Holding",
        normalised_name="prospect holding",
        email_domain="prospect.example",
    )
    lead = dispatched_to_a(world, company="Prospect Holding AG", email="jo@prospect.example")
    lead = services.lead_accept(lead=lead, actor=world.pe_a)
    assert lead.status == LeadStatus.ACCEPTED and lead.customer == existing
    assert lead.assigned_to == world.pe_a  # an employee accepting an unassigned lead takes it
    assert existing.contacts.filter(email="jo@prospect.example").exists()


def test_accept_creates_a_customer_when_none_matches(world):
    lead = services.lead_accept(
        lead=dispatched_to_a(world, company="Brand New KG", email="a@brandnew.example"), actor=world.pm_a
    )
    assert lead.customer.company == "Brand New KG" and lead.customer.partner == world.a


def test_only_the_holding_partner_works_the_lead(world):
    lead = dispatched_to_a(world)
    for outsider in (world.pm_c, world.pm_b, world.cm_a):
        with pytest.raises(NotAllowed):
            services.lead_accept(lead=lead, actor=outsider)


def test_employee_works_only_own_or_unassigned_leads(world):
    from tests.factories import partner_user

    colleague = partner_user(world.a, email="colleague@alpha.example")
    lead = dispatched_to_a(world)
    services.lead_assign_user(lead=lead, actor=world.pm_a, user=colleague)
    with pytest.raises(NotAllowed):
        services.lead_accept(lead=lead, actor=world.pe_a)
    services.lead_accept(lead=lead, actor=colleague)


def test_assign_only_to_members_of_the_partner(world):
    lead = dispatched_to_a(world)
    with pytest.raises(ValidationError, match="not an active member"):
        services.lead_assign_user(lead=lead, actor=world.pm_a, user=world.pe_c)
    with pytest.raises(NotAllowed):
        services.lead_assign_user(lead=lead, actor=world.pe_a, user=world.pe_a)


def test_qualify_win_and_the_transition_table(world):
    lead = services.lead_accept(lead=dispatched_to_a(world), actor=world.pm_a)
    with pytest.raises(ValidationError):
        services.lead_qualify(lead=lead, actor=world.pm_a)
    lead = services.lead_qualify(lead=lead, actor=world.pm_a, budget="EUR 50k", need="Two pumps")
    lead = services.lead_mark_won(lead=lead, actor=world.pm_a, value=Decimal("48000"))
    assert lead.status == LeadStatus.WON and lead.won_value == Decimal("48000") and lead.closed_at
    with pytest.raises(InvalidTransition):
        services.lead_mark_lost(lead=lead, actor=world.pm_a, reason="changed mind")
    assert [e.kind for e in lead.events.all()][-3:] == ["accepted", "qualified", "won"]


def test_cannot_accept_a_new_lead(world):
    lead = LeadFactory(partner=world.a, status=LeadStatus.NEW)
    with pytest.raises(InvalidTransition):
        services.lead_accept(lead=lead, actor=world.pm_a)


def test_channel_manager_dispatches_by_hand_even_a_dispatched_lead(world):
    lead = dispatched_to_a(world)
    with pytest.raises(NotAllowed):
        services.lead_dispatch_to(lead=lead, actor=world.cm_c, partner=world.c)  # A is not cm_c's
    lead = services.lead_dispatch_to(lead=lead, actor=world.cm_a, partner=world.b, reason="customer asked")
    assert (
        lead.partner == world.b
        and "by hand" in lead.dispatch_reason
        and "customer asked" in lead.dispatch_reason
    )


def test_registration_conflicts_are_recorded_and_approval_makes_a_protected_lead(world):
    LeadFactory(
        company="Omega Industries GmbH",
        email="cto@omega.example",
        partner=world.a,
        status=LeadStatus.ACCEPTED,
    )
    registration = services.registration_submit(
        actor=world.pm_c, partner=world.c, customer_company="Omega Industries", customer_domain="omega.example",
        country="FR", value=Decimal("20000"), expected_close=timezone.localdate() + timedelta(days=40),
    )  # fmt: skip
    assert registration.conflicts and registration.conflicts[0]["partner"] == world.a.name
    with pytest.raises(NotAllowed):
        services.registration_approve(registration=registration, actor=world.cm_a)
    registration = services.registration_approve(registration=registration, actor=world.cm_c)
    assert registration.status == RegistrationStatus.APPROVED
    assert registration.lead.partner == world.c and registration.lead.status == LeadStatus.ACCEPTED
    assert registration.protected_until > timezone.localdate()


def test_registration_needs_a_future_close_date_and_a_reason_to_reject(world):
    with pytest.raises(ValidationError, match="past"):
        services.registration_submit(
            actor=world.pm_c, partner=world.c, customer_company="Late SA", customer_domain="", country="FR",
            value=Decimal("1"), expected_close=timezone.localdate() - timedelta(days=1),
        )  # fmt: skip
    registration = services.registration_submit(
        actor=world.pm_c, partner=world.c, customer_company="Fine SA", customer_domain="", country="FR",
        value=Decimal("1"), expected_close=timezone.localdate() + timedelta(days=1),
    )  # fmt: skip
    with pytest.raises(ValidationError):
        services.registration_reject(registration=registration, actor=world.cm_c, reason=" ")
    services.registration_reject(registration=registration, actor=world.cm_c, reason="Already ours")
    with pytest.raises(NotAllowed):
        services.registration_submit(
            actor=world.pm_a, partner=world.c, customer_company="X", customer_domain="", country="FR",
            value=Decimal("1"), expected_close=timezone.localdate() + timedelta(days=1),
        )  # fmt: skip


def test_hand_dispatch_only_to_a_partner_of_ones_own(world):
    lead = LeadFactory()  # new, in the channel's queue
    with pytest.raises(ValidationError, match="one of your partners"):
        services.lead_dispatch_to(lead=lead, actor=world.cm_a, partner=world.c)
    assert services.lead_dispatch_to(lead=lead, actor=world.cm_a, partner=world.a).partner == world.a


def test_dispatch_rules_are_edited_by_channel_admins_with_clear_errors(world):
    from leads.models import DispatchRule

    with pytest.raises(NotAllowed):
        services.dispatch_rule_save(actor=world.cm_a, fields={"name": "X"})
    with pytest.raises(ValidationError) as exc:
        services.dispatch_rule_save(
            actor=world.admin,
            fields={"name": "Bad", "countries": ["de", "XX"], "sources": ["fax"], "strategy": "random"},
        )
    assert {"countries", "sources"} <= set(exc.value.message_dict)
    assert not DispatchRule.objects.exists()
    saved = services.dispatch_rule_save(
        actor=world.admin,
        fields={"name": "DACH", "countries": ["de", "AT"], "strategy": "weighted"},
        partners=[world.a],
    )
    assert saved.countries == ["DE", "AT"] and list(saved.partners.all()) == [world.a]
    services.dispatch_rule_delete(actor=world.admin, rule=saved)
    assert not DispatchRule.objects.exists()


def test_registration_conflicts_on_the_normalised_name_alone(world):
    LeadFactory(company="Omega Industries GmbH", email="", partner=world.a, status=LeadStatus.DISPATCHED)
    registration = services.registration_submit(
        actor=world.pm_c, partner=world.c, customer_company="OMEGA Industries", customer_domain="",
        country="FR", value=Decimal("1"), expected_close=timezone.localdate() + timedelta(days=4),
    )  # fmt: skip
    assert [c["company"] for c in registration.conflicts] == ["Omega Industries GmbH"]


def test_routing_by_hand_is_for_channel_staff(world):
    with pytest.raises(NotAllowed):
        services.lead_route(lead=LeadFactory(), actor=world.pm_a)


def test_rule_window_is_capped_at_a_year(world):
    with pytest.raises(ValidationError):
        services.dispatch_rule_save(actor=world.admin, fields={"name": "Long", "accept_within_hours": 10**9})


def test_registration_conflicts_with_another_partners_customer(world):
    from customers.models import Customer

    Customer.objects.create(
        partner=world.a,
        company="Sigma Tools GmbH",
        normalised_name="sigma tools",
        email_domain="sigma.example",
    )
    registration = services.registration_submit(
        actor=world.pm_c, partner=world.c, customer_company="Sigma Tools", customer_domain="",
        country="FR", value=Decimal("1"), expected_close=timezone.localdate() + timedelta(days=4),
    )  # fmt: skip
    assert [(c["kind"], c["partner"]) for c in registration.conflicts] == [("customer", world.a.name)]


def test_a_legal_form_alone_is_not_a_company_name(world):
    with pytest.raises(ValidationError, match="not only its legal form"):
        services.registration_submit(
            actor=world.pm_c, partner=world.c, customer_company="GmbH", customer_domain="", country="FR",
            value=Decimal("1"), expected_close=timezone.localdate() + timedelta(days=4),
        )  # fmt: skip


def test_a_qualification_can_be_corrected(world):
    lead = services.lead_accept(lead=dispatched_to_a(world), actor=world.pm_a)
    lead = services.lead_qualify(lead=lead, actor=world.pm_a, budget="10k")
    lead = services.lead_qualify(lead=lead, actor=world.pm_a, budget="12k")
    assert lead.budget == "12k" and lead.status == LeadStatus.QUALIFIED
