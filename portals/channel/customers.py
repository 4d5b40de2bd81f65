"""Channel portal: the end customers of the user's partners, and a customer's page (contacts, leads,
orders and service requests)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from core.countries import COUNTRIES
from customers import selectors
from leads import selectors as lead_selectors
from orders import selectors as order_selectors
from portals.channel.lead_forms import CustomerFilterForm
from portals.channel.leads import partner_name_for_filter, visible_partner_choices
from portals.channel.partners import channel_crumbs as _crumbs
from portals.channel.partners import request_page
from portals.decorators import channel_required
from service import selectors as service_selectors

DETAIL_CONTACTS = 50
DETAIL_LEADS = 20
DETAIL_ORDERS = 10
DETAIL_REQUESTS = 10


@channel_required
def customer_list(request: HttpRequest) -> HttpResponse:
    """Search and filter the customers of the user's partners, newest first, by keyset pages.

    Queries: session, user, actor, partner picker, page rows (partner joined): 5; with a partner
    outside the picker, its name: 6."""
    user = request.user
    choices, _ = visible_partner_choices(user)
    form = CustomerFilterForm(request.GET, partner_choices=choices)
    if not form.is_valid():
        messages.warning(request, f"Some filters were not understood and are ignored: {form.error_labels()}.")
    values = form.valid_values()
    if "partner" in values:
        name = partner_name_for_filter(user, choices, values["partner"])
        if name is None:
            messages.warning(request, "That partner is not one of yours; the filter is ignored.")
            del values["partner"]
        elif all(pk != values["partner"] for pk, _ in choices):
            form = CustomerFilterForm(request.GET, partner_choices=[*choices, (values["partner"], name)])
            form.is_valid()
    customers = selectors.customer_list(
        user, q=values.get("q", ""), partner=values.get("partner"), country=values.get("country", "")
    )
    # Newest first by id: the primary key's index serves it at any depth, for every scope.
    page = request_page(request, customers, order="-id", size=settings.PAGE_SIZE)
    for customer in page.items:
        customer.country_name = COUNTRIES.get(customer.country, customer.country)  # type: ignore[attr-defined]
    filters = {k: v for k, v in values.items() if k in CustomerFilterForm.FILTERS}
    return render(
        request,
        "portals/channel/customers/list.html",
        {
            "form": form,
            "page": page,
            "filtered": bool(filters),
            "querystring": urlencode(filters),
            "breadcrumbs": _crumbs(("Customers", None)),
        },
    )


@channel_required
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Queries: session, user, actor, customer (partner joined), contacts, the customer's visible
    leads (partner, assignee and category joined), its newest visible orders (partner, customer
    joined), its newest visible service requests (partner, customer, assignee joined): 8; for a
    channel manager 9 (their partners' ids, read once for the service requests' scope)."""
    user = request.user
    customer = get_object_or_404(selectors.visible_customers(user), pk=pk)
    contacts = list(selectors.customer_contacts(customer)[: DETAIL_CONTACTS + 1])
    leads = list(lead_selectors.customer_leads(user, customer.pk)[: DETAIL_LEADS + 1])
    orders = list(order_selectors.customer_orders(customer, user=user)[: DETAIL_ORDERS + 1])
    requests = list(service_selectors.customer_requests(user, customer.pk)[: DETAIL_REQUESTS + 1])
    return render(
        request,
        "portals/channel/customers/detail.html",
        {
            "customer": customer,
            "country_name": COUNTRIES.get(customer.country, customer.country),
            "contacts": contacts[:DETAIL_CONTACTS],
            "more_contacts": len(contacts) > DETAIL_CONTACTS,
            "leads": leads[:DETAIL_LEADS],
            "more_leads": len(leads) > DETAIL_LEADS,
            "detail_leads": DETAIL_LEADS,
            "orders": orders[:DETAIL_ORDERS],
            "more_orders": len(orders) > DETAIL_ORDERS,
            "service_requests": requests[:DETAIL_REQUESTS],
            "more_requests": len(requests) > DETAIL_REQUESTS,
            "breadcrumbs": _crumbs(("Customers", reverse("channel:customer_list")), (customer.company, None)),
        },
    )
