"""Forms of the channel portal: the partner list filters, the partner profile, status, tier, managers,
team invitations and application decisions. Plain forms; the services do the model validation."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from core.countries import COUNTRY_CHOICES
from core.models import User
from partners.choices import ApplicationStatus, PartnerStatus, PartnerType
from partners.models import Certification, Partner, Tier
from partners.selectors import PARTNER_ORDERINGS
from portals.forms import check_coordinates_pair, coordinate_field

SORT_LABELS = {
    "name": "Name A–Z",
    "-name": "Name Z–A",
    "created": "Oldest first",
    "-created": "Newest first",
    "country": "Country A–Z",
    "-country": "Country Z–A",
    "status": "Status A–Z",
    "-status": "Status Z–A",
    "tier": "Tier, lowest first",
    "-tier": "Tier, highest first",
}
DEFAULT_SORT = "name"


def _control(attrs: dict[str, str] | None = None) -> dict[str, str]:
    return {"class": "form-control", **(attrs or {})}


def _select(attrs: dict[str, str] | None = None) -> dict[str, str]:
    return {"class": "form-select", **(attrs or {})}


def _text(
    max_length: int, *, label: str, required: bool = False, autocomplete: str = "", **kw: Any
) -> forms.CharField:
    attrs = {"autocomplete": autocomplete} if autocomplete else {}
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        widget=forms.TextInput(attrs=_control(attrs)),
        **kw,
    )


class FastSelect(forms.Select):
    """A flat <select> built in Python. Django's Select renders a template per option (~0.1 ms
    each), which made the ~250 countries most of the partner list's time."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        final_attrs = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        selected = set(self.format_value(value))
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((key, " selected" if str(key) in selected else "", label) for key, label in self.choices),
        )
        return format_html("<select{}>{}</select>", flatatt(final_attrs), options)


class FieldGroup:
    """A titled subset of a form's fields, shaped like a form for templates/includes/form.html (so a
    long form renders as fieldsets without a second field template)."""

    def __init__(self, form: forms.Form, legend: str, names: Iterable[str], *, first: bool) -> None:
        self.form = form
        self.legend = legend
        self.names = [n for n in names if n in form.fields]
        self.first = first

    def visible_fields(self) -> list[forms.BoundField]:
        return [self.form[n] for n in self.names if not self.form.fields[n].widget.is_hidden]

    def hidden_fields(self) -> list[forms.BoundField]:
        return [self.form[n] for n in self.names if self.form.fields[n].widget.is_hidden]

    def non_field_errors(self) -> Any:
        return self.form.non_field_errors() if self.first else []


# --- Partner list filters ----------------------------------------------------------------------------


