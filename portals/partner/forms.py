"""Forms of the partner portal: the company profile (the fields a partner may edit) and the team."""

from __future__ import annotations

from typing import Any

from django import forms

from partners.models import Partner
from portals.forms import PARTNER_ROLE_CHOICES, check_coordinates_pair, coordinate_field


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
    latitude = coordinate_field(
        "latitude", help_text="Decimal degrees, e.g. 48.137154. Used to route nearby leads to you."
    )
    longitude = coordinate_field("longitude")
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
        check_coordinates_pair(self, cleaned)
        return cleaned


class RoleForm(forms.Form):
    """Change a team member's role."""

    role = forms.ChoiceField(
        label="Role",
        choices=PARTNER_ROLE_CHOICES,
        widget=forms.Select(attrs={"class": "form-select form-select-sm w-auto"}),
    )
