"""The customers API: /customers (list and detail), read only. Reads go through customers.selectors,
scoped like leads: a customer belongs to one partner, and out of scope is 404."""

from datetime import datetime
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema

from core.api import (
    MAX_ID,
    READ_ERRORS,
    CleanStr,
    CountryCode,
    Id,
    PageIn,
    PageOut,
    current_user,
    keyset_page_or_422,
    page_out,
)
from customers import selectors
from customers.models import Contact, Customer

router = Router(tags=["customers"])


class CustomerOut(Schema):
    """An end customer of one partner."""

    id: int
    company: str
    email_domain: str = Field(description="The customer's e-mail domain; empty when unknown.")
    country: str = Field(description="ISO 3166 alpha-2 country code; empty when unknown.")
    city: str
    address: str
    postal_code: str
    industry: str
    partner: int = Field(description="The id of the partner the customer belongs to.")
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_partner(obj: Customer) -> int:
        return obj.partner_id


class ContactOut(Schema):
    """A person at a customer."""

    id: int
    name: str
    email: str
    phone: str
    role: str


class CustomerDetailOut(CustomerOut):
    """A customer with its contacts."""

    contacts: list[ContactOut]

    @staticmethod
    def resolve_contacts(obj: Customer) -> list[Contact]:
        return list(selectors.customer_contacts(obj))


class CustomerPageOut(PageOut[CustomerOut]):
    pass


class CustomerFilters(PageIn):
    """Filters of GET /customers. All are optional and combine with AND; they never widen your scope."""

    q: CleanStr = Field("", max_length=200, description="Search in company name and e-mail domain.")
    partner: Id | None = Field(None, description="Only this partner's customers.")
    country: CountryCode | None = None


@router.get("", response={200: CustomerPageOut, **READ_ERRORS}, summary="List customers")
def customer_list(request: HttpRequest, filters: Query[CustomerFilters]) -> Any:
    """The customers you may see, newest first, one keyset page at a time: channel admins all; channel
    managers their partners'; partner managers their partner's and its resellers'; partner employees
    their partner's."""
    qs = selectors.customer_list(
        current_user(request), q=filters.q, partner=filters.partner, country=filters.country or ""
    )
    return page_out(keyset_page_or_422(qs, order="-created_at", paging=filters))


@router.get("/{id}", response={200: CustomerDetailOut, **READ_ERRORS}, summary="One customer")
def customer_detail(request: HttpRequest, id: int) -> Any:
    """A customer you may see, with its contacts; any other id answers 404."""
    if not 1 <= id <= MAX_ID:
        raise Http404
    customer = selectors.visible_customers(current_user(request)).filter(pk=id).first()
    if customer is None:
        raise Http404
    return customer
