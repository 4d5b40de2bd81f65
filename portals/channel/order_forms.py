"""Forms of the channel portal's order pages: list filters, confirming (with the expected delivery
date), shipping (with the tracking reference) and cancelling. Plain forms; the order services check
the workflow."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from orders.choices import OrderStatus
from portals.channel.forms import FastSelect
from portals.channel.lead_forms import FilterForm, _id_field, set_id_choices
from portals.forms import control


class OrderFilterForm(FilterForm):
    q = forms.CharField(
        label="Search",
        max_length=100,
        required=False,
        widget=forms.TextInput(
            attrs=control(type="search", placeholder="Order number, company or e-mail", autocomplete="off")
        ),
    )
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Any status"), *OrderStatus.choices],
        widget=FastSelect(attrs={"class": "form-select"}),
    )
    partner = _id_field("Partner")

    FILTERS = ("q", "status", "partner")

    def __init__(self, *args: Any, partner_choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_id_choices(self.fields["partner"], "Any partner", partner_choices)


class ConfirmForm(forms.Form):
    expected_delivery = forms.DateField(
        label="Expected delivery",
        help_text="The customer sees this date on the order's status page.",
        widget=forms.DateInput(attrs=control(type="date"), format="%Y-%m-%d"),
    )

    def clean_expected_delivery(self) -> date:
        value: date = self.cleaned_data["expected_delivery"]
        if value < timezone.localdate():
            raise ValidationError("The expected delivery cannot be in the past.")
        return value


class ShipForm(forms.Form):
    tracking_reference = forms.CharField(
        label="Tracking reference",
        max_length=100,
        help_text="The carrier's shipment or parcel number; the customer sees it.",
        widget=forms.TextInput(attrs=control(autocomplete="off")),
    )

    def clean_tracking_reference(self) -> str:
        text: str = self.cleaned_data["tracking_reference"].strip()
        if not text:
            raise ValidationError("Give the tracking reference of the shipment.")
        return text


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Why is the order cancelled?",
        max_length=500,
        help_text="The partner reads this.",
        widget=forms.Textarea(attrs=control(rows="2")),
    )
