"""The partner's customers: list, search, a customer's page with contacts and the leads, orders and
service requests the user may see; another partner's customer is 404."""

import pytest
from django.urls import reverse

from customers.models import Contact, Customer, normalise_company
from leads import services
from leads.choices import LeadStatus
from orders.choices import OrderStatus
from service import services as service_services
from service.choices import Severity
from tests.factories import partner_user
from tests.portals.orders_helpers import make_order, stock_catalogue
from tests.portals.test_partner_leads import waiting_lead, worked_lead

pytestmark = pytest.mark.django_db

LIST = reverse("partner:customer_list")


def customer(partner, company="Customer Co", **fields):
    return Customer.objects.create(
        partner=partner, company=company, normalised_name=normalise_company(company), **fields
    )


def contact(cust, name="Jo Contact", **fields):
    return Contact.objects.create(customer=cust, partner=cust.partner, name=name, **fields)


def detail(cust):
    return reverse("partner:customer_detail", args=[cust.pk])


def service_request(cust, actor, subject="Display stays dark", **fields):
    """A service request of `cust` registered by `actor` through the service (an employee's is theirs)."""
    return service_services.request_create(
        actor=actor,
        subject=subject,
        description="The customer says it does not start.",
        customer=cust,
        **fields,
    )


def order_numbers(response):
    return [order.number for order in response.context["orders"]]


def request_ids(response):
    return [r.pk for r in response.context["service_requests"]]


def test_accepting_a_lead_makes_its_company_a_customer_on_the_list(world, login):
    lead = waiting_lead(
        world.a, company="Fresh Customer GmbH", email="anna@fresh.example", contact_name="Anna"
    )
    services.lead_accept(lead=lead, actor=world.pm_a)
    response = login(world.pe_a).get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Customers · OpenPCM</title>" in html
    assert "Fresh Customer GmbH" in html and "fresh.example" in html


def test_list_is_alphabetical_and_searchable(world, login):
    zeta = customer(world.a, "Zeta Werke", email_domain="zeta.example")
    alpha = customer(world.a, "Acme Pumps")
    client = login(world.pm_a)
    assert list(client.get(LIST).context["page"].items) == [alpha, zeta]
    assert list(client.get(LIST, {"q": "zeta.ex"}).context["page"].items) == [zeta]
    response = client.get(LIST, {"q": "nothing like it"})
    assert "No customers match this search." in response.content.decode()


def test_empty_list_says_where_customers_come_from(world, login):
    assert "No customers yet." in login(world.pm_c).get(LIST).content.decode()


def test_distributor_manager_sees_resellers_customers_marked_read_only(world, login):
    customer(world.a, "Alpha Customer")
    customer(world.b, "Beta Customer")
    customer(world.c, "Gamma Customer")
    html = login(world.pm_a).get(LIST).content.decode()
    assert "Alpha Customer" in html
    assert "Beta Customer" in html and "Beta Resale · read-only" in html
    assert "Gamma Customer" not in html


def test_other_partners_customers_are_not_listed(world, login):
    customer(world.a, "Alpha Customer")
    for persona in ("pm_c", "pe_c", "pm_b"):
        assert "Alpha Customer" not in login(getattr(world, persona)).get(LIST).content.decode()


def test_list_pages_by_keyset(world, login, settings):
    settings.PAGE_SIZE = 2
    customers = [customer(world.a, f"Customer {n}") for n in range(3)]
    client = login(world.pm_a)
    first = client.get(LIST)
    assert list(first.context["page"].items) == customers[:2]
    second = client.get(LIST, {"after": first.context["page"].next_cursor})
    assert list(second.context["page"].items) == customers[2:]


def test_customer_page_shows_company_contacts_and_leads(world, login):
    cust = customer(world.a, "Huber Haustechnik", email_domain="huber.example", city="Munich", country="DE")
    contact(cust, "Hanna Huber", email="hanna@huber.example", phone="+49 89 1", role="Buyer")
    lead = worked_lead(world.a, company="Huber Haustechnik", customer=cust)
    other = worked_lead(world.a, company="Not Huber")
    response = login(world.pm_a).get(detail(cust))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Huber Haustechnik · Customers · OpenPCM</title>" in html
    assert "Hanna Huber" in html and "mailto:hanna@huber.example" in html and "Buyer" in html
    assert list(response.context["page"].items) == [lead]
    assert reverse("partner:lead_detail", args=[lead.pk]) in html
    assert reverse("partner:lead_detail", args=[other.pk]) not in html


