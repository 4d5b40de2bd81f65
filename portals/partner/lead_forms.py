"""Forms of the partner portal's lead pages (inbox filters, accept/decline, assign, qualify, won,
lost), deal registrations and customers. Plain forms; the services do the model validation."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from catalog.models import Category
from core.countries import COUNTRY_CHOICES
from customers.models import normalise_company
from leads.choices import LeadStatus
from portals.channel.forms import FastSelect
from portals.forms import control as _control

DOMAIN_RE = re.compile(r"^(?=.{4,120}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
CURRENCY_RE = re.compile(r"^[A-Za-z]{3}$")
# The statuses a lead can have while a partner holds it (new and unroutable leads are the channel's).
PARTNER_STATUSES = [
    (s.value, s.label)
    for s in (
        LeadStatus.DISPATCHED,
        LeadStatus.ACCEPTED,
        LeadStatus.QUALIFIED,
        LeadStatus.WON,
        LeadStatus.LOST,
    )
]


def _select(**attrs: str) -> dict[str, str]:
    return {"class": "form-select", **attrs}


class FilterForm(forms.Form):
    """GET filters: every field optional; a value that does not validate is reported and ignored."""

    def valid_values(self) -> dict[str, Any]:
        """The values that passed validation (after is_valid(), whatever its answer), without blanks."""
        data = getattr(self, "cleaned_data", {})
        return {k: v for k, v in data.items() if v not in ("", None)}


class LeadFilterForm(FilterForm):
    """The lead inbox's filters. Managers choose among everyone's, their own and unassigned leads;
    employees see their own and unassigned leads anyway, and may narrow to either."""

    q = forms.CharField(
        label="Search",
        max_length=100,
        required=False,
        widget=forms.TextInput(
            attrs=_control(type="search", placeholder="Company, contact or e-mail", autocomplete="off")
        ),
    )
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Any status"), *PARTNER_STATUSES],
        widget=forms.Select(attrs=_select()),
    )
    assigned = forms.ChoiceField(label="Assigned to", required=False, widget=forms.Select(attrs=_select()))

    def __init__(self, *args: Any, is_manager: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        everyone = "Everyone" if is_manager else "Me or nobody"
        assigned = self.fields["assigned"]
        assert isinstance(assigned, forms.ChoiceField)
        assigned.choices = [
            ("", everyone),
            ("me", "Me"),
            ("unassigned", "Nobody (unassigned)"),
        ]


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label="Why do you decline?",
        max_length=500,
        help_text="The channel team reads this; the lead goes to another partner at once.",
        widget=forms.Textarea(attrs=_control(rows="2")),
    )


class AssignForm(forms.Form):
    """Give the lead to a person of the partner, or to nobody. Choices: the partner's active people."""

    user = forms.TypedChoiceField(
        label="Assign to", required=False, coerce=int, empty_value=None, widget=forms.Select(attrs=_select())
    )

    def __init__(self, *args: Any, members: Iterable[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = self.fields["user"]
        assert isinstance(user, forms.ChoiceField)
        user.choices = [("", "Nobody (unassigned)"), *members]


class QualifyForm(forms.Form):
    """Budget, authority, need, timeline (at least one, the service says) and notes."""

    budget = forms.CharField(
        label="Budget",
        max_length=200,
        required=False,
        help_text="e.g. EUR 50,000 approved for this year.",
        widget=forms.TextInput(attrs=_control()),
    )
    authority = forms.CharField(
        label="Authority",
        max_length=200,
        required=False,
        help_text="Who decides and signs.",
        widget=forms.TextInput(attrs=_control()),
    )
    need = forms.CharField(
        label="Need",
        max_length=500,
        required=False,
        help_text="What the customer needs and why.",
        widget=forms.Textarea(attrs=_control(rows="2")),
    )
    timeline = forms.CharField(
        label="Timeline",
        max_length=200,
        required=False,
        help_text="When they will buy.",
        widget=forms.TextInput(attrs=_control()),
    )
    notes = forms.CharField(
        label="Notes",
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs=_control(rows="3")),
    )


class WonForm(forms.Form):
    value = forms.DecimalField(
        label="Won value",
        min_value=Decimal("0"),
        max_digits=14,
        decimal_places=2,
        widget=forms.NumberInput(attrs=_control(step="0.01", min="0", inputmode="decimal")),
    )


class LostForm(forms.Form):
    reason = forms.CharField(
        label="Why was it lost?",
        max_length=500,
        widget=forms.Textarea(attrs=_control(rows="2")),
    )


class RegistrationForm(forms.Form):
    """A deal registration: the opportunity a partner found. Field names are registration_submit's
    arguments."""

    customer_company = forms.CharField(
        label="Customer company",
        max_length=200,
        widget=forms.TextInput(attrs=_control(autocomplete="off")),
    )
    customer_domain = forms.CharField(
        label="Customer e-mail domain",
        max_length=120,
        required=False,
        help_text="The part after the @ in the customer's e-mail addresses, e.g. acme.com.",
        widget=forms.TextInput(attrs=_control(autocomplete="off", inputmode="url", autocapitalize="none")),
    )
    country = forms.ChoiceField(
        label="Country",
        choices=[("", "Choose a country…"), *COUNTRY_CHOICES],
        widget=FastSelect(attrs=_select()),
    )
    category = forms.ModelChoiceField(
        label="Product category",
        queryset=Category.objects.order_by("name", "id"),
        required=False,
        empty_label="Any / not sure",
        widget=forms.Select(attrs=_select()),
    )
    value = forms.DecimalField(
        label="Value",
        min_value=Decimal("0"),
        max_digits=14,
        decimal_places=2,
        widget=forms.NumberInput(attrs=_control(step="0.01", min="0", inputmode="decimal")),
    )
    currency = forms.CharField(
        label="Currency",
        max_length=3,
        initial="EUR",
        help_text="Three-letter code, e.g. EUR, CHF, USD.",
        widget=forms.TextInput(attrs=_control(autocomplete="off", autocapitalize="characters")),
    )
    expected_close = forms.DateField(
        label="Expected close date",
        widget=forms.DateInput(attrs=_control(type="date"), format="%Y-%m-%d"),
    )
    notes = forms.CharField(
        label="Notes",
        max_length=4000,
        required=False,
        help_text="What the customer wants, who you talk to; your channel manager reads this.",
        widget=forms.Textarea(attrs=_control(rows="3")),
    )

    def clean_customer_company(self) -> str:
        text = self.cleaned_data["customer_company"].strip()
        if not normalise_company(text):
            # "GmbH" alone names no company, and the conflict check compares names without legal forms.
            raise ValidationError("Give the customer's company name, not only its legal form.")
        return text

    def clean_customer_domain(self) -> str:
        text = self.cleaned_data["customer_domain"].strip().lower()
        if "@" in text:
            text = text.rsplit("@", 1)[1]
        text = text.removeprefix("www.").strip(".")
        if text and not DOMAIN_RE.match(text):
            raise ValidationError("Give a domain such as acme.com (without http:// or a path).")
        return text

    def clean_currency(self) -> str:
        text = self.cleaned_data["currency"].strip()
        if not CURRENCY_RE.match(text):
            raise ValidationError("Give a three-letter currency code such as EUR.")
        return text.upper()


class CustomerFilterForm(FilterForm):
    q = forms.CharField(
        label="Search",
        max_length=100,
        required=False,
        widget=forms.TextInput(
            attrs=_control(type="search", placeholder="Company or domain", autocomplete="off")
        ),
    )
