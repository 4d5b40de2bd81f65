"""The partner's customers: list, search, a customer's page with contacts and the leads the user may
see; another partner's customer is 404."""

import pytest
from django.urls import reverse

from customers.models import Contact, Customer, normalise_company
from leads import services
from leads.choices import LeadStatus
from tests.factories import partner_user
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


@pytest.mark.parametrize("rows", [1, 20])
def test_customer_page_query_count_does_not_grow(world, login, django_assert_num_queries, rows):
    cust = customer(world.a, "Busy Customer")
    for n in range(rows):
        contact(cust, f"Contact {n}")
        worked_lead(world.a, customer=cust, assigned_to=world.pe_a if n % 2 else None)
    client = login(world.pm_a)
    # session, user, actor, the customer (partner joined), its contacts, one page of its leads
    # (partner, assignee, category joined)
    with django_assert_num_queries(6):
        response = client.get(detail(cust))
    assert len(response.context["contacts"]) == rows
    assert len(response.context["page"].items) == rows
