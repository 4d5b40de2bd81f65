"""Forms of the partner portal's order pages: list filters and status search, the order form (the
customer, picked or new, and product lines by SKU), rejecting and cancelling. Plain forms; the order
services do the model validation (a product outside the assortment, a quantity below one)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError

from core.countries import COUNTRY_CHOICES
from customers.models import normalise_company
from orders.choices import OrderStatus
from portals.channel.forms import FastSelect
from portals.forms import control
from portals.partner.lead_forms import FilterForm

# Largest id a form accepts: anything beyond cannot be a row (and must not reach the database).
MAX_ID = 2**63 - 1
MAX_QUANTITY = 99_999  # orders.services.MAX_QUANTITY
# Rows of product lines the form offers: a new order starts with this many empty ones; "More lines"
# adds as many again, up to MAX_LINES.
LINE_ROWS = 5
MAX_LINES = 100


def _select(**attrs: str) -> dict[str, str]:
    return {"class": "form-select", **attrs}


class OrderFilterForm(FilterForm):
    """The order list's filters. `q` is the status search of an employee with a customer on the
    phone: an order number (SO-000123, or just 123), the customer's company or a contact's e-mail."""

    q = forms.CharField(
        label="Find an order",
        max_length=100,
        required=False,
        help_text="Order number, customer company or e-mail.",
        widget=forms.TextInput(
            attrs=control(
                type="search",
                placeholder="SO-000123, company or e-mail",
                autocomplete="off",
                autocapitalize="none",
            )
        ),
    )
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Any status"), *OrderStatus.choices],
        widget=forms.Select(attrs=_select()),
    )

    FILTERS = ("q", "status")


class OrderForm(forms.Form):
    """The order's customer (one of the partner's customers, or a new one's details) and its
    reference and notes. Field names of the new customer are order_create's `customer_data` keys."""

    customer = forms.TypedChoiceField(
        label="Customer",
        required=False,
        coerce=int,
        empty_value=None,
        help_text="Choose one of your customers, or leave “New customer” and fill in the details below.",
        widget=FastSelect(attrs=_select()),
    )
    company = forms.CharField(
        label="Company",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs=control(autocomplete="organization")),
    )
    contact = forms.CharField(
        label="Contact name",
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs=control(autocomplete="name")),
    )
    email = forms.EmailField(
        label="E-mail",
        required=False,
        help_text="The customer gets the order's status link at this address.",
        widget=forms.EmailInput(attrs=control(autocomplete="email", autocapitalize="none")),
    )
    phone = forms.CharField(
        label="Phone",
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs=control(autocomplete="tel", type="tel")),
    )
    address = forms.CharField(
        label="Street address",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs=control(autocomplete="street-address")),
    )
    postal_code = forms.CharField(
        label="Postal code",
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs=control(autocomplete="postal-code")),
    )
    city = forms.CharField(
        label="City",
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs=control(autocomplete="address-level2")),
    )
    country = forms.ChoiceField(
        label="Country",
        required=False,
        choices=[("", "Choose a country…"), *COUNTRY_CHOICES],
        widget=FastSelect(attrs=_select(autocomplete="country")),
    )
    customer_reference = forms.CharField(
        label="Customer reference",
        max_length=60,
        required=False,
        help_text="The customer's purchase order number, if they gave one.",
        widget=forms.TextInput(attrs=control(autocomplete="off")),
    )
    notes = forms.CharField(
        label="Notes",
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs=control(rows="3")),
    )

    NEW_CUSTOMER = ("company", "contact", "email", "phone", "address", "postal_code", "city", "country")

    def __init__(self, *args: Any, customers: Iterable[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["customer"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "New customer"), *customers]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "customer" in self.errors or cleaned.get("customer") is not None:
            return cleaned
        company = (cleaned.get("company") or "").strip()
        if not company:
            self.add_error("company", "Choose a customer above, or give the new customer's company.")
        elif not normalise_company(company):
            self.add_error("company", "Give the customer's company name, not only its legal form.")
        if not (cleaned.get("contact") or "").strip() and not cleaned.get("email"):
            self.add_error("contact", "Give the new customer's contact: a name or an e-mail address.")
        return cleaned

    def customer_data(self) -> dict[str, str]:
        """The new customer's details for order_create/order_update (after is_valid())."""
        return {name: (self.cleaned_data.get(name) or "").strip() for name in self.NEW_CUSTOMER}


class LineForm(forms.Form):
    """One product line: the product's SKU (offered from the partner's assortment) and a quantity. A
    row left empty is skipped; a row with only one of the two is an error."""

    sku = forms.CharField(
        label="Product (SKU)",
        max_length=40,
        required=False,
        widget=forms.TextInput(
            attrs=control(list="assortment-skus", autocomplete="off", autocapitalize="characters")
        ),
    )
    quantity = forms.IntegerField(
        label="Quantity",
        required=False,
        min_value=1,
        max_value=MAX_QUANTITY,
        widget=forms.NumberInput(attrs=control(min="1", step="1", inputmode="numeric")),
    )

    def clean_sku(self) -> str:
        # A pick from the list may arrive as "SKU — name".
        return (self.cleaned_data.get("sku") or "").split(" — ", 1)[0].strip()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        sku, quantity = cleaned.get("sku"), cleaned.get("quantity")
        if sku and quantity is None and "quantity" not in self.errors:
            self.add_error("quantity", "Give a quantity of at least 1.")
        if quantity is not None and not sku and "sku" not in self.errors:
            self.add_error("sku", "Give the product's SKU, or clear the quantity.")
        return cleaned

    @property
    def is_blank(self) -> bool:
        return not self.cleaned_data.get("sku") and self.cleaned_data.get("quantity") is None


class BaseLineFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    """The order's lines, each SKU once; at least one when `require_lines` (an order being submitted;
    a draft may wait for its products)."""

    require_lines = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # What the order service said about the lines as a whole (e.g. several currencies).
        self.service_errors: list[str] = []

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        seen: dict[str, int] = {}
        filled = 0
        for number, form in enumerate(self.forms, start=1):
            if not hasattr(form, "cleaned_data") or form.is_blank:
                continue
            filled += 1
            sku = form.cleaned_data["sku"].upper()
            if sku in seen:
                form.add_error(
                    "sku", f"This product is on line {seen[sku]} already; change the quantity there."
                )
            else:
                seen[sku] = number
        if not filled and self.require_lines:
            raise ValidationError("Add at least one product with its quantity.")

    def lines(self) -> list[tuple[int, str, int]]:
        """(line number, SKU, quantity) of each filled row (after is_valid())."""
        return [
            (number, form.cleaned_data["sku"], form.cleaned_data["quantity"])
            for number, form in enumerate(self.forms, start=1)
            if not form.is_blank
        ]


LineFormSet = forms.formset_factory(
    LineForm, formset=BaseLineFormSet, extra=0, max_num=MAX_LINES, absolute_max=MAX_LINES, validate_max=True
)


def add_order_errors(form: OrderForm, formset: BaseLineFormSet, exc: ValidationError) -> None:
    """Put the order service's ValidationError where it belongs: "customer.<field>" on the new
    customer's field, "lines" above the lines, a form field's on it, the rest on top of the form."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for key, errors in exc.message_dict.items():
        name = key.removeprefix("customer.")
        if key == "lines":
            formset.service_errors.extend(errors)
        elif name in form.fields:
            form.add_error(name, errors)
        else:
            form.add_error(None, errors)


def line_formset(
    data: Mapping[str, Any] | None = None,
    *,
    initial: list[dict[str, Any]] | None = None,
    rows: int | None = None,
) -> BaseLineFormSet:
    """The lines formset: bound to `data`, or unbound with `initial` lines plus empty rows (`rows`
    in all, at least LINE_ROWS and the initial lines and two more)."""
    if data is not None:
        return cast(BaseLineFormSet, LineFormSet(data, prefix="lines"))
    initial = initial or []
    total = min(MAX_LINES, max(rows or 0, LINE_ROWS, len(initial) + 2))
    formset = forms.formset_factory(
        LineForm,
        formset=BaseLineFormSet,
        extra=max(0, total - len(initial)),
        max_num=MAX_LINES,
        absolute_max=MAX_LINES,
        validate_max=True,
    )
    return cast(BaseLineFormSet, formset(initial=initial, prefix="lines"))


def more_rows(data: Mapping[str, Any]) -> BaseLineFormSet:
    """The posted lines again with LINE_ROWS more empty rows (the "More lines" button): what was typed
    stays, nothing is validated or saved."""
    count = _int(data.get("lines-TOTAL_FORMS")) or 0
    initial = [
        {"sku": data.get(f"lines-{n}-sku", ""), "quantity": data.get(f"lines-{n}-quantity", "")}
        for n in range(min(count, MAX_LINES))
        if data.get(f"lines-{n}-sku") or data.get(f"lines-{n}-quantity")
    ]
    return line_formset(initial=initial, rows=len(initial) + LINE_ROWS)


def _int(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 6 else None


class RejectForm(forms.Form):
    reason = forms.CharField(
        label="Why do you reject the order?",
        max_length=500,
        help_text="The customer is e-mailed that the order is not accepted, with this reason.",
        widget=forms.Textarea(attrs=control(rows="2")),
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Reason (optional)",
        help_text="The customer is e-mailed that the order is cancelled, with this reason.",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs=control(rows="2")),
    )
