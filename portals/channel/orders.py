"""Channel portal: orders across the managed partners (issue 6). The list (search, status and partner
filters, keyset pages), the order page where the brand owner confirms an accepted order with its
expected delivery date, ships it with the tracking reference, marks it delivered or cancels it; and
the totals per partner (a table and a chart: how many orders, how many open, the ordered value per
currency).

Every read goes through orders.selectors (out of scope is 404); every change is a POST that calls
orders.services and redirects with a message: NotAllowed answers 403, a move the workflow refuses is
a message (nothing changed), a form with errors is shown again on the page with 400."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from core.errors import InvalidTransition, NotAllowed
from orders import rules, selectors, services
from orders.choices import OrderStatus
from orders.models import Order
from partners import access
from portals.channel.leads import partner_name_for_filter, visible_partner_choices
from portals.channel.order_forms import CancelForm, ConfirmForm, OrderFilterForm, ShipForm
from portals.crumbs import Crumb, channel_crumbs
from portals.decorators import acting_user, channel_required
from portals.forms import add_service_errors, error_text
from portals.paging import request_page

ORDER = "-created_at"
HISTORY_SHOWN = 200
LINES_SHOWN = 200
NOTHING_CHANGED = "Nothing was changed."
# The totals sum the whole scope (millions of orders for an admin): cached this long, not summed per view.
TOTALS_TTL = 60
TOTALS_SHOWN = 100  # table rows: the partners with the most orders
CHART_PARTNERS = 15  # bars per chart
CHART_CURRENCIES = 3  # value charts, for the currencies with the most orders


def _crumbs(*items: Crumb) -> list[Crumb]:
    return channel_crumbs(("Orders", reverse("channel:order_list")), *items)


# --- List -----------------------------------------------------------------------------------------


@channel_required
@require_GET
def order_list(request: HttpRequest) -> HttpResponse:
    """The visible orders, newest first, by keyset pages; searched (number, company, e-mail) and
    filtered by status and partner.

    Queries: session, user, actor, partner picker, one page of orders (partner, customer joined): 5,
    whatever the number of rows; with a partner outside the picker, its name: 6."""
    user = request.user
    choices, _ = visible_partner_choices(user)
    form = OrderFilterForm(request.GET, partner_choices=choices)
    if not form.is_valid():
        messages.warning(request, f"Some filters were not understood and are ignored: {form.error_labels()}.")
    values = form.valid_values()
    if "partner" in values:
        name = partner_name_for_filter(user, choices, values["partner"])
        if name is None:
            messages.warning(request, "That partner is not one of yours; the filter is ignored.")
            del values["partner"]
        elif all(pk != values["partner"] for pk, _ in choices):
            form = OrderFilterForm(request.GET, partner_choices=[*choices, (values["partner"], name)])
            form.is_valid()
    orders = selectors.order_list(
        user, q=values.get("q", ""), status=values.get("status", ""), partner=values.get("partner")
    )
    page = request_page(request, orders, order=ORDER, size=settings.PAGE_SIZE)
    filters = {k: v for k, v in values.items() if k in OrderFilterForm.FILTERS}
    return render(
        request,
        "portals/channel/orders/list.html",
        {
            "form": form,
            "page": page,
            "filtered": bool(filters),
            "querystring": urlencode(filters),
            "breadcrumbs": channel_crumbs(("Orders", None)),
        },
    )


# --- Order page -----------------------------------------------------------------------------------


def _visible_order(request: HttpRequest, pk: int) -> Order:
    """The order with its lines and history if it is of one of the user's partners, else 404."""
    return selectors.order_detail(request.user, pk)


def _actions(user: Any, order: Order) -> dict[str, bool]:
    """What the user may do with the order now. One check whether they manage its partner (a
    channel manager: 1-2 queries), reused for every action."""
    fulfils = rules.fulfils(user, order)
    return {
        "confirm": fulfils and order.status == OrderStatus.ACCEPTED,
        "ship": fulfils and order.status == OrderStatus.CONFIRMED,
        "deliver": fulfils and order.status == OrderStatus.SHIPPED,
        "cancel": fulfils and order.can_move_to(OrderStatus.CANCELLED),
    }


