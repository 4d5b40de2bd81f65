"""Forms of the partner portal: the company profile (the fields a partner may edit) and the team."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from partners.models import Partner
from portals.forms import PARTNER_ROLE_CHOICES


def _text(max_length: int, *, label: str, autocomplete: str = "", **kwargs: Any) -> forms.CharField:
    attrs = {"class": "form-control"}
    if autocomplete:
        attrs["autocomplete"] = autocomplete
    return forms.CharField(
        label=label, max_length=max_length, required=False, widget=forms.TextInput(attrs=attrs), **kwargs
    )


class CompanyForm(forms.Form):
    """The partner's own profile: exactly partners.services.PARTNER_EDITABLE_BY_PARTNER."""

    legal_name = _text(200, label="Legal name", autocomplete="organization")
    website = forms.URLField(
        label="Website",
        required=False,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"class": "form-control", "autocomplete": "url"}),
    )
    email = forms.EmailField(
        label="Contact e-mail",
        required=False,
        widget=forms.EmailInput(attrs={"class": "form-control", "autocomplete": "email"}),
    )
    phone = _text(40, label="Phone", autocomplete="tel")
    address = _text(200, label="Street address", autocomplete="street-address")
    postal_code = _text(20, label="Postal code", autocomplete="postal-code")
    city = _text(100, label="City", autocomplete="address-level2")
    region = _text(100, label="Region", autocomplete="address-level1")
    latitude = forms.DecimalField(
        label="Latitude",
        required=False,
        max_digits=9,
        decimal_places=6,
        min_value=Decimal("-90"),
        max_value=Decimal("90"),
        help_text="Decimal degrees, e.g. 48.137154. Used to route nearby leads to you.",
        widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.000001"}),
    )
    longitude = forms.DecimalField(
        label="Longitude",
        required=False,
        max_digits=9,
        decimal_places=6,
        min_value=Decimal("-180"),
        max_value=Decimal("180"),
        help_text="Decimal degrees, e.g. 11.576124.",
        widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.000001"}),
    )
    description = forms.CharField(
        label="About the company",
        required=False,
        max_length=4000,
        help_text="What you sell and the services you offer; the channel team reads this.",
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 5}),
    )

    @classmethod
    def for_partner(cls, partner: Partner, data: Any = None) -> CompanyForm:
        initial = {name: getattr(partner, name) for name in cls.base_fields}
        return cls(data=data, initial=initial)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if (cleaned.get("latitude") is None) != (cleaned.get("longitude") is None) and not (
            "latitude" in self.errors or "longitude" in self.errors
        ):
            raise forms.ValidationError("Give both latitude and longitude, or neither.")
        return cleaned


class RoleForm(forms.Form):
    """Change a team member's role."""

    role = forms.ChoiceField(
        label="Role",
        choices=PARTNER_ROLE_CHOICES,
        widget=forms.Select(attrs={"class": "form-select form-select-sm w-auto"}),
    )
