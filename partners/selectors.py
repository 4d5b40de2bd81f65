"""Every read of partners, teams and applications, already scoped by the access policy."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery

from core.models import ActivityEvent, User
from partners import access
from partners.choices import ApplicationStatus, PartnerStatus, PartnerType, Role
from partners.models import Membership, Partner, PartnerApplication, Tier, normalise_vat_id

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
    if q.strip():
        # Name, legal name, city, VAT id or slug contains the text, case-insensitively; a VAT id may
        # be typed with spaces or dots ("DE 811.234"). Both tests use the trigram index.
        needle = q.strip().upper()
        match = Q(search_text__contains=needle)
        vat = normalise_vat_id(needle)
        if vat and vat != needle:
            match |= Q(search_text__contains=vat)
        qs = qs.filter(match)
    if tier:
        text = str(tier)
        if text.isascii() and text.isdigit():
            # An id; one that cannot exist (too large for the column) matches nothing, never a 500.
            qs = qs.filter(tier_id=int(text)) if len(text) <= 18 else qs.none()
        else:
            qs = qs.filter(tier__name__iexact=text)
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


# --- Channel portal: dashboard, pickers, queue tabs --------------------------------------------------


def partner_status_counts(user: Any) -> dict[str, int]:
    """How many visible partners are in each status: one grouped query."""
    rows = access.scope_partners(user).order_by().values_list("status").annotate(n=Count("id"))
    return dict(rows)


def partner_tier_counts(user: Any) -> list[tuple[str, int]]:
    """How many visible partners are in each tier, every tier listed in rank order: one query."""
    counts = dict(access.scope_partners(user).order_by().values_list("tier_id").annotate(n=Count("id")))
    return [(tier.name, counts.get(tier.pk, 0)) for tier in Tier.objects.order_by("rank")]


def recent_partner_activity(user: Any, limit: int = 10) -> list[ActivityEvent]:
    """The newest trail lines of the partners this user may see, each annotated with `partner_name`
    (one query: the scope is a subquery, the name a correlated subquery)."""
    visible_ids = access.scope_partners(user).values("id")
    name = Partner.objects.filter(pk=OuterRef("partner_id")).values("name")[:1]
    return list(
        ActivityEvent.objects.filter(partner_id__in=visible_ids)
        .select_related("actor")
        .annotate(partner_name=Subquery(name))
        .order_by("-created_at", "-id")[:limit]
    )


def parent_candidates(user: Any, *, keep: int | None = None) -> QuerySet[Partner]:
    """Partners this user may place another partner under: visible, top-level and not terminated
    (two levels at most). `keep` adds a partner's current parent so an edit form can show it."""
    candidates = Q(
        id__in=access.scope_partners(user)
        .filter(parent__isnull=True)
        .exclude(status=PartnerStatus.TERMINATED)
        .values("id")
    )
    if keep:
        candidates |= Q(pk=keep)
    return Partner.objects.filter(candidates).only("id", "name").order_by("name", "id")


def distributor_candidates(user: Any) -> QuerySet[Partner]:
    """Visible top-level distributors that can take a new reseller (application approval)."""
    return parent_candidates(user).filter(type=PartnerType.DISTRIBUTOR)


def application_status_counts(user: Any) -> dict[str, int]:
    """How many applications the user may see are in each status: one grouped query."""
    rows = visible_applications(user).order_by().values_list("status").annotate(n=Count("id"))
    return dict(rows)
