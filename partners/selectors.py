"""Every read of partners, teams and applications, already scoped by the access policy."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from core.models import ActivityEvent, User
from partners import access
from partners.choices import ApplicationStatus, Role
from partners.models import Membership, Partner, PartnerApplication, Tier

# Sort keys offered on list pages and the API: name -> keyset ordering.
PARTNER_ORDERINGS = {
    "name": "name",
    "-name": "-name",
    "created": "created_at",
    "-created": "-created_at",
    "country": "country",
    "-country": "-country",
    "status": "status",
    "-status": "-status",
    "tier": "tier__rank",
    "-tier": "-tier__rank",
}


def visible_partners(user: Any) -> QuerySet[Partner]:
    """Partners this user may see, ready for list pages (tier and parent joined)."""
    return access.scope_partners(user, Partner.objects.select_related("tier", "parent"))


def partner_list(
    user: Any,
    *,
    q: str = "",
    tier: str | int | None = None,
    status: str = "",
    type: str = "",
    country: str = "",
    manager: int | None = None,
    parent: int | None = None,
) -> QuerySet[Partner]:
    """The visible partners, filtered. `tier` is a tier id or name."""
    qs = visible_partners(user)
    if q:
        qs = qs.filter(
            Q(name__icontains=q) | Q(legal_name__icontains=q) | Q(city__icontains=q)
            | Q(vat_id__icontains=q.replace(" ", "").upper()) | Q(slug__icontains=q)
        )
    if tier:
        qs = qs.filter(tier_id=int(tier)) if str(tier).isdigit() else qs.filter(tier__name__iexact=tier)
    if status:
        qs = qs.filter(status=status)
    if type:
        qs = qs.filter(type=type)
    if country:
        qs = qs.filter(country=country.upper())
    if manager:
        qs = qs.filter(id__in=Partner.managers.through.objects.filter(user_id=manager).values("partner_id"))
    if parent:
        qs = qs.filter(parent_id=parent)
    return qs


def partner_detail(user: Any, pk: int) -> Partner:
    """One visible partner with what its page shows; raises Partner.DoesNotExist out of scope."""
    return (
        visible_partners(user)
        .prefetch_related("managers", "certifications")
        .annotate(children_count=Count("children", distinct=True))
        .get(pk=pk)
    )


def partner_children(user: Any, partner: Partner) -> QuerySet[Partner]:
    return visible_partners(user).filter(parent_id=partner.pk).order_by("name", "id")


def team_of(user: Any, partner: Partner) -> QuerySet[Membership]:
    """A partner's team as the user may see it, with each person's groups."""
    return (
        access.scope_memberships(user, Membership.objects.filter(partner_id=partner.pk))
        .select_related("user")
        .prefetch_related(Prefetch("user__groups"))
        .order_by("user__email")
    )


def visible_membership(user: Any, pk: int) -> Membership:
    return access.scope_memberships(user, Membership.objects.select_related("user", "partner")).get(pk=pk)


def role_of_member(membership: Membership) -> Role | None:
    """The partner role, read from the prefetched groups (no query)."""
    names = {g.name for g in membership.user.groups.all()}
    for role in (Role.PARTNER_MANAGER, Role.PARTNER_EMPLOYEE):
        if role.value in names:
            return role
    return None


def partner_activity(user: Any, partner: Partner, limit: int = 20) -> list[ActivityEvent]:
    """The newest lines of a visible partner's trail."""
    return list(ActivityEvent.objects.filter(partner_id=partner.pk).select_related("actor")[:limit])


def channel_staff() -> QuerySet[User]:
    """People who may own partners: channel managers and admins."""
    return (
        User.objects.filter(is_active=True, membership__isnull=True)
        .filter(Q(groups__name__in=[Role.CHANNEL_MANAGER, Role.CHANNEL_ADMIN]) | Q(is_superuser=True))
        .distinct()
        .order_by("email")
    )


def tiers() -> QuerySet[Tier]:
    return Tier.objects.order_by("rank")


def visible_applications(user: Any) -> QuerySet[PartnerApplication]:
    """Applications are the channel side's queue: channel staff see them all, partners none."""
    if not access.can_decide_applications(user):
        return PartnerApplication.objects.none()
    return PartnerApplication.objects.select_related("partner", "decided_by")


def application_queue(user: Any, status: str = ApplicationStatus.PENDING) -> QuerySet[PartnerApplication]:
    qs = visible_applications(user)
    return qs.filter(status=status) if status else qs