def render_detail(
    request: HttpRequest, order: Order, *, sent: Form | None = None, status: int = 200
) -> HttpResponse:
    """The order page; `sent` is the action form just posted back with its errors.

    Queries: session, user, actor, the order (partner, customer, contact, assignee, lead joined), its
    lines, its history (actors joined); for a channel manager whether they manage the partner (1-2):
    6 for an admin, 7-8 for a manager, whatever the number of lines and events."""
    may = _actions(request.user, order)
    forms: dict[str, Any] = {}
    for name, cls in (("confirm", ConfirmForm), ("ship", ShipForm), ("cancel", CancelForm)):
        if isinstance(sent, cls):
            forms[name] = sent
        elif may[name]:
            forms[name] = cls(auto_id=f"id_{name}_%s")
    context = {
        "order": order,
        "lines": list(order.lines.all())[:LINES_SHOWN],
        "history": list(order.events.all())[-HISTORY_SHOWN:],
        "forms": forms,
        "may": may,
        "status_link": request.build_absolute_uri(order.status_url),
        "breadcrumbs": _crumbs((order.number, None)),
    }
    return render(request, "portals/channel/orders/detail.html", context, status=status)


@channel_required
@require_GET
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render_detail(request, _visible_order(request, pk))


# --- Actions --------------------------------------------------------------------------------------


def _act(
    request: HttpRequest,
    pk: int,
    action: str,
    form_class: type[Form] | None,
    call: Callable[[Order, dict[str, Any]], Order],
    done: Callable[[Order], str],
) -> HttpResponse:
    """One action posted from an order's page: 404 out of scope, 403 unless the user fulfils the
    order's partner, a message (nothing changed) when the order's status does not allow it now; a
    form with errors comes back on the page with 400."""
    order = _visible_order(request, pk)
    if not rules.fulfils(request.user, order):
        raise PermissionDenied("Only the partner's channel manager or a channel admin acts on this order.")
    back = reverse("channel:order_detail", args=[order.pk])
    if not _actions(request.user, order)[action]:
        messages.error(
            request,
            f"Order {order.number} is {order.get_status_display().lower()}: that is not possible now. "
            f"{NOTHING_CHANGED}",
        )
        return redirect(back)
    form = form_class(request.POST, auto_id=f"id_{action}_%s") if form_class else None
    if form is not None and not form.is_valid():
        messages.error(request, f"See the errors below. {NOTHING_CHANGED}")
        return render_detail(request, order, sent=form, status=400)
    try:
        changed = call(order, form.cleaned_data if form is not None else {})
    except NotAllowed as exc:
        raise PermissionDenied(str(exc))
    except InvalidTransition as exc:
        messages.error(request, f"{exc} {NOTHING_CHANGED}")
        return redirect(back)
    except ValidationError as exc:
        if form is None:
            messages.error(request, f"{error_text(exc)} {NOTHING_CHANGED}")
            return redirect(back)
        add_service_errors(form, exc)
        messages.error(request, f"See the errors below. {NOTHING_CHANGED}")
        return render_detail(request, order, sent=form, status=400)
    messages.success(request, done(changed))
    return redirect(back)


@channel_required
@require_POST
def order_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "confirm",
        ConfirmForm,
        lambda order, data: services.order_confirm(
            order=order, actor=acting_user(request), expected_delivery=data["expected_delivery"]
        ),
        lambda order: (
            f"Order {order.number} is confirmed for delivery on {order.expected_delivery:%d %b %Y}; "
            "the customer is told."
        ),
    )


@channel_required
@require_POST
def order_ship(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "ship",
        ShipForm,
        lambda order, data: services.order_ship(
            order=order, actor=acting_user(request), tracking_reference=data["tracking_reference"]
        ),
        lambda order: f"Order {order.number} is shipped ({order.tracking_reference}); the customer is told.",
    )


