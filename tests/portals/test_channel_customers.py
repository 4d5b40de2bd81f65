"""Channel portal: the customers of the user's partners and a customer's page."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.urls import reverse

from customers.models import Contact, Customer
from leads.choices import LeadStatus
from partners.choices import Role
from tests.factories import CategoryFactory, LeadFactory, PartnerFactory, UserFactory, channel_user

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


def test_a_manager_of_another_partner_gets_404(world, book, login):
    assert login(world.cm_c).get(detail(book["a"])).status_code == 404
    assert login(world.cm_a).get(detail(book["c"])).status_code == 404


def test_an_unknown_customer_is_404(world, login):
    assert login(world.admin).get("/channel/customers/999999/").status_code == 404


@pytest.mark.parametrize("count", [1, 20])
def test_detail_queries_do_not_grow_with_rows(world, login, django_assert_num_queries, count):
    acme = customer(world.a, "Acme")
    for n in range(count):
        Contact.objects.create(customer=acme, partner=world.a, name=f"Person {n}")
        LeadFactory(
            partner=world.a, customer=acme, assigned_to=UserFactory(), category=CategoryFactory(),
            status=LeadStatus.ACCEPTED,
        )  # fmt: skip
    client = login(world.cm_a)
    # session, user, actor, customer (partner joined), contacts, leads (partner, assignee and
    # category joined) = 6
    with django_assert_num_queries(6):
        response = client.get(detail(acme))
    assert len(response.context["contacts"]) == count and len(response.context["leads"]) == count


def test_only_the_newest_leads_are_listed_with_a_search_link(world, login, monkeypatch):
    monkeypatch.setattr("portals.channel.customers.DETAIL_LEADS", 2)
    acme = customer(world.a, "Acme & Co")
    for _ in range(3):
        LeadFactory(partner=world.a, customer=acme)
    response = login(world.admin).get(detail(acme))
    assert len(response.context["leads"]) == 2 and response.context["more_leads"]
    assert "/channel/leads/?q=Acme%20%26%20Co" in response.content.decode()
