"""Forms of the channel portal's MDF programme pages: the programme form, a partner's allocation,
and the list and journal filters. Plain forms; mdf.services does the validation that needs the
database (names, dates against each other, the budget against what is allocated)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django import forms

from mdf.choices import AllocationRule, ProgramStatus
from mdf.models import FundProgram
from portals.channel.forms import FastSelect
from portals.channel.lead_forms import MAX_ID, FilterForm

MONEY_ERRORS = {
    "invalid": "Enter an amount such as 1250.00.",
    "min_value": "Enter zero or more.",
    "max_decimal_places": "Use at most two decimal places (cents).",
    "max_digits": "This amount is too large.",
    "max_whole_digits": "This amount is too large.",
}


def _control(attrs: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"class": "form-control", **(attrs or {})}


def _select() -> dict[str, Any]:
    return {"class": "form-select"}


def money_field(label: str, *, required: bool = True, help_text: str = "") -> forms.DecimalField:
    """An amount in the programme's currency: zero or more, at most two decimals (never rounded)."""
    return forms.DecimalField(
        label=label,
        required=required,
        min_value=Decimal("0"),
        max_digits=14,
        decimal_places=2,
        help_text=help_text,
        error_messages=MONEY_ERRORS,
        widget=forms.NumberInput(attrs=_control({"step": "0.01", "min": "0", "inputmode": "decimal"})),
    )


def _date(label: str, help_text: str = "") -> forms.DateField:
    return forms.DateField(
        label=label,
        help_text=help_text,
        widget=forms.DateInput(attrs=_control({"type": "date"}), format="%Y-%m-%d"),
    )


class ProgramForm(forms.Form):
    """A programme's set-up. The currency is fixed once the programme exists (amounts were posted
    in it), so the edit form shows it without letting it change."""

    name = forms.CharField(label="Name", max_length=120, widget=forms.TextInput(attrs=_control()))
    description = forms.CharField(
        label="Description",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs=_control({"rows": 3})),
    )
    starts_on = _date("Starts on")
    ends_on = _date("Ends on", "Partners request funds for activities within the period.")
    claim_deadline = _date("Claim deadline", "Claims are filed until this day; then unused money expires.")
    currency = forms.CharField(
        label="Currency",
        min_length=3,
        max_length=3,
        initial="EUR",
        help_text="ISO 4217 code, e.g. EUR. It cannot change once the programme exists.",
        widget=forms.TextInput(
            attrs=_control({"autocomplete": "off", "class": "form-control text-uppercase"})
        ),
    )
    budget = money_field("Budget")
    approval_threshold = money_field(
        "Approval threshold",
        required=False,
        help_text="Requests and claims above this amount need a channel admin's approval as well. "
        "Leave empty when one approval is enough.",
    )
    allocation_rule = forms.ChoiceField(
        label="Allocation rule",
        choices=AllocationRule.choices,
        initial=AllocationRule.TIER_SHARE,
        help_text="By tier MDF share: one click shares the budget out by each active partner's tier; "
        "adjust single partners afterwards either way.",
        widget=FastSelect(attrs=_select()),
    )

    def __init__(self, *args: Any, program: FundProgram | None = None, **kwargs: Any) -> None:
        if program is not None:
            kwargs.setdefault("initial", self.initial_for(program))
        super().__init__(*args, **kwargs)
        if program is not None:
            self.fields["currency"].disabled = True
            self.fields["currency"].help_text = "Fixed: amounts were posted in this currency."

    @staticmethod
    def initial_for(program: FundProgram) -> dict[str, Any]:
        return {
            "name": program.name,
            "description": program.description,
            "starts_on": program.starts_on,
            "ends_on": program.ends_on,
            "claim_deadline": program.claim_deadline,
            "currency": program.currency,
            "budget": program.budget,
            "approval_threshold": program.approval_threshold,
            "allocation_rule": program.allocation_rule,
        }

    def clean_currency(self) -> str:
        return str(self.cleaned_data["currency"]).strip().upper()

    def service_fields(self, *, with_currency: bool) -> dict[str, Any]:
        """The cleaned values as program_create's (or, without the currency, program_update's)
        keyword arguments."""
        data = self.cleaned_data
        fields = {
            "name": data["name"],
            "description": data["description"],
            "starts_on": data["starts_on"],
            "ends_on": data["ends_on"],
            "claim_deadline": data["claim_deadline"],
            "budget": data["budget"],
            "approval_threshold": data["approval_threshold"],
            "allocation_rule": data["allocation_rule"],
        }
        if with_currency:
            fields["currency"] = data["currency"]
        return fields


class AllocationForm(forms.Form):
    """Set one partner's allocation to an amount (the difference is posted from or back to the
    budget)."""

    partner = forms.TypedChoiceField(label="Partner", coerce=int, widget=FastSelect(attrs=_select()))
    amount = money_field("Allocated amount", help_text="The partner's new total, not the difference.")

    def __init__(self, *args: Any, partner_choices: Iterable[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "Choose a partner…"), *((str(pk), name) for pk, name in partner_choices)]
        field = self.fields["partner"]
        field.choices = choices  # type: ignore[attr-defined]
        field.widget.choices = choices  # type: ignore[attr-defined]


STATUS_FILTER_CHOICES = [("", "Any status"), *ProgramStatus.choices]


class ProgramFilterForm(FilterForm):
    FILTERS = ("status",)

    status = forms.ChoiceField(
        label="Status", required=False, choices=STATUS_FILTER_CHOICES, widget=FastSelect(attrs=_select())
    )


class JournalFilterForm(FilterForm):
    """The journal's programme filter (the programmes are the select's options)."""

    FILTERS = ("program",)

    program = forms.IntegerField(
        label="Programme", required=False, min_value=1, max_value=MAX_ID, widget=FastSelect(attrs=_select())
    )

    def __init__(self, *args: Any, programs: Iterable[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.program_names: dict[int, str] = dict(programs)
        self.fields["program"].widget.choices = [  # type: ignore[attr-defined]
            ("", "All programmes"),
            *((str(pk), name) for pk, name in self.program_names.items()),
        ]

    def clean_program(self) -> int | None:
        value: int | None = self.cleaned_data.get("program")
        if value is not None and value not in self.program_names:
            raise forms.ValidationError("No such programme.")
        return value
