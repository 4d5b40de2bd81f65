"""Every state change of partners, memberships and applications. One transaction each, the actor
recorded in the activity trail; e-mails leave after commit."""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.text import slugify

from core.errors import NotAllowed
from core.models import User
from core.services import activity_record, email_send
from partners import access
from partners.choices import (
    PARTNER_ROLES,
    ApplicationStatus,
    PartnerStatus,
    PartnerType,
    Role,
)
from partners.models import Membership, Partner, PartnerApplication, Tier, normalise_vat_id

# Fields a partner manager may change on their own company; the rest is the brand owner's.
PARTNER_EDITABLE_BY_PARTNER = (
    "legal_name",
    "website",
    "email",
    "phone",
    "address",
    "city",
    "postal_code",
    "region",
    "latitude",
    "longitude",
    "description",
)
PARTNER_EDITABLE_BY_CHANNEL = (
    "certifications",
    "name",
    "slug",
    "vat_id",
    "country",
    "type",
    "parent",
    "capacity",
    *PARTNER_EDITABLE_BY_PARTNER,
)


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    """Set-password links in invitations. The token dies once a password is set or the user logs in."""

    key_salt = "openpcm.partners.InvitationTokenGenerator"


invitation_tokens = InvitationTokenGenerator()


def site_url(path: str) -> str:
    from django.conf import settings

    return settings.SITE_URL.rstrip("/") + path


# --- Partners ------------------------------------------------------------------------------------


def unique_slug(base: str, *, exclude_pk: int | None = None) -> str:
    root = slugify(base)[:70] or "partner"
    slug, n = root, 2
    taken = Partner.objects.filter(slug__startswith=root)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    existing = set(taken.values_list("slug", flat=True))
    while slug in existing:
        slug, n = f"{root}-{n}", n + 1
    return slug


def partner_validate_hierarchy(*, partner: Partner, parent: Partner | None) -> None:
    """At most two levels, no cycles: a parent is a top-level partner, and a partner that has
    sub-partners cannot itself be placed under another."""
    if parent is None:
        return
    if partner.pk is not None and parent.pk == partner.pk:
        raise ValidationError({"parent": "A partner cannot be its own parent."})
    if parent.parent_id is not None:
        raise ValidationError(
            {"parent": f"{parent.name} is itself under {parent.parent}; partners have at most two levels."}
        )
    if parent.status == PartnerStatus.TERMINATED:
        raise ValidationError({"parent": f"{parent.name} is terminated and cannot take sub-partners."})
    if partner.pk is not None and Partner.objects.filter(parent_id=partner.pk).exists():
        raise ValidationError(
            {
                "parent": f"{partner.name} has sub-partners of its own, "
                "so it cannot be placed under another partner."
            }
        )


def field_label(name: str) -> str:
    field = Partner._meta.get_field(name)
    return str(getattr(field, "verbose_name", name))


def _full_clean(partner: Partner) -> None:
    try:
        partner.full_clean(exclude=["managers", "certifications"])
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from exc


@transaction.atomic
def partner_create(*, actor: User, fields: dict[str, Any], managers: list[User] | None = None) -> Partner:
    """A channel admin or manager creates a partner. A channel manager who creates one owns it."""
    if not access.can_create_partner(actor):
        raise NotAllowed("Only channel staff create partners.")
    data = {k: v for k, v in fields.items() if k in (*PARTNER_EDITABLE_BY_CHANNEL, "tier", "status")}
    certifications = list(data.pop("certifications", None) or [])
    if data.get("vat_id"):
        data["vat_id"] = normalise_vat_id(data["vat_id"])
    data.setdefault("status", PartnerStatus.ONBOARDING)
    if not data.get("slug"):
        data["slug"] = unique_slug(data.get("name", ""))
    if "tier" not in data or data["tier"] is None:
        data["tier"] = Tier.objects.order_by("rank").first()
    partner = Partner(**data)
    partner_validate_hierarchy(partner=partner, parent=partner.parent)
    _full_clean(partner)
    partner.save()
    owners = list(managers or [])
    if access.actor_of(actor).role == Role.CHANNEL_MANAGER and actor not in owners:
        owners.append(actor)
    if owners:
        partner.managers.set(owners)
    if certifications:
        partner.certifications.set(certifications)
    activity_record(
        actor=actor,
        verb="partner.created",
        target=partner,
        partner_id=partner.pk,
        message=f"Partner {partner.name} created ({partner.get_status_display()}, {partner.tier})",
    )
    return partner