def test_employee_sees_only_the_customers_leads_they_may_see(world, login):
    colleague = partner_user(world.a, email="colleague@alpha.example")
    cust = customer(world.a, "Shared Customer")
    mine = worked_lead(world.a, customer=cust, assigned_to=world.pe_a)
    free = worked_lead(world.a, customer=cust, status=LeadStatus.QUALIFIED)
    worked_lead(world.a, customer=cust, assigned_to=colleague)
    response = login(world.pe_a).get(detail(cust))
    assert set(response.context["page"].items) == {mine, free}


def test_customer_without_contacts_or_leads_has_empty_states(world, login):
    cust = customer(world.a, "Quiet Co")
    html = login(world.pm_a).get(detail(cust)).content.decode()
    assert "No contacts yet." in html
    assert "No leads of Quiet Co that you can see." in html
    assert "No orders of Quiet Co that you can see." in html
    assert "No service requests of Quiet Co that you can see." in html


def test_customer_page_shows_the_customers_orders_newest_first(world, login):
    catalogue = stock_catalogue(world)
    cust = customer(world.a, "Huber Haustechnik")
    first = make_order(world, catalogue, "a", customer=cust, status=OrderStatus.SHIPPED)
    second = make_order(world, catalogue, "a", customer=cust, status=OrderStatus.DRAFT)
    elsewhere = make_order(world, catalogue, "a", company="Someone Else AG")
    response = login(world.pm_a).get(detail(cust))
    html = response.content.decode()
    assert order_numbers(response) == [second.number, first.number]
    assert reverse("partner:order_detail", args=[first.pk]) in html
    assert reverse("partner:order_detail", args=[elsewhere.pk]) not in html
    assert "Shipped" in html and "Draft" in html
    assert "43.50 EUR" in html  # 2 × 9.00 (A's drill price) + 1 × 25.50 (the saw)
    assert f"{reverse('partner:order_new')}?customer={cust.pk}" in html
    assert "No orders of Huber Haustechnik" not in html


def test_customer_page_shows_the_customers_service_requests(world, login):
    cust = customer(world.a, "Huber Haustechnik")
    other = customer(world.a, "Other Kunde")
    urgent = service_request(cust, world.pm_a, "Pump trips at start", severity=Severity.CRITICAL)
    service_request(other, world.pm_a, "Not this customer's problem")
    response = login(world.pm_a).get(detail(cust))
    html = response.content.decode()
    assert request_ids(response) == [urgent.pk]
    assert reverse("partner:service_request_detail", args=[urgent.pk]) in html
    assert f"{urgent.reference}: Pump trips at start" in html
    assert "Critical" in html and "New" in html
    assert "Not this customer&#x27;s problem" not in html and "Not this customer's problem" not in html
    assert f"{reverse('partner:service_request_new')}?customer={cust.pk}" in html


def test_another_partners_orders_and_requests_never_show(world, login):
    """A customer of the same name at another partner is another customer: its orders and requests
    stay with that partner."""
    catalogue = stock_catalogue(world)
    ours = customer(world.a, "Twin GmbH")
    theirs = customer(world.c, "Twin GmbH")
    mine = make_order(world, catalogue, "a", customer=ours)
    foreign = make_order(world, catalogue, "c", customer=theirs)
    foreign_request = service_request(theirs, world.pe_c, "Gamma's problem")
    response = login(world.pm_a).get(detail(ours))
    html = response.content.decode()
    assert order_numbers(response) == [mine.number]
    assert foreign.number not in html and request_ids(response) == []
    assert reverse("partner:service_request_detail", args=[foreign_request.pk]) not in html
    gamma = login(world.pm_c).get(detail(theirs))
    assert order_numbers(gamma) == [foreign.number] and request_ids(gamma) == [foreign_request.pk]


def test_employee_sees_only_own_and_unassigned_orders_and_requests(world, login):
    catalogue = stock_catalogue(world)
    colleague = partner_user(world.a, email="colleague@alpha.example")
    cust = customer(world.a, "Shared Customer")
    own_order = make_order(world, catalogue, "a", customer=cust, actor=world.pe_a)
    unassigned_order = make_order(world, catalogue, "a", customer=cust)  # entered by the manager
    colleagues_order = make_order(world, catalogue, "a", customer=cust, actor=colleague)
    own_request = service_request(cust, world.pe_a, "Mine")
    unassigned_request = service_request(cust, world.pm_a, "Nobody's yet")
    colleagues_request = service_request(cust, colleague, "The colleague's")
    response = login(world.pe_a).get(detail(cust))
    html = response.content.decode()
    assert set(order_numbers(response)) == {own_order.number, unassigned_order.number}
    assert colleagues_order.number not in html
    assert set(request_ids(response)) == {own_request.pk, unassigned_request.pk}
    assert reverse("partner:service_request_detail", args=[colleagues_request.pk]) not in html
    manager = login(world.pm_a).get(detail(cust))
    assert len(manager.context["orders"]) == 3 and len(manager.context["service_requests"]) == 3


