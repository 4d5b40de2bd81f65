"""Every state change of showrooms: one transaction each, the actor recorded in the activity trail."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core.errors import NotAllowed
from core.models import User
from core.services import activity_record
from partners import access
from partners.models import Partner
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
