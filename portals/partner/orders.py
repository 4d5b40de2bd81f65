"""Partner portal: orders (issue 6). The list with the status search an employee uses when a customer
phones (order number, customer company, e-mail), the order page with its lines, totals, customer,
dated history and the customer's status link; new orders and drafts (the customer picked or entered,
product lines from the partner's assortment by SKU), submitting a draft, accepting an incoming order
in one click or rejecting it with a reason, cancelling; and "Convert to order" on a qualified or won
lead.

Every read goes through orders.selectors (out of scope is 404); every change is a POST that calls
orders.services and redirects with a message. A distributor's managers read their resellers' orders
but act only on their own partner's (403); a move the workflow refuses is a message, nothing changed."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.db.models.functions import Upper
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from catalog import selectors as catalog_selectors
from catalog.models import Product
from core.errors import InvalidTransition, NotAllowed
from customers import selectors as customer_selectors
from customers.models import Customer
from leads import rules as lead_rules
from leads import selectors as lead_selectors
from leads.choices import LeadStatus
from orders import rules, selectors, services
from orders.choices import OrderOrigin, OrderStatus
from orders.models import Order
from partners import access
from partners.models import Partner
from portals.crumbs import Crumb, partner_crumbs
from portals.decorators import acting_user, partner_required
from portals.forms import add_service_errors, error_text
from portals.paging import request_page
from portals.partner.order_forms import (
    BaseLineFormSet,
    CancelForm,
    OrderFilterForm,
    OrderForm,
    RejectForm,
    add_order_errors,
    line_formset,
    more_rows,
)

ORDER = "-created_at"  # newest first (the partner indexes)
HISTORY_SHOWN = 200  # an order's history is short; the cap keeps a pathological one bounded
LINES_SHOWN = 200
CUSTOMERS_OFFERED = 500  # the customer picker; others are matched by company or e-mail domain
ASSORTMENT_OFFERED = 1000  # SKUs suggested in the lines' list; any SKU of the assortment is accepted
NOTHING_CHANGED = "Nothing was changed."
CONVERTIBLE = (LeadStatus.QUALIFIED, LeadStatus.WON)


def order_crumbs(order: Order | None = None, *items: Crumb) -> list[Crumb]:
    """Orders › the order › `items` (the last without a link)."""
    if order is None:
        return partner_crumbs(("Orders", reverse("partner:order_list")), *items)
    url = reverse("partner:order_detail", args=[order.pk]) if items else None
    return partner_crumbs(("Orders", reverse("partner:order_list")), (order.number, url), *items)


def _visible_order(request: HttpRequest, pk: int) -> Order:
    """The order with its lines and history if this user may see it, else 404."""
    return selectors.order_detail(request.user, pk)


def is_own(user: Any, order: Order) -> bool:
    """The order is of the user's own partner (a distributor's reseller's orders are read-only)."""
    actor = access.actor_of(user)
    return actor.is_partner and actor.partner_id == order.partner_id


# --- List -----------------------------------------------------------------------------------------


@partner_required
@require_GET
def order_list(request: HttpRequest) -> HttpResponse:
    """The visible orders, newest first, by keyset pages; filtered by status, searched by number,
    customer company or e-mail.

    Queries: session, user, actor, one page of orders (partner, customer joined): 4, whatever the
    page size."""
    form = OrderFilterForm(request.GET)
    if not form.is_valid():
        labels = ", ".join(str(form.fields[name].label or name) for name in form.errors)
        messages.warning(request, f"Some filters were not understood and are ignored: {labels}.")
    filters = {k: v for k, v in form.valid_values().items() if k in OrderFilterForm.FILTERS}
    user = request.user
    orders: QuerySet[Order] = (
        selectors.order_search(user, filters["q"]) if filters.get("q") else selectors.visible_orders(user)
    )
    if filters.get("status"):
        orders = orders.filter(status=filters["status"])
    page = request_page(request, orders, order=ORDER)
    own_partner_id = access.actor_of(user).partner_id
    return render(
        request,
        "portals/partner/orders/list.html",
        {
            "form": form,
            "filtered": bool(filters),
            "searched": filters.get("q", ""),
            "page": page,
            "rows": [
                {"order": o, "other_partner": o.partner if o.partner_id != own_partner_id else None}
                for o in page.items
            ],
            "querystring": urlencode(filters),
            "breadcrumbs": partner_crumbs(("Orders", None)),
        },
    )


