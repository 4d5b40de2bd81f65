"""Action rules on leads and deal registrations, evaluated on objects already fetched through their
scope (see partners.access)."""

from __future__ import annotations

from typing import Any

from leads.models import DealRegistration, Lead
from partners import access
from partners.choices import Role


def can_dispatch(user: Any, lead: Lead) -> bool:
    """Channel admins; channel managers for the channel's queue and their partners' leads."""
    actor = access.actor_of(user)
    if actor.is_admin:
        return True
    if actor.role != Role.CHANNEL_MANAGER:
        return False
    return lead.partner_id is None or access.manages_partner(user, lead.partner)  # type: ignore[arg-type]


def can_work(user: Any, lead: Lead) -> bool:
    """Accept, decline, qualify, close: people of the partner holding the lead (an employee only
    their own or unassigned leads). A distributor's manager only reads its resellers' leads."""
    actor = access.actor_of(user)
    if not actor.is_partner or lead.partner_id is None or actor.partner_id != lead.partner_id:
        return False
    if actor.role == Role.PARTNER_EMPLOYEE:
        return lead.assigned_to_id in (None, actor.user_id)
    return True


def can_assign(user: Any, lead: Lead) -> bool:
    actor = access.actor_of(user)
    return actor.role == Role.PARTNER_MANAGER and actor.partner_id == lead.partner_id


def can_decide_registration(user: Any, registration: DealRegistration) -> bool:
    return access.manages_partner(user, registration.partner)
