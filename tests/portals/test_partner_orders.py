"""Orders in the partner portal: the list with the status search (number, company, e-mail) and the
status filter, the order page (lines, totals, customer, history, the customer's status link), new
orders and drafts (customer picked or entered, lines by SKU from the assortment), submitting,
accepting in one click, rejecting with a reason, cancelling; "Convert to order" on a lead. Who may
see (404) and act (403); bad input says what is wrong and changes nothing."""

from __future__ import annotations

from decimal import Decimal
from html import unescape
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from catalog.models import Product
from customers.models import Customer
from leads.choices import LeadStatus
from leads.models import LeadItem
from orders import services
from orders.choices import OrderEventKind, OrderStatus
from orders.models import Order, OrderEvent, OrderLine
from tests.factories import partner_user
from tests.portals.orders_helpers import make_order, stock_catalogue
from tests.portals.test_partner_leads import worked_lead

pytestmark = pytest.mark.django_db

LIST = reverse("partner:order_list")
NEW = reverse("partner:order_new")


@pytest.fixture
def catalogue(world):
    return stock_catalogue(world)


def detail(order) -> str:
    return reverse("partner:order_detail", args=[order.pk])


def action(name: str, order) -> str:
    return reverse(f"partner:order_{name}", args=[order.pk])


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def followed_messages(client, response) -> list[str]:
    """The messages shown on the page a POST redirected to."""
    assert response.status_code == 302, response.status_code
    return messages_of(client.get(response["Location"]))


def snapshot() -> tuple:
    """Everything an order form or action could change."""
    return (
        list(
            Order.objects.order_by("pk").values_list(
                "pk", "status", "total", "customer_id", "reason", "notes"
            )
        ),
        list(OrderLine.objects.order_by("pk").values_list("pk", "quantity", "product_id")),
        OrderEvent.objects.count(),
        Customer.objects.count(),
    )


def order_form(catalogue, *, action="draft", lines=None, **fields) -> dict[str, str]:
    """A POST body of the order form: a new customer and the given lines (sku, quantity)."""
    lines = lines if lines is not None else [(catalogue.drill.sku, "2"), (catalogue.saw.sku, "1")]
    data = {
        "customer": "",
        "company": "Acme Tools GmbH",
        "contact": "Jo Buyer",
        "email": "jo@acme.example",
        "phone": "+49 30 1234",
        "address": "Hauptstr. 1",
        "postal_code": "10115",
        "city": "Berlin",
        "country": "DE",
        "customer_reference": "PO-77",
        "notes": "",
        "action": action,
        "lines-TOTAL_FORMS": str(max(5, len(lines))),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "100",
        **fields,
    }
    for n, (sku, quantity) in enumerate(lines):
        data[f"lines-{n}-sku"] = sku
        data[f"lines-{n}-quantity"] = quantity
    return data