# --- Order page -----------------------------------------------------------------------------------


def render_detail(
    request: HttpRequest, order: Order, *, bound: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    """The order page. `bound` replaces an action form by the one the user just sent (with errors).

    Queries: session, user, actor, the order (partner, customer, contact, assignee, lead joined), its
    lines, its history (actors joined): 6, whatever the number of lines and events."""
    user = request.user
    own = is_own(user, order)
    forms: dict[str, Any] = {}
    if own and rules.can_decide_order(user, order):
        forms["accept"] = True
        forms["reject"] = RejectForm(auto_id="id_reject_%s")
    if own and order.status == OrderStatus.DRAFT and rules.can_edit_order(user, order):
        forms["edit"] = True
        forms["submit"] = True
    if own and rules.can_cancel_order(user, order):
        forms["cancel"] = CancelForm(auto_id="id_cancel_%s")
    forms.update(bound or {})
    context = {
        "order": order,
        "lines": list(order.lines.all())[:LINES_SHOWN],
        "history": list(order.events.all())[-HISTORY_SHOWN:],
        "forms": forms,
        "own": own,
        "other_partner": None if own else order.partner,
        # The customer's link, for the order's own partner only (never another partner's people).
        "status_link": request.build_absolute_uri(order.status_url) if own else "",
        "breadcrumbs": order_crumbs(None, (order.number, None)),
    }
    return render(request, "portals/partner/orders/detail.html", context, status=status)


@partner_required
@require_GET
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render_detail(request, _visible_order(request, pk))


# --- New orders and drafts ------------------------------------------------------------------------


def _customer_choices(user: Any, current: int | None = None) -> list[tuple[int, str]]:
    """The user's own partner's customers for the picker (by company, at most CUSTOMERS_OFFERED, plus
    the order's current one). One query (two when the current one is beyond the first ones)."""
    own = _own_customers(user)
    rows = list(own.order_by("company", "id").values_list("id", "company", "city")[:CUSTOMERS_OFFERED])
    if current is not None and all(pk != current for pk, _, _ in rows):
        rows += list(own.filter(pk=current).values_list("id", "company", "city"))
    return [(pk, f"{company}, {city}" if city else company) for pk, company, city in rows]


def _own_customers(user: Any) -> QuerySet[Customer]:
    """The customers of the user's own partner (never a reseller's: an order is the own partner's)."""
    partner_id = access.actor_of(user).partner_id or 0
    return customer_selectors.visible_customers(user).filter(partner_id=partner_id)


def _suggestions(partner_id: int) -> list[tuple[str, str, Any]]:
    """(SKU, name, price) of the first ASSORTMENT_OFFERED products of the assortment by SKU: the
    lines' suggestions. Three queries (the category tree, the chosen categories, the products)."""
    # Typed loosely: `effective_price` is the selector's annotation, which the type checker cannot see.
    products: QuerySet[Any] = catalog_selectors.assortment(partner_id)
    rows = products.order_by("sku").values_list("sku", "name", "effective_price")
    return list(rows[:ASSORTMENT_OFFERED])


def resolve_lines(partner_id: int, formset: BaseLineFormSet) -> list[tuple[Product, int]] | None:
    """The formset's lines as (product, quantity), the products found by SKU (any case) in the
    partner's assortment; None after putting "not in your assortment" on the rows that name none.
    Three queries (the assortment's category tree, chosen categories, the products)."""
    lines = formset.lines()
    if not lines:
        return []
    wanted = {sku.upper() for _, sku, _ in lines}
    found: dict[str, Product] = {}
    products = catalog_selectors.assortment(partner_id).annotate(sku_upper=Upper("sku"))
    for product in products.filter(sku_upper__in=wanted).order_by("id"):
        found.setdefault(product.sku.upper(), product)
    resolved: list[tuple[Product, int]] = []
    for number, sku, quantity in lines:
        match = found.get(sku.upper())
        if match is None:
            formset.forms[number - 1].add_error("sku", f"“{sku}” is not in your assortment; check the SKU.")
        else:
            resolved.append((match, quantity))
    return None if len(resolved) < len(lines) else resolved


def _form_page(
    request: HttpRequest,
    *,
    form: OrderForm,
    formset: BaseLineFormSet,
    order: Order | None,
    status: int = 200,
) -> HttpResponse:
    partner_id = access.actor_of(request.user).partner_id or 0
    title = f"Change draft {order.number}" if order else "New order"
    return render(
        request,
        "portals/partner/orders/form.html",
        {
            "form": form,
            "formset": formset,
            "order": order,
            "suggestions": _suggestions(partner_id),
            "title": title,
            "breadcrumbs": order_crumbs(order, (title, None)) if order else order_crumbs(None, (title, None)),
        },
        status=status,
    )


def _save(
    request: HttpRequest, form: OrderForm, formset: BaseLineFormSet, order: Order | None
) -> Order | None:
    """Validate the form and its lines and call the service: the order, or None with the errors on
    the forms (nothing saved)."""
    user = acting_user(request)
    partner_id = access.actor_of(user).partner_id or 0
    formset.require_lines = request.POST.get("action") == "submit"
    form_ok = form.is_valid()
    lines = resolve_lines(partner_id, formset) if formset.is_valid() else None
    if not form_ok or lines is None:
        return None
    data = form.cleaned_data
    customer = None
    if data["customer"] is not None:
        customer = _own_customers(user).filter(pk=data["customer"]).first()
        if customer is None:  # gone since the page was shown, or an id typed by hand
            form.add_error("customer", "Choose one of your customers, or enter a new one.")
            return None
    customer_data = None if customer else form.customer_data()
    try:
        if order is None:
            return services.order_create(
                partner=Partner.objects.get(pk=partner_id),
                actor=user,
                origin=OrderOrigin.REPLENISHMENT,
                customer=customer,
                customer_data=customer_data,
                lines=lines,
                draft=request.POST.get("action") != "submit",
                customer_reference=data["customer_reference"],
                notes=data["notes"],
            )
        return services.order_update(
            order=order,
            actor=user,
            lines=lines,
            customer=customer,
            customer_data=customer_data,
            customer_reference=data["customer_reference"],
            notes=data["notes"],
        )
    except NotAllowed as exc:
        raise PermissionDenied(str(exc))
    except ValidationError as exc:
        add_order_errors(form, formset, exc)
        return None


def _positive(value: str | None) -> int | None:
    text = (value or "").strip()
    return int(text) if text.isdigit() and 0 < len(text) < 19 else None


@partner_required
@require_http_methods(["GET", "POST"])
def order_new(request: HttpRequest) -> HttpResponse:
    """A new order for one of the partner's customers (or a new one), saved as a draft or submitted.
    `?customer=<id>` picks the customer (a link from the customer's page)."""
    user = acting_user(request)
    if request.method == "POST":
        choices = _customer_choices(user)
        if request.POST.get("action") == "more":
            form = OrderForm(initial=request.POST.dict(), customers=choices)
            return _form_page(request, form=form, formset=more_rows(request.POST), order=None)
        form = OrderForm(request.POST, customers=choices)
        formset = line_formset(request.POST)
        order = _save(request, form, formset, None)
        if order is not None:
            if order.status == OrderStatus.DRAFT:
                messages.success(
                    request, f"Order {order.number} is saved as a draft; submit it when it is complete."
                )
            else:
                messages.success(request, f"Order {order.number} for {order.customer.company} is submitted.")
            return redirect("partner:order_detail", pk=order.pk)
        messages.error(request, f"The order was not saved; see the errors below. {NOTHING_CHANGED}")
        return _form_page(request, form=form, formset=formset, order=None, status=400)
    picked = _positive(request.GET.get("customer"))
    choices = _customer_choices(user, picked)
    initial = {"customer": picked} if picked and any(pk == picked for pk, _ in choices) else {}
    return _form_page(
        request, form=OrderForm(initial=initial, customers=choices), formset=line_formset(), order=None
    )


@partner_required
@require_http_methods(["GET", "POST"])
def order_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a draft: its customer, lines, reference and notes; "Save and submit" submits it too.
    404 outside the scope, 403 on a reseller's order (or another employee's), a message for an order
    that is no longer a draft."""
    order = _visible_order(request, pk)
    user = acting_user(request)
    if not is_own(user, order):
        raise PermissionDenied("You may read this order; its own partner's people change it.")
    if order.status != OrderStatus.DRAFT:
        messages.error(
            request, f"Order {order.number} is {order.get_status_display().lower()}; only drafts change."
        )
        return redirect("partner:order_detail", pk=order.pk)
    if not rules.can_edit_order(user, order):
        raise PermissionDenied("This draft is assigned to someone else; they change it.")
    choices = _customer_choices(user, order.customer_id)
    if request.method == "POST":
        if request.POST.get("action") == "more":
            form = OrderForm(initial=request.POST.dict(), customers=choices)
            return _form_page(request, form=form, formset=more_rows(request.POST), order=order)
        form = OrderForm(request.POST, customers=choices)
        formset = line_formset(request.POST)
        try:
            saved = _save(request, form, formset, order)
        except InvalidTransition as exc:  # submitted by a colleague meanwhile
            messages.error(request, f"{exc} {NOTHING_CHANGED}")
            return redirect("partner:order_detail", pk=order.pk)
        if saved is not None:
            if request.POST.get("action") == "submit":
                return _submit(request, saved)
            messages.success(request, f"Draft {saved.number} is saved.")
            return redirect("partner:order_detail", pk=saved.pk)
        messages.error(request, f"The draft was not saved; see the errors below. {NOTHING_CHANGED}")
        return _form_page(request, form=form, formset=formset, order=order, status=400)
    initial = {
        "customer": order.customer_id,
        "customer_reference": order.customer_reference,
        "notes": order.notes,
    }
    lines = [{"sku": line.sku, "quantity": line.quantity} for line in order.lines.all()]
    return _form_page(
        request,
        form=OrderForm(initial=initial, customers=choices),
        formset=line_formset(initial=lines),
        order=order,
    )


# --- Actions --------------------------------------------------------------------------------------

OrderAction = Callable[[HttpRequest, Order], HttpResponse]


def order_action(
    rule: Callable[[Any, Order], bool], *, done: str = ""
) -> Callable[[OrderAction], Callable[..., HttpResponse]]:
    """A POST on one visible order: 404 outside the user's scope, 403 on another partner's order (a
    reseller's) or when the service says NotAllowed; an order already in the `done` status (a second
    tap on a slow phone) is a message; when `rule` refuses for the order's status, or the workflow
    does, a message and nothing changed."""

    def decorate(action: OrderAction) -> Callable[..., HttpResponse]:
        @partner_required
        @require_POST
        @wraps(action)
        def view(request: HttpRequest, pk: int) -> HttpResponse:
            order = _visible_order(request, pk)
            back = reverse("partner:order_detail", args=[order.pk])
            if not is_own(request.user, order):
                raise PermissionDenied("You may read this order; its own partner's people act on it.")
            if done and order.status == done:
                messages.info(
                    request, f"Order {order.number} is {order.get_status_display().lower()} already."
                )
                return redirect(back)
            if not rule(request.user, order):
                if not rules.works_for_partner(request.user, order):
                    raise PermissionDenied("This order is assigned to someone else; they work it.")
                messages.error(
                    request,
                    f"Order {order.number} is {order.get_status_display().lower()}: that is not possible now. "
                    f"{NOTHING_CHANGED}",
                )
                return redirect(back)
            try:
                return action(request, order)
            except NotAllowed as exc:
                raise PermissionDenied(str(exc))
            except InvalidTransition as exc:
                messages.error(request, f"{exc} {NOTHING_CHANGED}")
                return redirect(back)

        return view

    return decorate


def _submit(request: HttpRequest, order: Order) -> HttpResponse:
    try:
        order = services.order_submit(order=order, actor=acting_user(request))
    except ValidationError as exc:
        messages.error(request, f"{error_text(exc)} The order stays a draft.")
        return redirect("partner:order_detail", pk=order.pk)
    messages.success(request, f"Order {order.number} is submitted; accept it to send it to the brand owner.")
    return redirect("partner:order_detail", pk=order.pk)


@order_action(rules.can_edit_order, done=OrderStatus.SUBMITTED)
def order_submit(request: HttpRequest, order: Order) -> HttpResponse:
    return _submit(request, order)


@order_action(rules.can_decide_order, done=OrderStatus.ACCEPTED)
def order_accept(request: HttpRequest, order: Order) -> HttpResponse:
    """One click: the order goes to the brand owner."""
    try:
        order = services.order_accept(order=order, actor=acting_user(request))
    except ValidationError as exc:
        messages.error(request, f"{error_text(exc)} {NOTHING_CHANGED}")
        return redirect("partner:order_detail", pk=order.pk)
    messages.success(request, f"You accepted order {order.number}; the brand owner confirms and ships it.")
    return redirect("partner:order_detail", pk=order.pk)


def _refused(request: HttpRequest, order: Order, name: str, form: Any, message: str) -> HttpResponse:
    messages.error(request, message)
    return render_detail(request, order, bound={name: form}, status=400)


@order_action(rules.can_decide_order)
def order_reject(request: HttpRequest, order: Order) -> HttpResponse:
    form = RejectForm(request.POST, auto_id="id_reject_%s")
    if not form.is_valid():
        return _refused(request, order, "reject", form, f"Say why you reject the order. {NOTHING_CHANGED}")
    try:
        services.order_reject(order=order, actor=acting_user(request), reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _refused(request, order, "reject", form, f"The order was not rejected. {NOTHING_CHANGED}")
    messages.success(request, f"You rejected order {order.number}; the customer is told why.")
    return redirect("partner:order_detail", pk=order.pk)


@order_action(rules.can_cancel_order, done=OrderStatus.CANCELLED)
def order_cancel(request: HttpRequest, order: Order) -> HttpResponse:
    form = CancelForm(request.POST, auto_id="id_cancel_%s")
    if not form.is_valid():
        return _refused(request, order, "cancel", form, f"The order was not cancelled. {NOTHING_CHANGED}")
    try:
        services.order_cancel(order=order, actor=acting_user(request), reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _refused(request, order, "cancel", form, f"The order was not cancelled. {NOTHING_CHANGED}")
    messages.success(request, f"Order {order.number} is cancelled; the customer is told.")
    return redirect("partner:order_detail", pk=order.pk)


# --- Lead to order --------------------------------------------------------------------------------


def can_convert(user: Any, lead: Any) -> bool:
    """A qualified or won lead without an order, that this user works: "Convert to order"."""
    return (
        lead.status in CONVERTIBLE
        and getattr(lead, "order", None) is None
        and lead_rules.can_work(user, lead)
    )


@partner_required
@require_POST
def lead_convert(request: HttpRequest, pk: int) -> HttpResponse:
    """A qualified or won lead becomes a draft order with its products and quantities at the
    partner's prices; the lead links to it."""
    lead = get_object_or_404(lead_selectors.partner_lead_detail(request.user).select_related("order"), pk=pk)
    if not lead_rules.can_work(request.user, lead):
        raise PermissionDenied("You may read this lead but not act on it.")
    existing = getattr(lead, "order", None)
    if existing is not None:
        messages.info(request, f"The lead {lead.company} is converted already: order {existing.number}.")
        return redirect("partner:lead_detail", pk=lead.pk)
    if lead.status not in CONVERTIBLE:
        messages.error(request, f"Only a qualified or won lead becomes an order. {NOTHING_CHANGED}")
        return redirect("partner:lead_detail", pk=lead.pk)
    try:
        order = services.lead_convert(lead=lead, actor=acting_user(request))
    except NotAllowed as exc:
        raise PermissionDenied(str(exc))
    except (InvalidTransition, ValidationError) as exc:
        text = error_text(exc) if isinstance(exc, ValidationError) else str(exc)
        messages.error(request, f"{text} {NOTHING_CHANGED}")
        return redirect("partner:lead_detail", pk=lead.pk)
    messages.success(
        request,
        f"Order {order.number} is a draft from the lead {lead.company}: check the lines, then submit it.",
    )
    return redirect("partner:order_detail", pk=order.pk)
