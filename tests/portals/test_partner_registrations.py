"""Deal registrations in the partner portal: register a deal, follow its status; a conflict is told
only as "already registered", never who holds the customer."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import normalise_company
from leads import services
from leads.choices import RegistrationStatus
from leads.models import DealRegistration
from tests.factories import CategoryFactory, partner_user, rule
from tests.portals.test_partner_leads import messages_of

pytestmark = pytest.mark.django_db

LIST = reverse("partner:registration_list")
CREATE = reverse("partner:registration_create")
CONFLICT = "This customer is already registered; your channel manager will decide."


def registration(partner, company="Registered Co", **fields):
    values = {
        "customer_company": company,
        "normalised_company": normalise_company(company),
        "country": "DE",
        "value": Decimal("25000"),
        "expected_close": timezone.localdate() + timedelta(days=60),
        **fields,
    }
    return DealRegistration.objects.create(partner=partner, **values)


def form_data(**overrides):
    return {
        "customer_company": "Kessler Kältetechnik GmbH",
        "customer_domain": "kessler-kaelte.example",
        "country": "DE",
        "category": "",
        "value": "42000",
        "currency": "eur",
        "expected_close": (timezone.localdate() + timedelta(days=45)).isoformat(),
        "notes": "Met their CTO at the fair.",
        **overrides,
    }


def detail(reg):
    return reverse("partner:registration_detail", args=[reg.pk])


# --- Create ---------------------------------------------------------------------------------------


def test_manager_registers_a_deal(world, login):
    category = CategoryFactory(name="Cooling")
    client = login(world.pm_a)
    form = client.get(CREATE)
    assert form.status_code == 200
    assert "<title>Register a deal · OpenPCM</title>" in form.content.decode()
    response = client.post(
        CREATE, form_data(category=category.pk, customer_domain="Jo@Kessler-Kaelte.example")
    )
    reg = DealRegistration.objects.get()
    assert response.status_code == 302 and response["Location"] == detail(reg)
    assert (reg.partner, reg.registered_by, reg.status) == (world.a, world.pm_a, RegistrationStatus.PENDING)
    assert (reg.customer_domain, reg.currency, reg.category, reg.value) == (
        "kessler-kaelte.example", "EUR", category, Decimal("42000"),
    )  # fmt: skip
    assert reg.conflicts == []
    page = client.get(response["Location"])
    assert (
        "Your deal registration for Kessler Kältetechnik GmbH is sent; your channel manager will decide."
        in messages_of(page)
    )
    assert "Your channel manager decides on this registration." in page.content.decode()


def test_employee_registers_a_deal_too(world, login):
    response = login(world.pe_a).post(CREATE, form_data())
    assert response.status_code == 302
    reg = DealRegistration.objects.get()
    assert reg.partner == world.a and reg.registered_by == world.pe_a


def test_conflict_with_another_partners_lead_is_told_without_naming_them(world, login):
    rule("Gamma", partners=[world.c])
    services.lead_create(
        actor=world.cm_c,
        fields={"company": "Kessler Kälte", "country": "FR", "email": "einkauf@kessler-kaelte.example"},
    )
    client = login(world.pm_a)
    response = client.post(CREATE, form_data(), follow=True)
    reg = DealRegistration.objects.get()
    assert reg.conflicts and reg.conflicts[0]["partner"] == "Gamma Services"  # for the channel manager
    assert messages_of(response) == [CONFLICT]
    html = response.content.decode()
    assert html.count(CONFLICT) == 2  # the message and the note on the page
    for secret in ("Gamma", "gamma", "Kessler Kälte<", "einkauf@"):
        assert secret not in html
    # Later visits still say only that.
    again = client.get(detail(reg)).content.decode()
    assert CONFLICT in again and "Gamma" not in again


def test_conflict_with_another_partners_registration_is_told_without_naming_them(world, login):
    registration(world.c, company="KESSLER KÄLTETECHNIK AG", customer_domain="other.example")
    response = login(world.pe_a).post(CREATE, form_data(customer_domain=""), follow=True)
    assert messages_of(response) == [CONFLICT]
    assert "Gamma" not in response.content.decode()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("customer_company", ""),
        ("customer_company", "GmbH"),
        ("customer_domain", "http://kessler.example/path"),
        ("customer_domain", "not a domain"),
        ("country", "XX"),
        ("category", "999999"),
        ("value", "-5"),
        ("value", "lots"),
        ("value", "123456789012345678"),
        ("currency", "EURO"),
        ("currency", "€"),
        ("expected_close", "yesterday"),
        ("expected_close", (timezone.localdate() - timedelta(days=1)).isoformat()),
        ("notes", "x" * 4001),
    ],
)
def test_bad_input_is_refused_and_nothing_is_saved(world, login, field, value):
    response = login(world.pm_a).post(CREATE, form_data(**{field: value}))
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert "The registration was not sent; see the errors below." in messages_of(response)
    assert not DealRegistration.objects.exists()


def test_channel_staff_get_403(world, login):
    assert login(world.cm_a).get(CREATE).status_code == 403
    assert login(world.cm_a).post(CREATE, form_data()).status_code == 403
    assert not DealRegistration.objects.exists()


# --- List and detail --------------------------------------------------------------------------------


def test_list_shows_the_own_partners_registrations_with_status(world, login):
    own = registration(world.a, company="Own Deal")
    rejected = registration(world.a, company="Rejected Deal", status=RegistrationStatus.REJECTED)
    registration(world.b, company="Reseller Deal")
    registration(world.c, company="Gamma Deal")
    response = login(world.pe_a).get(LIST)
    assert response.status_code == 200
    assert list(response.context["page"].items) == [rejected, own]
    html = response.content.decode()
    assert "Own Deal" in html and "Rejected" in html and "Pending" in html
    assert "Reseller Deal" not in html and "Gamma Deal" not in html


def test_empty_list_invites_a_first_registration(world, login):
    html = login(world.pm_c).get(LIST).content.decode()
    assert "No deal registrations yet." in html
    assert CREATE in html


def test_list_pages_by_keyset(world, login, settings):
    settings.PAGE_SIZE = 3
    regs = [registration(world.a, company=f"Deal {n}") for n in range(5)]
    client = login(world.pm_a)
    first = client.get(LIST)
    assert list(first.context["page"].items) == regs[::-1][:3]
    second = client.get(LIST, {"after": first.context["page"].next_cursor})
    assert list(second.context["page"].items) == regs[::-1][3:]
    assert client.get(LIST, {"after": "nonsense"}).status_code == 200


def test_approved_registration_links_its_lead_and_says_until_when_it_is_protected(world, login):
    reg = registration(world.a, company="Approved Co")
    services.registration_approve(registration=reg, actor=world.cm_a)
    reg.refresh_from_db()
    response = login(world.pe_a).get(detail(reg))
    html = response.content.decode()
    assert "Approved" in html
    assert f"Approved Co is protected for you until {reg.protected_until:%-d %b %Y}" in html
    assert reverse("partner:lead_detail", args=[reg.lead_id]) in html
    assert login(world.pe_a).get(reverse("partner:lead_detail", args=[reg.lead_id])).status_code == 200


def test_approved_registration_whose_lead_a_colleague_works_has_no_dead_link(world, login):
    reg = registration(world.a, company="Colleague Co")
    services.registration_approve(registration=reg, actor=world.cm_a)
    reg.refresh_from_db()
    colleague = partner_user(world.a, email="colleague@alpha.example")
    services.lead_assign_user(lead=reg.lead, actor=world.pm_a, user=colleague)
    html = login(world.pe_a).get(detail(reg)).content.decode()
    assert reverse("partner:lead_detail", args=[reg.lead_id]) not in html
    assert "Its lead is with a colleague." in html


def test_rejected_registration_shows_the_reason(world, login):
    reg = registration(world.a, company="Rejected Co")
    services.registration_reject(registration=reg, actor=world.cm_a, reason="The customer is a key account.")
    html = login(world.pm_a).get(detail(reg)).content.decode()
    assert "Rejected" in html and "The customer is a key account." in html


@pytest.mark.parametrize(("persona", "owner"), [("pm_c", "a"), ("pe_c", "a"), ("pm_a", "b"), ("pm_b", "a")])
def test_another_partners_registration_is_404(world, login, persona, owner):
    reg = registration(getattr(world, owner))
    assert login(getattr(world, persona)).get(detail(reg)).status_code == 404


@pytest.mark.parametrize("rows", [1, 20])
def test_list_query_count_does_not_grow(world, login, django_assert_num_queries, rows):
    category = CategoryFactory()
    for n in range(rows):
        registration(world.a, company=f"Deal {n}", category=category)
    client = login(world.pm_a)
    # session, user, actor, one page of registrations (partner, category, lead joined)
    with django_assert_num_queries(4):
        response = client.get(LIST)
    assert len(response.context["page"].items) == rows


def test_detail_query_count(world, login, django_assert_num_queries):
    pending = registration(world.a, company="Pending Co", category=CategoryFactory())
    approved = registration(world.a, company="Approved Co")
    services.registration_approve(registration=approved, actor=world.cm_a)
    client = login(world.pm_a)
    # session, user, actor, the registration (partner, category, lead joined)
    with django_assert_num_queries(4):
        client.get(detail(pending))
    # ... and, once approved, whether the user may open its lead
    with django_assert_num_queries(5):
        client.get(detail(approved))


def test_create_form_query_count(world, login, django_assert_num_queries):
    for n in range(5):
        CategoryFactory(name=f"Category {n}")
    client = login(world.pm_a)
    # session, user, actor, categories for the select
    with django_assert_num_queries(4):
        client.get(CREATE)