class LabelCheck(HTMLParser):
    """The visible form controls of a page and the `for` targets of its labels."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[str] = []
        self.labelled: set[str] = set()
        self.viewport = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and attrs.get("name") == "viewport":
            self.viewport = "width=device-width" in (attrs.get("content") or "")
        if tag == "label" and attrs.get("for"):
            self.labelled.add(attrs["for"])
        if tag in ("input", "select", "textarea") and attrs.get("type") not in ("hidden", "submit"):
            self.controls.append(attrs.get("id") or f"<{tag} name={attrs.get('name')}>")


def unlabelled(html: str) -> list[str]:
    parser = LabelCheck()
    parser.feed(html)
    assert parser.viewport  # the page scales to a 375 px phone
    return [c for c in parser.controls if c not in parser.labelled]


# --- Who may come in --------------------------------------------------------------------------------


def test_channel_staff_get_403_and_visitors_the_login_page(world, catalogue, client, login):
    order = make_order(world, catalogue, "a")
    for url in (LIST, NEW, detail(order)):
        assert client.get(url).status_code == 302  # to the login page
    channel = login(world.cm_a)
    for url in (LIST, NEW, detail(order)):
        assert channel.get(url).status_code == 403


def test_another_partners_order_is_404_on_every_page_and_action(world, catalogue, login):
    order = make_order(world, catalogue, "a")
    draft = make_order(world, catalogue, "a", status=OrderStatus.DRAFT)
    before = snapshot()
    client = login(world.pm_c)
    assert client.get(detail(order)).status_code == 404
    assert client.get(action("edit", draft)).status_code == 404
    for name, body in (("accept", {}), ("reject", {"reason": "x"}), ("cancel", {}), ("submit", {})):
        assert client.post(action(name, order if name != "submit" else draft), body).status_code == 404
    assert snapshot() == before


def test_an_employee_sees_their_own_and_unassigned_orders_only(world, catalogue, login):
    colleague = partner_user(world.a, email="colleague@alpha.example")
    unassigned = make_order(world, catalogue, "a", company="Unassigned Ltd")
    theirs = make_order(world, catalogue, "a", company="Colleague Ltd", actor=colleague)  # assigned to them
    own = make_order(world, catalogue, "a", company="Own Ltd", actor=world.pe_a)
    client = login(world.pe_a)
    numbers = [row["order"].number for row in client.get(LIST).context["rows"]]
    assert sorted(numbers) == sorted([unassigned.number, own.number])
    assert client.get(detail(theirs)).status_code == 404
    assert client.get(detail(own)).status_code == 200


# --- The list ---------------------------------------------------------------------------------------


def test_list_shows_own_and_resellers_orders_newest_first_not_others(world, catalogue, login):
    first = make_order(world, catalogue, "a", company="First Buyer")
    reseller = make_order(world, catalogue, "b", company="Reseller Buyer")
    other = make_order(world, catalogue, "c", company="Other Buyer")
    response = login(world.pm_a).get(LIST)
    rows = response.context["rows"]
    assert [row["order"].pk for row in rows] == [reseller.pk, first.pk]
    assert rows[0]["other_partner"] == world.b and rows[1]["other_partner"] is None
    html = response.content.decode()
    assert first.number in html and "Reseller Buyer" in html and "Beta Resale · read-only" in html
    assert other.number not in html and "Other Buyer" not in html
    assert "43.50" in html  # A's price: 2 × 9.00 + 25.50


def test_status_search_finds_by_number_company_and_email(world, catalogue, login):
    acme = make_order(world, catalogue, "a", company="Acme Tools GmbH", email="jo@acme.example")
    bolt = make_order(world, catalogue, "a", company="Bolt & Nut KG", email="anna@bolt.example")
    make_order(world, catalogue, "c", company="Acme Elsewhere", email="jo@acme.example")  # C's: never found
    client = login(world.pe_a)

    def found(q: str) -> list[int]:
        return [row["order"].pk for row in client.get(LIST, {"q": q}).context["rows"]]

    assert found(acme.number) == [acme.pk]
    assert found(acme.number.lower()) == [acme.pk]
    assert found(str(int(bolt.number.removeprefix("SO-")))) == [bolt.pk]  # "123" for SO-000123
    assert found("acme") == [acme.pk]
    assert found("ANNA@bolt.example") == [bolt.pk]
    response = client.get(LIST, {"q": "nobody-knows"})
    assert response.context["rows"] == []
    assert "No order matches “nobody-knows”" in response.content.decode()


def test_status_filter_and_a_bad_filter_is_reported_and_ignored(world, catalogue, login):
    submitted = make_order(world, catalogue, "a")
    accepted = make_order(world, catalogue, "a", status=OrderStatus.ACCEPTED)
    client = login(world.pm_a)
    rows = client.get(LIST, {"status": "accepted"}).context["rows"]
    assert [row["order"].pk for row in rows] == [accepted.pk]
    response = client.get(LIST, {"status": "lost-in-space"})
    assert {row["order"].pk for row in response.context["rows"]} == {submitted.pk, accepted.pk}
    assert any("not understood" in m and "Status" in m for m in messages_of(response))


def test_empty_list_invites_to_enter_an_order(world, login):
    html = login(world.pm_a).get(LIST).content.decode()
    assert "No orders yet" in html and f'href="{NEW}"' in html


def test_list_pages_by_keyset(world, catalogue, login, settings):
    settings.PAGE_SIZE = 2
    orders = [make_order(world, catalogue, "a") for _ in range(3)]
    client = login(world.pm_a)
    first = client.get(LIST)
    assert [row["order"].pk for row in first.context["rows"]] == [orders[2].pk, orders[1].pk]
    page = first.context["page"]
    second = client.get(LIST, {"after": page.next_cursor})
    assert [row["order"].pk for row in second.context["rows"]] == [orders[0].pk]
    broken = client.get(LIST, {"after": "not-a-cursor"})
    assert broken.status_code == 200 and any("no longer valid" in m for m in messages_of(broken))


@pytest.mark.parametrize("rows", [1, 20])
def test_list_query_count_does_not_grow_with_the_rows(
    world, catalogue, login, django_assert_num_queries, rows
):
    for n in range(rows):
        make_order(world, catalogue, "a" if n % 2 else "b")
    client = login(world.pm_a)
    # session, user, actor, one page of orders (partner and customer joined)
    with django_assert_num_queries(4):
        response = client.get(LIST)
    assert len(response.context["rows"]) == rows
    # a company search first reads the ids of the matching customers (one query), then the page
    with django_assert_num_queries(5):
        client.get(LIST, {"q": "Customer", "status": "submitted"})


# --- The order page ---------------------------------------------------------------------------------


def test_order_page_shows_lines_totals_customer_history_and_status_link(world, catalogue, login):
    order = make_order(world, catalogue, "a", status=OrderStatus.CONFIRMED, company="Acme Tools GmbH")
    response = login(world.pm_a).get(detail(order))
    assert response.status_code == 200
    html = response.content.decode()
    for text in (order.number, "Cordless drill", catalogue.drill.sku, "9.00", "18.00", "25.50", "43.50 EUR",
                 "Acme Tools GmbH", "Jo Buyer", "Confirmed", "Expected delivery"):  # fmt: skip
        assert text in html, text
    assert [e.kind for e in response.context["history"]] == [
        OrderEventKind.SUBMITTED, OrderEventKind.ACCEPTED, OrderEventKind.CONFIRMED
    ]  # fmt: skip
    assert response.context["status_link"] == f"http://testserver/orders/status/{order.status_token}/"
    assert order.status_token in html and 'data-copy-target="status-link"' in html
    # a confirmed order is the brand owner's now: no partner action is offered
    assert response.context["forms"] == {}


def test_a_resellers_order_is_read_only_and_its_status_link_hidden(world, catalogue, login):
    order = make_order(world, catalogue, "b")
    response = login(world.pm_a).get(detail(order))
    assert response.status_code == 200
    html = response.content.decode()
    assert "one of your resellers" in html
    assert response.context["forms"] == {} and response.context["status_link"] == ""
    assert order.status_token not in html
    for name, body in (("accept", {}), ("reject", {"reason": "No"}), ("cancel", {})):
        assert login(world.pm_a).post(action(name, order), body).status_code == 403
    order.refresh_from_db()
    assert order.status == OrderStatus.SUBMITTED


@pytest.mark.parametrize("rows", [1, 20])
def test_order_page_query_count_does_not_grow(world, catalogue, login, django_assert_num_queries, rows):
    products = [catalogue.drill] + [
        Product.objects.create(category=catalogue.category, sku=f"EXTRA-{n}", name=f"Extra {n}",
                               short_description=f"Extra {n}", list_price=Decimal("1.00"))
        for n in range(rows - 1)
    ]  # fmt: skip
    order = make_order(world, catalogue, "a", status=OrderStatus.DRAFT, lines=[(p, 1) for p in products])
    for n in range(rows - 1):
        services.order_update(order=order, actor=world.pm_a, notes=f"Note {n}")
    client = login(world.pm_a)
    # session, user, actor, the order (partner, customer, contact, assignee, lead, creator joined),
    # its lines (products joined), its history (actors joined)
    with django_assert_num_queries(6):
        response = client.get(detail(order))
    assert len(response.context["lines"]) == rows
    assert len(response.context["history"]) == rows


# --- New orders and drafts --------------------------------------------------------------------------


def test_form_page_offers_customers_and_the_assortment_with_labelled_fields(world, catalogue, login):
    existing = make_order(world, catalogue, "a", company="Existing Customer AG").customer
    make_order(world, catalogue, "b", company="Reseller Customer")  # B's: not offered to A
    response = login(world.pm_a).get(NEW)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<option value="{existing.pk}">Existing Customer AG</option>' in html
    assert "Reseller Customer" not in html
    assert f'<option value="{catalogue.drill.sku}">' in html and catalogue.hidden.sku not in html
    assert unlabelled(html) == []
    assert 'name="lines-TOTAL_FORMS"' in html and 'id="id_lines-4-sku"' in html  # five empty rows


def test_manager_saves_a_draft_for_a_new_customer_at_partner_prices(world, catalogue, login):
    client = login(world.pm_a)
    response = client.post(
        NEW, order_form(catalogue, lines=[(catalogue.drill.sku.lower(), "2"), (catalogue.bits.sku, "3")])
    )
    order = Order.objects.get()
    assert response.status_code == 302 and response["Location"] == detail(order)
    assert order.status == OrderStatus.DRAFT and order.partner == world.a
    assert order.total == Decimal("32.97")  # 2 × 9.00 (A's price) + 3 × 4.99
    assert order.customer.company == "Acme Tools GmbH" and order.contact.email == "jo@acme.example"
    assert order.customer_reference == "PO-77"
    assert [(line.sku, line.quantity) for line in order.lines.all()] == [
        (catalogue.drill.sku, 2),
        (catalogue.bits.sku, 3),
    ]
    assert "saved as a draft" in followed_messages(client, response)[0]


def test_employee_submits_an_order_for_an_existing_customer(world, catalogue, login):
    customer = make_order(world, catalogue, "a", company="Regular Customer GmbH").customer
    client = login(world.pe_a)
    response = client.post(NEW, order_form(catalogue, action="submit", customer=str(customer.pk), company=""))
    order = Order.objects.latest("pk")
    assert response.status_code == 302
    assert order.status == OrderStatus.SUBMITTED and order.customer == customer
    assert order.assigned_to == world.pe_a  # the employee's own order stays visible to them
    assert "is submitted" in followed_messages(client, response)[0]


def test_customer_is_preselected_from_the_customer_page_link(world, catalogue, login):
    customer = make_order(world, catalogue, "a").customer
    response = login(world.pm_a).get(NEW, {"customer": customer.pk})
    assert response.context["form"].initial["customer"] == customer.pk
    assert login(world.pm_a).get(NEW, {"customer": "x1"}).context["form"].initial == {}


@pytest.mark.parametrize(
    "lines, expected",
    [
        ([("NOPE-1", "1")], "“NOPE-1” is not in your assortment"),
        ([("HIDDEN", "1")], "is not in your assortment"),
        ([("DRILL", "")], "Give a quantity of at least 1."),
        ([("DRILL", "0")], "greater than or equal to 1"),
        ([("DRILL", "abc")], "Enter a whole number."),
        ([("DRILL", "100000")], "less than or equal to 99999"),
        ([("", "4")], "Give the product's SKU, or clear the quantity."),
        ([("DRILL", "1"), ("DRILL", "2")], "This product is on line 1 already"),
        ([], "Add at least one product with its quantity."),
    ],
)
def test_bad_lines_say_what_is_wrong_and_save_nothing(world, catalogue, login, lines, expected):
    skus = {"DRILL": catalogue.drill.sku, "HIDDEN": catalogue.hidden.sku}
    lines = [(skus.get(sku, sku), quantity) for sku, quantity in lines]
    before = snapshot()
    response = login(world.pm_a).post(NEW, order_form(catalogue, action="submit", lines=lines))
    assert response.status_code == 400
    assert expected in unescape(response.content.decode())
    assert any("was not saved" in m for m in messages_of(response))
    assert snapshot() == before


def test_a_new_customer_needs_a_company_and_a_contact(world, catalogue, login):
    before = snapshot()
    client = login(world.pm_a)
    response = client.post(NEW, order_form(catalogue, company="", contact="", email=""))
    assert response.status_code == 400
    form = response.context["form"]
    assert "Choose a customer above, or give the new customer's company." in form.errors["company"]
    assert "Give the new customer's contact: a name or an e-mail address." in form.errors["contact"]
    response = client.post(NEW, order_form(catalogue, email="not-an-address"))
    assert (
        response.status_code == 400
        and "Enter a valid email address." in response.context["form"].errors["email"]
    )
    assert snapshot() == before


def test_another_partners_customer_cannot_be_picked(world, catalogue, login):
    foreign = make_order(world, catalogue, "c").customer
    before = snapshot()
    response = login(world.pm_a).post(NEW, order_form(catalogue, customer=str(foreign.pk)))
    assert response.status_code == 400
    assert "Select a valid choice" in str(response.context["form"].errors["customer"])
    assert snapshot() == before


def test_a_tampered_lines_form_is_an_error_not_a_crash(world, catalogue, login):
    data = order_form(catalogue)
    del data["lines-TOTAL_FORMS"]
    before = snapshot()
    response = login(world.pm_a).post(NEW, data)
    assert response.status_code == 400 and snapshot() == before


def test_more_lines_adds_rows_keeps_what_was_typed_and_saves_nothing(world, catalogue, login):
    before = snapshot()
    data = order_form(catalogue, action="more", lines=[(catalogue.saw.sku, "7")])
    response = login(world.pm_a).post(NEW, data)
    assert response.status_code == 200 and snapshot() == before
    formset = response.context["formset"]
    assert len(formset.forms) == 6  # the typed line and five empty rows
    html = response.content.decode()
    assert (
        f'value="{catalogue.saw.sku}"' in html and 'value="7"' in html and 'value="Acme Tools GmbH"' in html
    )


def test_manager_changes_a_draft_and_submits_it(world, catalogue, login):
    draft = make_order(world, catalogue, "a", status=OrderStatus.DRAFT)
    client = login(world.pm_a)
    page = client.get(action("edit", draft))
    assert page.status_code == 200
    assert page.context["form"].initial["customer"] == draft.customer_id
    assert unlabelled(page.content.decode()) == []
    data = order_form(
        catalogue, customer=str(draft.customer_id), company="", lines=[(catalogue.saw.sku, "4")]
    )
    response = client.post(action("edit", draft), data)
    draft.refresh_from_db()
    assert response.status_code == 302 and draft.status == OrderStatus.DRAFT
    assert draft.total == Decimal("102.00") and draft.lines.get().quantity == 4
    assert f"Draft {draft.number} is saved." in followed_messages(client, response)
    response = client.post(action("edit", draft), {**data, "action": "submit"})
    draft.refresh_from_db()
    assert draft.status == OrderStatus.SUBMITTED
    assert "is submitted" in followed_messages(client, response)[0]


def test_only_drafts_change_and_a_resellers_draft_is_403(world, catalogue, login):
    submitted = make_order(world, catalogue, "a")
    client = login(world.pm_a)
    response = client.get(action("edit", submitted))
    assert response.status_code == 302 and "only drafts change" in followed_messages(client, response)[0]
    reseller_draft = make_order(world, catalogue, "b", status=OrderStatus.DRAFT)
    assert client.get(action("edit", reseller_draft)).status_code == 403
    assert client.post(action("submit", reseller_draft)).status_code == 403


# --- Actions ----------------------------------------------------------------------------------------


def test_submit_a_draft_from_its_page(world, catalogue, login):
    draft = make_order(world, catalogue, "a", status=OrderStatus.DRAFT)
    client = login(world.pm_a)
    assert 'action="{}"'.format(action("submit", draft)) in client.get(detail(draft)).content.decode()
    response = client.post(action("submit", draft))
    draft.refresh_from_db()
    assert draft.status == OrderStatus.SUBMITTED
    assert "is submitted" in followed_messages(client, response)[0]
    again = client.post(action("submit", draft))
    assert "submitted already" in followed_messages(client, again)[0]


def test_an_empty_draft_cannot_be_submitted(world, catalogue, login):
    draft = make_order(world, catalogue, "a", status=OrderStatus.DRAFT, lines=[])
    client = login(world.pm_a)
    response = client.post(action("submit", draft))
    draft.refresh_from_db()
    assert draft.status == OrderStatus.DRAFT
    assert "Add at least one product" in followed_messages(client, response)[0]


def test_employee_accepts_an_incoming_order_in_one_click(world, catalogue, login):
    order = make_order(world, catalogue, "a")
    client = login(world.pe_a)
    page = client.get(detail(order)).content.decode()
    assert "A new order for you" in page and 'action="{}"'.format(action("accept", order)) in page
    response = client.post(action("accept", order))
    order.refresh_from_db()
    assert order.status == OrderStatus.ACCEPTED and order.assigned_to == world.pe_a
    assert "You accepted order" in followed_messages(client, response)[0]
    again = client.post(action("accept", order))  # a second tap
    assert "accepted already" in followed_messages(client, again)[0]
    assert order.events.filter(kind=OrderEventKind.ACCEPTED).count() == 1


def test_reject_needs_a_reason_and_then_cancels_the_order(world, catalogue, login):
    order = make_order(world, catalogue, "a")
    client = login(world.pm_a)
    before = snapshot()
    response = client.post(action("reject", order), {"reason": "  "})
    assert response.status_code == 400 and snapshot() == before
    assert "This field is required." in response.context["forms"]["reject"].errors["reason"]
    response = client.post(action("reject", order), {"reason": "Out of stock until May"})
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED and order.reason == "Out of stock until May"
    assert order.events.last().kind == OrderEventKind.REJECTED
    assert "You rejected order" in followed_messages(client, response)[0]


def test_a_move_the_status_does_not_allow_is_a_message(world, catalogue, login):
    order = make_order(world, catalogue, "a", status=OrderStatus.CONFIRMED)
    client = login(world.pm_a)
    before = snapshot()
    for name, body in (("reject", {"reason": "Too late"}), ("cancel", {}), ("submit", {})):
        response = client.post(action(name, order), body)
        assert "that is not possible now" in followed_messages(client, response)[0]
    assert snapshot() == before


def test_cancel_an_accepted_order_with_a_reason(world, catalogue, login):
    order = make_order(world, catalogue, "a", status=OrderStatus.ACCEPTED)
    client = login(world.pm_a)
    assert 'id="cancel"' in client.get(detail(order)).content.decode()
    response = client.post(action("cancel", order), {"reason": "Customer phoned"})
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED and order.reason == "Customer phoned"
    assert "is cancelled" in followed_messages(client, response)[0]


def test_actions_answer_only_post(world, catalogue, login):
    order = make_order(world, catalogue, "a")
    client = login(world.pm_a)
    for name in ("submit", "accept", "reject", "cancel"):
        assert client.get(action(name, order)).status_code == 405


# --- Lead to order ----------------------------------------------------------------------------------


def test_a_qualified_lead_converts_into_a_draft_and_links_to_it(world, catalogue, login):
    lead = worked_lead(
        world.a, status=LeadStatus.QUALIFIED, company="Lead Buyer GmbH", email="lb@leadbuyer.example"
    )
    LeadItem.objects.create(lead=lead, product=catalogue.drill, quantity=5)
    LeadItem.objects.create(lead=lead, product=catalogue.saw, quantity=1)
    client = login(world.pm_a)
    lead_page = reverse("partner:lead_detail", args=[lead.pk])
    convert = reverse("partner:lead_convert", args=[lead.pk])
    assert f'action="{convert}"' in client.get(lead_page).content.decode()
    response = client.post(convert)
    order = Order.objects.get(lead=lead)
    assert response.status_code == 302 and response["Location"] == detail(order)
    assert order.status == OrderStatus.DRAFT and order.total == Decimal("70.50")  # 5 × 9.00 + 25.50
    assert order.customer.company == "Lead Buyer GmbH"
    html = client.get(lead_page).content.decode()
    assert f'href="{detail(order)}"' in html and f'action="{convert}"' not in html
    again = client.post(convert)
    assert "converted already" in followed_messages(client, again)[0]
    assert Order.objects.count() == 1


def test_only_qualified_or_won_leads_convert_and_only_for_their_partner(world, catalogue, login):
    accepted = worked_lead(world.a, status=LeadStatus.ACCEPTED)
    client = login(world.pm_a)
    assert (
        "Convert to order"
        not in client.get(reverse("partner:lead_detail", args=[accepted.pk])).content.decode()
    )
    response = client.post(reverse("partner:lead_convert", args=[accepted.pk]))
    assert "Only a qualified or won lead" in followed_messages(client, response)[0]
    reseller = worked_lead(world.b, status=LeadStatus.WON)
    assert client.post(reverse("partner:lead_convert", args=[reseller.pk])).status_code == 403
    others = worked_lead(world.c, status=LeadStatus.WON)
    assert client.post(reverse("partner:lead_convert", args=[others.pk])).status_code == 404
    assert not Order.objects.exists()


def test_nav_has_orders(world, login):
    html = login(world.pe_a).get(reverse("partner:home")).content.decode()
    assert f'href="{LIST}">Orders</a>' in html
