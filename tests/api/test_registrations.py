"""GET/POST /api/v1/deal-registrations, GET /{id}, POST /{id}/approve and /{id}/reject: partner users
register for their own partner and learn only whether there is a conflict; channel staff see the
conflicts and decide; scope, validation, workflow, query count."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from leads import services
from leads.choices import LeadSource, LeadStatus, RegistrationStatus
from leads.models import DealRegistration, Lead
from tests.factories import CategoryFactory, LeadFactory

LIST = "/api/v1/deal-registrations"


def url(registration: DealRegistration, action: str = "") -> str:
    return f"{LIST}/{registration.pk}/{action}" if action else f"{LIST}/{registration.pk}"


def assert_422(response, *fields: str) -> dict:
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["detail"] == "Validation failed"
    assert set(body["errors"]) == set(fields)
    return body["errors"]


def in_days(days: int) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def register(world, partner: str, company: str, **fields) -> DealRegistration:
    user = {"a": world.pm_a, "b": world.pm_b, "c": world.pm_c}[partner]
    values = {"customer_domain": "", "country": "DE", "value": Decimal("1000"),
              "expected_close": timezone.localdate() + timedelta(days=30)} | fields  # fmt: skip
    return services.registration_submit(
        actor=user, partner=getattr(world, partner), customer_company=company, **values
    )


def payload(**fields) -> dict:
    return {
        "customer_company": "Omega Industries",
        "customer_domain": "omega.example",
        "country": "FR",
        "value": "20000.00",
        "expected_close": in_days(40),
    } | fields


# --- POST ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["pm_c", "pe_c"])
def test_partner_user_registers_a_deal_for_their_partner(api, world, persona):
    CategoryFactory(slug="pumps")

    response = api(getattr(world, persona)).post(
        LIST, payload(category="pumps", currency="chf", notes=" Met at the fair ")
    )

    assert response.status_code == 201, response.content
    body = response.json()
    saved = DealRegistration.objects.get(pk=body["id"])
    assert saved.partner == world.c and saved.registered_by == getattr(world, persona)
    assert body["partner"] == world.c.pk
    assert body["status"] == "pending"
    assert body["conflict"] is False
    assert "conflicts" not in body
    assert (body["category"], body["currency"], body["notes"], body["value"]) == (
        "pumps",
        "CHF",
        "Met at the fair",
        "20000.00",
    )
    assert body["customer_domain"] == saved.customer_domain == "omega.example"


def test_partner_is_told_only_that_the_customer_is_taken(api, world):
    LeadFactory(company="Omega Industries GmbH", email="cto@omega.example", partner=world.a,
                status=LeadStatus.ACCEPTED)  # fmt: skip
    client = api(world.pm_c)

    created = client.post(LIST, payload())
    listed = client.get(LIST)
    detail = client.get(f"{LIST}/{created.json()['id']}")

    for body in (created.json(), listed.json()["items"][0], detail.json()):
        assert body["conflict"] is True
        assert "conflicts" not in body
    for response in (created, listed, detail):
        assert b"Alpha" not in response.content


@pytest.mark.parametrize("persona", ["admin", "cm_c"])
def test_channel_staff_see_the_conflicts(api, world, persona):
    other = LeadFactory(company="Omega Industries GmbH", email="cto@omega.example", partner=world.a,
                        status=LeadStatus.ACCEPTED)  # fmt: skip
    registration = register(world, "c", "Omega Industries", customer_domain="omega.example", country="FR")
    client = api(getattr(world, persona))

    for body in (client.get(url(registration)).json(), client.get(LIST).json()["items"][0]):
        assert body["conflict"] is True
        assert body["conflicts"] == [
            {
                "kind": "lead",
                "id": other.pk,
                "company": "Omega Industries GmbH",
                "partner_name": "Alpha Distribution",
                "status": "accepted",
            }
        ]


@pytest.mark.parametrize("persona", ["admin", "cm_a", "cm_c"])
def test_channel_staff_cannot_register_deals(api, world, persona):
    response = api(getattr(world, persona)).post(LIST, payload())

    assert response.status_code == 403
    assert not DealRegistration.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"customer_company": ""}, "customer_company"),
        ({"customer_company": "  "}, "customer_company"),
        ({"customer_domain": "not a domain"}, "customer_domain"),
        ({"customer_domain": "omega"}, "customer_domain"),
        ({"country": "FRA"}, "country"),
        ({"country": "XX"}, "country"),
        ({"category": "no-such"}, "category"),
        ({"value": -1}, "value"),
        ({"value": "1.234"}, "value"),
        ({"value": None}, "value"),
        ({"currency": "EURO"}, "currency"),
        ({"expected_close": "2026-13-01"}, "expected_close"),
        ({"expected_close": in_days(-1)}, "expected_close"),
        ({"partner": 1}, "partner"),  # unknown field: always your own partner
        ({"status": "approved"}, "status"),
    ],
)
def test_register_with_a_bad_value_gets_422_and_saves_nothing(api, world, data, field):
    assert_422(api(world.pm_c).post(LIST, payload(**data)), field)

    assert not DealRegistration.objects.exists()


def test_register_without_required_fields_gets_422(api, world):
    assert_422(api(world.pm_c).post(LIST, {}), "customer_company", "country", "value", "expected_close")


def test_register_reports_reference_and_domain_errors_at_once(api, world):
    assert_422(
        api(world.pm_c).post(LIST, payload(category="nope", customer_domain="x")),
        "category",
        "customer_domain",
    )


def test_an_email_address_gives_its_domain(api, world):
    body = api(world.pm_c).post(LIST, payload(customer_domain="Buyer@Omega.Example")).json()

    assert body["customer_domain"] == "omega.example"


# --- GET -----------------------------------------------------------------------------------------

# Registrations of alpha, beta and gamma; who sees which.
VISIBLE = {
    "admin": {"Alpha deal", "Beta deal", "Gamma deal"},
    "cm_a": {"Alpha deal", "Beta deal"},
    "cm_c": {"Gamma deal"},
    "pm_a": {"Alpha deal", "Beta deal"},
    "pe_a": {"Alpha deal"},
    "pm_b": {"Beta deal"},
    "pm_c": {"Gamma deal"},
    "pe_c": {"Gamma deal"},
}


@pytest.mark.parametrize(("persona", "visible"), VISIBLE.items())
def test_registrations_are_scoped_per_persona(api, world, persona, visible):
    made = {name: register(world, key, name) for key, name in
            (("a", "Alpha deal"), ("b", "Beta deal"), ("c", "Gamma deal"))}  # fmt: skip
    client = api(getattr(world, persona))

    listed = client.get(LIST).json()["items"]

    assert {r["customer_company"] for r in listed} == visible
    for name, registration in made.items():
        assert client.get(url(registration)).status_code == (200 if name in visible else 404)


def test_registration_list_filters_and_pages(api, world):
    made = [register(world, "c", f"Deal {n}") for n in range(4)]
    services.registration_reject(registration=made[0], actor=world.cm_c, reason="No")
    client = api(world.admin)

    assert [r["id"] for r in client.get(LIST, {"status": "rejected"}).json()["items"]] == [made[0].pk]
    assert client.get(LIST, {"partner": world.a.pk}).json()["items"] == []
    first = client.get(LIST, {"limit": 3}).json()
    second = client.get(LIST, {"limit": 3, "cursor": first["next_cursor"]}).json()
    assert [r["id"] for r in first["items"] + second["items"]] == [r.pk for r in reversed(made)]
    assert_422(client.get(LIST, {"status": "maybe"}), "status")


@pytest.mark.parametrize("persona", ["admin", "cm_c", "pm_c"])
@pytest.mark.parametrize("rows", [1, 20])
def test_registration_list_query_count_is_flat(api, world, django_assert_num_queries, persona, rows):
    category = CategoryFactory()
    for n in range(rows):
        register(world, "c", f"Deal {n}", category=category)
    client = api(getattr(world, persona))

    # 1 token and user, 2 token last_used_at, 3 actor, 4 the page (partner, category, lead and
    # registrant joined).
    with django_assert_num_queries(4):
        response = client.get(LIST, {"limit": 200})

    assert len(response.json()["items"]) == rows


# --- Approve and reject --------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["cm_c", "admin"])
def test_channel_manager_approves_and_the_deal_becomes_a_protected_lead(api, world, persona):
    registration = register(world, "c", "Omega Industries", country="FR")

    response = api(getattr(world, persona)).post(url(registration, "approve"), raw="")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "approved"
    assert body["protected_until"] == in_days(90)
    lead = Lead.objects.get(pk=body["lead"])
    assert (lead.partner, lead.status, lead.source) == (
        world.c,
        LeadStatus.ACCEPTED,
        LeadSource.DEAL_REGISTRATION,
    )
    assert body["conflicts"] == []


def test_approval_takes_the_protection_period(api, world):
    registration = register(world, "c", "Omega Industries")

    body = api(world.cm_c).post(url(registration, "approve"), {"protect_days": 30}).json()

    assert body["protected_until"] == in_days(30)


@pytest.mark.parametrize(
    "data", [{"protect_days": 0}, {"protect_days": 731}, {"protect_days": "long"}, {"days": 5}]
)
def test_approval_with_a_bad_body_gets_422(api, world, data):
    registration = register(world, "c", "Omega Industries")

    response = api(world.cm_c).post(url(registration, "approve"), data)

    assert response.status_code == 422
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.PENDING


@pytest.mark.parametrize("action", ["approve", "reject"])
@pytest.mark.parametrize(("persona", "status"), [("pm_c", 403), ("pe_c", 403), ("cm_a", 404), ("pm_a", 404)])
def test_deciding_by_anyone_else_is_refused(api, world, action, persona, status):
    registration = register(world, "c", "Omega Industries")

    response = api(getattr(world, persona)).post(
        url(registration, action), {"reason": "Mine"} if action == "reject" else {}
    )

    assert response.status_code == status
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.PENDING
    assert not Lead.objects.exists()


def test_reject_with_a_reason_the_partner_reads(api, world):
    registration = register(world, "c", "Omega Industries")

    response = api(world.cm_c).post(url(registration, "reject"), {"reason": " Already ours "})

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["reject_reason"]) == ("rejected", "Already ours")
    seen = api(world.pm_c).get(url(registration)).json()
    assert (seen["status"], seen["reject_reason"]) == ("rejected", "Already ours")


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "  "}, {"reason": "x" * 2001}])
def test_reject_needs_a_reason(api, world, body):
    registration = register(world, "c", "Omega Industries")

    assert_422(api(world.cm_c).post(url(registration, "reject"), body), "reason")
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.PENDING


@pytest.mark.parametrize("first", ["approve", "reject"])
def test_deciding_twice_gets_409(api, world, first):
    registration = register(world, "c", "Omega Industries")
    client = api(world.cm_c)
    assert (
        client.post(url(registration, first), {"reason": "No"} if first == "reject" else {}).status_code
        == 200
    )

    again = client.post(url(registration, "approve"), raw="")
    reject = client.post(url(registration, "reject"), {"reason": "No"})

    assert again.status_code == reject.status_code == 409
    assert "already" in again.json()["detail"]
    assert Lead.objects.count() == (1 if first == "approve" else 0)


@pytest.mark.parametrize("bad_id", ["999999", "0", "99999999999999999999999"])
def test_missing_registration_gets_404(api, world, bad_id):
    client = api(world.admin)

    assert client.get(f"{LIST}/{bad_id}").status_code == 404
    assert client.post(f"{LIST}/{bad_id}/approve", raw="").status_code == 404
    assert client.post(f"{LIST}/{bad_id}/reject", {"reason": "x"}).status_code == 404
