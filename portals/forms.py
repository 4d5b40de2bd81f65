"""Forms of the public pages and the profile, and helpers that put service errors on forms."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError

from core.countries import COUNTRY_CHOICES
from partners.choices import Role
from partners.models import normalise_vat_id, vat_id_validator

# The honeypot: a field people never see (visually hidden, hidden from screen readers, out of the
# tab order); bots that fill every input give themselves away.
HONEYPOT_FIELD = "fax_number"


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Attach a service's ValidationError to the form: field errors on their fields, the rest on top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def control(**attrs: str) -> dict[str, str]:
    """A Bootstrap text input's widget attributes, plus any given (autocomplete, type, rows...)."""
    return {"class": "form-control", **attrs}


def error_text(exc: ValidationError) -> str:
    """A service's ValidationError as one sentence for a flash message."""
    return " ".join(exc.messages)


def form_error_text(form: forms.Form) -> str:
    """A bound form's errors as one sentence for a flash message (forms posted from a list page)."""
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


class ApplicationForm(forms.Form):
    """The public partner application (/apply/). Field names are application_submit's arguments."""

    company = forms.CharField(
        label="Company",
        max_length=200,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "organization"}),
    )
    vat_id = forms.CharField(
        label="VAT / tax id",
        max_length=30,
        help_text="With the country prefix, e.g. DE123456789.",
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
    )
    country = forms.ChoiceField(
        label="Country",
        choices=[("", "Choose a country…"), *COUNTRY_CHOICES],
        widget=forms.Select(attrs={"class": "form-select", "autocomplete": "country"}),
    )
    city = forms.CharField(
        label="City",
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "address-level2"}),
    )
    website = forms.URLField(
        label="Website",
        required=False,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"class": "form-control", "autocomplete": "url"}),
    )
    contact_name = forms.CharField(
        label="Contact name",
        max_length=150,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "name"}),
    )
    contact_email = forms.EmailField(
        label="Contact e-mail",
        help_text="We reply to this address; when approved, it becomes your login.",
        widget=forms.EmailInput(attrs={"class": "form-control", "autocomplete": "email"}),
    )
    contact_phone = forms.CharField(
        label="Phone",
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "tel", "type": "tel"}),
    )
    sells = forms.CharField(
        label="What you sell",
        max_length=2000,
        help_text="Products, brands and services, and the regions you cover.",
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 4}),
    )
    message = forms.CharField(
        label="Message",
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 4}),
    )

    def clean_vat_id(self) -> str:
        vat = normalise_vat_id(self.cleaned_data["vat_id"])
        vat_id_validator(vat)
        return vat


class InvitationPasswordForm(SetPasswordForm):
    """Choose a password when accepting an invitation (Django's validators apply)."""

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(user, *args, **kwargs)
        self.fields["new_password1"].label = "Password"
        self.fields["new_password2"].label = "Password again"
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-control"


class TokenCreateForm(forms.Form):
    """Name a new API token so that it can be told apart later."""

    name = forms.CharField(
        label="Token name",
        max_length=100,
        help_text="What uses it, e.g. “ERP import”.",
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
    )


PARTNER_ROLE_CHOICES = [
    (Role.PARTNER_EMPLOYEE.value, Role.PARTNER_EMPLOYEE.label),
    (Role.PARTNER_MANAGER.value, Role.PARTNER_MANAGER.label),
]


class InviteForm(forms.Form):
    """Invite a person into a partner (a partner manager their colleague, or channel staff a
    partner's first people); they get a set-password link by e-mail."""

    email = forms.EmailField(
        label="E-mail",
        max_length=254,
        widget=forms.EmailInput(attrs={"class": "form-control", "autocomplete": "off"}),
    )
    full_name = forms.CharField(
        label="Name",
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
    )
    role = forms.ChoiceField(
        label="Role",
        choices=PARTNER_ROLE_CHOICES,
        initial=Role.PARTNER_EMPLOYEE.value,
        help_text="Partner managers edit the company profile and manage the team.",
        widget=forms.Select(attrs={"class": "form-select"}),
    )


def coordinate_field(kind: str, *, help_text: str = "") -> forms.DecimalField:
    """A latitude (±90) or longitude (±180) in decimal degrees, as the Partner model stores it."""
    limit = Decimal("90") if kind == "latitude" else Decimal("180")
    example = "48.137154" if kind == "latitude" else "11.576124"
    return forms.DecimalField(
        label=kind.capitalize(),
        required=False,
        max_digits=9,
        decimal_places=6,
        min_value=-limit,
        max_value=limit,
        help_text=help_text or f"Decimal degrees, e.g. {example}.",
        widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.000001"}),
    )


def check_coordinates_pair(form: forms.Form, cleaned: dict[str, Any]) -> None:
    """Latitude and longitude go together: both or neither."""
    if "latitude" in form.errors or "longitude" in form.errors:
        return
    if (cleaned.get("latitude") is None) != (cleaned.get("longitude") is None):
        form.add_error(
            "longitude" if cleaned.get("longitude") is None else "latitude",
            "Give both latitude and longitude, or neither.",
        )
