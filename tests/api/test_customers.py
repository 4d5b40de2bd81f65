"""GET /api/v1/customers and /api/v1/customers/{id}: scoped like leads, filters, paging, contacts on
the detail, query counts."""

from __future__ import annotations

import pytest

from customers.models import Contact, Customer
from customers.services import customer_match_or_create

LIST = "/api/v1/customers"


def url(customer: Customer) -> str:
    return f"{LIST}/{customer.pk}"


def customer_of(partner, company: str, **fields) -> Customer:
    return customer_match_or_create(partner_id=partner.pk, company=company, **fields)


@pytest.fixture
def customers(world) -> dict[str, Customer]:
    return {
        "a": customer_of(
            world.a,
            "Omega Industries",
            email="jo@omega.example",
            country="DE",
            city="Munich",
            contact_name="Jo Omega",
        ),  # fmt: skip
        "b": customer_of(world.b, "Beta Buyer", country="AT"),
        "c": customer_of(world.c, "Gamma Client", country="FR"),
    }


VISIBLE = {
    "admin": {"a", "b", "c"},
    "cm_a": {"a", "b"},
    "cm_c": {"c"},
    "pm_a": {"a", "b"},
    "pe_a": {"a"},
    "pm_b": {"b"},
    "pm_c": {"c"},
    "pe_c": {"c"},
}


@pytest.mark.parametrize(("persona", "visible"), VISIBLE.items())
def test_customers_are_scoped_per_persona(api, world, customers, persona, visible):
    client = api(getattr(world, persona))

    listed = client.get(LIST)

    assert listed.status_code == 200
    assert {c["id"] for c in listed.json()["items"]} == {customers[k].pk for k in visible}
    for key, customer in customers.items():
        response = client.get(url(customer))
        if key in visible:
            assert response.status_code == 200
        else:
            assert response.status_code == 404
            assert response.json() == {"detail": "Not found."}


def test_customer_detail_carries_the_fields_and_contacts(api, world, customers):
    customer = customers["a"]
    Contact.objects.create(customer=customer, partner=world.a, name="Al Buyer", email="al@omega.example",
                           role="Purchasing")  # fmt: skip

    body = api(world.pm_a).get(url(customer)).json()

    assert body["id"] == customer.pk
    assert (body["company"], body["email_domain"], body["country"], body["city"], body["partner"]) == (
        "Omega Industries",
        "omega.example",
        "DE",
        "Munich",
        world.a.pk,
    )
    assert {"created_at", "updated_at", "address", "postal_code", "industry"} <= set(body)
    assert [(c["name"], c["email"], c["role"]) for c in body["contacts"]] == [
        ("Al Buyer", "al@omega.example", "Purchasing"),
        ("Jo Omega", "jo@omega.example", ""),
    ]


def test_customer_list_has_no_contacts(api, world, customers):
    items = api(world.admin).get(LIST).json()["items"]

    assert all("contacts" not in item for item in items)


def test_customer_list_filters(api, world, customers):
    client = api(world.admin)

    def ids(params):
        return [c["id"] for c in client.get(LIST, params).json()["items"]]

    assert ids({"q": "omega.exa"}) == [customers["a"].pk]
    assert ids({"q": "gamma"}) == [customers["c"].pk]
    assert ids({"partner": world.b.pk}) == [customers["b"].pk]
    assert ids({"country": "fr"}) == [customers["c"].pk]
    assert api(world.pm_c).get(LIST, {"partner": world.a.pk}).json()["items"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [({"country": "FRA"}, "country"), ({"partner": "x"}, "partner"), ({"cursor": "nope"}, "cursor")],
)
def test_bad_customer_list_parameters_get_422(api, world, params, field):
    response = api(world.admin).get(LIST, params)

    assert response.status_code == 422
    assert list(response.json()["errors"]) == [field]


def test_customer_list_is_newest_first_and_pages(api, world):
    made = [customer_of(world.a, f"Customer {n}") for n in range(5)]
    client = api(world.admin)

    first = client.get(LIST, {"limit": 3}).json()
    second = client.get(LIST, {"limit": 3, "cursor": first["next_cursor"]}).json()

    assert [c["id"] for c in first["items"] + second["items"]] == [c.pk for c in reversed(made)]
    assert second["next_cursor"] is None


@pytest.mark.parametrize("bad_id", ["999999", "0", "99999999999999999999999"])
def test_missing_customer_gets_404(api, world, bad_id):
    assert api(world.admin).get(f"{LIST}/{bad_id}").status_code == 404


def test_customer_routes_need_a_token(api, customers):
    client = api(None)

    assert client.get(LIST).status_code == 401
    assert client.get(url(customers["a"])).status_code == 401


@pytest.mark.parametrize("persona", ["admin", "cm_a", "pm_a", "pe_a"])
@pytest.mark.parametrize("rows", [1, 20])
def test_customer_list_query_count_is_flat(api, world, django_assert_num_queries, persona, rows):
    for n in range(rows):
        customer_of(world.a, f"Customer {n}")
    client = api(getattr(world, persona))

    # 1 token and user, 2 token last_used_at, 3 actor, 4 the page (the scope is a subquery).
    with django_assert_num_queries(4):
        response = client.get(LIST, {"limit": 200})

    assert len(response.json()["items"]) == rows


@pytest.mark.parametrize("contacts", [1, 20])
def test_customer_detail_query_count_is_flat(api, world, django_assert_num_queries, contacts):
    customer = customer_of(world.a, "Omega")
    for n in range(contacts):
        Contact.objects.create(customer=customer, partner=world.a, name=f"Person {n}")
    client = api(world.cm_a)

    # token, last_used_at, actor, the customer, its contacts.
    with django_assert_num_queries(5):
        response = client.get(url(customer))

    assert len(response.json()["contacts"]) == contacts
