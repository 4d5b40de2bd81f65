"""Forms of the partner portal's service pages: the knowledge-base search, request filters, a new
service request (customer chosen or entered, product by SKU, a suggested solution), and the actions on
a request (comment, files, wait, escalate, resolve, reopen, close, assign). Plain forms; service.services
does the workflow checks and the views put its errors on these forms."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms

from catalog.models import Product
from portals.forms import control as _control
from portals.partner.fund_forms import MultipleFileField, MultipleFileInput
from portals.partner.lead_forms import FilterForm
from service.choices import ServiceStatus, Severity
from service.services import MAX_FILES_AT_ONCE

FILE_ACCEPT = ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"
STATUS_FILTERS = [("", "Any status"), ("open", "Open (not resolved)"), *ServiceStatus.choices]


class ActionForm(forms.Form):
    """A form of one action on a request's page: several share field names (`note`), so each names
    its inputs with its own prefix (`id_wait_note`, `id_close_note`), and every label finds its input."""

    id_prefix = "action"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


def _select(**attrs: str) -> dict[str, str]:
    return {"class": "form-select", **attrs}


def _note(label: str, *, required: bool = False, help_text: str = "", rows: str = "2") -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=2000,
        required=required,
        help_text=help_text,
        widget=forms.Textarea(attrs=_control(rows=rows)),
    )


class SolutionSearchForm(FilterForm):
    q = forms.CharField(
        label="Search the knowledge base",
        max_length=200,
        required=False,
        widget=forms.TextInput(
            attrs=_control(type="search", placeholder="e.g. pressure reading drifts", autocomplete="off")
        ),
    )


class RequestFilterForm(FilterForm):
    q = forms.CharField(
        label="Search",
        max_length=100,
        required=False,
        widget=forms.TextInput(
            attrs=_control(type="search", placeholder="SR-000123 or subject", autocomplete="off")
        ),
    )
    status = forms.ChoiceField(
        label="Status", required=False, choices=STATUS_FILTERS, widget=forms.Select(attrs=_select())
    )
    severity = forms.ChoiceField(
        label="Severity", required=False, choices=[("", "Any severity"), *Severity.choices],
        widget=forms.Select(attrs=_select()),
    )  # fmt: skip


class RequestForm(forms.Form):
    """A new service request. The customer is one of the partner's (`customer`) or entered (company,
        contact, e-mail, phone: matched with the partner's customers or created). The solution picked
    among the suggestions is a radio group the suggestions partial renders; the view reads and checks it."""

    customer = forms.TypedChoiceField(
        label="Customer",
        required=False,
        coerce=int,
        empty_value=None,
        help_text="One of your customers, or leave this empty and enter a new customer below.",
        widget=forms.Select(attrs=_select()),
    )
    company = forms.CharField(
        label="New customer: company", max_length=200, required=False,
        widget=forms.TextInput(attrs=_control(autocomplete="organization")),
    )  # fmt: skip
    contact = forms.CharField(
        label="Contact name",
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs=_control(autocomplete="name")),
    )
    email = forms.EmailField(
        label="Contact e-mail", required=False, widget=forms.EmailInput(attrs=_control(autocomplete="email"))
    )
    phone = forms.CharField(
        label="Contact phone", max_length=40, required=False,
        widget=forms.TextInput(attrs=_control(type="tel", autocomplete="tel")),
    )  # fmt: skip
    subject = forms.CharField(
        label="Subject",
        max_length=200,
        help_text="The problem in a few words, e.g. “Pressure reading drifts after warm-up”.",
        widget=forms.TextInput(attrs=_control(autocomplete="off")),
    )
    description = forms.CharField(
        label="Description",
        max_length=10_000,
        help_text="What happens, since when, what was tried. Matching solutions appear below as you type.",
        widget=forms.Textarea(attrs=_control(rows="5")),
    )
    severity = forms.ChoiceField(
        label="Severity",
        choices=Severity.choices,
        initial=Severity.MEDIUM,
        widget=forms.Select(attrs=_select()),
    )
    product = forms.CharField(
        label="Product (SKU)",
        max_length=40,
        required=False,
        help_text="The article number on the type plate, e.g. KA-PT-0-10B.",
        widget=forms.TextInput(attrs=_control(list="product-skus", autocomplete="off")),
    )
    serial_number = forms.CharField(
        label="Serial number",
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs=_control(autocomplete="off")),
    )

    def __init__(self, *args: Any, customers: Iterable[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["customer"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "A new customer…"), *((pk, name) for pk, name in customers)]

    def clean_product(self) -> Product | None:
        sku = self.cleaned_data.get("product", "").strip()
        if not sku:
            return None
        product = Product.objects.filter(sku__iexact=sku, active=True).first()
        if product is None:
            raise forms.ValidationError(f"No product with the SKU “{sku}” in the catalogue.")
        return product

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if (
            cleaned.get("customer") is None
            and not (cleaned.get("company") or "").strip()
            and "company" not in self.errors
        ):
            self.add_error(
                "company", "Choose one of your customers above, or enter the new customer's company."
            )
        return cleaned

    def customer_data(self) -> dict[str, str]:
        data = self.cleaned_data
        return {name: data.get(name) or "" for name in ("company", "contact", "email", "phone")}


class CommentForm(ActionForm):
    id_prefix = "comment"

    body = forms.CharField(label="Comment", max_length=4000, widget=forms.Textarea(attrs=_control(rows="3")))
    internal = forms.BooleanField(
        label="Internal: only my company reads it (not the brand owner)",
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )


class AttachmentForm(ActionForm):
    id_prefix = "attach"

    # Named as attachment_add's argument; a declared field is no attribute at run time, so the form's
    # own `files` (the upload dict) stays as it is.
    files = MultipleFileField(  # type: ignore[assignment]
        label="Files",
        required=True,
        help_text=f"Photos of the fault, logs, delivery notes: PDF, PNG or JPEG, at most 10 MB each, up to "
        f"{MAX_FILES_AT_ONCE} at once.",
        widget=MultipleFileInput(attrs=_control(accept=FILE_ACCEPT)),
    )


class WaitForm(ActionForm):
    id_prefix = "wait"

    note = _note("What do you wait for?", help_text="E.g. access to the machine, a photo of the type plate.")


class EscalateForm(ActionForm):
    id_prefix = "escalate"

    reason = _note(
        "Why escalate?",
        required=True,
        help_text="What you tried and what you need; the brand owner's service team reads it.",
        rows="3",
    )


class ResolveForm(ActionForm):
    """The solution that did it: the linked one, a suggestion, or none from the knowledge base."""

    id_prefix = "resolve"

    solution = forms.TypedChoiceField(
        label="Solution that solved it",
        required=False,
        coerce=int,
        empty_value=None,
        widget=forms.Select(attrs=_select()),
    )
    note = _note("Resolution note", help_text="What was done, for the timeline.")

    def __init__(self, *args: Any, solutions: Iterable[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["solution"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "None from the knowledge base"), *solutions]


class ReopenForm(ActionForm):
    id_prefix = "reopen"

    reason = _note("Why reopen?", required=True)


class CloseForm(ActionForm):
    id_prefix = "close"

    note = _note("Closing note")


class AssignForm(ActionForm):
    id_prefix = "assign"

    user = forms.TypedChoiceField(
        label="Assign to", required=False, coerce=int, empty_value=None, widget=forms.Select(attrs=_select())
    )

    def __init__(self, *args: Any, members: Iterable[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["user"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "Nobody (the team)"), *members]
