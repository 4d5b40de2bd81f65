"""Action rules on fund records, evaluated on objects already fetched through their scope (see
partners.access and mdf.selectors)."""

from __future__ import annotations

from typing import Any

from partners import access
from partners.choices import Role


def _is_manager_of(user: Any, partner_id: int | None) -> bool:
    actor = access.actor_of(user)
    return actor.role == Role.PARTNER_MANAGER and partner_id is not None and actor.partner_id == partner_id


def can_request_funds(user: Any, allocation: Any) -> bool:
    """A partner manager, from their own partner's allocations (a distributor's manager only reads
    its resellers' funds)."""
    return _is_manager_of(user, allocation.partner_id)


def can_edit_request(user: Any, request: Any) -> bool:
    """Change, submit, cancel, claim, answer: the partner managers of the request's partner."""
    return _is_manager_of(user, request.partner_id)


def can_decide(user: Any, partner: Any) -> bool:
    """Approve, reject, ask for information: a channel admin, or the partner's channel manager."""
    return access.manages_partner(user, partner)


def can_pay(user: Any, partner: Any) -> bool:
    """Settle approved claims: whoever decides them."""
    return access.manages_partner(user, partner)


def can_manage_programs(user: Any) -> bool:
    """Set up, allocate, open and close programmes: channel admins."""
    return access.actor_of(user).is_admin


def can_see_journal(user: Any) -> bool:
    """The journal and its ERP export: channel admins."""
    return access.actor_of(user).is_admin


def sees_funds(user: Any) -> bool:
    """MDF is the business of channel staff and partner managers; partner employees do not see it."""
    actor = access.actor_of(user)
    return actor.is_channel or actor.role == Role.PARTNER_MANAGER