@transaction.atomic
def partner_update(*, partner: Partner, actor: User, changes: dict[str, Any]) -> Partner:
    """Change profile fields. Channel staff who manage the partner may change the whole profile; the
    partner's own manager only PARTNER_EDITABLE_BY_PARTNER. Raises NotAllowed or ValidationError."""
    if access.can_edit_partner(actor, partner):
        allowed: tuple[str, ...] = PARTNER_EDITABLE_BY_CHANNEL
    elif access.can_edit_own_company(actor, partner):
        allowed = PARTNER_EDITABLE_BY_PARTNER
    else:
        raise NotAllowed("You may not edit this partner.")
    refused = sorted(set(changes) - set(allowed))
    if refused:
        raise ValidationError(dict.fromkeys(refused, "This field cannot be changed here."))
    partner = Partner.objects.select_for_update().get(pk=partner.pk)
    changes = dict(changes)
    certifications = changes.pop("certifications", None)
    before = {name: getattr(partner, name) for name in changes}
    for name, value in changes.items():
        if name == "vat_id" and value:
            value = normalise_vat_id(value)
        if name == "slug" and not value:
            value = unique_slug(partner.name, exclude_pk=partner.pk)
        setattr(partner, name, value)
    if "parent" in changes:
        partner_validate_hierarchy(partner=partner, parent=partner.parent)
    _full_clean(partner)
    partner.save()
    changed = [name for name in changes if before[name] != getattr(partner, name)]
    if certifications is not None:
        wanted = {c.pk for c in certifications}
        if wanted != set(partner.certifications.values_list("pk", flat=True)):
            partner.certifications.set(certifications)
            changed.append("certifications")
    if changed:
        activity_record(
            actor=actor,
            verb="partner.updated",
            target=partner,
            partner_id=partner.pk,
            message="Profile changed: " + ", ".join(field_label(n) for n in changed),
            data={"fields": changed},
        )
    return partner


@transaction.atomic
def partner_change_status(*, partner: Partner, actor: User, status: str, reason: str = "") -> Partner:
    """Move a partner along applied → onboarding → active ⇄ suspended → terminated."""
    if not access.can_change_tier_or_status(actor, partner):
        raise NotAllowed("Only the partner's channel manager or a channel admin changes its status.")
    partner = Partner.objects.select_for_update().get(pk=partner.pk)
    if status not in PartnerStatus.values:
        raise ValidationError({"status": f"Unknown status “{status}”."})
    before = partner.get_status_display()
    partner.set_status(status)
    partner.save(update_fields=["status", "updated_at"])
    activity_record(
        actor=actor,
        verb="partner.status",
        target=partner,
        partner_id=partner.pk,
        message=f"Status {before} → {partner.get_status_display()}" + (f": {reason}" if reason else ""),
        data={"from": before, "to": status, "reason": reason},
    )
    return partner


@transaction.atomic
def partner_change_tier(*, partner: Partner, actor: User, tier: Tier, reason: str = "") -> Partner:
    """Put a partner in another programme tier."""
    if not access.can_change_tier_or_status(actor, partner):
        raise NotAllowed("Only the partner's channel manager or a channel admin changes its tier.")
    partner = Partner.objects.select_for_update().select_related("tier").get(pk=partner.pk)
    before = partner.tier
    if before.pk == tier.pk:
        return partner
    partner.tier = tier
    partner.save(update_fields=["tier", "updated_at"])
    activity_record(
        actor=actor,
        verb="partner.tier",
        target=partner,
        partner_id=partner.pk,
        message=f"Tier {before} → {tier}" + (f": {reason}" if reason else ""),
        data={"from": before.name, "to": tier.name, "reason": reason},
    )
    return partner