class PartnerFilterForm(forms.Form):
    """The partner list's GET filters. Every field is optional; an unknown value is an error that the
    page reports and ignores."""

    q = forms.CharField(
        label="Search",
        max_length=100,
        required=False,
        widget=forms.TextInput(
            attrs=_control({"type": "search", "placeholder": "Name, legal name, city, VAT id"})
        ),
    )
    tier = forms.ChoiceField(label="Tier", required=False, widget=FastSelect(attrs=_select()))
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Any status"), *PartnerStatus.choices],
        widget=FastSelect(attrs=_select()),
    )
    type = forms.ChoiceField(
        label="Type",
        required=False,
        choices=[("", "Any type"), *PartnerType.choices],
        widget=FastSelect(attrs=_select()),
    )
    country = forms.ChoiceField(
        label="Country",
        required=False,
        choices=[("", "Any country"), *COUNTRY_CHOICES],
        widget=FastSelect(attrs=_select()),
    )
    manager = forms.ChoiceField(label="Channel manager", required=False, widget=FastSelect(attrs=_select()))
    sort = forms.ChoiceField(
        label="Sort by",
        required=False,
        choices=[(key, SORT_LABELS.get(key, key)) for key in PARTNER_ORDERINGS],
        widget=FastSelect(attrs=_select()),
    )
    parent = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    FILTERS = ("q", "tier", "status", "type", "country", "manager", "parent")

    def __init__(
        self,
        *args: Any,
        tier_choices: Iterable[tuple[int, str]],
        manager_choices: Iterable[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        tier, manager = self.fields["tier"], self.fields["manager"]
        assert isinstance(tier, forms.ChoiceField) and isinstance(manager, forms.ChoiceField)
        tier.choices = [("", "Any tier"), *((str(pk), name) for pk, name in tier_choices)]
        manager.choices = [
            ("", "Any manager"),
            *((str(pk), email) for pk, email in manager_choices),
        ]

    def valid_values(self) -> dict[str, Any]:
        """The values that passed validation (after is_valid(), whatever its answer), without blanks."""
        data = getattr(self, "cleaned_data", {})
        return {k: v for k, v in data.items() if v not in ("", None)}


# --- Partner profile ------------------------------------------------------------------------------


class PartnerForm(forms.Form):
    """A partner's profile as channel staff edit it. `with_tier` adds the tier (create only: an
    existing partner changes tier through its own form, which records the move)."""

    name = _text(200, label="Name", required=True, autocomplete="organization")
    legal_name = _text(200, label="Legal name")
    slug = forms.SlugField(
        label="Slug",
        max_length=80,
        required=False,
        help_text="Used in links, e.g. the showroom address. Leave blank to derive it from the name.",
        widget=forms.TextInput(attrs=_control()),
    )
    vat_id = _text(40, label="VAT / tax id", help_text="Letters and digits, e.g. DE123456789.")
    type = forms.ChoiceField(
        label="Type",
        choices=PartnerType.choices,
        initial=PartnerType.RESELLER,
        widget=forms.Select(attrs=_select()),
    )
    description = forms.CharField(
        label="Description",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs=_control({"rows": "4"})),
    )
    website = forms.URLField(
        label="Website",
        required=False,
        assume_scheme="https",
        widget=forms.URLInput(attrs=_control({"autocomplete": "url"})),
    )
    email = forms.EmailField(
        label="Contact e-mail",
        required=False,
        widget=forms.EmailInput(attrs=_control({"autocomplete": "email"})),
    )
    phone = _text(40, label="Phone", autocomplete="tel")
    address = _text(200, label="Street address", autocomplete="street-address")
    postal_code = _text(20, label="Postal code", autocomplete="postal-code")
    city = _text(100, label="City", autocomplete="address-level2")
    region = _text(100, label="Region", autocomplete="address-level1")
    country = forms.ChoiceField(
        label="Country",
        choices=[("", "Choose a country"), *COUNTRY_CHOICES],
        widget=FastSelect(attrs=_select({"autocomplete": "country"})),
    )
    latitude = coordinate_field(
        "latitude", help_text="Decimal degrees, e.g. 48.137154. Used to route nearby leads."
    )
    longitude = coordinate_field("longitude")
    tier = forms.ModelChoiceField(
        label="Tier",
        queryset=Tier.objects.order_by("rank"),
        empty_label="Choose a tier",
        widget=forms.Select(attrs=_select()),
    )
    parent = forms.ModelChoiceField(
        label="Parent partner",
        queryset=Partner.objects.none(),
        required=False,
        empty_label="None: a top-level partner",
        help_text="A reseller under a distributor. Only top-level partners can take sub-partners.",
        widget=forms.Select(attrs=_select()),
    )
    certifications = forms.ModelMultipleChoiceField(
        label="Certifications",
        queryset=Certification.objects.order_by("name"),
        required=False,
        help_text="Qualifications the partner holds; lead routing can require them.",
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    capacity = forms.IntegerField(
        label="Capacity",
        min_value=0,
        max_value=100000,
        initial=50,
        help_text="Most open leads the partner takes at once.",
        widget=forms.NumberInput(attrs=_control()),
    )

    GROUPS = (
        ("Company", ("name", "legal_name", "slug", "vat_id", "type", "description")),
        ("Contact", ("website", "email", "phone")),
        ("Address", ("address", "postal_code", "city", "region", "country", "latitude", "longitude")),
        ("Programme", ("tier", "parent", "capacity", "certifications")),
    )

    def __init__(self, *args: Any, parents: QuerySet[Partner], with_tier: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        parent_field = self.fields["parent"]
        assert isinstance(parent_field, forms.ModelChoiceField)
        parent_field.queryset = parents
        if not with_tier:
            del self.fields["tier"]

    @classmethod
    def for_partner(cls, partner: Partner, *, parents: QuerySet[Partner], data: Any = None) -> PartnerForm:
        form = cls(data=data, parents=parents, with_tier=False)
        form.initial = {
            name: getattr(partner, name) for name in form.fields if name not in ("parent", "certifications")
        }
        form.initial["parent"] = partner.parent_id
        form.initial["certifications"] = list(partner.certifications.values_list("pk", flat=True))
        return form

    def groups(self) -> list[FieldGroup]:
        return [
            FieldGroup(self, legend, names, first=i == 0) for i, (legend, names) in enumerate(self.GROUPS)
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        check_coordinates_pair(self, cleaned)
        return cleaned


# --- Partner actions -------------------------------------------------------------------------------


class PartnerStatusForm(forms.Form):
    """Move a partner to another status. The select offers only the moves the workflow allows; any
    known status is accepted here so that the service's refusal says why."""

    status = forms.ChoiceField(
        label="New status", choices=PartnerStatus.choices, widget=forms.Select(attrs=_select())
    )
    reason = _text(300, label="Reason", help_text="Optional; recorded in the activity trail.")

    def __init__(self, *args: Any, partner: Partner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].widget.choices = [
            ("", "Choose a status"),
            *((s.value, s.label) for s in partner.allowed_statuses),
        ]


class PartnerTierForm(forms.Form):
    tier = forms.ModelChoiceField(
        label="Tier",
        queryset=Tier.objects.order_by("rank"),
        empty_label="Choose a tier",
        widget=forms.Select(attrs=_select()),
    )
    reason = _text(300, label="Reason", help_text="Optional; recorded in the activity trail.")


class StaffChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.full_name} ({obj.email})" if obj.full_name else str(obj.email)


class PartnerManagersForm(forms.Form):
    managers = StaffChoiceField(
        label="Channel managers",
        queryset=User.objects.none(),
        required=False,
        help_text="They see and manage this partner and its sub-partners.",
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args: Any, staff: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["managers"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = staff


# --- Applications ----------------------------------------------------------------------------------

APPLICATION_TABS = (
    (ApplicationStatus.PENDING.value, "Pending"),
    (ApplicationStatus.APPROVED.value, "Approved"),
    (ApplicationStatus.REJECTED.value, "Rejected"),
    ("all", "All"),
)


class ApplicationFilterForm(forms.Form):
    status = forms.ChoiceField(choices=APPLICATION_TABS, required=False)


class ApplicationApproveForm(forms.Form):
    tier = forms.ModelChoiceField(
        label="Tier",
        queryset=Tier.objects.order_by("rank"),
        empty_label="Choose a tier",
        widget=forms.Select(attrs=_select()),
    )
    partner_type = forms.ChoiceField(
        label="Partner type",
        choices=PartnerType.choices,
        initial=PartnerType.RESELLER,
        widget=forms.Select(attrs=_select()),
    )
    parent = forms.ModelChoiceField(
        label="Parent distributor",
        queryset=Partner.objects.none(),
        required=False,
        empty_label="None: a top-level partner",
        help_text="Optional: place the new partner under one of your distributors.",
        widget=forms.Select(attrs=_select()),
    )

    def __init__(self, *args: Any, distributors: QuerySet[Partner], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["parent"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = distributors


class ApplicationRejectForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=2000,
        help_text="E-mailed to the applicant.",
        widget=forms.Textarea(attrs=_control({"rows": "3"})),
    )
