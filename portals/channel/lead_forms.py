"""Forms of the channel portal's lead pages: lead list filters, the lead form, dispatching by hand,
closing a lead, the CSV upload, lead settings, dispatch rules, deal-registration decisions and the
customer list filters. Plain forms; the services do the model validation."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from catalog.models import Category
from core.countries import COUNTRY_CHOICES
from leads.choices import LeadSource, LeadStatus, RegistrationStatus, Strategy
from partners.choices import PartnerType
from partners.models import Certification, Tier
from portals.channel.forms import FastSelect, FieldGroup
from portals.forms import check_coordinates_pair, coordinate_field

# Largest id a filter accepts: anything beyond cannot be a row (and must not reach the database).
MAX_ID = 2**63 - 1


def _control(attrs: dict[str, str] | None = None) -> dict[str, str]:
    return {"class": "form-control", **(attrs or {})}


def _select(attrs: dict[str, str] | None = None) -> dict[str, str]:
    return {"class": "form-select", **(attrs or {})}


def _text(max_length: int, *, label: str, required: bool = False, **kw: Any) -> forms.CharField:
    attrs = kw.pop("attrs", {})
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        widget=forms.TextInput(attrs=_control(attrs)),
        **kw,
    )


def _id_field(label: str, *, required: bool = False) -> forms.IntegerField:
    return forms.IntegerField(
        label=label, required=required, min_value=1, max_value=MAX_ID, widget=FastSelect(attrs=_select())
    )


class FastSelectMultiple(forms.SelectMultiple):
    """A flat <select multiple> built in Python (see FastSelect): a rule's explicit partners may be
    chosen among thousands."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        final_attrs = self.build_attrs(self.attrs, {**(attrs or {}), "name": name, "multiple": True})
        selected = {str(v) for v in (value or [])}
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((key, " selected" if str(key) in selected else "", label) for key, label in self.choices),
        )
        return format_html("<select{}>{}</select>", flatatt(final_attrs), options)


def split_codes(value: str) -> list[str]:
    """'de, AT;ch' -> ['de', 'AT', 'ch']: commas, semicolons and spaces separate."""
    return [part for part in re.split(r"[\s,;]+", value or "") if part]


def split_list(value: str) -> list[str]:
    """Comma- or semicolon-separated entries that may contain spaces ('Île-de-France, Bavaria')."""
    return [part.strip() for part in re.split(r"[,;\n]+", value or "") if part.strip()]


class FilterForm(forms.Form):
    """GET filters: every field optional; values that do not validate are reported and ignored."""

    FILTERS: tuple[str, ...] = ()

    def valid_values(self) -> dict[str, Any]:
        """The values that passed validation (after is_valid(), whatever its answer), without blanks."""
        data = getattr(self, "cleaned_data", {})
        return {k: v for k, v in data.items() if v not in ("", None)}

    def error_labels(self) -> str:
        return ", ".join(str(self.fields[name].label or name) for name in self.errors if name in self.fields)


def set_id_choices(field: forms.Field, empty: str, choices: Iterable[tuple[int, str]]) -> None:
    field.widget.choices = [("", empty), *((str(pk), name) for pk, name in choices)]  # type: ignore[attr-defined]


# --- Leads ----------------------------------------------------------------------------------------


