"""End customers that a partner looks after together with the brand owner."""

from __future__ import annotations

import re
from typing import ClassVar

from django.db import models

from core.countries import COUNTRY_CHOICES

LEGAL_SUFFIXES = re.compile(
    r"\b(gmbh|ag|kg|ug|se|sa|sas|sarl|s\.?a\.?r\.?l|s\.?r\.?l|spa|bv|b\.v|nv|ltd|limited|llc|inc|plc|ab|as|aps|oy|"
    r"sp\.? z o\.?o|s\.?l|lda|co|corp|corporation|company|group)\b\.?"
)


def normalise_company(name: str) -> str:
    """Compare company names without case, punctuation or legal form: 'ACME GmbH.' == 'Acme'."""
    text = (name or "").lower()
    text = LEGAL_SUFFIXES.sub(" ", text)
    text = re.sub(r"[^\w]+", " ", text)
    return " ".join(text.split())


def email_domain(value: str) -> str:
    """'Jo@Sub.Example.com' -> 'sub.example.com'; free-mail domains are not a company's identity."""
    text = (value or "").strip().lower()
    domain = text.rsplit("@", 1)[-1]
    return "" if domain in FREE_MAIL else domain


FREE_MAIL = frozenset(
    {"gmail.com", "googlemail.com", "yahoo.com", "hotmail.com", "outlook.com", "live.com", "gmx.de", "gmx.net",
     "web.de", "icloud.com", "aol.com", "orange.fr", "free.fr", "t-online.de", "proton.me", "protonmail.com"}
)  # fmt: skip


class Customer(models.Model):
    """An end customer (account) of one partner."""

    partner = models.ForeignKey("partners.Partner", on_delete=models.CASCADE, related_name="customers")
    company = models.CharField(max_length=200)
    # Set by customers.services from `company` (normalise_company), for matching and conflicts.
    normalised_name = models.CharField(max_length=200, editable=False)
    email_domain = models.CharField(max_length=120, blank=True, db_index=True)
    country = models.CharField(max_length=2, choices=COUNTRY_CHOICES, blank=True)
    address = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    industry = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["company", "id"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["partner", "-created_at", "-id"], name="customer_partner_recent"),
            models.Index(fields=["partner", "normalised_name"], name="customer_partner_name"),
            models.Index(fields=["partner", "email_domain"], name="customer_partner_domain"),
        ]

    def __str__(self) -> str:
        return self.company


class Contact(models.Model):
    """A person at a customer."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    # The customer's partner, denormalised so that the access scope is one indexed column.
    partner = models.ForeignKey("partners.Partner", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=150)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    role = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name
