"""Channel portal: the customers of the user's partners and a customer's page (contacts, leads,
orders and service requests)."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.urls import reverse

from customers.models import Contact, Customer
from leads.choices import LeadStatus
from orders.choices import OrderStatus
from partners.choices import Role
from service import services as service_services
from service.choices import Severity
from tests.factories import (
    CategoryFactory,
    LeadFactory,
    PartnerFactory,
    UserFactory,
    channel_user,
    partner_user,
)
from tests.portals.orders_helpers import make_order, stock_catalogue

pytestmark = pytest.mark.django_db

LIST = "/channel/customers/"


def url(**params: str) -> str:
    return LIST + ("?" + urlencode(params) if params else "")


def detail(customer) -> str:
    return reverse("channel:customer_detail", args=[customer.pk])


def companies(response) -> list[str]:
    return [c.company for c in response.context["page"].items]


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def service_request(cust, actor, subject="Display stays dark", **fields):
    """A service request of `cust` registered by `actor` (a partner user) through the service."""
    return service_services.request_create(
        actor=actor,
        subject=subject,
        description="The customer says it does not start.",
        customer=cust,
        **fields,
    )


def order_numbers(response) -> list[str]:
    return [order.number for order in response.context["orders"]]


def request_ids(response) -> list[int]:
    return [r.pk for r in response.context["service_requests"]]


def customer(partner, company: str, **fields) -> Customer:
    return Customer.objects.create(
        partner=partner, company=company, normalised_name=company.lower(), **fields
    )


@pytest.fixture
def book(world):
    """A customer of each partner, oldest first."""
    return {
        "a": customer(world.a, "Acme Kitchens", email_domain="acme.example", country="DE", city="Munich"),
        "b": customer(world.b, "Bergbau Wien", country="AT", industry="Mining"),
        "c": customer(world.c, "Crêperie Lyon", country="FR"),
    }


def test_admin_sees_every_customer_newest_first(world, book, login):
    response = login(world.admin).get(LIST)
    assert response.status_code == 200
    assert companies(response) == ["Crêperie Lyon", "Bergbau Wien", "Acme Kitchens"]
    assert "<title>Customers · OpenPCM</title>" in response.content.decode()


def test_channel_manager_sees_their_partners_customers_only(world, book, login):
    response = login(world.cm_a).get(LIST)
    assert companies(response) == ["Bergbau Wien", "Acme Kitchens"]
    assert "Crêperie" not in response.content.decode()


def test_filters_by_search_partner_and_country(world, book, login):
    client = login(world.admin)
    assert companies(client.get(url(q="acme.example"))) == ["Acme Kitchens"]
    assert companies(client.get(url(q="bergbau"))) == ["Bergbau Wien"]
    assert companies(client.get(url(partner=str(world.c.pk)))) == ["Crêperie Lyon"]
    assert companies(client.get(url(country="AT"))) == ["Bergbau Wien"]


def test_a_partner_filter_outside_the_scope_is_ignored_with_a_message(world, book, login):
    response = login(world.cm_a).get(url(partner=str(world.c.pk)))
    assert companies(response) == ["Bergbau Wien", "Acme Kitchens"]
    assert any("not one of yours" in m for m in messages_of(response))


@pytest.mark.parametrize("params", [{"country": "ZZ"}, {"partner": "x"}])
def test_unknown_filter_values_are_reported_and_ignored(world, book, login, params):
    response = login(world.admin).get(url(**params))
    assert len(companies(response)) == 3
    assert any("not understood" in m for m in messages_of(response))


def test_keyset_paging(world, login, settings):
    settings.PAGE_SIZE = 2
    for n in range(3):
        customer(world.a, f"Customer {n}")
    client = login(world.admin)
    first = client.get(url())
    assert companies(first) == ["Customer 2", "Customer 1"]
    second = client.get(url(after=first.context["page"].next_cursor))
    assert companies(second) == ["Customer 0"]
    back = client.get(url(before=second.context["page"].prev_cursor))
    assert companies(back) == ["Customer 2", "Customer 1"]


def test_empty_states(world, login):
    client = login(world.admin)
    assert "Your partners have no customers yet." in client.get(LIST).content.decode()
    customer(world.a, "Someone")
    assert "No customers match these filters." in client.get(url(q="nobody")).content.decode()


@pytest.mark.parametrize("persona", ["pm_a", "pe_a"])
def test_partner_users_get_403(world, book, login, persona):
    client = login(getattr(world, persona))
    assert client.get(LIST).status_code == 403
    assert client.get(detail(book["a"])).status_code == 403


@pytest.mark.parametrize("count", [1, 20])
def test_list_queries_do_not_grow_with_rows(db, login, django_assert_num_queries, count):
    manager = channel_user(Role.CHANNEL_MANAGER)
    parent = PartnerFactory()
    parent.managers.add(manager)
    for n in range(count):
        customer(parent if n == 0 else PartnerFactory(parent=parent), f"Customer {n}")
    client = login(manager)
    # session, user, actor, partner picker, page rows (partner joined) = 5
    with django_assert_num_queries(5):
        response = client.get(url(country=""))
    assert len(response.context["page"].items) == count


# --- Detail ---------------------------------------------------------------------------------------


def test_detail_shows_company_partner_contacts_and_leads(world, book, login):
    acme = book["a"]
    Contact.objects.create(
        customer=acme, partner=world.a, name="Jo Buyer", email="jo@acme.example", role="CFO"
    )
    won = LeadFactory(company="Acme Kitchens", partner=world.a, customer=acme, status=LeadStatus.WON)
    LeadFactory(company="Unrelated", partner=world.a)
    response = login(world.cm_a).get(detail(acme))
    assert response.status_code == 200
    body = response.content.decode()
    assert "<title>Customer Acme Kitchens · OpenPCM</title>" in body
    assert "Alpha Distribution" in body and "Munich" in body
    assert "Jo Buyer" in body and "CFO" in body
    assert [lead.pk for lead in response.context["leads"]] == [won.pk]
    assert reverse("channel:lead_detail", args=[won.pk]) in body
    assert "Unrelated" not in body


def test_detail_without_contacts_or_leads_says_so(world, book, login):
    body = login(world.admin).get(detail(book["c"])).content.decode()
    assert "No contacts yet." in body and "No leads of this customer that you can see." in body
    assert "No orders of this customer that you can see." in body
    assert "No service requests of this customer that you can see." in body


def test_detail_shows_the_customers_orders_and_service_requests(world, book, login):
    catalogue = stock_catalogue(world)
    acme = book["a"]
    shipped = make_order(world, catalogue, "a", customer=acme, status=OrderStatus.SHIPPED)
    submitted = make_order(world, catalogue, "a", customer=acme)
    elsewhere = make_order(world, catalogue, "a", company="Someone Else AG")
    problem = service_request(acme, world.pe_a, "Pump trips at start", severity=Severity.HIGH)
    service_request(customer(world.a, "Other Kunde"), world.pe_a, "Another customer's problem")
    response = login(world.cm_a).get(detail(acme))
    body = response.content.decode()
    assert order_numbers(response) == [submitted.number, shipped.number]
    assert reverse("channel:order_detail", args=[shipped.pk]) in body
    assert reverse("channel:order_detail", args=[elsewhere.pk]) not in body
    assert "Shipped" in body and "Submitted" in body and "43.50 EUR" in body  # 2 × 9.00 + 25.50
    assert request_ids(response) == [problem.pk]
    assert reverse("channel:service_request_detail", args=[problem.pk]) in body
    assert f"{problem.reference}: Pump trips at start" in body and "High" in body
    assert "Another customer" not in body


def test_another_partners_orders_and_requests_never_show(world, login):
    """The same company at a partner the manager does not manage is another customer."""
    catalogue = stock_catalogue(world)
    ours = customer(world.a, "Twin GmbH")
    theirs = customer(world.c, "Twin GmbH")
    mine = make_order(world, catalogue, "a", customer=ours)
    foreign = make_order(world, catalogue, "c", customer=theirs)
    foreign_request = service_request(theirs, world.pe_c, "Gamma's problem")
    response = login(world.cm_a).get(detail(ours))
    body = response.content.decode()
    assert order_numbers(response) == [mine.number] and request_ids(response) == []
    assert foreign.number not in body
    assert reverse("channel:service_request_detail", args=[foreign_request.pk]) not in body
    gamma = login(world.cm_c).get(detail(theirs))
    assert order_numbers(gamma) == [foreign.number] and request_ids(gamma) == [foreign_request.pk]


def test_a_resellers_customer_shows_its_orders_to_the_distributors_manager(world, book, login):
    catalogue = stock_catalogue(world)
    order = make_order(world, catalogue, "b", customer=book["b"])
    problem = service_request(book["b"], world.pm_b, "Reseller's problem")
    response = login(world.cm_a).get(detail(book["b"]))
    assert order_numbers(response) == [order.number] and request_ids(response) == [problem.pk]


def test_only_the_newest_orders_and_requests_are_listed_with_a_search_link(world, login, monkeypatch):
    monkeypatch.setattr("portals.channel.customers.DETAIL_ORDERS", 2)
    monkeypatch.setattr("portals.channel.customers.DETAIL_REQUESTS", 2)
    catalogue = stock_catalogue(world)
    acme = customer(world.a, "Acme & Co")
    orders = [make_order(world, catalogue, "a", customer=acme) for _ in range(3)]
    requests = [service_request(acme, world.pe_a, f"Problem {n}") for n in range(3)]
    response = login(world.admin).get(detail(acme))
    assert order_numbers(response) == [orders[2].number, orders[1].number]
    assert request_ids(response) == [requests[2].pk, requests[1].pk]
    assert response.context["more_orders"] and response.context["more_requests"]
    assert "/channel/orders/?q=Acme%20%26%20Co" in response.content.decode()


def test_a_manager_of_another_partner_gets_404(world, book, login):
    assert login(world.cm_c).get(detail(book["a"])).status_code == 404
    assert login(world.cm_a).get(detail(book["c"])).status_code == 404


def test_an_unknown_customer_is_404(world, login):
    assert login(world.admin).get("/channel/customers/999999/").status_code == 404


@pytest.mark.parametrize(("persona", "queries"), [("cm_a", 9), ("admin", 8)])
@pytest.mark.parametrize("count", [1, 20])
def test_detail_queries_do_not_grow_with_rows(
    world, login, django_assert_num_queries, monkeypatch, count, persona, queries
):
    monkeypatch.setattr("portals.channel.customers.DETAIL_ORDERS", 20)
    monkeypatch.setattr("portals.channel.customers.DETAIL_REQUESTS", 20)
    catalogue = stock_catalogue(world)
    employees = [world.pe_a, partner_user(world.a, email="colleague@alpha.example")]
    acme = customer(world.a, "Acme")
    for n in range(count):
        Contact.objects.create(customer=acme, partner=world.a, name=f"Person {n}")
        LeadFactory(
            partner=world.a, customer=acme, assigned_to=UserFactory(), category=CategoryFactory(),
            status=LeadStatus.ACCEPTED,
        )  # fmt: skip
        make_order(world, catalogue, "a", customer=acme, actor=employees[n % 2])
        service_request(acme, employees[n % 2], f"Problem {n}")
    client = login(getattr(world, persona))
    # session, user, actor, customer (partner joined), contacts, leads (partner, assignee and
    # category joined), orders (partner, customer joined), service requests (partner, customer,
    # assignee joined) = 8; a channel manager's partner ids, read once for the service requests'
    # scope = 9
    with django_assert_num_queries(queries):
        response = client.get(detail(acme))
    assert len(response.context["contacts"]) == count and len(response.context["leads"]) == count
    assert len(response.context["orders"]) == count
    assert len(response.context["service_requests"]) == count


def test_only_the_newest_leads_are_listed_with_a_search_link(world, login, monkeypatch):
    monkeypatch.setattr("portals.channel.customers.DETAIL_LEADS", 2)
    acme = customer(world.a, "Acme & Co")
    for _ in range(3):
        LeadFactory(partner=world.a, customer=acme)
    response = login(world.admin).get(detail(acme))
    assert len(response.context["leads"]) == 2 and response.context["more_leads"]
    assert "/channel/leads/?q=Acme%20%26%20Co" in response.content.decode()
