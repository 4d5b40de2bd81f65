"""Forms of the channel portal's service pages: request filters, the brand owner's actions on an
escalated request (hand back, resolve, comment, files), knowledge-base solutions (products by SKU,
categories by checkbox) and the period of the service volumes. Plain forms; service.services does the
checks and the views put its errors on these forms."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.db.models.functions import Upper

from catalog.models import Category, Product
from portals.channel.forms import FastSelect
from portals.channel.lead_forms import MAX_ID, FilterForm, set_id_choices, split_codes
from portals.forms import control as _control
from portals.partner.service_forms import STATUS_FILTERS, ActionForm, AttachmentForm
from service.choices import Severity

MAX_SKUS = 200
PERIODS = [(30, "Last 30 days"), (90, "Last 90 days"), (365, "Last 12 months")]

__all__ = ["AttachmentForm"]


def _select(**attrs: str) -> dict[str, str]:
    return {"class": "form-select", **attrs}


class RequestFilterForm(FilterForm):
    FILTERS = ("q", "status", "severity", "partner")

    q = forms.CharField(
        label="Search", max_length=100, required=False,
        widget=forms.TextInput(attrs=_control(type="search", placeholder="SR-000123 or subject", autocomplete="off")),
    )  # fmt: skip
    status = forms.ChoiceField(
        label="Status", required=False, choices=STATUS_FILTERS, widget=forms.Select(attrs=_select())
    )
    severity = forms.ChoiceField(
        label="Severity", required=False, choices=[("", "Any severity"), *Severity.choices],
        widget=forms.Select(attrs=_select()),
    )  # fmt: skip
    partner = forms.IntegerField(
        label="Partner", required=False, min_value=1, max_value=MAX_ID, widget=FastSelect(attrs=_select())
    )

    def __init__(self, *args: Any, partner_choices: Iterable[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_id_choices(self.fields["partner"], "Any partner", partner_choices)


class HandBackForm(ActionForm):
    id_prefix = "hand_back"

    note = forms.CharField(
        label="Note for the partner", max_length=2000, required=False,
        help_text="What you found, and what the partner should do next.",
        widget=forms.Textarea(attrs=_control(rows="2")),
    )  # fmt: skip


class ResolveForm(ActionForm):
    id_prefix = "resolve"

    solution = forms.TypedChoiceField(
        label="Solution that solved it", required=False, coerce=int, empty_value=None,
        widget=forms.Select(attrs=_select()),
    )  # fmt: skip
    note = forms.CharField(
        label="Resolution note", max_length=2000, required=False,
        help_text="The partner reads it in the timeline.", widget=forms.Textarea(attrs=_control(rows="2")),
    )  # fmt: skip

    def __init__(self, *args: Any, solutions: Iterable[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["solution"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "None from the knowledge base"), *solutions]


class CommentForm(ActionForm):
    id_prefix = "comment"

    body = forms.CharField(
        label="Comment", max_length=4000, help_text="The partner reads it.",
        widget=forms.Textarea(attrs=_control(rows="3")),
    )  # fmt: skip


class SolutionFilterForm(FilterForm):
    q = forms.CharField(
        label="Search", max_length=200, required=False,
        widget=forms.TextInput(attrs=_control(type="search", autocomplete="off")),
    )  # fmt: skip
    published = forms.ChoiceField(
        label="Published", required=False,
        choices=[("", "Published or not"), ("yes", "Published"), ("no", "Drafts")],
        widget=forms.Select(attrs=_select()),
    )  # fmt: skip


class SolutionForm(forms.Form):
    """A knowledge-base solution; the text fields are solution_create's and solution_update's."""

    title = forms.CharField(label="Title", max_length=200, widget=forms.TextInput(attrs=_control()))
    problem = forms.CharField(
        label="Problem", max_length=20_000, help_text="The symptom as a customer or technician describes it.",
        widget=forms.Textarea(attrs=_control(rows="4")),
    )  # fmt: skip
    solution = forms.CharField(
        label="Solution", max_length=20_000, help_text="What to do, step by step.",
        widget=forms.Textarea(attrs=_control(rows="8")),
    )  # fmt: skip
    tags = forms.CharField(
        label="Tags", max_length=500, required=False, help_text="Comma-separated keywords, e.g. drift, calibration.",
        widget=forms.TextInput(attrs=_control(autocomplete="off")),
    )  # fmt: skip
    products = forms.CharField(
        label="Products (SKUs)", max_length=4000, required=False,
        help_text="The SKUs it applies to, separated by commas or spaces.",
        widget=forms.TextInput(attrs=_control(autocomplete="off")),
    )  # fmt: skip
    categories = forms.ModelMultipleChoiceField(
        label="Categories", required=False, queryset=Category.objects.order_by("name"),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )  # fmt: skip
    published = forms.BooleanField(
        label="Publish it: partners see it at once", required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )  # fmt: skip

    def __init__(self, *args: Any, with_publish: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not with_publish:
            del self.fields["published"]

    def clean_products(self) -> list[Product]:
        skus = list(
            dict.fromkeys(code.upper() for code in split_codes(self.cleaned_data.get("products", "")))
        )
        if len(skus) > MAX_SKUS:
            raise forms.ValidationError(f"Give at most {MAX_SKUS} SKUs.")
        if not skus:
            return []
        found = {
            p.sku.upper(): p
            for p in Product.objects.annotate(upper_sku=Upper("sku")).filter(upper_sku__in=skus)
        }
        missing = [sku for sku in skus if sku not in found]
        if missing:
            raise forms.ValidationError(f"No product with the SKU {', '.join(missing)}.")
        return [found[sku] for sku in skus]

    def text_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {name: data[name] for name in ("title", "problem", "solution", "tags")}


class VolumeForm(FilterForm):
    days = forms.TypedChoiceField(
        label="Period", required=False, coerce=int, choices=PERIODS, widget=forms.Select(attrs=_select())
    )
