"""Every state change of showrooms: one transaction each, the actor recorded in the activity trail."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core.errors import NotAllowed
from core.models import User
from core.services import activity_record, email_send
from leads.models import Lead
from leads.services import lead_from_showroom
from partners import access
from partners.models import Partner
from showroom.basket import BasketContents, BasketLine
from showroom.models import Showroom

# What showroom_update takes; "oci_password" is a new raw password ("" keeps the stored one), "logo" an
# uploaded image or None to remove the logo.
SHOWROOM_FIELDS = (
    "slug",
    "title",
    "logo",
    "brand_colour",
    "introduction",
    "contact_email",
    "contact_phone",
    "contact_address",
    "published",
    "oci_allowed_urls",
    "oci_username",
    "oci_password",
)
MIN_OCI_PASSWORD = 8
FIELD_LABELS = {
    "slug": "Public address",
    "title": "Title",
    "logo": "Logo",
    "brand_colour": "Brand colour",
    "introduction": "Introduction",
    "contact_email": "Contact e-mail",
    "contact_phone": "Contact phone",
    "contact_address": "Contact address",
    "published": "Published",
    "oci_allowed_urls": "Allowed OCI shop URLs",
    "oci_username": "OCI user name",
    "oci_password": "OCI password",
}


def can_edit_showroom(user: Any, partner: Partner) -> bool:
    """The partner's own managers, and channel admins and the channel managers who manage the partner."""
    return access.can_edit_own_company(user, partner) or access.manages_partner(user, partner)


def default_slug(partner: Partner) -> str:
    """The partner's slug, or, when another showroom took it, the first free "<slug>-<n>"."""
    taken = set(
        Showroom.objects.filter(slug__startswith=partner.slug)
        .exclude(partner=partner)
        .values_list("slug", flat=True)
    )
    slug, n = partner.slug, 2
    while slug in taken:
        slug, n = f"{partner.slug}-{n}", n + 1
    return slug


def showroom_defaults(partner: Partner) -> Showroom:
    """An unsaved showroom with the partner's details, for a partner that has none yet."""
    address = ", ".join(
        part for part in (partner.address, f"{partner.postal_code} {partner.city}".strip()) if part
    )
    return Showroom(
        partner=partner,
        slug=default_slug(partner),
        title=partner.name,
        contact_email=partner.email,
        contact_phone=partner.phone,
        contact_address=address,
    )


def oci_credentials_errors(*, username: str, stored_hash: str, raw_password: str) -> dict[str, list[str]]:
    """What is wrong with OCI credentials about to be saved (per field; empty when nothing): a password
    needs a user name, a user name needs a password (a new one or the stored one), at least 8 characters."""
    if not username:
        return (
            {"oci_username": ["Enter the OCI user name that goes with the password."]} if raw_password else {}
        )
    if raw_password and len(raw_password) < MIN_OCI_PASSWORD:
        return {"oci_password": [f"Choose an OCI password of at least {MIN_OCI_PASSWORD} characters."]}
    if not raw_password and not stored_hash:
        return {"oci_password": ["Enter a password for this OCI user name (shops must send both)."]}
    return {}


def _normalise(name: str, value: Any) -> Any:
    if name == "oci_allowed_urls":
        return [url.strip() for url in (value or []) if url and url.strip()]
    if name == "brand_colour":
        return (value or "").strip().lower()
    if name in ("slug", "title", "contact_email", "contact_phone", "oci_username"):
        return (value or "").strip()
    if name in ("introduction", "contact_address"):
        return (value or "").strip().replace("\r\n", "\n")
    return value


