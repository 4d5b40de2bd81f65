"""Forms of the channel portal's tier rules page (/channel/analytics/tiers/): one requirement, a
minimum for one measure of one tier. analytics.services checks again what needs the database."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django import forms

from portals.channel.forms import FastSelect
from portals.channel.lead_forms import MAX_ID

# A requirement is at most this large (the model keeps 14 digits, two of them decimals).
MAX_MINIMUM = Decimal("999999999999.99")
HUNDRED = Decimal("100")
MINIMUM_ERRORS = {
    "required": "Enter the minimum.",
    "invalid": "Enter a number such as 20 or 40000.00.",
    "min_value": "Enter zero or more.",
    "max_value": "This minimum is too large.",
    "max_decimal_places": "Use at most two decimal places.",
    "max_digits": "This minimum is too large.",
    "max_whole_digits": "This minimum is too large.",
}


class TierRequirementForm(forms.Form):
    """Add or change a requirement: the tier, the measure and its minimum. Setting a measure that the
    tier requires already changes that requirement (one per tier and measure)."""

    tier = forms.TypedChoiceField(
        label="Tier",
        coerce=int,
        error_messages={"required": "Choose a tier.", "invalid_choice": "Choose one of the tiers."},
        widget=FastSelect(attrs={"class": "form-select"}),
    )
    measure = forms.ChoiceField(
        label="Measure",
        error_messages={"required": "Choose a measure.", "invalid_choice": "Choose one of the measures."},
        widget=FastSelect(attrs={"class": "form-select"}),
    )
    minimum = forms.DecimalField(
        label="Minimum",
        min_value=Decimal("0"),
        max_value=MAX_MINIMUM,
        max_digits=14,
        decimal_places=2,
        error_messages=MINIMUM_ERRORS,
        widget=forms.NumberInput(
            attrs={"class": "form-control", "step": "0.01", "min": "0", "inputmode": "decimal"}
        ),
    )

    def __init__(
        self,
        *args: Any,
        tier_choices: Iterable[tuple[int, str]],
        measure_choices: Iterable[tuple[str, str]],
        measure_units: Mapping[str, str],
        currency: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields[
            "minimum"
        ].help_text = f"Percentages 0–100, amounts in {currency}, the resolution time in hours (a maximum)."
        tier_field = self.fields["tier"]
        measure_field = self.fields["measure"]
        assert isinstance(tier_field, forms.TypedChoiceField)
        assert isinstance(measure_field, forms.ChoiceField)
        tier_field.choices = [("", "Choose a tier…"), *[(str(pk), name) for pk, name in tier_choices]]
        measure_field.choices = [("", "Choose a measure…"), *measure_choices]
        self.measure_units = dict(measure_units)

    def clean_tier(self) -> int:
        tier = self.cleaned_data["tier"]
        if not 0 < tier <= MAX_ID:
            raise forms.ValidationError("Choose one of the tiers.")
        return int(tier)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        measure, minimum = cleaned.get("measure"), cleaned.get("minimum")
        if measure and minimum is not None:
            unit = self.measure_units.get(measure)
            if unit == "percent" and minimum > HUNDRED:
                self.add_error("minimum", "A percentage is at most 100.")
            elif unit == "count" and minimum != minimum.to_integral_value():
                self.add_error("minimum", "A count is a whole number.")
        return cleaned