def test_resellers_customer_shows_its_orders_read_only_without_new_buttons(world, login):
    catalogue = stock_catalogue(world)
    cust = customer(world.b, "Beta Customer")
    order = make_order(world, catalogue, "b", customer=cust)
    request = service_request(cust, world.pm_b, "Reseller's problem")
    response = login(world.pm_a).get(detail(cust))
    html = response.content.decode()
    assert order_numbers(response) == [order.number] and request_ids(response) == [request.pk]
    assert reverse("partner:order_new") not in html
    assert reverse("partner:service_request_new") not in html
    own = login(world.pm_b).get(detail(cust)).content.decode()
    assert f"{reverse('partner:order_new')}?customer={cust.pk}" in own


def test_only_the_newest_orders_and_requests_are_listed(world, login, monkeypatch):
    monkeypatch.setattr("portals.partner.customers.ORDERS_SHOWN", 2)
    monkeypatch.setattr("portals.partner.customers.REQUESTS_SHOWN", 2)
    catalogue = stock_catalogue(world)
    cust = customer(world.a, "Acme & Co")
    orders = [make_order(world, catalogue, "a", customer=cust) for _ in range(3)]
    requests = [service_request(cust, world.pm_a, f"Problem {n}") for n in range(3)]
    response = login(world.pm_a).get(detail(cust))
    assert order_numbers(response) == [orders[2].number, orders[1].number]
    assert request_ids(response) == [requests[2].pk, requests[1].pk]
    html = response.content.decode()
    assert f"{reverse('partner:order_list')}?q=Acme%20%26%20Co" in html
    assert "The newest 2 are shown" in html


def test_distributor_manager_reads_a_resellers_customer(world, login):
    cust = customer(world.b, "Beta Customer")
    response = login(world.pm_a).get(detail(cust))
    assert response.status_code == 200
    assert "A customer of Beta Resale, one of your resellers; read-only." in response.content.decode()


@pytest.mark.parametrize(
    ("persona", "owner"), [("pm_c", "a"), ("pe_c", "a"), ("pm_b", "a"), ("pe_a", "b"), ("pm_a", "c")]
)
def test_another_partners_customer_is_404(world, login, persona, owner):
    cust = customer(getattr(world, owner), "Private Customer")
    assert login(getattr(world, persona)).get(detail(cust)).status_code == 404


def test_channel_staff_get_403(world, login):
    cust = customer(world.a)
    assert login(world.cm_a).get(LIST).status_code == 403
    assert login(world.cm_a).get(detail(cust)).status_code == 403


@pytest.mark.parametrize("rows", [1, 20])
def test_list_query_count_does_not_grow(world, login, django_assert_num_queries, rows):
    for n in range(rows):
        customer(world.a if n % 2 else world.b, f"Customer {n:02d}")
    client = login(world.pm_a)
    # session, user, actor, one page of customers (partner joined)
    with django_assert_num_queries(4):
        response = client.get(LIST)
    assert len(response.context["page"].items) == rows


@pytest.mark.parametrize("persona", ["pm_a", "pe_a"])
@pytest.mark.parametrize("rows", [1, 20])
def test_customer_page_query_count_does_not_grow(
    world, login, django_assert_num_queries, monkeypatch, rows, persona
):
    monkeypatch.setattr("portals.partner.customers.ORDERS_SHOWN", 20)
    monkeypatch.setattr("portals.partner.customers.REQUESTS_SHOWN", 20)
    catalogue = stock_catalogue(world)
    cust = customer(world.a, "Busy Customer")
    for n in range(rows):
        contact(cust, f"Contact {n}")
        worked_lead(world.a, customer=cust, assigned_to=world.pe_a if n % 2 else None)
        make_order(world, catalogue, "a", customer=cust, actor=world.pe_a if n % 2 else None)
        service_request(cust, world.pe_a if n % 2 else world.pm_a, f"Problem {n}")
    client = login(getattr(world, persona))
    # session, user, actor, the customer (partner joined), its contacts, one page of its leads
    # (partner, assignee, category joined), its newest orders (partner, customer joined), its newest
    # service requests (partner, customer, assignee joined)
    with django_assert_num_queries(8):
        response = client.get(detail(cust))
    assert len(response.context["contacts"]) == rows
    assert len(response.context["page"].items) == rows
    assert len(response.context["orders"]) == rows
    assert len(response.context["service_requests"]) == rows
