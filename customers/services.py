"""State changes of customers and contacts."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q

from customers.models import Contact, Customer, email_domain, normalise_company


def customer_match(*, partner_id: int, company: str, email: str = "") -> Customer | None:
    """The partner's existing customer with the same e-mail domain or normalised company name."""
    domain = email_domain(email)
    name = normalise_company(company)
    match = Q(normalised_name=name) if name else Q(pk__in=[])
    if domain:
        match |= Q(email_domain=domain)
    return Customer.objects.filter(match, partner_id=partner_id).order_by("id").first()


@transaction.atomic
def customer_match_or_create(
    *,
    partner_id: int,
    company: str,
    email: str = "",
    country: str = "",
    city: str = "",
    postal_code: str = "",
    contact_name: str = "",
    phone: str = "",
) -> Customer:
    """Link to the partner's matching customer, or create it; add the contact if new."""
    customer = customer_match(partner_id=partner_id, company=company, email=email)
    if customer is None:
        customer = Customer.objects.create(
            partner_id=partner_id, company=company.strip(), normalised_name=normalise_company(company),
            email_domain=email_domain(email), country=country, city=city, postal_code=postal_code,
        )  # fmt: skip
    if contact_name or email:
        exists = customer.contacts.filter(Q(email__iexact=email) if email else Q(name__iexact=contact_name))
        if not exists.exists():
            Contact.objects.create(
                customer=customer, partner_id=partner_id, name=contact_name or email, email=email, phone=phone
            )
    return customer
