"""Forms of the partner portal's fund pages: a fund request (new, from a template, or changed), a claim
with its proof files, and a comment. Plain forms; mdf.services does the money and workflow checks and
the views put its errors on these forms."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet

from mdf.choices import ActivityType
from mdf.models import FundAllocation
from mdf.services import MAX_PROOF_FILES
from portals.forms import control as _control

CENT = Decimal("0.01")
PROOF_ACCEPT = ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"


def _money(
    label: str, *, required: bool = True, minimum: Decimal = CENT, help_text: str = ""
) -> forms.DecimalField:
    """An amount in cents; the services refuse anything else again, with the same words."""
    return forms.DecimalField(
        label=label,
        required=required,
        min_value=minimum,
        max_digits=14,
        decimal_places=2,
        help_text=help_text,
        widget=forms.NumberInput(attrs=_control(step="0.01", min=str(minimum), inputmode="decimal")),
    )


def _count(label: str) -> forms.IntegerField:
    """A number of leads, zero or more, optional."""
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=0,
        max_value=2_000_000_000,
        widget=forms.NumberInput(attrs=_control(min="0", step="1", inputmode="numeric")),
    )


def _date(label: str) -> forms.DateField:
    return forms.DateField(
        label=label, widget=forms.DateInput(attrs=_control(type="date"), format="%Y-%m-%d")
    )


class AllocationChoiceField(forms.ModelChoiceField):
    """An allocation, named by its programme and what it has available in the programme's currency."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.program.name} — {obj.program.currency} {obj.available:,.2f} available"


class RequestForm(forms.Form):
    """A fund request; field names are request_create's and request_update's arguments. Changing a
    request keeps its allocation and campaign code (leads may carry the code already): the form
    for a change has neither field."""

    allocation = AllocationChoiceField(
        label="Programme",
        queryset=FundAllocation.objects.none(),
        empty_label="Choose a programme…",
        help_text="The money comes from your allocation in this programme.",
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    title = forms.CharField(label="Title", max_length=200, widget=forms.TextInput(attrs=_control()))
    activity_type = forms.ChoiceField(
        label="Activity type",
        choices=[("", "Choose a type…"), *ActivityType.choices],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    description = forms.CharField(
        label="Description",
        max_length=4000,
        required=False,
        help_text="What you will do, for whom, and how it promotes the brand.",
        widget=forms.Textarea(attrs=_control(rows="4")),
    )
    starts_on = _date("Starts on")
    ends_on = _date("Ends on")
    amount = _money("Amount", help_text="In the programme's currency, e.g. 2500.00.")
    expected_leads = _count("Expected leads")
    expected_revenue = _money("Expected revenue", required=False, minimum=Decimal("0"))
    campaign_code = forms.CharField(
        label="Campaign code",
        max_length=60,
        required=False,
        help_text="Leads carrying this code count towards the request's return. "
        "Leave it empty and one is made for you.",
        widget=forms.TextInput(attrs=_control(autocomplete="off", autocapitalize="characters")),
    )
    copied_from = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, allocations: QuerySet[FundAllocation] | None, **kwargs: Any) -> None:
        """`allocations`: the ones the user may request from; None for a change (no allocation, no
        campaign code, no template)."""
        super().__init__(*args, **kwargs)
        if allocations is None:
            for name in ("allocation", "campaign_code", "copied_from"):
                del self.fields[name]
            return
        field = self.fields["allocation"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = allocations

    def service_values(self) -> dict[str, Any]:
        """The cleaned values that request_create / request_update take."""
        data = self.cleaned_data
        names = ("title", "activity_type", "description", "starts_on", "ends_on", "amount")
        values = {name: data[name] for name in names}
        values["expected_leads"] = data.get("expected_leads")
        values["expected_revenue"] = data.get("expected_revenue")
        return values


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one <input type=file multiple>; cleans to a list (empty when none)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        # No file is an empty list, not "this field is required": the service's message says what
        # proof is needed.
        one = super().clean
        if isinstance(data, (list, tuple)):
            return [one(item, initial) for item in data if item]
        return [one(data, initial)] if data else []


class ClaimForm(forms.Form):
    """A claim on an approved request; field names are claim_submit's arguments. The proof files'
    types are checked by their content in the service, not here by their names."""

    amount = _money("Amount claimed")
    description = forms.CharField(
        label="What was done",
        max_length=4000,
        widget=forms.Textarea(attrs=_control(rows="4")),
    )
    # Named as claim_submit's argument and the API's multipart field; a declared field is no
    # attribute at run time, so the form's own `files` (the upload dict) stays as it is.
    files = MultipleFileField(  # type: ignore[assignment]
        label="Proof of performance",
        required=True,  # marked so; an empty list passes to the service, which says what is missing
        help_text=f"Invoices, photos, screenshots: PDF, PNG or JPEG, at most 10 MB each, up to "
        f"{MAX_PROOF_FILES} files. Select several files at once.",
        widget=MultipleFileInput(attrs=_control(accept=PROOF_ACCEPT)),
    )
    actual_leads = _count("Leads it brought")
    actual_revenue = _money("Revenue it brought", required=False, minimum=Decimal("0"))
    results = forms.CharField(
        label="Results",
        max_length=4000,
        required=False,
        help_text="What the activity achieved: visitors, contacts, orders.",
        widget=forms.Textarea(attrs=_control(rows="3")),
    )

    def __init__(self, *args: Any, currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields[
            "amount"
        ].help_text = f"In {currency}: what the activity cost, up to what remains of the approval."


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Comment",
        max_length=4000,
        widget=forms.Textarea(attrs=_control(rows="3")),
    )

    def __init__(self, *args: Any, answering: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if answering:
            self.fields["body"].label = "Your answer"
            self.fields["body"].help_text = "Your channel manager reads it and decides."
