"""Partners, tiers, memberships, applications, and the explicit-share tables of the access policy."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Concat, Lower, Upper
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from core.countries import COUNTRY_CHOICES
from core.errors import InvalidTransition
from core.fields import latitude_field, longitude_field
from partners.choices import (
    PARTNER_TRANSITIONS,
    ApplicationStatus,
    PartnerStatus,
    PartnerType,
)

vat_id_validator = RegexValidator(
    r"^[A-Z0-9]{4,20}$", "Enter a VAT or tax id of 4 to 20 letters and digits, e.g. DE123456789."
)


def normalise_vat_id(value: str) -> str:
    """Upper case without spaces, dots or dashes: 'de 123.456-789' -> 'DE123456789'."""
    return re.sub(r"[\s.\-/]", "", value or "").upper()


class Tier(models.Model):
    """A partner programme level (Registered, Silver, Gold, Platinum). A higher rank is a better tier;
    the routing weight drives weighted lead dispatch, the MDF share the fund allocation."""

    name = models.CharField(max_length=60, unique=True)
    rank = models.PositiveSmallIntegerField(unique=True, help_text="Higher is better.")
    routing_weight = models.PositiveIntegerField(default=1)
    mdf_share = models.DecimalField(
        "MDF share (%)",
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["rank"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(
                condition=Q(mdf_share__gte=0) & Q(mdf_share__lte=100), name="tier_mdf_share_percent"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Certification(models.Model):
    """A qualification a partner holds (e.g. 'Installation', 'Service level 2'); routing may require one."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Partner(models.Model):
    """A partner company: distributor, reseller, service or referral partner. A reseller may sit under
    a distributor (two levels at most). Owned by one or more channel managers."""

    name = models.CharField(max_length=200)
    legal_name = models.CharField(max_length=200, blank=True)
    slug = models.SlugField(max_length=80, unique=True)
    vat_id = models.CharField("VAT / tax id", max_length=20, blank=True, validators=[vat_id_validator])
    website = models.URLField(blank=True)
    email = models.EmailField("contact e-mail", blank=True)
    phone = models.CharField(max_length=40, blank=True)
    address = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    region = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, choices=COUNTRY_CHOICES)
    latitude = latitude_field()
    longitude = longitude_field()
    type = models.CharField(max_length=20, choices=PartnerType.choices, default=PartnerType.RESELLER)
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="partners")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    status = models.CharField(max_length=20, choices=PartnerStatus.choices, default=PartnerStatus.ONBOARDING)
    managers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="managed_partners", verbose_name="channel managers"
    )
    certifications = models.ManyToManyField(Certification, blank=True, related_name="partners")
    capacity = models.PositiveIntegerField(default=50, help_text="Most open leads the partner takes at once.")
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # What the partner search looks in, upper-cased in one column. On PostgreSQL a pg_trgm GIN
    # index (migration 0004) serves `LIKE '%…%'` on it, so a search does not scan every partner.
    search_text = models.GeneratedField(
        expression=Upper(
            Concat(
                "name", models.Value(" "), "legal_name", models.Value(" "), "city",
                models.Value(" "), "vat_id", models.Value(" "), "slug",
                output_field=models.TextField(),
            ),
            output_field=models.TextField(),
        ),
        output_field=models.TextField(),
        db_persist=True,
    )  # fmt: skip

    class Meta:
        ordering = ["name", "id"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["name", "id"], name="partner_name_id"),
            models.Index(fields=["-created_at", "-id"], name="partner_created"),
            models.Index(fields=["parent", "name", "id"], name="partner_parent_name"),
            models.Index(fields=["status", "name", "id"], name="partner_status_name"),
            models.Index(fields=["country", "name", "id"], name="partner_country_name"),
            models.Index(fields=["tier", "name", "id"], name="partner_tier_name"),
            models.Index(Lower("name"), name="partner_lower_name"),
            # Small (only sub-partners have a parent), so the channel manager's scope finds the
            # sub-partners of their partners by index probes instead of scanning every partner.
            models.Index(fields=["parent"], condition=Q(parent__isnull=False), name="partner_children"),
        ]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(condition=~Q(parent=F("id")), name="partner_not_own_parent"),
            models.CheckConstraint(condition=Q(status__in=PartnerStatus.values), name="partner_status_valid"),
            models.CheckConstraint(condition=Q(type__in=PartnerType.values), name="partner_type_valid"),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | (Q(latitude__gte=-90) & Q(latitude__lte=90)),
                name="partner_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | (Q(longitude__gte=-180) & Q(longitude__lte=180)),
                name="partner_longitude_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def can_move_to(self, status: str) -> bool:
        return status in PARTNER_TRANSITIONS.get(self.status, frozenset())

    def set_status(self, status: str) -> None:
        """Move along the workflow; raises InvalidTransition for a move the table does not allow."""
        if not self.can_move_to(status):
            raise InvalidTransition(self.get_status_display(), PartnerStatus(status).label, "partner")
        self.status = status

    @property
    def allowed_statuses(self) -> list[PartnerStatus]:
        return [PartnerStatus(s) for s in PartnerStatus.values if self.can_move_to(s)]


class Membership(models.Model):
    """Ties a partner user to exactly one partner. The role is the user's Django group."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="memberships")
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["partner", "user"], name="membership_team")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.partner}"


class PartnerApplication(models.Model):
    """A company's request to become a partner, from the public /apply/ form."""

    company = models.CharField(max_length=200)
    vat_id = models.CharField("VAT / tax id", max_length=20, validators=[vat_id_validator])
    country = models.CharField(max_length=2, choices=COUNTRY_CHOICES)
    city = models.CharField(max_length=100, blank=True)
    website = models.URLField(blank=True)
    contact_name = models.CharField(max_length=150)
    contact_email = models.EmailField()
    contact_phone = models.CharField(max_length=40, blank=True)
    sells = models.TextField("what you sell", max_length=2000)
    message = models.TextField(blank=True, max_length=4000)
    status = models.CharField(
        max_length=10, choices=ApplicationStatus.choices, default=ApplicationStatus.PENDING
    )
    reject_reason = models.TextField(blank=True)
    partner = models.OneToOneField(
        Partner, null=True, blank=True, on_delete=models.SET_NULL, related_name="application"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["status", "-created_at", "-id"], name="application_queue"),
        ]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            # One pending application per VAT id and per e-mail address, held by the database too.
            models.UniqueConstraint(
                fields=["vat_id"], condition=Q(status="pending"), name="application_one_pending_per_vat"
            ),
            models.UniqueConstraint(
                Lower("contact_email"),
                condition=Q(status="pending"),
                name="application_one_pending_per_email",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ApplicationStatus.values), name="application_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company} ({self.get_status_display()})"


# Explicit shares (DESIGN.md rule 3): guardian's direct foreign-key tables, one row per grant.
class PartnerUserObjectPermission(UserObjectPermissionBase):
    """A single partner shared with a single user beyond the scoping rules."""

    content_object = models.ForeignKey(Partner, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["user", "permission", "content_object"], name="partner_user_share"),
        ]


class PartnerGroupObjectPermission(GroupObjectPermissionBase):
    """A single partner shared with a group beyond the scoping rules."""

    content_object = models.ForeignKey(Partner, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["group", "permission", "content_object"], name="partner_group_share"),
        ]
