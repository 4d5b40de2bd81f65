"""POST /api/v1/leads, GET /api/v1/leads and /api/v1/leads/{id}: roles, scope, validation, filters,
keyset paging, query counts, and the OpenAPI document."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from leads.choices import LeadStatus
from leads.models import Lead, LeadEvent, LeadSettings
from tests.factories import CategoryFactory, LeadFactory, partner_user, rule

LIST = "/api/v1/leads"


def url(lead: Lead) -> str:
    return f"{LIST}/{lead.pk}"


def assert_422(response, *fields: str) -> dict:
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["detail"] == "Validation failed"
    assert set(body["errors"]) == set(fields)
    for messages in body["errors"].values():
        assert messages and all(isinstance(m, str) and m for m in messages)
    return body["errors"]


@dataclass
class Leads:
    a: Lead  # alpha's, unassigned
    a_pe: Lead  # alpha's, assigned to pe_a
    a_other: Lead  # alpha's, assigned to another alpha employee
    b: Lead  # beta's (alpha's reseller)
    c: Lead  # gamma's, unassigned
    queue: Lead  # no partner yet: the channel's queue


@pytest.fixture
def leads(world) -> Leads:
    colleague = partner_user(world.a, email="colleague@alpha.example")
    dispatched = {"status": LeadStatus.DISPATCHED}
    return Leads(
        a=LeadFactory(company="Alpha One", partner=world.a, **dispatched),
        a_pe=LeadFactory(company="Alpha Mine", partner=world.a, assigned_to=world.pe_a, **dispatched),
        a_other=LeadFactory(company="Alpha Other", partner=world.a, assigned_to=colleague, **dispatched),
        b=LeadFactory(company="Beta One", partner=world.b, **dispatched),
        c=LeadFactory(company="Gamma One", partner=world.c, **dispatched),
        queue=LeadFactory(company="Queue One"),
    )


# What each persona of the world may see (DESIGN.md, access policy).
VISIBLE = {
    "admin": {"a", "a_pe", "a_other", "b", "c", "queue"},
    "cm_a": {"a", "a_pe", "a_other", "b", "queue"},
    "cm_c": {"c", "queue"},
    "pm_a": {"a", "a_pe", "a_other", "b"},
    "pe_a": {"a", "a_pe"},
    "pm_b": {"b"},
    "pm_c": {"c"},
    "pe_c": {"c"},
}
NAMES = ("a", "a_pe", "a_other", "b", "c", "queue")


def companies(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [lead["company"] for lead in response.json()["items"]]


# --- List and detail: the scope ------------------------------------------------------------------


@pytest.mark.parametrize(("persona", "visible"), VISIBLE.items())
def test_lead_list_is_scoped_per_persona(api, world, leads, persona, visible):
    response = api(getattr(world, persona)).get(LIST)

    assert set(companies(response)) == {getattr(leads, name).company for name in visible}
    assert response.json()["next_cursor"] is None


@pytest.mark.parametrize(("persona", "visible"), VISIBLE.items())
def test_lead_detail_answers_in_scope_and_404_outside(api, world, leads, persona, visible):
    client = api(getattr(world, persona))

    for name in NAMES:
        response = client.get(url(getattr(leads, name)))
        if name in visible:
            assert response.status_code == 200, name
            assert response.json()["id"] == getattr(leads, name).pk
        else:
            assert response.status_code == 404, name
            assert response.json() == {"detail": "Not found."}


def test_user_without_a_role_sees_no_leads(api, leads, db):
    from tests.factories import UserFactory

    client = api(UserFactory(email="norole@example.com"))

    assert companies(client.get(LIST)) == []
    assert client.get(url(leads.a)).status_code == 404


@pytest.mark.parametrize("bad_id", ["999999", "0", "99999999999999999999999"])
def test_missing_or_impossible_lead_id_gets_404(api, world, bad_id):
    assert api(world.admin).get(f"{LIST}/{bad_id}").status_code == 404


def test_non_numeric_lead_id_gets_422(api, world):
    assert_422(api(world.admin).get(f"{LIST}/first"), "id")


def test_lead_carries_the_documented_fields(api, world):
    category = CategoryFactory(slug="pumps", name="Pumps")
    lead = LeadFactory(
        company="Omega Industries",
        contact_name="Jo Omega",
        email="jo@omega.example",
        phone="+49 89 1",
        country="DE",
        region="Bavaria",
        postal_code="80331",
        city="Munich",
        latitude="48.137154",
        longitude="11.576124",
        category=category,
        estimated_value="25000.50",
        currency="EUR",
        source="import",
        campaign_code="SPRING",
        external_id="crm-42",
        partner=world.a,
        assigned_to=world.pe_a,
        status=LeadStatus.DISPATCHED,
        dispatch_reason="Rule “DACH”: Alpha Distribution, the only candidate.",
    )

    body = api(world.admin).get(url(lead)).json()

    assert body["id"] == lead.pk
    assert body["status"] == "dispatched"
    assert body["partner"] == world.a.pk
    assert body["assigned_to"] == "pe@alpha.example"
    assert body["customer"] is None
    assert body["company"] == "Omega Industries"
    assert body["country"] == "DE"
    assert body["estimated_value"] == "25000.50"
    assert body["source"] == "import"
    assert body["category"] == "pumps"
    assert body["dispatch_reason"].startswith("Rule “DACH”")
    assert body["latitude"] == pytest.approx(48.137154)
    assert body["qualification"] == {"budget": "", "authority": "", "need": "", "timeline": "", "notes": ""}
    assert {
        "accept_by",
        "contact_name",
        "email",
        "phone",
        "city",
        "postal_code",
        "region",
        "currency",
        "campaign_code",
        "external_id",
        "created_at",
        "updated_at",
    } <= set(body)


# --- Filters and paging --------------------------------------------------------------------------


def test_lead_list_filters(api, world, leads):
    LeadFactory(company="Imported Co", source="import", partner=world.c, status=LeadStatus.DISPATCHED)
    client = api(world.admin)

    assert companies(client.get(LIST, {"status": "new"})) == ["Queue One"]
    assert set(companies(client.get(LIST, {"partner": world.b.pk}))) == {"Beta One"}
    assert companies(client.get(LIST, {"source": "import"})) == ["Imported Co"]
    assert set(companies(client.get(LIST, {"q": "alpha"}))) == {"Alpha One", "Alpha Mine", "Alpha Other"}
    assert companies(client.get(LIST, {"q": "gamma", "status": "dispatched", "partner": world.c.pk})) == [
        "Gamma One"
    ]


def test_filters_never_widen_the_scope(api, world, leads):
    client = api(world.pm_c)

    assert companies(client.get(LIST, {"partner": world.a.pk})) == []
    assert companies(client.get(LIST, {"q": "alpha"})) == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "sleeping"}, "status"),
        ({"source": "fax"}, "source"),
        ({"partner": "alpha"}, "partner"),
        ({"partner": 0}, "partner"),
        ({"q": "x" * 201}, "q"),
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
    ],
)
def test_bad_list_parameters_get_422(api, world, params, field):
    assert_422(api(world.admin).get(LIST, params), field)


def test_lead_list_is_newest_first_and_pages_by_cursor(api, world):
    made = [LeadFactory(company=f"Paged {n}") for n in range(5)]
    client = api(world.admin)

    first = client.get(LIST, {"limit": 2}).json()
    second = client.get(LIST, {"limit": 2, "cursor": first["next_cursor"]}).json()
    third = client.get(LIST, {"limit": 2, "cursor": second["next_cursor"]}).json()

    ids = [lead["id"] for page in (first, second, third) for lead in page["items"]]
    assert ids == [lead.pk for lead in reversed(made)]
    assert third["next_cursor"] is None


def test_a_cursor_of_another_list_gets_422(api, world):
    from core.paging import encode_cursor

    cursor = encode_cursor("name", "Alpha", 1)

    assert_422(api(world.admin).get(LIST, {"cursor": cursor}), "cursor")


@pytest.mark.parametrize("persona", ["admin", "cm_a", "pm_a", "pe_a"])
@pytest.mark.parametrize("rows", [1, 20])
def test_lead_list_query_count_is_flat(api, world, django_assert_num_queries, persona, rows):
    category = CategoryFactory()
    LeadFactory.create_batch(
        rows, partner=world.a, status=LeadStatus.DISPATCHED, assigned_to=world.pe_a, category=category
    )
    client = api(getattr(world, persona))

    # 1 token and user, 2 token last_used_at, 3 actor (groups, membership), 4 the page (partner,
    # assignee and category joined; the scope is a subquery).
    with django_assert_num_queries(4):
        response = client.get(LIST, {"limit": 200, "q": "prospect", "status": "dispatched"})

    assert len(response.json()["items"]) == rows


def test_lead_detail_query_count(api, world, leads, django_assert_num_queries):
    client = api(world.cm_a)

    # token, last_used_at, actor, the lead (relations joined).
    with django_assert_num_queries(4):
        assert client.get(url(leads.b)).status_code == 200


# --- Create --------------------------------------------------------------------------------------


def test_channel_manager_creates_a_lead_that_is_routed_at_once(api, world):
    rule("DACH", countries=["DE", "AT"], partners=[world.a])
    category = CategoryFactory(slug="pumps")

    response = api(world.cm_a).post(
        LIST,
        {
            "company": "  Omega Industries GmbH ",
            "country": "de",
            "contact_name": "Jo Omega",
            "email": "jo@omega.example",
            "city": "Munich",
            "category": "pumps",
            "estimated_value": "12500.50",
            "currency": "eur",
            "external_id": "crm-1",
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    lead = Lead.objects.get(pk=body["id"])
    assert (lead.company, lead.country, lead.category, lead.currency) == (
        "Omega Industries GmbH",
        "DE",
        category,
        "EUR",
    )
    assert lead.created_by == world.cm_a
    assert body["source"] == "api"
    assert body["status"] == "dispatched"
    assert body["partner"] == world.a.pk
    assert body["accept_by"] is not None
    assert "DACH" in body["dispatch_reason"]
    assert body["estimated_value"] == "12500.50"
    assert list(LeadEvent.objects.filter(lead=lead).values_list("kind", flat=True)) == [
        "created",
        "dispatched",
    ]


def test_created_lead_waits_in_the_queue_when_automatic_routing_is_off(api, world):
    LeadSettings.objects.update_or_create(pk=1, defaults={"auto_route": False})
    rule("All", partners=[world.a])

    body = api(world.admin).post(LIST, {"company": "Queued", "country": "FR", "source": "channel"}).json()

    assert (body["status"], body["partner"], body["source"]) == ("new", None, "channel")


def test_created_lead_no_rule_can_route_is_unroutable(api, world):
    body = api(world.admin).post(LIST, {"company": "Nowhere", "country": "JP"}).json()

    assert body["status"] == "unroutable"
    assert "No rule found a partner" in body["dispatch_reason"]


@pytest.mark.parametrize("persona", ["pm_a", "pe_a", "pm_b", "pm_c"])
def test_partner_users_cannot_create_leads(api, world, persona):
    response = api(getattr(world, persona)).post(LIST, {"company": "Sneaky", "country": "DE"})

    assert response.status_code == 403
    assert response.json()["detail"]
    assert not Lead.objects.exists()


def test_create_without_required_fields_gets_422(api, world):
    errors = assert_422(api(world.admin).post(LIST, {}), "company", "country")

    assert errors["company"] == ["This field is required."]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"company": ""}, "company"),
        ({"company": "   "}, "company"),
        ({"company": None}, "company"),
        ({"company": "x" * 201}, "company"),
        ({"country": "DEU"}, "country"),
        ({"country": "XX"}, "country"),
        ({"email": "not-an-address"}, "email"),
        ({"estimated_value": -1}, "estimated_value"),
        ({"estimated_value": "1.234"}, "estimated_value"),
        ({"estimated_value": 10**15}, "estimated_value"),
        ({"estimated_value": True}, "estimated_value"),
        ({"estimated_value": "NaN"}, "estimated_value"),
        ({"currency": "EURO"}, "currency"),
        ({"currency": "€"}, "currency"),
        ({"source": "fax"}, "source"),
        ({"source": "deal_registration"}, "source"),
        ({"category": "no-such-category"}, "category"),
        ({"latitude": 48.1}, "longitude"),
        ({"longitude": 200, "latitude": 1}, "longitude"),
        ({"latitude": 11.1234567, "longitude": 1}, "latitude"),
        ({"city": "Nul\x00City"}, "city"),
        ({"partner": 1}, "partner"),  # unknown field: dispatch is its own route
        ({"status": "won"}, "status"),  # unknown field: the workflow moves it
    ],
)
def test_create_with_a_bad_value_gets_422_and_saves_nothing(api, world, data, field):
    assert_422(api(world.admin).post(LIST, {"company": "Golf", "country": "DE"} | data), field)

    assert not Lead.objects.exists()


def test_create_reports_reference_and_field_errors_at_once(api, world):
    assert_422(
        api(world.admin).post(LIST, {"company": "Golf", "country": "XX", "category": "nope", "email": "bad"}),
        "category",
        "country",
        "email",
    )


def test_external_id_is_unique_per_source(api, world):
    client = api(world.admin)
    assert client.post(LIST, {"company": "One", "country": "DE", "external_id": "crm-7"}).status_code == 201

    errors = assert_422(
        client.post(LIST, {"company": "Two", "country": "DE", "external_id": "crm-7"}), "external_id"
    )

    assert "crm-7" in errors["external_id"][0]
    assert Lead.objects.count() == 1
    other_source = {"company": "Three", "country": "DE", "external_id": "crm-7", "source": "import"}
    assert client.post(LIST, other_source).status_code == 201


def test_create_with_malformed_json_gets_400_and_saves_nothing(api, world):
    response = api(world.admin).post(LIST, raw='{"company": "Kilo", "country": ')

    assert response.status_code == 400
    assert not Lead.objects.exists()


def test_routes_need_a_bearer_token(api, world, leads):
    client = api(None)

    assert client.get(LIST).status_code == 401
    assert client.get(url(leads.a)).status_code == 401
    assert client.post(LIST, {"company": "X", "country": "DE"}).status_code == 401
    assert not Lead.objects.filter(company="X").exists()


# --- The OpenAPI document ------------------------------------------------------------------------

NEW_PATHS = {
    "/api/v1/leads": {"get", "post"},
    "/api/v1/leads/{id}": {"get"},
    "/api/v1/leads/{id}/dispatch": {"post"},
    "/api/v1/leads/{id}/proposals": {"get"},
    "/api/v1/leads/{id}/accept": {"post"},
    "/api/v1/leads/{id}/decline": {"post"},
    "/api/v1/leads/{id}/assign": {"post"},
    "/api/v1/leads/{id}/qualify": {"post"},
    "/api/v1/leads/{id}/won": {"post"},
    "/api/v1/leads/{id}/lost": {"post"},
    "/api/v1/dispatch-rules": {"get", "post"},
    "/api/v1/dispatch-rules/{id}": {"patch", "delete"},
    "/api/v1/deal-registrations": {"get", "post"},
    "/api/v1/deal-registrations/{id}": {"get"},
    "/api/v1/deal-registrations/{id}/approve": {"post"},
    "/api/v1/deal-registrations/{id}/reject": {"post"},
    "/api/v1/customers": {"get"},
    "/api/v1/customers/{id}": {"get"},
}


def test_openapi_document_lists_the_lead_routes(client, db):
    schema = client.get("/api/v1/openapi.json").json()

    for path, methods in NEW_PATHS.items():
        assert path in schema["paths"], path
        assert set(schema["paths"][path]) == methods, path
    lead = schema["components"]["schemas"]["LeadOut"]["properties"]
    assert {"id", "status", "partner", "assigned_to", "company", "country", "estimated_value", "source",
            "accept_by", "dispatch_reason"} <= set(lead)  # fmt: skip
    rule_schema = schema["components"]["schemas"]["RuleOut"]["properties"]
    assert {"id", "name", "priority", "active", "countries", "partners", "strategy",
            "accept_within_hours"} <= set(rule_schema)  # fmt: skip
