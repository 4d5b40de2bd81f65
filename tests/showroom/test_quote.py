""" "Request a quote" in a public showroom: the basket becomes a lead of the showroom's partner (source
showroom, products and quantities, the basket total, the campaign code), dispatched to that partner at
once, its managers and the customer e-mailed. Bots (honeypot), the rate limit and bad input store
nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from catalog.models import PartnerCategory, PartnerProduct
from leads.choices import LeadEventKind, LeadSource, LeadStatus
from leads.models import DispatchDecision, Lead, LeadEvent, LeadSettings
from leads.services import lead_from_showroom
from partners.choices import PartnerStatus
from showroom import services
from showroom.basket import Basket
from showroom.models import Showroom
from tests.catalog.conftest import make_category, make_product

CUSTOMER = {
    "company": "Kunde AG",
    "contact_name": "Kim Kunde",
    "email": "kim@kunde.example",
    "phone": "+49 30 1234",
    "country": "DE",
    "city": "Potsdam",
    "message": "Delivery to Potsdam, please.",
}


@pytest.fixture
def shop(world):
    sensors = make_category("Sensors", slug="sensors")
    plc = make_product(make_category("Controllers"), sku="PLC-1", name="Compact controller")
    sensor = make_product(sensors, sku="IS-M12", name="Inductive sensor M12", list_price=Decimal("49.90"))
    PartnerCategory.objects.create(partner=world.a, category=sensors)
    PartnerProduct.objects.create(partner=world.a, product=plc, price=Decimal("450.00"), lead_time_days=3)
    services.showroom_update(
        partner=world.a,
        actor=world.admin,
        changes={"published": True, "title": "Alpha showroom", "contact_phone": "+49 89 555"},
    )
    return {"plc": plc, "sensor": sensor}


def url(name, slug="alpha"):
    return reverse(f"showroom:{name}", args=[slug])


def fill_basket(client, shop):
    client.post(url("basket_add"), {"product": shop["plc"].pk, "quantity": "2"})
    client.post(url("basket_add"), {"product": shop["sensor"].pk, "quantity": "10"})


def test_a_quote_request_becomes_a_lead_dispatched_to_the_partner(
    shop, world, client, django_capture_on_commit_callbacks, mailoutbox
):
    client.get(url("detail"), {"campaign": "SPRING-26"})  # arriving from a campaign link
    fill_basket(client, shop)
    form = client.get(url("quote")).content.decode()
    assert "<title>Request a quote · Alpha showroom</title>" in form
    assert '<option value="DE" selected>Germany</option>' in form  # the partner's country first
    assert '<label class="form-label" for="id_company">Company' in form and "<script" not in form
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("quote"), CUSTOMER)
    assert response.status_code == 302 and response["Location"] == url("quote_sent")
    lead = Lead.objects.get()
    assert (lead.source, lead.status, lead.partner_id) == (
        LeadSource.SHOWROOM,
        LeadStatus.DISPATCHED,
        world.a.pk,
    )
    assert (lead.company, lead.contact_name, lead.email, lead.city) == (
        "Kunde AG",
        "Kim Kunde",
        "kim@kunde.example",
        "Potsdam",
    )
    assert lead.products_of_interest.splitlines()[:3] == [
        "2 × PLC-1 Compact controller @ 450.00 EUR",
        "10 × IS-M12 Inductive sensor M12 @ 49.90 EUR",
        "Total: 1399.00 EUR",
    ]
    assert "Delivery to Potsdam, please." in lead.products_of_interest
    assert lead.estimated_value == Decimal("1399.00") and lead.currency == "EUR"
    assert lead.campaign_code == "SPRING-26"
    hours = LeadSettings.current().accept_within_hours_by_hand
    assert lead.accept_by - lead.dispatched_at == timedelta(hours=hours)
    assert lead.dispatch_reason == "Requested in Alpha Distribution's showroom."
    decision = DispatchDecision.objects.get(lead=lead)
    assert decision.partner_id == world.a.pk and decision.reason == lead.dispatch_reason
    assert decision.notified_at is not None  # e-mailed at once, not again in a digest
    kinds = list(LeadEvent.objects.filter(lead=lead).order_by("id").values_list("kind", flat=True))
    assert kinds == [LeadEventKind.CREATED, LeadEventKind.DISPATCHED]
    to_partner = next(m for m in mailoutbox if world.pm_a.email in m.to)
    assert to_partner.subject == "New quote request from your showroom: Kunde AG"
    assert "2 × PLC-1 Compact controller @ 450.00 EUR" in to_partner.body and "SPRING-26" in to_partner.body
    to_customer = next(m for m in mailoutbox if m.to == ["kim@kunde.example"])
    assert to_customer.subject == "Your quote request to Alpha Distribution"
    assert (
        "10 × IS-M12 Inductive sensor M12 @ 49.90 EUR" in to_customer.body
        and "+49 89 555" in to_customer.body
    )
    assert len(mailoutbox) == 2
    # The basket is emptied; the thank-you page says what happens next.
    sent = client.get(url("quote_sent")).content.decode()
    assert "Alpha Distribution has received your request" in sent
    assert "Your basket is empty." in client.get(url("basket")).content.decode()


def test_the_campaign_code_comes_from_utm_campaign_too(shop, client):
    client.get(reverse("showroom:product", args=["alpha", "PLC-1"]), {"utm_campaign": "newsletter-11"})
    fill_basket(client, shop)
    client.post(url("quote"), CUSTOMER)
    assert Lead.objects.get().campaign_code == "newsletter-11"


def test_the_campaign_code_on_the_form_address_counts(shop, client):
    fill_basket(client, shop)
    client.post(url("quote") + "?campaign=FAIR", CUSTOMER)
    assert Lead.objects.get().campaign_code == "FAIR"


def test_without_a_campaign_the_code_is_empty(shop, client):
    fill_basket(client, shop)
    client.post(url("quote"), CUSTOMER)
    assert Lead.objects.get().campaign_code == ""


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("company", "", "This field is required."),
        ("email", "not-an-address", "Enter a valid email address."),
        ("country", "XX", "Select a valid choice."),
        ("contact_name", "x" * 151, "Ensure this value has at most 150 characters"),
    ],
)
def test_bad_input_reshows_the_form_with_messages_and_stores_nothing(
    shop, client, mailoutbox, field, value, message
):
    fill_basket(client, shop)
    response = client.post(url("quote"), {**CUSTOMER, field: value})
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert 'value="kim@kunde.example"' in html or field == "email"  # what was typed is kept
    assert not Lead.objects.exists() and not mailoutbox
    assert "Compact controller" in client.get(url("basket")).content.decode()  # the basket is kept


def test_an_empty_basket_asks_for_products_first(shop, client):
    response = client.post(url("quote"), CUSTOMER)
    assert response.status_code == 200
    assert "Your basket is empty; add the products you want a quote for first." in response.content.decode()
    assert not Lead.objects.exists()


def test_the_honeypot_answers_like_a_request_and_stores_nothing(shop, client, mailoutbox):
    fill_basket(client, shop)
    response = client.post(url("quote"), {**CUSTOMER, "fax_number": "+1 555"})
    assert response.status_code == 302 and response["Location"] == url("quote_sent")
    assert not Lead.objects.exists() and not mailoutbox


def test_too_many_requests_from_one_address_get_429(shop, client, settings):
    settings.SHOWROOM_QUOTE_RATE_LIMIT_PER_HOUR = 2
    for _ in range(2):
        fill_basket(client, shop)
        assert client.post(url("quote"), CUSTOMER).status_code == 302
    fill_basket(client, shop)
    response = client.post(url("quote"), CUSTOMER)
    assert response.status_code == 429 and response["Retry-After"] == "3600"
    assert "sent 2 quote requests in the last hour" in response.content.decode()
    assert Lead.objects.count() == 2
    other = client.post(url("quote"), CUSTOMER, REMOTE_ADDR="198.51.100.7")
    assert other.status_code == 302 and Lead.objects.count() == 3


def test_honeypot_hits_count_against_the_limit_and_typos_do_not(shop, client, settings):
    settings.SHOWROOM_QUOTE_RATE_LIMIT_PER_HOUR = 1
    fill_basket(client, shop)
    for _ in range(3):
        assert client.post(url("quote"), {**CUSTOMER, "email": "typo"}).status_code == 200
    assert client.post(url("quote"), {**CUSTOMER, "fax_number": "x"}).status_code == 302
    assert client.post(url("quote"), CUSTOMER).status_code == 429
    assert not Lead.objects.exists()


def test_an_unpublished_showroom_takes_no_requests(shop, world, client):
    fill_basket(client, shop)
    Showroom.objects.filter(partner=world.a).update(published=False)
    assert client.post(url("quote"), CUSTOMER).status_code == 404
    assert not Lead.objects.exists()


def test_the_lead_service_refuses_a_partner_that_is_not_active(world):
    world.a.status = PartnerStatus.SUSPENDED
    with pytest.raises(ValidationError, match="takes no requests"):
        lead_from_showroom(
            partner=world.a, fields=CUSTOMER, products_text="1 × X", value=Decimal("1"), campaign_code=""
        )
    assert not Lead.objects.exists()


def test_the_quote_service_refuses_mixed_currencies_and_bad_fields(shop, world):
    usd = make_product(make_category("US"), sku="US-1", currency="USD")
    PartnerProduct.objects.create(partner=world.a, product=usd)
    showroom = Showroom.objects.get(partner=world.a)
    basket = Basket.for_showroom({}, "alpha")
    basket.add(shop["plc"].pk)
    basket.add(usd.pk)
    with pytest.raises(ValidationError, match="several currencies"):
        services.quote_request(showroom=showroom, contents=basket.lines(world.a.pk), fields=CUSTOMER)
    basket.remove(usd.pk)
    with pytest.raises(ValidationError) as caught:
        services.quote_request(
            showroom=showroom, contents=basket.lines(world.a.pk), fields={**CUSTOMER, "status": "won"}
        )
    assert "status" in caught.value.message_dict
    assert not Lead.objects.exists()


def test_the_partner_manager_finds_the_lead_with_its_products(shop, world, client, login):
    fill_basket(client, shop)
    client.post(url("quote"), CUSTOMER)
    lead = Lead.objects.get()
    manager = login(world.pm_a)
    inbox = manager.get(reverse("partner:lead_inbox")).content.decode()
    assert "Kunde AG" in inbox
    detail = manager.get(reverse("partner:lead_detail", args=[lead.pk])).content.decode()
    assert "2 × PLC-1 Compact controller @ 450.00 EUR" in detail
    other = login(world.pm_c)
    assert other.get(reverse("partner:lead_detail", args=[lead.pk])).status_code == 404