@transaction.atomic
def showroom_update(*, partner: Partner, actor: User, changes: dict[str, Any]) -> Showroom:
    """Create or change the partner's showroom. `changes` holds SHOWROOM_FIELDS; "oci_password" is a new
    raw password ("" keeps the stored one; clearing "oci_username" removes the credentials). Raises
    NotAllowed for a user who may not edit it, ValidationError (per field) for bad values."""
    if not can_edit_showroom(actor, partner):
        raise NotAllowed("Only the partner's managers and its channel managers edit its showroom.")
    unknown = sorted(set(changes) - set(SHOWROOM_FIELDS))
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be changed here."))
    showroom = Showroom.objects.select_for_update().filter(partner=partner).first()
    created = showroom is None
    if showroom is None:
        showroom = showroom_defaults(partner)
    changes = {name: _normalise(name, value) for name, value in changes.items()}
    raw_password = changes.pop("oci_password", "") or ""
    before = {name: getattr(showroom, name) for name in changes}
    old_logo = showroom.logo.name if showroom.logo else ""
    for name, value in changes.items():
        if name == "logo":
            showroom.logo = value or ""  # type: ignore[assignment]
        else:
            setattr(showroom, name, value)
    changed = [name for name in changes if name != "logo" and before[name] != getattr(showroom, name)]
    if "logo" in changes and (changes["logo"] or old_logo):
        changed.append("logo")

    errors = oci_credentials_errors(
        username=showroom.oci_username, stored_hash=showroom.oci_password, raw_password=raw_password
    )
    if not showroom.oci_username:
        if showroom.oci_password:
            changed.append("oci_password")
        showroom.oci_password = ""
    elif raw_password and not errors:
        showroom.set_oci_password(raw_password)
        changed.append("oci_password")
    if showroom.slug and Showroom.objects.filter(slug=showroom.slug).exclude(partner=partner).exists():
        errors["slug"] = [f"The address /showroom/{showroom.slug}/ is taken; choose another."]
    try:
        showroom.full_clean(
            exclude=["partner", "slug"] if "slug" in errors else ["partner"], validate_unique=False
        )
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    if not created and not changed:
        return showroom
    try:
        with transaction.atomic():
            showroom.save()
    except IntegrityError:  # another request took the slug between the check and the save
        raise ValidationError({"slug": f"The address /showroom/{showroom.slug}/ is taken; choose another."})
    if old_logo and "logo" in changed:
        old_name = old_logo
        storage = showroom.logo.storage
        transaction.on_commit(lambda: storage.delete(old_name))
    changed = list(dict.fromkeys(changed))  # each field once, in order
    activity_record(
        actor=actor,
        verb="showroom.created" if created else "showroom.updated",
        target=showroom,
        partner_id=partner.pk,
        message=("Showroom created" if created else "Showroom settings changed")
        + (": " + ", ".join(FIELD_LABELS[name] for name in changed) if changed else ""),
        data={"fields": changed},
    )
    return showroom


# --- Quote requests from the public showroom ---------------------------------------------------------

QUOTE_FIELDS = ("company", "contact_name", "email", "phone", "country", "city", "message")
MAX_CAMPAIGN_CODE = 60


def clean_campaign_code(value: str) -> str:
    """A campaign code from a link (?campaign= or utm_campaign): printable, trimmed, at most 60 chars."""
    return "".join(ch for ch in (value or "") if ch.isprintable()).strip()[:MAX_CAMPAIGN_CODE]


def quote_line(line: BasketLine) -> str:
    """One basket line as the lead shows it: "2 × SKU Name @ 49.90 EUR" (per price unit when not 1)."""
    product = line.product
    per = f" per {product.price_unit} {product.order_unit}" if product.price_unit != 1 else ""
    return f"{line.quantity} × {product.sku} {product.name} @ {line.price} {product.currency}{per}"


def quote_products_text(contents: BasketContents, message: str = "") -> str:
    """The basket (one line per item, then the total) and the customer's message, for the lead."""
    lines = [quote_line(line) for line in contents.lines]
    lines.append("Total: " + ", ".join(f"{amount} {currency}" for currency, amount in contents.totals))
    message = message.strip().replace("\r\n", "\n")
    if message:
        lines += ["", "Message from the customer:", message]
    return "\n".join(lines)


@transaction.atomic
def quote_request(
    *, showroom: Showroom, contents: BasketContents, fields: dict[str, Any], campaign_code: str = ""
) -> Lead:
    """A customer asks for a quote for the basket in a published showroom: a lead of the showroom's
    partner (leads.services.lead_from_showroom: source showroom, the basket's products and total,
    dispatched to the partner at once, its managers e-mailed) and a confirmation e-mail to the customer.
    Raises ValidationError (per field where it can; nothing stored) for an empty basket, a basket in
    several currencies, or bad contact details."""
    if not showroom.published:
        raise ValidationError("This showroom is closed.")
    if not contents:
        raise ValidationError("Your basket is empty; add the products you want a quote for first.")
    if not contents.currency:
        raise ValidationError(
            "Your basket holds prices in several currencies; ask for one quote per currency."
        )
    unknown = sorted(set(fields) - set(QUOTE_FIELDS))
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field is not part of a quote request."))
    clean = {
        name: (value or "").strip() if isinstance(value, str) else value for name, value in fields.items()
    }
    message = clean.pop("message", "") or ""
    clean["currency"] = contents.currency
    products_text = quote_products_text(contents, message)
    lead = lead_from_showroom(
        partner=showroom.partner,
        fields=clean,
        products_text=products_text,
        value=contents.total,
        campaign_code=clean_campaign_code(campaign_code),
        items=[(line.product, line.quantity) for line in contents.lines],
    )
    contact = "\n".join(
        part
        for part in (
            showroom.partner.name,
            showroom.contact_phone and f"Phone: {showroom.contact_phone}",
            showroom.contact_email and f"E-mail: {showroom.contact_email}",
        )
        if part
    )
    if lead.email:
        email_send(
            to=[lead.email],
            subject=f"Your quote request to {showroom.partner.name}",
            body=f"Dear {lead.contact_name or lead.company},\n\n"
            f"thank you for your request. {showroom.partner.name} has received it and will send you a "
            f"quote.\n\nYou asked for:\n{products_text}\n\n"
            f"Prices are the showroom's prices today; the quote tells the final terms.\n\n{contact}\n",
        )
    return lead
