"""The partner's customers: the accounts it looks after together with the brand owner, their
contacts, leads, orders and service requests. A distributor's manager also sees its resellers'
customers, read-only."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from customers import selectors
from leads import selectors as lead_selectors
from orders import rules as order_rules
from orders import selectors as order_selectors
from partners import access
from portals.crumbs import partner_crumbs
from portals.decorators import partner_required
from portals.paging import request_page
from portals.partner.lead_forms import CustomerFilterForm
from service import rules as service_rules
from service import selectors as service_selectors

CUSTOMER_ORDER = "company"
CUSTOMER_LEAD_ORDER = "-created_at"
CONTACTS_SHOWN = 100
ORDERS_SHOWN = 10  # the newest; the orders list finds the others
REQUESTS_SHOWN = 10


@partner_required
@require_GET
def customer_list(request: HttpRequest) -> HttpResponse:
    """Queries: session, user, actor, one page of customers (partner joined): 4, whatever the page
    size."""
    form = CustomerFilterForm(request.GET)
    if not form.is_valid():
        messages.warning(request, "The search was not understood and is ignored.")
    filters = form.valid_values()
    customers = selectors.customer_list(request.user, q=filters.get("q", ""))
    page = request_page(request, customers, order=CUSTOMER_ORDER)
    return render(
        request,
        "portals/partner/customers/list.html",
        {
            "form": form,
            "filtered": bool(filters),
            "page": page,
            "own_partner_id": access.actor_of(request.user).partner_id,
            "querystring": urlencode(filters),
            "breadcrumbs": partner_crumbs(("Customers", None)),
        },
    )


@partner_required
@require_GET
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Queries: session, user, actor, the customer (partner joined), its contacts, one page of its
    leads that the user may see (partner, assignee, category joined), its newest orders the user may
    see (partner, customer joined), its newest service requests the user may see (partner, customer,
    assignee joined): 8, whatever the counts."""
    user = request.user
    customer = get_object_or_404(selectors.visible_customers(user), pk=pk)
    contacts = list(selectors.customer_contacts(customer)[: CONTACTS_SHOWN + 1])
    leads = request_page(request, lead_selectors.customer_leads(user, customer.pk), order=CUSTOMER_LEAD_ORDER)
    orders = list(order_selectors.customer_orders(customer, user=user)[: ORDERS_SHOWN + 1])
    requests = list(service_selectors.customer_requests(user, customer.pk)[: REQUESTS_SHOWN + 1])
    own = customer.partner_id == access.actor_of(user).partner_id
    return render(
        request,
        "portals/partner/customers/detail.html",
        {
            "customer": customer,
            "contacts": contacts[:CONTACTS_SHOWN],
            "contacts_truncated": len(contacts) > CONTACTS_SHOWN,
            "page": leads,
            "querystring": "",
            "orders": orders[:ORDERS_SHOWN],
            "more_orders": len(orders) > ORDERS_SHOWN,
            "service_requests": requests[:REQUESTS_SHOWN],
            "more_requests": len(requests) > REQUESTS_SHOWN,
            # A reseller's customer is read-only: its orders are entered by the reseller's people.
            "may_order": own and order_rules.can_create_order(user, customer.partner),
            "may_register": own and service_rules.can_register(user),
            "other_partner": None if own else customer.partner,
            "breadcrumbs": partner_crumbs(
                ("Customers", reverse("partner:customer_list")), (customer.company, None)
            ),
        },
    )
