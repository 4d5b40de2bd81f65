"""Orders in Django's admin: listed with filters and search, lines and history read-only, nothing
added, changed or deleted by hand; admin actions move orders through orders.services and report what
the services refused."""

from __future__ import annotations

import pytest
from django.urls import reverse

from orders import services
from orders.choices import OrderEventKind, OrderStatus
from orders.models import Order, OrderEvent
from tests.orders.conftest import enter_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, world):
    world.admin.is_staff = True
    world.admin.is_superuser = True
    world.admin.save()
    client.force_login(world.admin)
    return client


@pytest.fixture
def placed(world, shop):
    accepted = services.order_accept(
        order=enter_order(world.a, world.pm_a, [(shop.sensor, 2)]), actor=world.pm_a
    )
    submitted = enter_order(
        world.c, world.pm_c, [(shop.valve, 1)], customer_data={"company": "Gamma Kunde", "contact": "G"}
    )
    return {"accepted": accepted, "submitted": submitted}


def test_the_list_filters_and_searches(admin_client, placed):
    page = admin_client.get(
        reverse("admin:orders_order_changelist"), {"status__exact": "accepted"}
    ).content.decode()
    assert placed["accepted"].number in page and placed["submitted"].number not in page
    page = admin_client.get(reverse("admin:orders_order_changelist"), {"q": "gamma"}).content.decode()
    assert placed["submitted"].number in page and placed["accepted"].number not in page
    page = admin_client.get(
        reverse("admin:orders_order_changelist"), {"q": placed["accepted"].number}
    ).content.decode()
    assert placed["accepted"].number in page and placed["submitted"].number not in page


def test_the_order_page_shows_lines_and_history_read_only(admin_client, placed):
    order = placed["accepted"]
    page = admin_client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert "IS-M12" in page and "99.80" in page and "Accepted" in page
    assert 'name="lines-0-quantity"' not in page  # no editable inline rows
    assert admin_client.get(reverse("admin:orders_order_add")).status_code == 403
    response = admin_client.post(reverse("admin:orders_order_delete", args=[order.pk]), {"post": "yes"})
    assert response.status_code == 403 and Order.objects.filter(pk=order.pk).exists()


def test_the_confirm_action_calls_the_service_with_the_admin_as_actor(admin_client, world, placed):
    response = admin_client.post(
        reverse("admin:orders_order_changelist"),
        {"action": "confirm_orders", "_selected_action": [placed["accepted"].pk, placed["submitted"].pk]},
        follow=True,
    )
    page = response.content.decode()
    assert "1 order confirmed." in page
    # The submitted order is not the brand owner's to confirm yet: the workflow's message, unchanged.
    assert f"{placed['submitted'].number}: An order cannot go from “Submitted” to “Confirmed”." in page
    confirmed = Order.objects.get(pk=placed["accepted"].pk)
    assert confirmed.status == OrderStatus.CONFIRMED
    event = OrderEvent.objects.filter(order=confirmed).order_by("id").last()
    assert (event.kind, event.actor) == (OrderEventKind.CONFIRMED, world.admin)
    assert Order.objects.get(pk=placed["submitted"].pk).status == OrderStatus.SUBMITTED


def test_the_cancel_action(admin_client, placed):
    admin_client.post(
        reverse("admin:orders_order_changelist"),
        {"action": "cancel_orders", "_selected_action": [placed["submitted"].pk]},
    )
    order = Order.objects.get(pk=placed["submitted"].pk)
    assert (order.status, order.reason) == (OrderStatus.CANCELLED, "Cancelled by the brand owner.")


def test_admin_lists_are_scoped_like_everywhere_else(client, world, placed):
    world.pm_a.is_staff = True
    world.pm_a.save()
    from django.contrib.auth.models import Permission

    world.pm_a.user_permissions.add(Permission.objects.get(codename="view_order"))
    client.force_login(world.pm_a)
    page = client.get(reverse("admin:orders_order_changelist")).content.decode()
    # Scoped like everywhere else: A's manager sees A's order, not C's.
    assert placed["accepted"].number in page and placed["submitted"].number not in page
