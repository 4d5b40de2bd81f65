"""Action rules on service records, evaluated on objects already fetched through their scope (see
partners.access and service.selectors).

Two sides work a service request: the partner's side (the people of the request's own partner; an
employee only their own or unassigned requests; a distributor's managers only read their resellers'
requests), and, once it is escalated, the brand owner's service team (a channel admin, or a channel
manager of the partner)."""

from __future__ import annotations

from typing import Any

from partners import access
from partners.choices import Role
from service.choices import ServiceStatus


def works_request(user: Any, request: Any) -> bool:
    """The partner's side: start, wait, escalate, resolve, reopen, close, comment (internal too),
    attach files."""
    actor = access.actor_of(user)
    if not actor.is_partner or actor.partner_id != request.partner_id:
        return False
    if actor.role == Role.PARTNER_EMPLOYEE:
        return request.assigned_to_id in (None, actor.user_id)
    return True


def serves_escalations(user: Any, request: Any) -> bool:
    """The brand owner's service team for this request's partner: a channel admin, or a channel
    manager who manages the partner. They comment at any time and act on escalated requests."""
    return access.manages_partner(user, request.partner)


def handles_escalation(user: Any, request: Any) -> bool:
    """The brand owner's side acting on an escalated request: hand it back or resolve it."""
    return request.status == ServiceStatus.ESCALATED and serves_escalations(user, request)


def can_assign(user: Any, request: Any) -> bool:
    """A partner manager of the request's own partner assigns it to a person."""
    actor = access.actor_of(user)
    return actor.role == Role.PARTNER_MANAGER and actor.partner_id == request.partner_id


def can_register(user: Any) -> bool:
    """Partner users register service requests for their own partner's customers."""
    return access.actor_of(user).is_partner


def sees_internal_comments(user: Any, request: Any) -> bool:
    """Internal comments stay with the people of the request's own partner."""
    actor = access.actor_of(user)
    return actor.is_partner and actor.partner_id == request.partner_id


def can_write_solutions(user: Any) -> bool:
    """The knowledge base is the brand owner's: channel staff write, change and publish it."""
    return access.actor_of(user).is_channel


def can_give_feedback(user: Any) -> bool:
    """ "This solved it": partner users (who meet the customers' problems)."""
    return access.actor_of(user).is_partner