@transaction.atomic
def partner_set_managers(*, partner: Partner, actor: User, managers: list[User]) -> Partner:
    """Choose the channel managers who own a partner (channel admins only)."""
    if not access.can_assign_managers(actor, partner):
        raise NotAllowed("Only channel admins assign channel managers.")
    not_channel = [
        u.email for u in managers if access.actor_of(u).role not in (Role.CHANNEL_MANAGER, Role.CHANNEL_ADMIN)
    ]
    if not_channel:
        raise ValidationError({"managers": f"Not channel staff: {', '.join(not_channel)}."})
    partner.managers.set(managers)
    activity_record(
        actor=actor,
        verb="partner.managers",
        target=partner,
        partner_id=partner.pk,
        message="Channel managers: " + (", ".join(sorted(u.email for u in managers)) or "none"),
    )
    return partner


# --- People ----------------------------------------------------------------------------------------


def _set_role_group(user: User, role: Role) -> None:
    role_groups = Group.objects.filter(name__in=[r.value for r in Role])
    user.groups.remove(*role_groups)
    # get_or_create: the groups come from a data migration, but a flushed database has none.
    user.groups.add(Group.objects.get_or_create(name=role.value)[0])
    access.forget_actor(user)


def invitation_link(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return site_url(reverse("invitation_accept", args=[uid, invitation_tokens.make_token(user)]))


def _send_invitation(*, user: User, partner: Partner, inviter: User | None) -> None:
    by = f" by {inviter.display_name}" if inviter else ""
    email_send(
        to=[user.email],
        subject=f"You are invited to the {partner.name} partner portal",
        body=(
            f"Hello {user.display_name},\n\n"
            f"you have been invited{by} to OpenPCM, the partner portal, as a member of {partner.name}.\n"
            f"Choose your password here (the link works once):\n\n{invitation_link(user)}\n\n"
            "If you did not expect this e-mail, you can ignore it.\n"
        ),
    )


@transaction.atomic
def member_invite(
    *,
    partner: Partner,
    actor: User | None,
    email: str,
    full_name: str = "",
    role: str = Role.PARTNER_EMPLOYEE,
) -> Membership:
    """Create a partner user (no password yet) and e-mail them a set-password link."""
    if actor is not None and not access.can_manage_team(actor, partner):
        raise NotAllowed("You may not invite people to this partner.")
    if role not in PARTNER_ROLES:
        raise ValidationError({"role": "Choose partner manager or partner employee."})
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError(
            {"email": f"{email} already has an OpenPCM account; a person belongs to one partner."}
        )
    if partner.status == PartnerStatus.TERMINATED:
        raise ValidationError({"email": f"{partner.name} is terminated; nobody can be invited."})
    user = User.objects.create_user(email=email, password=None, full_name=full_name.strip())
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
    _set_role_group(user, Role(role))
    membership = Membership.objects.create(user=user, partner=partner, invited_by=actor)
    activity_record(
        actor=actor,
        verb="member.invited",
        target=membership,
        partner_id=partner.pk,
        message=f"{email} invited as {Role(role).label}",
    )
    _send_invitation(user=user, partner=partner, inviter=actor)
    return membership


@transaction.atomic
def member_resend_invitation(*, membership: Membership, actor: User) -> None:
    """Send the set-password link again to someone who has not set a password yet."""
    if not access.can_manage_team(actor, membership.partner):
        raise NotAllowed("You may not manage this team.")
    if membership.user.has_usable_password():
        raise ValidationError({"email": f"{membership.user.email} has already accepted the invitation."})
    activity_record(
        actor=actor,
        verb="member.reinvited",
        target=membership,
        partner_id=membership.partner_id,
        message=f"Invitation sent again to {membership.user.email}",
    )
    _send_invitation(user=membership.user, partner=membership.partner, inviter=actor)


def member_role(membership: Membership) -> Role | None:
    return access.actor_of(membership.user).role


@transaction.atomic
def member_change_role(*, membership: Membership, actor: User, role: str) -> Membership:
    """Make a team member a partner manager or employee. A partner keeps at least one active manager."""
    if not access.can_manage_team(actor, membership.partner):
        raise NotAllowed("You may not manage this team.")
    if role not in PARTNER_ROLES:
        raise ValidationError({"role": "Choose partner manager or partner employee."})
    current = member_role(membership)
    if current == role:
        return membership
    if current == Role.PARTNER_MANAGER and _active_manager_count(membership.partner_id) <= 1:
        raise ValidationError(
            {"role": "A partner needs at least one active partner manager; promote someone else first."}
        )
    _set_role_group(membership.user, Role(role))
    activity_record(
        actor=actor,
        verb="member.role",
        target=membership,
        partner_id=membership.partner_id,
        message=f"{membership.user.email} is now {Role(role).label}",
    )
    return membership


def _active_manager_count(partner_id: int) -> int:
    return Membership.objects.filter(
        partner_id=partner_id, user__is_active=True, user__groups__name=Role.PARTNER_MANAGER
    ).count()


@transaction.atomic
def member_set_active(*, membership: Membership, actor: User, active: bool) -> Membership:
    """Deactivate (they can no longer log in; their API tokens stop working) or reactivate a member."""
    if not access.can_manage_team(actor, membership.partner):
        raise NotAllowed("You may not manage this team.")
    user = membership.user
    if user.is_active == active:
        return membership
    if not active:
        if user.pk == actor.pk:
            raise ValidationError({"user": "You cannot deactivate yourself."})
        if (
            member_role(membership) == Role.PARTNER_MANAGER
            and _active_manager_count(membership.partner_id) <= 1
        ):
            raise ValidationError({"user": "This is the partner's last active manager."})
    user.is_active = active
    user.save(update_fields=["is_active"])
    activity_record(
        actor=actor,
        verb="member.activated" if active else "member.deactivated",
        target=membership,
        partner_id=membership.partner_id,
        message=f"{user.email} {'reactivated' if active else 'deactivated'}",
    )
    return membership


def invitation_user(uidb64: str, token: str) -> User | None:
    """The invited user a set-password link belongs to, if the link is still valid."""
    from django.utils.http import urlsafe_base64_decode

    try:
        pk = int(urlsafe_base64_decode(uidb64).decode())
    except (ValueError, TypeError, UnicodeDecodeError):
        return None
    user = User.objects.filter(pk=pk, is_active=True).first()
    if user is None or not invitation_tokens.check_token(user, token):
        return None
    return user


@transaction.atomic
def invitation_accept(*, user: User, password: str) -> User:
    """The invited person sets a password; following the e-mailed link verified their address."""
    user.set_password(password)
    user.save(update_fields=["password"])
    EmailAddress.objects.filter(user=user).exclude(email__iexact=user.email).update(primary=False)
    address, _ = EmailAddress.objects.get_or_create(user=user, email=user.email, defaults={"primary": True})
    address.verified = True
    address.primary = True
    address.save(update_fields=["verified", "primary"])
    membership = Membership.objects.filter(user=user).first()
    activity_record(
        actor=user,
        verb="member.joined",
        target=membership or user,
        partner_id=membership.partner_id if membership else None,
        message=f"{user.email} accepted the invitation",
    )
    return user


# --- Applications ----------------------------------------------------------------------------------


class ApplicationRefused(ValidationError):
    """A duplicate or otherwise unacceptable application; the message says what to do."""


@transaction.atomic
def application_submit(
    *,
    company: str,
    vat_id: str,
    country: str,
    contact_name: str,
    contact_email: str,
    sells: str,
    message: str = "",
    city: str = "",
    website: str = "",
    contact_phone: str = "",
) -> PartnerApplication:
    """A company applies to become a partner (public form). One pending application per VAT id and
    per e-mail address; the database constraint holds it under concurrent submissions too."""
    vat = normalise_vat_id(vat_id)
    email = contact_email.strip().lower()
    pending = PartnerApplication.objects.filter(status=ApplicationStatus.PENDING)
    if pending.filter(vat_id=vat).exists():
        raise ApplicationRefused(
            {"vat_id": "An application for this VAT id is already being reviewed; we will reply by e-mail."}
        )
    if pending.filter(contact_email__iexact=email).exists():
        raise ApplicationRefused(
            {
                "contact_email": "An application from this e-mail address is already being reviewed; "
                "we will reply by e-mail."
            }
        )
    if Partner.objects.filter(vat_id=vat).exclude(status=PartnerStatus.TERMINATED).exists():
        raise ApplicationRefused(
            {"vat_id": "A partner with this VAT id already exists; please contact your channel manager."}
        )
    application = PartnerApplication(
        company=company.strip(),
        vat_id=vat,
        country=country,
        city=city.strip(),
        website=website,
        contact_name=contact_name.strip(),
        contact_email=email,
        contact_phone=contact_phone.strip(),
        sells=sells.strip(),
        message=message.strip(),
    )
    try:
        application.full_clean()
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from exc
    try:
        with transaction.atomic():
            application.save()
    except IntegrityError:
        raise ApplicationRefused(
            {"vat_id": "An application for this VAT id or e-mail address is already being reviewed."}
        )
    activity_record(
        actor=None,
        verb="application.submitted",
        target=application,
        message=f"{application.company} ({application.country}) applied",
    )
    email_send(
        to=[email],
        subject="We received your partner application",
        body=f"Hello {application.contact_name},\n\nthank you for applying to become a partner. "
        "We review every application and will reply by e-mail.\n",
    )
    return application


@transaction.atomic
def application_approve(
    *,
    application: PartnerApplication,
    actor: User,
    tier: Tier | None = None,
    partner_type: str = PartnerType.RESELLER,
    parent: Partner | None = None,
) -> Partner:
    """Approve: the partner is created in `onboarding` and the contact invited as its partner manager."""
    if not access.can_decide_applications(actor):
        raise NotAllowed("Only channel staff decide on applications.")
    application = PartnerApplication.objects.select_for_update().get(pk=application.pk)
    if application.status != ApplicationStatus.PENDING:
        raise ValidationError(
            {"status": f"This application is already {application.get_status_display().lower()}."}
        )
    if User.objects.filter(email__iexact=application.contact_email).exists():
        raise ValidationError(
            {
                "contact_email": f"{application.contact_email} already has an account; "
                "reject or ask for another contact."
            }
        )
    partner = partner_create(
        actor=actor,
        fields={
            "name": application.company,
            "legal_name": application.company,
            "vat_id": application.vat_id,
            "country": application.country,
            "city": application.city,
            "website": application.website,
            "email": application.contact_email,
            "phone": application.contact_phone,
            "type": partner_type,
            "tier": tier,
            "parent": parent,
            "status": PartnerStatus.ONBOARDING,
            "description": application.sells,
        },
    )
    application.status = ApplicationStatus.APPROVED
    application.partner = partner
    application.decided_by = actor
    application.decided_at = timezone.now()
    application.save(update_fields=["status", "partner", "decided_by", "decided_at"])
    activity_record(
        actor=actor,
        verb="application.approved",
        target=application,
        partner_id=partner.pk,
        message=f"Application of {application.company} approved",
    )
    member_invite(
        partner=partner,
        actor=actor,
        email=application.contact_email,
        full_name=application.contact_name,
        role=Role.PARTNER_MANAGER,
    )
    return partner


@transaction.atomic
def application_reject(*, application: PartnerApplication, actor: User, reason: str) -> PartnerApplication:
    """Reject with a reason, which is e-mailed to the applicant."""
    if not access.can_decide_applications(actor):
        raise NotAllowed("Only channel staff decide on applications.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the application is rejected; the applicant reads it."})
    application = PartnerApplication.objects.select_for_update().get(pk=application.pk)
    if application.status != ApplicationStatus.PENDING:
        raise ValidationError(
            {"status": f"This application is already {application.get_status_display().lower()}."}
        )
    application.status = ApplicationStatus.REJECTED
    application.reject_reason = reason.strip()
    application.decided_by = actor
    application.decided_at = timezone.now()
    application.save(update_fields=["status", "reject_reason", "decided_by", "decided_at"])
    activity_record(
        actor=actor,
        verb="application.rejected",
        target=application,
        message=f"Application of {application.company} rejected: {application.reject_reason}",
    )
    email_send(
        to=[application.contact_email],
        subject="Your partner application",
        body=f"Hello {application.contact_name},\n\nthank you for your interest. We cannot accept your "
        f"application at this time:\n\n{application.reject_reason}\n",
    )
    return application
