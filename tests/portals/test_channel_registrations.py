"""Channel portal: deal registrations (queue tabs, conflict details, approve, reject)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from leads import services
from leads.choices import LeadSource, LeadStatus, RegistrationStatus
from leads.models import DealRegistration, Lead
from partners.choices import Role
from tests.factories import LeadFactory, PartnerFactory, channel_user, partner_user

pytestmark = pytest.mark.django_db

LIST = "/channel/registrations/"


def detail(r) -> str:
    return reverse("channel:registration_detail", args=[r.pk])


def approve(r) -> str:
    return reverse("channel:registration_approve", args=[r.pk])


def reject(r) -> str:
    return reverse("channel:registration_reject", args=[r.pk])


def companies(response) -> list[str]:
    return [r.customer_company for r in response.context["page"].items]


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def register(user, partner, company: str, domain: str = "", **fields) -> DealRegistration:
    return services.registration_submit(
        actor=user, partner=partner, customer_company=company, customer_domain=domain, country="DE",
        value=Decimal("12000"), expected_close=timezone.localdate() + timedelta(days=30), **fields,
    )  # fmt: skip


def snapshot(r) -> tuple:
    r.refresh_from_db()
    return (r.status, r.lead_id, r.reject_reason, r.decided_by_id, Lead.objects.count())


@pytest.fixture
def conflicting(world):
    """Gamma holds an active lead for Acme; Alpha then registers Acme (same e-mail domain)."""
    other = LeadFactory(
        company="Acme Kitchens", email="buyer@acme.example", partner=world.c, status=LeadStatus.DISPATCHED
    )
    registration = register(world.pm_a, world.a, "Acme Kitchens GmbH", "acme.example", notes="Met at fair")
    return registration, other


# --- List -----------------------------------------------------------------------------------------


def test_pending_registrations_come_first_with_counts_per_tab(world, conflicting, login):
    registration, _ = conflicting
    decided = register(world.pm_b, world.b, "Decided Co")
    services.registration_reject(registration=decided, actor=world.admin, reason="Duplicate")
    register(world.pm_c, world.c, "Gamma Deal")
    response = login(world.cm_a).get(LIST)
    assert response.status_code == 200
    assert companies(response) == ["Acme Kitchens GmbH"]
    tabs = {t["key"]: t["count"] for t in response.context["tabs"]}
    assert tabs == {"pending": 1, "approved": 0, "rejected": 1, "all": 2}
    body = response.content.decode()
    assert "<title>Deal registrations · OpenPCM</title>" in body
    assert "conflict</span>" in body
    assert "Gamma Deal" not in body
    assert companies(login(world.cm_a).get(LIST + "?status=all")) == ["Decided Co", "Acme Kitchens GmbH"]
    assert companies(login(world.cm_a).get(LIST + "?status=rejected")) == ["Decided Co"]


def test_unknown_tab_shows_pending_with_a_message(world, conflicting, login):
    response = login(world.admin).get(LIST + "?status=bogus")
    assert companies(response) == ["Acme Kitchens GmbH"]
    assert any("Unknown tab" in m for m in messages_of(response))


def test_keyset_paging(world, login, settings):
    settings.PAGE_SIZE = 2
    for n in range(3):
        register(world.pm_a, world.a, f"Deal {n}")
    client = login(world.admin)
    first = client.get(LIST)
    assert companies(first) == ["Deal 2", "Deal 1"]
    second = client.get(LIST + f"?status=pending&after={first.context['page'].next_cursor}")
    assert companies(second) == ["Deal 0"]


def test_empty_state(world, login):
    body = login(world.admin).get(LIST).content.decode()
    assert "No deal registrations are waiting for a decision." in body


@pytest.mark.parametrize("persona", ["pm_a", "pe_a"])
def test_partner_users_get_403(world, conflicting, login, persona):
    registration, _ = conflicting
    client = login(getattr(world, persona))
    before = snapshot(registration)
    assert client.get(LIST).status_code == 403
    assert client.get(detail(registration)).status_code == 403
    assert client.post(approve(registration), {"protect_days": "90"}).status_code == 403
    assert client.post(reject(registration), {"reason": "x"}).status_code == 403
    assert snapshot(registration) == before


@pytest.mark.parametrize("count", [1, 20])
def test_list_queries_do_not_grow_with_rows(db, login, django_assert_num_queries, count):
    manager = channel_user(Role.CHANNEL_MANAGER)
    parent = PartnerFactory()
    parent.managers.add(manager)
    for n in range(count):
        partner = parent if n == 0 else PartnerFactory(parent=parent)
        register(partner_user(partner, Role.PARTNER_MANAGER), partner, f"Deal {n}")
    client = login(manager)
    # session, user, actor, counts per status, page rows (partner, category, lead joined) = 5
    with django_assert_num_queries(5):
        response = client.get(LIST)
    assert len(response.context["page"].items) == count


# --- Detail ---------------------------------------------------------------------------------------


def test_detail_shows_the_conflict_details_to_channel_staff(world, conflicting, login):
    registration, other = conflicting
    response = login(world.admin).get(detail(registration))
    assert response.status_code == 200
    [row] = response.context["conflicts"]
    assert row["kind"] == "Lead" and row["partner"] == "Gamma Services" and row["company"] == "Acme Kitchens"
    assert row["url"] == reverse("channel:lead_detail", args=[other.pk])
    body = response.content.decode()
    assert "<title>Deal registration Acme Kitchens GmbH · OpenPCM</title>" in body
    assert "Gamma Services" in body and "Met at fair" in body and "acme.example" in body
    assert "Approve" in body and "Reject" in body


def test_a_conflict_the_manager_may_not_open_is_shown_without_a_link(world, conflicting, login):
    registration, _ = conflicting
    [row] = login(world.cm_a).get(detail(registration)).context["conflicts"]
    assert row["partner"] == "Gamma Services" and row["url"] is None


def test_a_registration_without_conflicts_says_so(world, login):
    registration = register(world.pm_b, world.b, "Quiet Customer")
    body = login(world.cm_a).get(detail(registration)).content.decode()
    assert "No other partner had this customer" in body


def test_a_manager_of_another_partner_gets_404(world, conflicting, login):
    registration, _ = conflicting
    client = login(world.cm_c)
    before = snapshot(registration)
    assert client.get(detail(registration)).status_code == 404
    assert client.post(approve(registration), {"protect_days": "90"}).status_code == 404
    assert client.post(reject(registration), {"reason": "Mine"}).status_code == 404
    assert snapshot(registration) == before


@pytest.mark.parametrize("count", [1, 20])
def test_detail_queries_do_not_grow_with_conflicts(world, login, django_assert_num_queries, count):
    for n in range(count):
        LeadFactory(
            company=f"Other {n}", email=f"x{n}@acme.example", partner=world.c, status=LeadStatus.DISPATCHED
        )
    registration = register(world.pm_a, world.a, "Acme", "acme.example")
    assert len(registration.conflicts) == count
    client = login(world.cm_a)
    # session, user, actor, registration (partner, category, lead, registering and deciding users
    # joined), visible conflicting leads, whether the manager manages the partner = 6
    with django_assert_num_queries(6):
        response = client.get(detail(registration))
    assert len(response.context["conflicts"]) == count


# --- Decisions ------------------------------------------------------------------------------------


def test_approve_makes_a_protected_lead_of_the_partner(world, conflicting, login):
    registration, _ = conflicting
    response = login(world.cm_a).post(approve(registration), {"protect_days": "30"}, follow=True)
    assert response.redirect_chain[-1][0] == detail(registration)
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.APPROVED and registration.decided_by == world.cm_a
    assert registration.protected_until == timezone.localdate() + timedelta(days=30)
    lead = registration.lead
    assert lead.partner == world.a and lead.status == LeadStatus.ACCEPTED
    assert lead.source == LeadSource.DEAL_REGISTRATION
    [message] = messages_of(response)
    assert message.startswith("Registration of Acme Kitchens GmbH approved: it is now a lead of Alpha")
    body = response.content.decode()
    assert "Protected until" in body and "Approve</button>" not in body


@pytest.mark.parametrize("days", ["0", "abc", "9999", ""])
def test_approve_with_a_bad_protection_period_changes_nothing(world, conflicting, login, days):
    registration, _ = conflicting
    before = snapshot(registration)
    response = login(world.cm_a).post(approve(registration), {"protect_days": days})
    assert response.status_code == 400
    assert "protect_days" in response.context["approve_form"].errors
    assert snapshot(registration) == before


def test_reject_needs_a_reason(world, conflicting, login):
    registration, _ = conflicting
    before = snapshot(registration)
    response = login(world.cm_a).post(reject(registration), {"reason": ""})
    assert response.status_code == 400
    assert "reason" in response.context["reject_form"].errors
    response = login(world.cm_a).post(reject(registration), {"reason": "   "})
    assert response.status_code == 400
    assert snapshot(registration) == before


def test_reject_with_a_reason(world, conflicting, login):
    registration, _ = conflicting
    response = login(world.cm_a).post(reject(registration), {"reason": "Gamma had it first"}, follow=True)
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.REJECTED
    assert registration.reject_reason == "Gamma had it first"
    assert messages_of(response) == ["Registration of Acme Kitchens GmbH rejected."]
    assert "Gamma had it first" in response.content.decode()


def test_deciding_twice_is_refused_with_a_message(world, conflicting, login):
    registration, _ = conflicting
    client = login(world.admin)
    client.post(reject(registration), {"reason": "No"}, follow=True)
    before = snapshot(registration)
    response = client.post(approve(registration), {"protect_days": "90"}, follow=True)
    assert response.redirect_chain[-1][0] == detail(registration)
    assert messages_of(response) == ["This registration is already rejected."]
    assert snapshot(registration) == before


@pytest.mark.parametrize("action", [approve, reject])
def test_decisions_only_answer_post(world, conflicting, login, action):
    registration, _ = conflicting
    assert login(world.admin).get(action(registration)).status_code == 405
