"""orders.services: entering orders at the partner's prices (customer matched or created on the fly),
every move of the workflow with its actor, date and e-mail to the customer, the moves it refuses, lead
conversion and the showroom's "Place order"."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.errors import InvalidTransition, NotAllowed
from core.models import ActivityEvent
from core.services import emails_suppressed
from customers.models import Contact, Customer
from leads.choices import LeadStatus
from leads.models import LeadItem
from orders import services
from orders.choices import OrderEventKind, OrderOrigin, OrderStatus
from orders.models import Order, OrderEvent, OrderLine
from showroom.basket import BasketContents, BasketLine
from showroom.services import showroom_update
from tests.factories import LeadFactory
from tests.orders.conftest import CUSTOMER, enter_order

pytestmark = pytest.mark.django_db


def kinds(order):
    return list(
        OrderEvent.objects.filter(order=order).order_by("id").values_list("kind", "status", "actor__email")
    )


# --- Entering orders -------------------------------------------------------------------------------


def test_an_order_is_priced_from_the_partners_assortment_in_decimal(world, shop):
    order = enter_order(world.a, world.pm_a, [(shop.controller, 2), (shop.sensor, 10), (shop.pack, 150)])
    order.refresh_from_db()
    lines = list(OrderLine.objects.filter(order=order).order_by("id"))
    # The partner's own price for the controller, the list price for the sensor of its category, and
    # the pack priced per 100 units: 150 × 12.34 / 100 = 18.51.
    assert [(line.sku, line.quantity, line.unit_price, line.line_total) for line in lines] == [
        ("PLC-1", 2, Decimal("450.00"), Decimal("900.00")),
        ("IS-M12", 10, Decimal("49.90"), Decimal("499.00")),
        ("CAB-100", 150, Decimal("12.34"), Decimal("18.51")),
    ]
    assert isinstance(order.total, Decimal) and order.total == Decimal("1417.51")
    assert order.currency == "EUR"
    assert order.status == OrderStatus.SUBMITTED and order.submitted_at is not None
    assert order.number == f"SO-{order.pk:06d}"
    assert len(order.status_token) == 43 and order.status_url == f"/orders/status/{order.status_token}/"
    assert kinds(order) == [(OrderEventKind.SUBMITTED, OrderStatus.SUBMITTED, world.pm_a.email)]
    assert order.created_by == world.pm_a and order.origin == OrderOrigin.REPLENISHMENT


def test_the_same_product_is_priced_per_partner(world, shop):
    order = enter_order(world.b, world.pm_b, [(shop.sensor, 2)])
    assert order.total == Decimal("90.00")  # B's own price 45.00, not the list price


def test_the_customer_and_contact_are_created_on_the_fly_and_matched_next_time(world, shop):
    first = enter_order(world.a, world.pm_a, [(shop.sensor, 1)])
    customer = Customer.objects.get()
    assert (customer.partner, customer.company, customer.city, customer.address, customer.country) == (
        world.a,
        "Kunde AG",
        "Potsdam",
        "Hauptstraße 1",
        "DE",
    )
    assert first.customer == customer
    assert (first.contact.name, first.contact.email, first.contact.phone) == (
        "Kim Kunde",
        "kim@kunde.example",
        "+49 30 1234",
    )
    second = enter_order(
        world.a,
        world.pm_a,
        [(shop.sensor, 1)],
        customer_data={"company": "KUNDE GmbH", "email": "ole@kunde.example"},
    )
    assert second.customer == customer  # the same company (and e-mail domain)
    assert second.contact.email == "ole@kunde.example"
    assert Customer.objects.count() == 1 and Contact.objects.filter(customer=customer).count() == 2


def test_an_existing_customer_is_taken_with_its_contact(world, shop):
    first = enter_order(world.a, world.pm_a, [(shop.sensor, 1)])
    order = services.order_create(
        partner=world.a,
        actor=world.pm_a,
        origin="replenishment",
        customer=first.customer,
        lines=[(shop.sensor, 3)],
    )
    assert order.customer == first.customer and order.contact == first.contact


def test_another_partners_customer_is_refused(world, shop):
    other = enter_order(world.c, world.pm_c, [(shop.valve, 1)]).customer
    with pytest.raises(ValidationError) as exc:
        services.order_create(
            partner=world.a,
            actor=world.pm_a,
            origin="replenishment",
            customer=other,
            lines=[(shop.sensor, 1)],
        )
    assert "customer" in exc.value.message_dict


def test_lines_may_be_given_as_ids(world, shop):
    order = enter_order(world.a, world.pm_a, [{"product": shop.sensor.pk, "quantity": 3}])
    assert order.total == Decimal("149.70")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("valve", "Line 2: product {id} is not in Alpha Distribution's assortment."),
        ("retired", "Line 2: product {id} is not in Alpha Distribution's assortment."),
        ("zero", "Line 2: the quantity must be a whole number from 1 to 99,999."),
        ("huge", "Line 2: the quantity must be a whole number from 1 to 99,999."),
    ],
)
def test_a_bad_line_is_named_and_nothing_is_stored(world, shop, line, message):
    bad = {
        "valve": (shop.valve, 1),
        "retired": (shop.retired, 1),
        "zero": (shop.sensor, 0),
        "huge": (shop.sensor, 100_000),
    }[line]
    with pytest.raises(ValidationError) as exc:
        enter_order(world.a, world.pm_a, [(shop.sensor, 1), bad])
    product_id = bad[0].pk
    assert exc.value.message_dict["lines"] == [message.format(id=product_id)]
    assert not Order.objects.exists() and not Customer.objects.exists()


def test_products_in_two_currencies_are_refused(world, shop):
    with pytest.raises(ValidationError) as exc:
        enter_order(world.a, world.pm_a, [(shop.sensor, 1), (shop.pump_usd, 1)])
    assert "several currencies (EUR, USD)" in exc.value.message_dict["lines"][0]


def test_an_order_in_usd_has_that_currency(world, shop):
    assert enter_order(world.a, world.pm_a, [(shop.pump_usd, 2)]).currency == "USD"


def test_a_submitted_order_needs_a_line_a_draft_does_not(world, shop):
    with pytest.raises(ValidationError) as exc:
        enter_order(world.a, world.pm_a, [])
    assert exc.value.message_dict["lines"] == ["Add at least one product to the order."]
    draft = enter_order(world.a, world.pm_a, [], draft=True)
    assert draft.status == OrderStatus.DRAFT and draft.total == Decimal("0.00") and draft.submitted_at is None
    assert kinds(draft) == [(OrderEventKind.CREATED, OrderStatus.DRAFT, world.pm_a.email)]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"contact": "Kim"}, "customer.company"),
        ({"company": "Kunde AG"}, "customer.contact"),
        ({"company": "Kunde AG", "email": "not-an-address"}, "customer.email"),
        ({"company": "Kunde AG", "contact": "Kim", "country": "XX"}, "customer.country"),
        ({"company": "Kunde AG", "contact": "Kim", "fax": "1"}, "customer.fax"),
        ({"company": "K" * 201, "contact": "Kim"}, "customer.company"),
    ],
)
def test_bad_customer_details_are_refused_per_field(world, shop, data, field):
    with pytest.raises(ValidationError) as exc:
        enter_order(world.a, world.pm_a, [(shop.sensor, 1)], customer_data=data)
    assert field in exc.value.message_dict
    assert not Customer.objects.exists()


def test_an_expected_delivery_in_the_past_is_refused(world, shop):
    with pytest.raises(ValidationError) as exc:
        enter_order(
            world.a,
            world.pm_a,
            [(shop.sensor, 1)],
            expected_delivery=timezone.localdate() - timedelta(days=1),
        )
    assert "expected_delivery" in exc.value.message_dict


@pytest.mark.parametrize(
    ("who", "partner", "allowed"),
    [
        ("pm_a", "a", True),
        ("pe_a", "a", True),
        ("cm_a", "a", True),
        ("admin", "c", True),
        ("pm_a", "b", False),  # a distributor's manager reads its resellers' orders only
        ("pm_c", "a", False),
        ("cm_c", "a", False),
    ],
)
def test_who_enters_orders_for_a_partner(world, shop, who, partner, allowed):
    product = shop.valve if partner == "c" else shop.sensor
    if allowed:
        assert enter_order(getattr(world, partner), getattr(world, who), [(product, 1)]).pk
    else:
        with pytest.raises(NotAllowed):
            enter_order(getattr(world, partner), getattr(world, who), [(product, 1)])
        assert not Order.objects.exists()


def test_an_employees_order_is_assigned_to_them(world, shop):
    assert enter_order(world.a, world.pe_a, [(shop.sensor, 1)]).assigned_to == world.pe_a
    assert enter_order(world.a, world.pm_a, [(shop.sensor, 1)]).assigned_to is None


def test_an_inactive_partner_takes_no_orders(world, shop):
    world.a.status = "suspended"
    world.a.save()
    with pytest.raises(ValidationError) as exc:
        enter_order(world.a, world.admin, [(shop.sensor, 1)])
    assert "partner" in exc.value.message_dict


def test_a_draft_is_changed_and_priced_again(world, shop):
    draft = enter_order(world.a, world.pe_a, [(shop.sensor, 1)], draft=True)
    changed = services.order_update(
        order=draft,
        actor=world.pe_a,
        lines=[(shop.controller, 1)],
        customer_reference="PO-77",
        notes="Urgent",
    )
    assert changed.total == Decimal("450.00") and changed.customer_reference == "PO-77"
    assert list(changed.lines.values_list("sku", flat=True)) == ["PLC-1"]
    event = OrderEvent.objects.filter(order=draft).order_by("id").last()
    assert (event.kind, event.note) == (OrderEventKind.UPDATED, "Changed: lines, customer reference, notes")
    # Nothing to change: no event.
    services.order_update(order=changed, actor=world.pe_a, notes="Urgent")
    assert OrderEvent.objects.filter(order=draft).count() == 2


def test_only_drafts_change_and_bad_lines_change_nothing(world, shop):
    draft = enter_order(world.a, world.pm_a, [(shop.sensor, 1)], draft=True)
    with pytest.raises(ValidationError):
        services.order_update(order=draft, actor=world.pm_a, lines=[(shop.valve, 1)])
    assert list(draft.lines.values_list("sku", flat=True)) == ["IS-M12"]
    submitted = enter_order(world.a, world.pm_a, [(shop.sensor, 1)])
    with pytest.raises(InvalidTransition, match="Only a draft order can be changed"):
        services.order_update(order=submitted, actor=world.pm_a, notes="x")
    with pytest.raises(NotAllowed):
        services.order_update(order=draft, actor=world.pm_c, notes="x")


# --- The workflow ----------------------------------------------------------------------------------


def test_the_whole_journey_is_dated_with_its_actors_and_the_customer_is_emailed_each_step(
    world, shop, django_capture_on_commit_callbacks, mailoutbox, settings
):
    settings.SITE_URL = "https://pcm.example"
    with django_capture_on_commit_callbacks(execute=True):
        order = enter_order(world.a, world.pe_a, [(shop.sensor, 2)], draft=True)
    assert mailoutbox == []  # a draft is not the customer's business yet
    delivery = timezone.localdate() + timedelta(days=10)
    with django_capture_on_commit_callbacks(execute=True):
        order = services.order_submit(order=order, actor=world.pe_a)
        order = services.order_accept(order=order, actor=world.pe_a)
        order = services.order_confirm(order=order, actor=world.cm_a, expected_delivery=delivery)
        order = services.order_ship(order=order, actor=world.admin, tracking_reference=" DHL  123 ")
        order = services.order_deliver(order=order, actor=world.cm_a)
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED and order.tracking_reference == "DHL 123"
    assert order.expected_delivery == delivery
    stamps = [order.submitted_at, order.accepted_at, order.confirmed_at, order.shipped_at, order.delivered_at]
    assert all(stamps) and stamps == sorted(stamps) and order.cancelled_at is None
    assert kinds(order) == [
        (OrderEventKind.CREATED, OrderStatus.DRAFT, world.pe_a.email),
        (OrderEventKind.SUBMITTED, OrderStatus.SUBMITTED, world.pe_a.email),
        (OrderEventKind.ACCEPTED, OrderStatus.ACCEPTED, world.pe_a.email),
        (OrderEventKind.CONFIRMED, OrderStatus.CONFIRMED, world.cm_a.email),
        (OrderEventKind.SHIPPED, OrderStatus.SHIPPED, world.admin.email),
        (OrderEventKind.DELIVERED, OrderStatus.DELIVERED, world.cm_a.email),
    ]
    to_customer = [m for m in mailoutbox if m.to == ["kim@kunde.example"]]
    assert [m.subject for m in to_customer] == [
        f"Your order {order.number}: received",
        f"Your order {order.number}: accepted",
        f"Your order {order.number}: confirmed",
        f"Your order {order.number}: shipped",
        f"Your order {order.number}: delivered",
    ]
    link = f"https://pcm.example/orders/status/{order.status_token}/"
    assert all(link in m.body and m.body.startswith("Dear Kim Kunde,") for m in to_customer)
    assert "Tracking reference: DHL 123" in to_customer[3].body
    assert f"Expected delivery: {delivery:%Y-%m-%d}" in to_customer[2].body
    # The brand owner hears of the accepted order (A's channel manager).
    assert any(m.to == [world.cm_a.email] and "to confirm" in m.subject for m in mailoutbox)
    assert OrderEvent.objects.filter(order=order, emailed_at__isnull=True).count() == 1  # only "created"


@pytest.mark.parametrize(
    ("status", "move"),
    [
        ("submitted", "confirm"),
        ("submitted", "ship"),
        ("submitted", "deliver"),
        ("submitted", "submit"),
        ("draft", "accept"),
        ("draft", "confirm"),
        ("accepted", "accept"),
        ("accepted", "deliver"),
        ("confirmed", "deliver"),
        ("shipped", "cancel"),
        ("delivered", "cancel"),
        ("delivered", "ship"),
        ("cancelled", "submit"),
        ("cancelled", "accept"),
    ],
)
def test_moves_the_workflow_does_not_allow_are_refused_and_change_nothing(world, shop, status, move):
    order = order_in(world, shop, status)
    before = (order.status, OrderEvent.objects.filter(order=order).count())
    actor = (
        world.admin if move in ("confirm", "ship", "deliver", "cancel") and status != "draft" else world.pm_a
    )
    call = {
        "submit": lambda: services.order_submit(order=order, actor=world.pm_a),
        "accept": lambda: services.order_accept(order=order, actor=world.pm_a),
        "confirm": lambda: services.order_confirm(order=order, actor=world.admin),
        "ship": lambda: services.order_ship(order=order, actor=world.admin, tracking_reference="T-1"),
        "deliver": lambda: services.order_deliver(order=order, actor=world.admin),
        "cancel": lambda: services.order_cancel(order=order, actor=actor),
    }[move]
    with pytest.raises(InvalidTransition):
        call()
    order.refresh_from_db()
    assert (order.status, OrderEvent.objects.filter(order=order).count()) == before


def order_in(world, shop, status):
    """An order of partner A in `status`, moved there through the services."""
    order = enter_order(world.a, world.pm_a, [(shop.sensor, 1)], draft=status == "draft")
    if status in ("draft", "submitted"):
        return order
    if status == "cancelled":
        return services.order_cancel(order=order, actor=world.pm_a)
    order = services.order_accept(order=order, actor=world.pm_a)
    steps = ["confirmed", "shipped", "delivered"]
    for step in steps[: steps.index(status) + 1] if status in steps else []:
        if step == "confirmed":
            order = services.order_confirm(order=order, actor=world.admin)
        elif step == "shipped":
            order = services.order_ship(order=order, actor=world.admin, tracking_reference="T-1")
        else:
            order = services.order_deliver(order=order, actor=world.admin)
    return order


@pytest.mark.parametrize(
    ("status", "move", "who"),
    [
        ("submitted", "accept", "pm_c"),
        ("submitted", "accept", "cm_a"),  # the brand owner does not accept for the partner
        ("submitted", "accept", "pm_b"),
        ("accepted", "confirm", "pm_a"),
        ("accepted", "confirm", "cm_c"),
        ("confirmed", "ship", "pe_a"),
        ("shipped", "deliver", "pm_a"),
        ("draft", "submit", "pm_c"),
        ("confirmed", "cancel", "pm_a"),  # confirmed by the brand owner: only it cancels
        ("submitted", "cancel", "cm_c"),
    ],
)
def test_the_wrong_people_may_not_move_an_order(world, shop, status, move, who):
    order = order_in(world, shop, status)
    actor = getattr(world, who)
    call = {
        "submit": lambda: services.order_submit(order=order, actor=actor),
        "accept": lambda: services.order_accept(order=order, actor=actor),
        "confirm": lambda: services.order_confirm(order=order, actor=actor),
        "ship": lambda: services.order_ship(order=order, actor=actor, tracking_reference="T-1"),
        "deliver": lambda: services.order_deliver(order=order, actor=actor),
        "cancel": lambda: services.order_cancel(order=order, actor=actor),
    }[move]
    with pytest.raises(NotAllowed):
        call()
    order.refresh_from_db()
    assert order.status == status


def test_an_employee_accepting_an_unassigned_order_takes_it(world, shop):
    order = enter_order(world.a, world.pm_a, [(shop.sensor, 1)])
    assert services.order_accept(order=order, actor=world.pe_a).assigned_to == world.pe_a


def test_an_employee_may_not_accept_a_colleagues_order(world, shop):
    from tests.factories import partner_user

    colleague = partner_user(world.a, email="pe2@alpha.example")
    order = enter_order(world.a, colleague, [(shop.sensor, 1)])
    with pytest.raises(NotAllowed):
        services.order_accept(order=order, actor=world.pe_a)


def test_rejecting_needs_a_reason_which_the_customer_reads(
    world, shop, django_capture_on_commit_callbacks, mailoutbox
):
    order = enter_order(world.a, world.pm_a, [(shop.sensor, 1)])
    with pytest.raises(ValidationError) as exc:
        services.order_reject(order=order, actor=world.pm_a, reason="   ")
    assert "reason" in exc.value.message_dict
    order.refresh_from_db()
    assert order.status == OrderStatus.SUBMITTED
    with django_capture_on_commit_callbacks(execute=True):
        order = services.order_reject(order=order, actor=world.pm_a, reason="Discontinued model")
    assert (order.status, order.reason) == (OrderStatus.CANCELLED, "Discontinued model")
    assert order.cancelled_at is not None
    assert kinds(order)[-1] == (OrderEventKind.REJECTED, OrderStatus.CANCELLED, world.pm_a.email)
    (mail,) = mailoutbox
    assert (
        mail.subject == f"Your order {order.number}: not accepted"
        and "Reason: Discontinued model" in mail.body
    )


def test_only_a_submitted_order_is_rejected(world, shop):
    order = order_in(world, shop, "accepted")
    with pytest.raises(InvalidTransition, match="Only a submitted order can be rejected"):
        services.order_reject(order=order, actor=world.pm_a, reason="No")


def test_shipping_needs_a_tracking_reference(world, shop):
    order = order_in(world, shop, "confirmed")
    for bad in ("", "   ", "x" * 101):
        with pytest.raises(ValidationError) as exc:
            services.order_ship(order=order, actor=world.admin, tracking_reference=bad)
        assert "tracking_reference" in exc.value.message_dict
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED and order.shipped_at is None


def test_the_partner_cancels_until_the_brand_owner_confirmed_then_the_brand_owner(world, shop):
    accepted = order_in(world, shop, "accepted")
    cancelled = services.order_cancel(order=accepted, actor=world.pe_a, reason="Customer changed their mind")
    assert (cancelled.status, cancelled.reason) == (OrderStatus.CANCELLED, "Customer changed their mind")
    assert kinds(cancelled)[-1] == (OrderEventKind.CANCELLED, OrderStatus.CANCELLED, world.pe_a.email)
    confirmed = order_in(world, shop, "confirmed")
    assert services.order_cancel(order=confirmed, actor=world.cm_a).status == OrderStatus.CANCELLED


def test_the_customer_email_goes_out_once_even_if_the_task_runs_twice(world, shop, mailoutbox):
    order = enter_order(world.a, world.pm_a, [(shop.sensor, 1)])
    event = OrderEvent.objects.get(order=order)
    assert services.order_status_email_send(event_id=event.pk) is True
    assert services.order_status_email_send(event_id=event.pk) is False
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["kim@kunde.example"]


def test_no_email_without_a_contact_address_nor_while_suppressed(
    world, shop, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        enter_order(
            world.a, world.pm_a, [(shop.sensor, 1)], customer_data={"company": "Phone Only", "contact": "Ann"}
        )
    assert [m.to for m in mailoutbox] == []
    with emails_suppressed(), django_capture_on_commit_callbacks(execute=True) as callbacks:
        enter_order(world.a, world.pm_a, [(shop.sensor, 1)])
    assert callbacks == [] and mailoutbox == []


def test_partner_managers_hear_of_orders_their_people_did_not_enter(
    world, shop, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        own = enter_order(world.a, world.pe_a, [(shop.sensor, 1)])
    assert not any(world.pm_a.email in m.to for m in mailoutbox)
    with django_capture_on_commit_callbacks(execute=True):
        by_channel = enter_order(world.a, world.cm_a, [(shop.sensor, 1)])
    (to_manager,) = [m for m in mailoutbox if m.to == [world.pm_a.email]]
    assert to_manager.subject == f"New order {by_channel.number} from Kunde AG"
    assert own.number != by_channel.number


# --- From a lead -----------------------------------------------------------------------------------


def won_lead(world, shop, **fields):
    lead = LeadFactory(partner=world.a, status=fields.pop("status", LeadStatus.WON), **fields)
    LeadItem.objects.create(lead=lead, product=shop.controller, quantity=3)
    LeadItem.objects.create(lead=lead, product=shop.sensor, quantity=4)
    return lead


@pytest.mark.parametrize("status", [LeadStatus.WON, LeadStatus.QUALIFIED])
def test_a_qualified_or_won_lead_converts_into_a_draft_with_its_items_at_the_partners_prices(
    world, shop, status
):
    lead = won_lead(
        world, shop, status=status, company="Lead Kunde GmbH", contact_name="Lou", email="lou@lk.example"
    )
    order = services.lead_convert(lead=lead, actor=world.pm_a)
    assert (order.status, order.origin, order.lead) == (OrderStatus.DRAFT, OrderOrigin.LEAD, lead)
    assert [(line.sku, line.quantity, line.unit_price) for line in order.lines.order_by("id")] == [
        ("PLC-1", 3, Decimal("450.00")),
        ("IS-M12", 4, Decimal("49.90")),
    ]
    assert order.total == Decimal("1549.60")
    lead.refresh_from_db()
    assert lead.order == order and lead.customer == order.customer
    assert (order.customer.company, order.contact.email) == ("Lead Kunde GmbH", "lou@lk.example")
    assert kinds(order) == [(OrderEventKind.CREATED, OrderStatus.DRAFT, world.pm_a.email)]
    assert ActivityEvent.objects.filter(verb="lead.converted", target_id=lead.pk).exists()


def test_a_lead_converts_once(world, shop):
    lead = won_lead(world, shop)
    first = services.lead_convert(lead=lead, actor=world.pm_a)
    with pytest.raises(InvalidTransition, match=f"converted already, into order {first.number}"):
        services.lead_convert(lead=lead, actor=world.pm_a)
    assert Order.objects.count() == 1


@pytest.mark.parametrize("status", [LeadStatus.DISPATCHED, LeadStatus.ACCEPTED, LeadStatus.LOST])
def test_a_lead_that_is_not_qualified_or_won_does_not_convert(world, shop, status):
    lead = won_lead(world, shop, status=status)
    with pytest.raises(InvalidTransition, match="Only a qualified or won lead converts"):
        services.lead_convert(lead=lead, actor=world.pm_a)
    assert not Order.objects.exists()


@pytest.mark.parametrize("who", ["pm_c", "cm_a", "pm_b"])
def test_only_the_partner_holding_the_lead_converts_it(world, shop, who):
    lead = won_lead(world, shop)
    with pytest.raises(NotAllowed):
        services.lead_convert(lead=lead, actor=getattr(world, who))


def test_products_no_longer_sold_are_left_out_and_noted(world, shop):
    lead = won_lead(world, shop)
    LeadItem.objects.create(lead=lead, product=shop.valve, quantity=7)
    order = services.lead_convert(lead=lead, actor=world.pm_a)
    assert list(order.lines.values_list("sku", flat=True)) == ["PLC-1", "IS-M12"]
    assert order.notes == "Not in the assortment any more, left out: 7 × V-1"


def test_a_lead_without_items_converts_into_an_empty_draft_in_its_currency(world, shop):
    lead = LeadFactory(partner=world.a, status=LeadStatus.WON, currency="CHF")
    order = services.lead_convert(lead=lead, actor=world.pm_a)
    assert (order.total, order.currency, order.lines.count()) == (Decimal("0.00"), "CHF", 0)
    with pytest.raises(ValidationError):
        services.order_submit(order=order, actor=world.pm_a)  # nothing to order yet


# --- From the showroom -----------------------------------------------------------------------------


def basket(shop, *pairs):
    return BasketContents(
        lines=[
            BasketLine(product=p, quantity=q, price=p.list_price, stock=None, lead_time_days=None)
            for p, q in pairs
        ]
    )


def test_the_showroom_basket_becomes_a_submitted_order(
    world, shop, mailoutbox, django_capture_on_commit_callbacks
):
    showroom = showroom_update(partner=world.a, actor=world.admin, changes={"published": True})
    data = {"company": "Shop Kunde", "contact_name": "Sam", "email": "sam@shopkunde.example", "country": "DE",
            "city": "Kiel", "phone": "", "message": "Deliver to gate 2"}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        order = services.order_from_showroom(
            showroom=showroom,
            contents=basket(shop, (shop.controller, 1), (shop.sensor, 2)),
            customer_data=data,
        )
    assert (order.status, order.origin, order.partner, order.created_by) == (
        OrderStatus.SUBMITTED,
        OrderOrigin.SHOWROOM,
        world.a,
        None,
    )
    assert order.total == Decimal("549.80") and order.notes == "Deliver to gate 2"
    assert (order.customer.company, order.contact.name, order.contact.email) == (
        "Shop Kunde",
        "Sam",
        "sam@shopkunde.example",
    )
    assert kinds(order) == [(OrderEventKind.SUBMITTED, OrderStatus.SUBMITTED, None)]
    assert {tuple(m.to) for m in mailoutbox} == {("sam@shopkunde.example",), (world.pm_a.email,)}


def test_a_closed_showroom_or_an_empty_basket_orders_nothing(world, shop):
    showroom = showroom_update(partner=world.a, actor=world.admin, changes={"published": False})
    with pytest.raises(ValidationError, match="closed"):
        services.order_from_showroom(
            showroom=showroom, contents=basket(shop, (shop.sensor, 1)), customer_data=CUSTOMER
        )
    showroom = showroom_update(partner=world.a, actor=world.admin, changes={"published": True})
    with pytest.raises(ValidationError, match="empty"):
        services.order_from_showroom(showroom=showroom, contents=basket(shop), customer_data=CUSTOMER)
    with pytest.raises(ValidationError) as exc:
        services.order_from_showroom(
            showroom=showroom,
            contents=basket(shop, (shop.sensor, 1)),
            customer_data={"company": "", "email": "x"},
        )
    assert set(exc.value.message_dict) == {"company", "email"}  # the showroom form's own field names
    assert not Order.objects.exists()
