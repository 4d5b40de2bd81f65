"""Forms of the channel portal's fund decisions: approve (in full or in part), reject, ask for
information, comment, mark a claim paid, settle claims in bulk. Plain forms; mdf.services does the
money checks (their ValidationErrors land on these forms' fields)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from portals.forms import control as _control

# A bulk settlement pays at most this many claims at once (one settlement page holds fewer).
MAX_BULK_CLAIMS = 100
MAX_ID = 2**63 - 1


class ApproveForm(forms.Form):
    """Approve in full (amount left empty) or in part (a smaller amount)."""

    amount = forms.DecimalField(
        label="Amount to approve",
        required=False,
        min_value=Decimal("0.01"),
        max_digits=14,
        decimal_places=2,
        widget=forms.NumberInput(attrs=_control(step="0.01", min="0.01", inputmode="decimal")),
    )

    def __init__(self, *args: Any, currency: str = "", full: Decimal | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["amount"]
        if currency:
            field.label = f"Amount to approve ({currency})"
        if full is not None:
            field.help_text = (
                f"Leave empty to approve {currency} {full:,.2f}; a smaller amount approves in part."
            )


def _text(label: str, max_length: int, help_text: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=max_length,
        help_text=help_text,
        widget=forms.Textarea(attrs=_control(rows="3")),
    )


class RejectForm(forms.Form):
    reason = _text("Reason", 2000, "The partner reads it.")


class InfoRequestForm(forms.Form):
    question = _text(
        "Question",
        4000,
        "The partner is asked to answer; the item stays in the queue, marked, until they do.",
    )


class CommentForm(forms.Form):
    body = _text("Comment", 4000, "The partner's managers read it.")


def _paid_on_field() -> forms.DateField:
    return forms.DateField(
        label="Paid on",
        required=False,
        help_text="Empty: today.",
        widget=forms.DateInput(attrs=_control(type="date"), format="%Y-%m-%d"),
    )


def _check_paid_on(value: Any) -> Any:
    if value and value > timezone.localdate():
        raise ValidationError("The payment date cannot be in the future.")
    return value


class PayForm(forms.Form):
    """Settle one approved claim: by payment (its reference) or by credit note (its number)."""

    payment_reference = forms.CharField(
        label="Payment reference",
        max_length=80,
        required=False,
        widget=forms.TextInput(attrs=_control(autocomplete="off")),
    )
    credit_note_number = forms.CharField(
        label="Credit note number",
        max_length=80,
        required=False,
        help_text="Instead of a payment reference, when the claim is settled by credit note.",
        widget=forms.TextInput(attrs=_control(autocomplete="off")),
    )
    paid_on = _paid_on_field()

    def clean_paid_on(self) -> Any:
        return _check_paid_on(self.cleaned_data.get("paid_on"))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        given = (cleaned.get("payment_reference") or "").strip() or (
            cleaned.get("credit_note_number") or ""
        ).strip()
        fields_ok = "payment_reference" not in self.errors and "credit_note_number" not in self.errors
        if not given and fields_ok:
            self.add_error("payment_reference", "Enter the payment reference (or a credit note number).")
        return cleaned


class BulkPayForm(forms.Form):
    """Mark the ticked claims paid with one payment reference and date."""

    payment_reference = forms.CharField(
        label="Payment reference",
        max_length=80,
        help_text="One payment (e.g. a bank transfer batch) for every ticked claim.",
        widget=forms.TextInput(attrs=_control(autocomplete="off")),
    )
    paid_on = _paid_on_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.claim_ids: list[int] = []

    def clean_paid_on(self) -> Any:
        return _check_paid_on(self.cleaned_data.get("paid_on"))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        raw = self.data.getlist("claims") if hasattr(self.data, "getlist") else []
        ids: list[int] = []
        for value in raw:
            try:
                pk = int(value)
            except (TypeError, ValueError):
                raise ValidationError("Tick the claims to mark paid.")
            if not 1 <= pk <= MAX_ID:
                raise ValidationError("Tick the claims to mark paid.")
            if pk not in ids:
                ids.append(pk)
        if not ids:
            raise ValidationError("Tick the claims to mark paid.")
        if len(ids) > MAX_BULK_CLAIMS:
            raise ValidationError(f"Mark at most {MAX_BULK_CLAIMS} claims paid at once.")
        self.claim_ids = ids
        return cleaned