@channel_required
@require_POST
def order_deliver(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "deliver",
        None,
        lambda order, data: services.order_deliver(order=order, actor=acting_user(request)),
        lambda order: f"Order {order.number} is delivered.",
    )


@channel_required
@require_POST
def order_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "cancel",
        CancelForm,
        lambda order, data: services.order_cancel(
            order=order, actor=acting_user(request), reason=data["reason"]
        ),
        lambda order: f"Order {order.number} is cancelled; the partner and the customer are told.",
    )


# --- Totals per partner ---------------------------------------------------------------------------


def _value_of(entry: selectors.PartnerOrderTotals, currency: str) -> Decimal:
    return next((amount for code, amount in entry.totals if code == currency), Decimal("0.00"))


def _ranked_by_value(
    totals: list[selectors.PartnerOrderTotals], currency: str
) -> list[selectors.PartnerOrderTotals]:
    """The partners with an ordered value in `currency`, the highest first."""
    valued = [(e, _value_of(e, currency)) for e in totals]
    valued = [(e, v) for e, v in valued if v > 0]
    valued.sort(key=lambda pair: (-pair[1], pair[0].partner_name.lower(), pair[0].partner_id))
    return [e for e, _ in valued]


@channel_required
@require_GET
def order_totals(request: HttpRequest) -> HttpResponse:
    """Orders per partner: how many, how many open, the ordered value per currency; the partners
    with the most orders first. A bar chart of the counts and one of the value per currency (the
    CHART_CURRENCIES currencies with the most orders).

    Queries: session, user, actor, the grouped totals (cached for a minute): 4. What the page shows
    is cached, not the totals of every partner, so that a cached request for a channel of 10,000
    partners does not rebuild and sort them all."""
    actor = access.actor_of(request.user)
    key = f"channel:order-totals-page:{'all' if actor.is_admin else actor.user_id}"
    context = cache.get(key)
    if context is None:
        context = _totals_context(request.user)
        cache.set(key, context, TOTALS_TTL)
    return render(
        request,
        "portals/channel/orders/totals.html",
        {**context, "breadcrumbs": _crumbs(("Totals per partner", None))},
    )


def _totals_context(user: Any) -> dict[str, Any]:
    """The totals page's figures: the table's rows, the sums and the charts' data."""
    totals = selectors.order_totals_by_partner(user)
    by_count = sorted(totals, key=lambda e: (-e.count, e.partner_name.lower(), e.partner_id))
    currency_orders: dict[str, int] = {}
    grand: dict[str, Decimal] = {}
    for entry in totals:
        for currency, amount in entry.totals:
            currency_orders[currency] = currency_orders.get(currency, 0) + entry.count
            grand[currency] = grand.get(currency, Decimal("0.00")) + amount
    currencies = sorted(currency_orders, key=lambda c: (-currency_orders[c], c))
    top = by_count[:CHART_PARTNERS]
    charts = [
        {
            "id": "order-count-chart",
            "data_id": "order-count-chart-data",
            "title": "Orders per partner",
            "spec": {
                "type": "bar",
                "label": "Orders",
                "labels": [e.partner_name for e in top],
                "values": [e.count for e in top],
            },
        }
    ]
    for currency in currencies[:CHART_CURRENCIES]:
        ranked = _ranked_by_value(totals, currency)[:CHART_PARTNERS]
        charts.append(
            {
                "id": f"order-value-chart-{currency.lower()}",
                "data_id": f"order-value-chart-{currency.lower()}-data",
                "title": f"Ordered value per partner ({currency})",
                "spec": {
                    "type": "bar",
                    "label": f"Value ({currency})",
                    "labels": [e.partner_name for e in ranked],
                    "values": [str(_value_of(e, currency)) for e in ranked],
                },
            }
        )
    return {
        "rows": by_count[:TOTALS_SHOWN],
        "more": len(by_count) > TOTALS_SHOWN,
        "partner_count": len(by_count),
        "order_count": sum(e.count for e in totals),
        "open_count": sum(e.open_count for e in totals),
        "grand": sorted(grand.items()),
        "charts": charts if totals else [],
    }