class LeadFilterForm(FilterForm):
    q = forms.CharField(
        label="Search",
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs=_control({"type": "search", "placeholder": "Company, contact, e-mail"})),
    )
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Any status"), *LeadStatus.choices],
        widget=FastSelect(attrs=_select()),
    )
    partner = _id_field("Partner")
    source = forms.ChoiceField(
        label="Source",
        required=False,
        choices=[("", "Any source"), *LeadSource.choices],
        widget=FastSelect(attrs=_select()),
    )

    FILTERS = ("q", "status", "partner", "source")

    def __init__(self, *args: Any, partner_choices: Iterable[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_id_choices(self.fields["partner"], "Any partner", partner_choices)


class LeadForm(forms.Form):
    """A lead as channel staff capture it. Field names are lead_create's."""

    company = _text(200, label="Company", required=True, attrs={"autocomplete": "off"})
    contact_name = _text(150, label="Contact name", attrs={"autocomplete": "off"})
    email = forms.EmailField(
        label="E-mail",
        required=False,
        widget=forms.EmailInput(attrs=_control({"autocomplete": "off"})),
        help_text="The domain links the lead to an existing customer and checks deal registrations.",
    )
    phone = _text(40, label="Phone", attrs={"type": "tel", "autocomplete": "off"})
    country = forms.ChoiceField(
        label="Country",
        choices=[("", "Choose a country"), *COUNTRY_CHOICES],
        widget=FastSelect(attrs=_select()),
    )
    region = _text(100, label="Region", help_text="State, province or department, e.g. Bavaria.")
    postal_code = _text(20, label="Postal code")
    city = _text(100, label="City")
    latitude = coordinate_field("latitude", help_text="Optional; the nearest-partner rules need it.")
    longitude = coordinate_field("longitude")
    category = forms.ModelChoiceField(
        label="Product category",
        queryset=Category.objects.order_by("name"),
        required=False,
        empty_label="No category",
        widget=forms.Select(attrs=_select()),
    )
    products_of_interest = forms.CharField(
        label="Products of interest",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs=_control({"rows": "3"})),
    )
    estimated_value = forms.DecimalField(
        label="Estimated value",
        min_value=Decimal("0"),
        max_digits=14,
        decimal_places=2,
        initial=Decimal("0"),
        widget=forms.NumberInput(attrs=_control({"step": "0.01", "inputmode": "decimal"})),
    )
    currency = forms.CharField(
        label="Currency",
        min_length=3,
        max_length=3,
        initial="EUR",
        help_text="ISO code, e.g. EUR, USD, CHF.",
        widget=forms.TextInput(attrs=_control({"autocomplete": "off", "size": "3"})),
    )
    campaign_code = _text(60, label="Campaign code")

    GROUPS = (
        ("Company and contact", ("company", "contact_name", "email", "phone")),
        ("Location", ("country", "region", "postal_code", "city", "latitude", "longitude")),
        (
            "Opportunity",
            ("category", "products_of_interest", "estimated_value", "currency", "campaign_code"),
        ),
    )

    def groups(self) -> list[FieldGroup]:
        return [
            FieldGroup(self, legend, names, first=i == 0) for i, (legend, names) in enumerate(self.GROUPS)
        ]

    def clean_currency(self) -> str:
        value = self.cleaned_data["currency"].strip().upper()
        if not value.isascii() or not value.isalpha():
            raise forms.ValidationError("Use a three-letter currency code such as EUR.")
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        check_coordinates_pair(self, cleaned)
        return cleaned


class LeadDispatchForm(forms.Form):
    """Give a lead to a partner by hand (also used by the proposals' buttons, with no reason)."""

    partner = _id_field("Partner", required=True)
    reason = _text(300, label="Reason", help_text="Optional; shown on the lead and to the partner.")

    def set_partner_choices(self, choices: Iterable[tuple[int, str]]) -> None:
        """The picker's options (only rendering needs them; the view checks the scope on POST)."""
        set_id_choices(self.fields["partner"], "Choose a partner", choices)


class LeadLostForm(forms.Form):
    reason = _text(500, label="Why is it lost?", required=True)


class LeadImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8, comma-separated, with the header row shown below.",
        widget=forms.ClearableFileInput(attrs=_control({"accept": ".csv,text/csv"})),
    )


class LeadSettingsForm(forms.Form):
    auto_route = forms.BooleanField(
        label="Route new leads automatically",
        required=False,
        help_text="When off, new leads wait in the channel's queue until someone routes or dispatches them.",
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )


# --- Dispatch rules -------------------------------------------------------------------------------


class RuleForm(forms.Form):
    """A dispatch rule as channel admins edit it. `fields()` answers dispatch_rule_save's fields;
    explicit partners and categories travel separately."""

    name = _text(120, label="Name", required=True)
    priority = forms.IntegerField(
        label="Priority",
        min_value=0,
        max_value=2_147_483_647,
        initial=100,
        help_text="A smaller number is tried first.",
        widget=forms.NumberInput(attrs=_control()),
    )
    active = forms.BooleanField(
        label="Active",
        required=False,
        initial=True,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    countries = _text(
        1000,
        label="Countries",
        help_text="ISO codes separated by commas, e.g. DE, AT, CH. Empty: any country.",
        attrs={"autocomplete": "off"},
    )
    regions = _text(1000, label="Regions", help_text="Separated by commas. Empty: any region.")
    postal_prefixes = _text(
        1000,
        label="Postal-code prefixes",
        help_text="Separated by commas, e.g. 80, 81, 85. Empty: any postal code.",
        attrs={"autocomplete": "off"},
    )
    categories = forms.ModelMultipleChoiceField(
        label="Product categories",
        queryset=Category.objects.order_by("name"),
        required=False,
        help_text="Empty: any category.",
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    min_value = forms.DecimalField(
        label="Lowest value",
        required=False,
        min_value=Decimal("0"),
        max_digits=14,
        decimal_places=2,
        widget=forms.NumberInput(attrs=_control({"step": "0.01"})),
    )
    max_value = forms.DecimalField(
        label="Highest value",
        required=False,
        min_value=Decimal("0"),
        max_digits=14,
        decimal_places=2,
        widget=forms.NumberInput(attrs=_control({"step": "0.01"})),
    )
    sources = forms.MultipleChoiceField(
        label="Sources",
        required=False,
        choices=LeadSource.choices,
        help_text="Empty: leads from any source.",
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    partners = forms.TypedMultipleChoiceField(
        label="Explicit partners",
        required=False,
        coerce=int,
        help_text="When chosen, only these partners are candidates and the filters below do not apply. "
        "Hold Ctrl (⌘ on a Mac) to choose several.",
        widget=FastSelectMultiple(attrs=_select({"size": "8"})),
    )
    min_tier = forms.ModelChoiceField(
        label="Minimum tier",
        queryset=Tier.objects.order_by("rank"),
        required=False,
        empty_label="Any tier",
        widget=forms.Select(attrs=_select()),
    )
    partner_types = forms.MultipleChoiceField(
        label="Partner types",
        required=False,
        choices=PartnerType.choices,
        help_text="Empty: any type.",
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    certification = forms.ModelChoiceField(
        label="Required certification",
        queryset=Certification.objects.order_by("name"),
        required=False,
        empty_label="None required",
        widget=forms.Select(attrs=_select()),
    )
    sells_lead_category = forms.BooleanField(
        label="Only partners that sell the lead's category",
        required=False,
        help_text="Candidates must have the lead's product category in their assortment; a lead without a "
        "category does not match the rule.",
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    strategy = forms.ChoiceField(
        label="Strategy",
        choices=Strategy.choices,
        initial=Strategy.WEIGHTED,
        help_text="How one partner is chosen among the candidates left.",
        widget=forms.Select(attrs=_select()),
    )
    accept_within_hours = forms.IntegerField(
        label="Acceptance window (hours)",
        min_value=1,
        max_value=24 * 365,
        initial=48,
        help_text="A partner that does not accept in time loses the lead to the next one.",
        widget=forms.NumberInput(attrs=_control()),
    )

    GROUPS = (
        ("Rule", ("name", "priority", "active", "strategy", "accept_within_hours")),
        (
            "Conditions: which leads",
            ("countries", "regions", "postal_prefixes", "categories", "min_value", "max_value", "sources"),
        ),
        (
            "Candidates: which partners",
            ("partners", "min_tier", "partner_types", "certification", "sells_lead_category"),
        ),
    )
    LIST_FIELDS = ("countries", "regions", "postal_prefixes")

    def __init__(self, *args: Any, partner_choices: Iterable[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["partners"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        field.choices = [(pk, name) for pk, name in partner_choices]

    @classmethod
    def initial_for(cls, rule: Any) -> dict[str, Any]:
        return {
            "name": rule.name,
            "priority": rule.priority,
            "active": rule.active,
            "countries": ", ".join(rule.countries or []),
            "regions": ", ".join(rule.regions or []),
            "postal_prefixes": ", ".join(rule.postal_prefixes or []),
            "categories": [c.pk for c in rule.categories.all()],
            "min_value": rule.min_value,
            "max_value": rule.max_value,
            "sources": list(rule.sources or []),
            "partners": [p.pk for p in rule.partners.all()],
            "min_tier": rule.min_tier_id,
            "partner_types": list(rule.partner_types or []),
            "certification": rule.certification_id,
            "sells_lead_category": rule.sells_lead_category,
            "strategy": rule.strategy,
            "accept_within_hours": rule.accept_within_hours,
        }

    def groups(self) -> list[FieldGroup]:
        return [
            FieldGroup(self, legend, names, first=i == 0) for i, (legend, names) in enumerate(self.GROUPS)
        ]

    def clean_countries(self) -> list[str]:
        return [c.upper() for c in split_codes(self.cleaned_data["countries"])]

    def clean_regions(self) -> list[str]:
        return split_list(self.cleaned_data["regions"])

    def clean_postal_prefixes(self) -> list[str]:
        # Commas separate; a space may belong to a prefix (UK "SW1A 1").
        return split_list(self.cleaned_data["postal_prefixes"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        low, high = cleaned.get("min_value"), cleaned.get("max_value")
        if low is not None and high is not None and low > high:
            self.add_error("max_value", "The highest value must not be below the lowest value.")
        return cleaned

    def rule_fields(self) -> dict[str, Any]:
        """The cleaned values dispatch_rule_save sets on the rule itself."""
        skip = {"partners", "categories"}
        return {k: v for k, v in self.cleaned_data.items() if k not in skip}


# --- Deal registrations ---------------------------------------------------------------------------

REGISTRATION_TABS = (
    (RegistrationStatus.PENDING.value, "Pending"),
    (RegistrationStatus.APPROVED.value, "Approved"),
    (RegistrationStatus.REJECTED.value, "Rejected"),
    ("all", "All"),
)


class RegistrationFilterForm(forms.Form):
    status = forms.ChoiceField(choices=REGISTRATION_TABS, required=False)


class RegistrationApproveForm(forms.Form):
    protect_days = forms.IntegerField(
        label="Protected for (days)",
        min_value=1,
        max_value=730,
        initial=90,
        help_text="Until then, routing gives this customer's leads to no other partner.",
        widget=forms.NumberInput(attrs=_control()),
    )


class RegistrationRejectForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=2000,
        help_text="The partner reads it.",
        widget=forms.Textarea(attrs=_control({"rows": "3"})),
    )


# --- Customers ------------------------------------------------------------------------------------


class CustomerFilterForm(FilterForm):
    q = forms.CharField(
        label="Search",
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs=_control({"type": "search", "placeholder": "Company or e-mail domain"})),
    )
    partner = _id_field("Partner")
    country = forms.ChoiceField(
        label="Country",
        required=False,
        choices=[("", "Any country"), *COUNTRY_CHOICES],
        widget=FastSelect(attrs=_select()),
    )

    FILTERS = ("q", "partner", "country")

    def __init__(self, *args: Any, partner_choices: Iterable[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_id_choices(self.fields["partner"], "Any partner", partner_choices)
