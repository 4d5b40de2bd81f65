"""Reads of customers, scoped by the access policy (a customer belongs to one partner)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from customers.models import Contact, Customer
from partners import access


def visible_customers(user: Any) -> QuerySet[Customer]:
    return access.scope(user, Customer.objects.select_related("partner"))


def customer_list(
    user: Any, *, q: str = "", partner: int | None = None, country: str = ""
) -> QuerySet[Customer]:
    qs = visible_customers(user)
    if q.strip():
        text = q.strip()
        qs = qs.filter(Q(company__icontains=text) | Q(email_domain__icontains=text.lower()))
    if partner:
        qs = qs.filter(partner_id=partner)
    if country:
        qs = qs.filter(country=country.upper())
    return qs


def customer_contacts(customer: Customer) -> QuerySet[Contact]:
    return customer.contacts.order_by("name", "id")
