"""Every state change of leads, dispatch rules and deal registrations: one transaction each, the
actor recorded in the lead's timeline, e-mails queued on commit."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from core.changes import data_changed
from core.errors import NotAllowed
from core.models import User
from core.services import email_send
from customers.models import Customer, email_domain, normalise_company
from customers.services import customer_match_or_create
from leads import rules
from leads.choices import LeadEventKind, LeadSource, LeadStatus, RegistrationStatus
from leads.models import (
    DealRegistration,
    DispatchDecision,
    DispatchRule,
    Lead,
    LeadDecline,
    LeadEvent,
    LeadItem,
    LeadSettings,
)
from leads.routing import Candidate, Decision, LeadFacts, RoutingContext
from partners import access
from partners.choices import PartnerStatus, Role
from partners.models import Membership, Partner

LEAD_FIELDS = (
    "company", "contact_name", "email", "phone", "country", "region", "postal_code", "city", "latitude",
    "longitude", "category", "products_of_interest", "estimated_value", "currency", "source", "campaign_code",
    "external_id",
)  # fmt: skip
PROTECTION_DAYS = 90


def _event(lead: Lead, *, actor: User | None, kind: str, before: str, message: str = "") -> LeadEvent:
    """The lead's timeline row of a change; every change of a lead writes one, so it is also where
    the analytics hear of it (once per transaction, after the commit)."""
    data_changed("leads")
    return LeadEvent.objects.create(
        lead=lead, partner_id_at_event=lead.partner_id, actor=actor, kind=kind, from_status=before,
        to_status=lead.status, message=message[:500],
    )  # fmt: skip


def partner_manager_emails(partner_id: int) -> list[str]:
    return list(
        Membership.objects.filter(
            partner_id=partner_id, user__is_active=True, user__groups__name=Role.PARTNER_MANAGER
        ).values_list("user__email", flat=True)
    )


def _channel_manager_emails(partner_id: int | None) -> list[str]:
    owners = Partner.managers.through.objects.filter(partner_id=partner_id) if partner_id else None
    if owners is not None and owners.exists():
        return list(owners.values_list("user__email", flat=True))
    return list(
        User.objects.filter(is_active=True, groups__name=Role.CHANNEL_MANAGER).values_list("email", flat=True)
    )


# --- Capture ---------------------------------------------------------------------------------------


def lead_validate(fields: dict[str, Any]) -> Lead:
    """Build (not save) a lead from fields; raises ValidationError with field errors."""
    data = {k: v for k, v in fields.items() if k in LEAD_FIELDS}
    data["currency"] = (data.get("currency") or "EUR").upper()
    lead = Lead(**data)
    lead.normalised_company = normalise_company(lead.company)[:200]
    if lead.external_id and Lead.objects.filter(source=lead.source, external_id=lead.external_id).exists():
        raise ValidationError(
            {"external_id": f"A lead from {lead.source} with external id {lead.external_id} exists."}
        )
    try:
        lead.full_clean(exclude=["partner", "assigned_to", "customer", "created_by"])
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from exc
    return lead


@transaction.atomic
def lead_create(
    *,
    actor: User | None,
    fields: dict[str, Any],
    route: bool | None = None,
    context: RoutingContext | None = None,
) -> Lead:
    """Capture a lead (channel portal, API, import, showroom). New leads are routed at once unless
    the channel setting turns automatic routing off (or `route=False`)."""
    if actor is not None and not access.actor_of(actor).is_channel:
        raise NotAllowed("Only channel staff create leads here.")
    lead = lead_validate(fields)
    lead.created_by = actor
    lead.save()
    _event(
        lead,
        actor=actor,
        kind=LeadEventKind.CREATED,
        before="",
        message=f"Created ({lead.get_source_display()})",
    )
    if route is None:
        route = LeadSettings.current().auto_route
    if route:
        lead = lead_route(lead=lead, actor=None, context=context)
    return lead


# --- Routing ---------------------------------------------------------------------------------------


def _declined_ids(lead: Lead) -> set[int]:
    return set(LeadDecline.objects.filter(lead=lead).values_list("partner_id", flat=True))


def _decision_row(lead_id: int, decision: Decision, actor: User | None) -> DispatchDecision:
    return DispatchDecision(
        lead_id=lead_id, rule=decision.rule, rule_name=decision.rule.name if decision.rule else "",
        strategy=decision.strategy, partner_id=decision.partner_id,
        candidates=[c.as_dict() for c in decision.candidates], rules_tried=decision.rules_tried,
        reason=decision.reason, decided_by=actor, considered=decision.considered, left_out=decision.left_out,
    )  # fmt: skip


def _digest_on_commit() -> None:
    """Automatic decisions are e-mailed by routing_digests_send; run it once this commits."""
    from leads.tasks import send_routing_digests_task

    transaction.on_commit(send_routing_digests_task.delay)


def _apply_decision(
    lead: Lead, decision: Decision, *, actor: User | None, kind: str, context: RoutingContext | None
) -> Lead:
    """Store a decision and move the lead. A decision of a person is e-mailed at once; an
    automatic one (actor None) goes out in the next routing digest, started when this commits."""
    before = lead.status
    now = timezone.now()
    _decision_row(lead.pk, decision, actor).save()
    if actor is None:
        _digest_on_commit()
    if decision.partner_id is None:
        lead.set_status(LeadStatus.UNROUTABLE)
        lead.partner = None
        lead.assigned_to = None
        lead.accept_by = None
        lead.dispatch_reason = decision.reason
        lead.save()
        _event(lead, actor=actor, kind=LeadEventKind.UNROUTABLE, before=before, message=decision.reason)
        to = _channel_manager_emails(None) if actor is not None else []
        if to:
            email_send(
                to=to, subject=f"Lead could not be routed: {lead.company}",
                body=f"The lead {lead.company} ({lead.country}) found no partner.\n\n{decision.reason}\n",
            )  # fmt: skip
        return lead
    lead.set_status(LeadStatus.DISPATCHED)
    lead.partner_id = decision.partner_id
    lead.assigned_to = None
    lead.dispatched_at = now
    lead.accept_by = now + timedelta(hours=decision.accept_within_hours)
    lead.dispatch_reason = decision.reason
    lead.save()
    if context is not None:
        context.assigned(decision.partner_id)
    _event(lead, actor=actor, kind=kind, before=before, message=decision.reason)
    to = partner_manager_emails(decision.partner_id) if actor is not None else []
    if to:
        email_send(
            to=to, subject=f"New lead: {lead.company}",
            body=f"A new lead was dispatched to you: {lead.company} ({lead.city or lead.country}).\n"
            f"Accept it by {timezone.localtime(lead.accept_by):%Y-%m-%d %H:%M}.\n\nWhy you: {decision.reason}\n",
        )  # fmt: skip
    return lead


@transaction.atomic
def lead_route(*, lead: Lead, actor: User | None, context: RoutingContext | None = None) -> Lead:
    """Route a `new` or `unroutable` lead by the dispatch rules (see leads.routing)."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if actor is not None and not rules.can_dispatch(actor, lead):
        raise NotAllowed("Only channel staff route leads.")
    if lead.status not in (LeadStatus.NEW, LeadStatus.UNROUTABLE):
        raise ValidationError(
            {
                "status": f"Only new or unroutable leads are routed; this one is {lead.get_status_display().lower()}."
            }
        )
    context = context or RoutingContext()
    decision = context.decide(lead, declined=_declined_ids(lead))
    return _apply_decision(lead, decision, actor=actor, kind=LeadEventKind.DISPATCHED, context=context)


PROPOSALS = 50


def lead_proposals(*, lead: Lead) -> Decision:
    """The ranked candidates routing would consider now, with their reasons (nothing is written);
    a rule with many candidates proposes its best PROPOSALS and counts the others."""
    return RoutingContext().decide(lead, declined=_declined_ids(lead), top=PROPOSALS)


@transaction.atomic
def lead_dispatch_to(*, lead: Lead, actor: User, partner: Partner, reason: str = "") -> Lead:
    """A channel manager gives a lead to a partner by hand (also a lead already dispatched)."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if not rules.can_dispatch(actor, lead):
        raise NotAllowed("Only channel staff dispatch leads.")
    if not access.scope_partners(actor).filter(pk=partner.pk).exists():
        raise ValidationError({"partner": "Choose one of your partners."})
    if partner.status != PartnerStatus.ACTIVE:
        raise ValidationError({"partner": f"{partner.name} is not active."})
    if lead.status not in (LeadStatus.NEW, LeadStatus.UNROUTABLE, LeadStatus.DISPATCHED):
        raise ValidationError(
            {"status": f"A {lead.get_status_display().lower()} lead cannot be dispatched again."}
        )
    why = f"Assigned by hand by {actor.display_name}" + (f": {reason}" if reason else ".")
    decision = Decision(
        partner_id=partner.pk, rule=None, strategy="by_hand",
        candidates=[Candidate(partner_id=partner.pk, name=partner.name, chosen=True)], reason=why[:500],
        accept_within_hours=LeadSettings.current().accept_within_hours_by_hand,
    )  # fmt: skip
    return _apply_decision(lead, decision, actor=actor, kind=LeadEventKind.ASSIGNED_BY_HAND, context=None)


# --- The partner's side ----------------------------------------------------------------------------


@transaction.atomic
def lead_accept(*, lead: Lead, actor: User) -> Lead:
    """The partner takes the lead; it is linked to the partner's customer (matched or created)."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if not rules.can_work(actor, lead):
        raise NotAllowed("Only the partner holding the lead accepts it.")
    before = lead.status
    lead.set_status(LeadStatus.ACCEPTED)
    lead.accepted_at = timezone.now()
    lead.accept_by = None
    if access.actor_of(actor).role == Role.PARTNER_EMPLOYEE and lead.assigned_to_id is None:
        lead.assigned_to = actor
    _link_customer(lead)
    lead.save()
    _event(lead, actor=actor, kind=LeadEventKind.ACCEPTED, before=before)
    return lead


def _link_customer(lead: Lead) -> None:
    if lead.customer_id is None and lead.partner_id:
        lead.customer = customer_match_or_create(
            partner_id=lead.partner_id, company=lead.company, email=lead.email, country=lead.country,
            city=lead.city, postal_code=lead.postal_code, contact_name=lead.contact_name, phone=lead.phone,
        )  # fmt: skip


@transaction.atomic
def lead_decline(*, lead: Lead, actor: User, reason: str, context: RoutingContext | None = None) -> Lead:
    """The partner declines with a reason; the lead is routed again at once, without them."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if not rules.can_work(actor, lead):
        raise NotAllowed("Only the partner holding the lead declines it.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why you decline the lead."})
    if lead.status != LeadStatus.DISPATCHED:
        raise ValidationError(
            {
                "status": f"Only a dispatched lead can be declined; this one is {lead.get_status_display().lower()}."
            }
        )
    return _release_and_reroute(lead, actor=actor, reason=reason.strip(), expired=False, context=context)


def _release_and_reroute(
    lead: Lead, *, actor: User | None, reason: str, expired: bool, context: RoutingContext | None
) -> Lead:
    partner_id = lead.partner_id
    assert partner_id is not None
    LeadDecline.objects.get_or_create(
        lead=lead, partner_id=partner_id, defaults={"reason": reason, "expired": expired}
    )
    _event(
        lead, actor=actor, kind=LeadEventKind.EXPIRED if expired else LeadEventKind.DECLINED,
        before=lead.status, message=reason,
    )  # fmt: skip
    context = context or RoutingContext()
    context.released(partner_id)
    lead.status = LeadStatus.UNROUTABLE  # released; routing moves it on from here
    lead.partner = None
    lead.assigned_to = None
    lead.accept_by = None
    lead.save()
    decision = context.decide(lead, declined=_declined_ids(lead))
    return _apply_decision(lead, decision, actor=None, kind=LeadEventKind.DISPATCHED, context=context)


@transaction.atomic
def lead_assign_user(*, lead: Lead, actor: User, user: User | None) -> Lead:
    """A partner manager gives the lead to a person of the partner (or takes it back: None)."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if not rules.can_assign(actor, lead):
        raise NotAllowed("Only the partner's manager assigns its leads.")
    members = Membership.objects.filter(partner_id=lead.partner_id or 0, user__is_active=True)
    if user is not None and not members.filter(user=user).exists():
        raise ValidationError({"user": f"{user.email} is not an active member of this partner."})
    if lead.status not in (LeadStatus.DISPATCHED, LeadStatus.ACCEPTED, LeadStatus.QUALIFIED):
        raise ValidationError(
            {"status": f"A {lead.get_status_display().lower()} lead is not assigned any more."}
        )
    lead.assigned_to = user
    lead.save(update_fields=["assigned_to", "updated_at"])
    _event(lead, actor=actor, kind=LeadEventKind.ASSIGNED, before=lead.status,
           message=f"Assigned to {user.email}" if user else "Unassigned")  # fmt: skip
    if user is not None and user.pk != actor.pk:
        email_send(to=[user.email], subject=f"Lead assigned to you: {lead.company}",
                   body=f"{actor.display_name} assigned you the lead {lead.company}.\n")  # fmt: skip
    return lead


@transaction.atomic
def lead_qualify(
    *,
    lead: Lead,
    actor: User,
    budget: str = "",
    authority: str = "",
    need: str = "",
    timeline: str = "",
    notes: str = "",
) -> Lead:
    """Record the qualification (budget, authority, need, timeline)."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if not rules.can_work(actor, lead):
        raise NotAllowed("Only the partner holding the lead qualifies it.")
    if not any(v.strip() for v in (budget, authority, need, timeline)):
        raise ValidationError({"need": "Fill in at least one of budget, authority, need or timeline."})
    before = lead.status
    lead.set_status(LeadStatus.QUALIFIED)
    lead.budget, lead.authority, lead.need, lead.timeline = (
        budget.strip(),
        authority.strip(),
        need.strip(),
        timeline.strip(),
    )
    lead.qualification_notes = notes.strip()
    _link_customer(lead)
    lead.save()
    _event(lead, actor=actor, kind=LeadEventKind.QUALIFIED, before=before)
    return lead


@transaction.atomic
def lead_mark_won(*, lead: Lead, actor: User, value: Decimal) -> Lead:
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if not rules.can_work(actor, lead):
        raise NotAllowed("Only the partner holding the lead closes it.")
    if value is None or value < 0 or value >= Decimal("1e12"):
        raise ValidationError({"value": "Give the won value: zero or more, below 1,000,000,000,000."})
    before = lead.status
    lead.set_status(LeadStatus.WON)
    lead.won_value = value
    lead.closed_at = timezone.now()
    _link_customer(lead)
    lead.save()
    _event(lead, actor=actor, kind=LeadEventKind.WON, before=before, message=f"Won: {value} {lead.currency}")
    return lead


@transaction.atomic
def lead_mark_lost(*, lead: Lead, actor: User, reason: str) -> Lead:
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if not (rules.can_work(actor, lead) or rules.can_dispatch(actor, lead)):
        raise NotAllowed("Only the partner holding the lead, or channel staff, close it.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the lead is lost."})
    before = lead.status
    lead.set_status(LeadStatus.LOST)
    lead.lost_reason = reason.strip()[:500]
    lead.closed_at = timezone.now()
    lead.accept_by = None
    lead.save()
    _event(lead, actor=actor, kind=LeadEventKind.LOST, before=before, message=lead.lost_reason)
    return lead


# --- Background work ------------------------------------------------------------------------------


ROUTE_BATCH = 2000
_BATCH_FIELDS = (
    "id", "country", "region", "postal_code", "category_id", "estimated_value", "source", "latitude",
    "longitude", "normalised_company", "email",
)  # fmt: skip


def leads_route_batch(
    *, limit: int = ROUTE_BATCH, now: datetime | None = None, context: RoutingContext | None = None
) -> int:
    """Route up to `limit` new leads in one transaction: their rows locked with SKIP LOCKED (several
    workers share the queue, no lead is routed twice and none is lost), decided in memory by one
    RoutingContext (pass the same context to the next batch to keep its counts), then written with
    one statement per table. No e-mail here: the partners hear of their leads in the next routing
    digest (routing_digests_send). Returns how many were routed."""
    from customers.models import email_domain

    context = context or RoutingContext(now=now)
    if context._protection is None:
        context.preload_protection()
    with transaction.atomic():
        rows = list(
            Lead.objects.select_for_update(skip_locked=True)
            .filter(status=LeadStatus.NEW)
            .order_by("id")
            .values_list(*_BATCH_FIELDS)[:limit]
        )
        if not rows:
            return 0
        declined: dict[int, set[int]] = {}
        for lead_id, partner_id in LeadDecline.objects.filter(lead_id__in=[r[0] for r in rows]).values_list(
            "lead_id", "partner_id"
        ):
            declined.setdefault(lead_id, set()).add(partner_id)
        moment = timezone.now()
        routed: list[_Routed] = []
        for pk, country, region, postal, category, value, source, lat, lon, company, email in rows:
            facts = LeadFacts(
                pk=pk, country=country, region=region, postal_code=postal, category_id=category,
                estimated_value=value, source=source, latitude=None if lat is None else float(lat),
                longitude=None if lon is None else float(lon), normalised_company=company,
                domain=email_domain(email),
            )  # fmt: skip
            decision = context.decide(facts, declined=declined.get(pk, set()))
            if decision.partner_id is None:
                routed.append((pk, decision, LeadStatus.UNROUTABLE, None))
            else:
                accept_by = moment + timedelta(hours=decision.accept_within_hours)
                routed.append((pk, decision, LeadStatus.DISPATCHED, accept_by))
                context.assigned(decision.partner_id, saved=False)
        if connection.vendor == "postgresql":
            _write_routed_copy(routed, moment)
        else:
            _write_routed_orm(routed, moment)
        data_changed("leads")  # once for the batch
    return len(rows)


_Routed = tuple[int, Decision, str, datetime | None]  # lead id, decision, new status, accept by
_DECISION_COLUMNS = (
    "lead_id", "rule_id", "rule_name", "strategy", "partner_id", "candidates", "considered", "left_out",
    "rules_tried", "reason", "decided_by_id", "created_at", "notified_at",
)  # fmt: skip
_EVENT_COLUMNS = (
    "lead_id", "partner_id_at_event", "actor_id", "kind", "from_status", "to_status", "message", "created_at",
)  # fmt: skip


def _event_kind(status: str) -> str:
    return LeadEventKind.UNROUTABLE if status == LeadStatus.UNROUTABLE else LeadEventKind.DISPATCHED


def _write_routed_copy(routed: list[_Routed], moment: datetime) -> None:
    """PostgreSQL: COPY the moves into a temporary table and apply them with one UPDATE … FROM, then
    COPY the decisions and the timeline events (what the set-based UPDATE of the bench measures,
    plus two COPYs)."""
    import json

    encode = json.JSONEncoder(check_circular=False, ensure_ascii=False, separators=(", ", ": ")).encode
    quote = connection.ops.quote_name
    with connection.cursor() as cursor, connection.wrap_database_errors:
        cursor.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS leads_routed_batch (id bigint, status varchar(12), "
            "partner_id bigint, accept_by timestamptz, reason varchar(500)) ON COMMIT DELETE ROWS"
        )
        with cursor.cursor.copy("COPY leads_routed_batch FROM STDIN") as copy:
            for pk, decision, status, accept_by in routed:
                copy.write_row((pk, status, decision.partner_id, accept_by, decision.reason))
        cursor.execute(
            """
            UPDATE leads_lead AS l
            SET status = v.status, partner_id = v.partner_id, assigned_to_id = NULL,
                dispatched_at = CASE WHEN v.partner_id IS NULL THEN l.dispatched_at ELSE %s END,
                accept_by = v.accept_by, dispatch_reason = v.reason, updated_at = %s
            FROM leads_routed_batch AS v
            WHERE l.id = v.id
            """,
            [moment, moment],
        )
        columns = ", ".join(map(quote, _DECISION_COLUMNS))
        with cursor.cursor.copy(
            f"COPY {quote(DispatchDecision._meta.db_table)} ({columns}) FROM STDIN"
        ) as copy:
            for pk, d, _status, _accept_by in routed:
                copy.write_row((
                    pk, d.rule.pk if d.rule else None, d.rule.name if d.rule else "", d.strategy, d.partner_id,
                    encode([c.as_dict() for c in d.candidates]), d.considered,
                    encode(d.left_out) if d.left_out else "{}", encode(d.rules_tried) if d.rules_tried else "[]",
                    d.reason, None, moment, None,
                ))  # fmt: skip
        columns = ", ".join(map(quote, _EVENT_COLUMNS))
        with cursor.cursor.copy(f"COPY {quote(LeadEvent._meta.db_table)} ({columns}) FROM STDIN") as copy:
            for pk, d, status, _accept_by in routed:
                copy.write_row(
                    (
                        pk,
                        d.partner_id,
                        None,
                        _event_kind(status),
                        LeadStatus.NEW,
                        status,
                        d.reason[:500],
                        moment,
                    )
                )


def _write_routed_orm(routed: list[_Routed], moment: datetime) -> None:
    """Other databases (SQLite in the embedded mode and tests): bulk_update and bulk_create."""
    leads = []
    for pk, decision, status, accept_by in routed:
        lead = Lead(pk=pk, status=status, partner_id=decision.partner_id, accept_by=accept_by)
        lead.dispatch_reason = decision.reason
        lead.dispatched_at = moment if decision.partner_id else None
        lead.updated_at = moment
        leads.append(lead)
    fields = ["status", "partner_id", "assigned_to_id", "accept_by", "dispatch_reason", "updated_at"]
    Lead.objects.bulk_update([x for x in leads if x.partner_id is not None], [*fields, "dispatched_at"])
    Lead.objects.bulk_update([x for x in leads if x.partner_id is None], fields)
    DispatchDecision.objects.bulk_create([_decision_row(pk, d, None) for pk, d, _s, _a in routed])
    LeadEvent.objects.bulk_create(
        [
            LeadEvent(
                lead_id=pk,
                partner_id_at_event=d.partner_id,
                kind=_event_kind(status),
                from_status=LeadStatus.NEW,
                to_status=status,
                message=d.reason[:500],
            )  # fmt: skip
            for pk, d, status, _accept_by in routed
        ]
    )


def leads_route_pending(*, batch_size: int = ROUTE_BATCH) -> int:
    """Route every new lead, batch after batch with one RoutingContext, then send the routing
    digests. Answers how many leads were routed."""
    context = RoutingContext()
    routed = 0
    while batch := leads_route_batch(limit=batch_size, context=context):
        routed += batch
    if routed:
        routing_digests_send()
    return routed


DIGEST_LINES = 50


def routing_digests_send(*, limit: int = 5000) -> int:
    """E-mail what automatic routing decided since the last digest: each partner's managers one
    message listing the leads it was given (those it still holds), the channel managers one listing
    the leads no partner could take. Safe in several workers at once (the decisions are claimed with
    SKIP LOCKED and marked sent in the same transaction). Answers how many decisions were sent."""
    sent = 0
    while True:
        with transaction.atomic():
            rows = _claim_undigested(limit)
            if not rows:
                return sent
            by_partner: dict[int, list[tuple[Any, ...]]] = {}
            unroutable: list[tuple[Any, ...]] = []
            for row in rows:
                _id, partner_id, _reason, _company, _city, _country, _accept_by, holder, status = row
                if partner_id is None:
                    if status == LeadStatus.UNROUTABLE:
                        unroutable.append(row)
                elif holder == partner_id and status == LeadStatus.DISPATCHED:
                    by_partner.setdefault(partner_id, []).append(row)
            managers: dict[int, list[str]] = {}
            for partner_id, email in Membership.objects.filter(
                partner_id__in=list(by_partner), user__is_active=True, user__groups__name=Role.PARTNER_MANAGER
            ).values_list("partner_id", "user__email"):
                managers.setdefault(partner_id, []).append(email)
            for partner_id, leads in by_partner.items():
                if managers.get(partner_id):
                    _send_dispatch_digest(managers[partner_id], leads)
            if unroutable:
                to = _channel_manager_emails(None)
                if to:
                    _send_unroutable_digest(to, unroutable)
            sent += len(rows)
        if len(rows) < limit:
            return sent


def _claim_undigested(limit: int) -> list[tuple[Any, ...]]:
    """Up to `limit` automatic decisions not e-mailed yet, oldest first, locked (SKIP LOCKED) and
    marked sent, with what the e-mail says of their lead: (id, partner, reason, company, city,
    country, accept by, the lead's partner now, the lead's status now). One statement on PostgreSQL."""
    now = timezone.now()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                """
                WITH claimed AS (
                    SELECT id FROM leads_dispatchdecision
                    WHERE notified_at IS NULL AND decided_by_id IS NULL
                    ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED
                )
                UPDATE leads_dispatchdecision AS d SET notified_at = %s
                FROM claimed, leads_lead AS l
                WHERE d.id = claimed.id AND l.id = d.lead_id
                RETURNING d.id, d.partner_id, d.reason, l.company, l.city, l.country, l.accept_by, l.partner_id,
                          l.status
                """,
                [limit, now],
            )
            return sorted(cursor.fetchall())
    rows = list(
        DispatchDecision.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(notified_at__isnull=True, decided_by__isnull=True)
        .order_by("id")
        .values_list(
            "id", "partner_id", "reason", "lead__company", "lead__city", "lead__country", "lead__accept_by",
            "lead__partner_id", "lead__status",
        )[:limit]
    )  # fmt: skip
    DispatchDecision.objects.filter(pk__in=[r[0] for r in rows]).update(notified_at=now)
    return rows


def _digest_lines(rows: list[tuple[Any, ...]], line: Any) -> str:
    lines = [line(row) for row in rows[:DIGEST_LINES]]
    if len(rows) > DIGEST_LINES:
        lines.append(f"… and {len(rows) - DIGEST_LINES} more.")
    return "\n".join(lines)


def _send_dispatch_digest(to: list[str], rows: list[tuple[Any, ...]]) -> None:
    from django.conf import settings
    from django.urls import reverse

    inbox = settings.SITE_URL.rstrip("/") + reverse("partner:lead_inbox")

    def line(row: tuple[Any, ...]) -> str:
        _id, _partner, reason, company, city, country, accept_by, _holder, _status = row
        deadline = f": accept by {timezone.localtime(accept_by):%Y-%m-%d %H:%M}" if accept_by else ""
        return f"- {company} ({city or country}){deadline}"

    if len(rows) == 1:
        _id, _partner, reason, company, city, country, accept_by, _holder, _status = rows[0]
        email_send(
            to=to, subject=f"New lead: {company}",
            body=f"A new lead was dispatched to you: {company} ({city or country}).\n"
            + (f"Accept it by {timezone.localtime(accept_by):%Y-%m-%d %H:%M}.\n" if accept_by else "")
            + f"\nWhy you: {reason}\n\nYour lead inbox: {inbox}\n",
        )  # fmt: skip
        return
    email_send(
        to=to, subject=f"{len(rows)} new leads for you",
        body="These leads were dispatched to you; accept or decline each before its deadline:\n\n"
        + _digest_lines(rows, line) + f"\n\nYour lead inbox: {inbox}\n",
    )  # fmt: skip


def _send_unroutable_digest(to: list[str], rows: list[tuple[Any, ...]]) -> None:
    if len(rows) == 1:
        _id, _partner, reason, company, _city, country, *_rest = rows[0]
        email_send(
            to=to, subject=f"Lead could not be routed: {company}",
            body=f"The lead {company} ({country}) found no partner.\n\n{reason}\n",
        )  # fmt: skip
        return
    email_send(
        to=to, subject=f"{len(rows)} leads could not be routed",
        body="No partner could take these leads; route them by hand or change the dispatch rules:\n\n"
        + _digest_lines(rows, lambda r: f"- {r[3]} ({r[5]}): {r[2]}") + "\n",
    )  # fmt: skip


def leads_expire_overdue(*, now: datetime | None = None, limit: int = 500) -> int:
    """Leads not accepted in time go to another partner; the late partner counts as declined."""
    now = now or timezone.now()
    context = RoutingContext(now=now)
    done = 0
    with transaction.atomic():
        overdue = list(
            Lead.objects.select_for_update(skip_locked=True)
            .filter(status=LeadStatus.DISPATCHED, accept_by__lt=now)
            .order_by("accept_by")[:limit]
        )
        for lead in overdue:
            late = lead.partner_id
            lead = _release_and_reroute(
                lead, actor=None, reason="The acceptance window passed.", expired=True, context=context
            )
            to = partner_manager_emails(late) if late else []
            if to:
                email_send(to=to, subject=f"Lead re-dispatched: {lead.company}",
                           body=f"The lead {lead.company} was not accepted in time and went to another partner.\n")  # fmt: skip
            done += 1
    return done


# --- Deal registration ----------------------------------------------------------------------------


def registration_conflicts(*, partner_id: int, company: str, domain: str) -> list[dict[str, Any]]:
    """Active leads and registrations of OTHER partners for the same customer (name or domain)."""
    name = normalise_company(company)
    conflicts: list[dict[str, Any]] = []
    lead_match = Q()
    if name:
        lead_match |= Q(normalised_company=name)
    if domain:
        lead_match |= Q(email__iendswith="@" + domain)
    if lead_match:
        for lead in (
            Lead.objects.filter(lead_match)
            .exclude(partner_id=partner_id)
            .exclude(status__in=[LeadStatus.WON, LeadStatus.LOST])
            .select_related("partner")[:20]
        ):
            if normalise_company(lead.company) == name or (domain and email_domain(lead.email) == domain):
                conflicts.append({"kind": "lead", "id": lead.pk, "company": lead.company,
                                  "partner": lead.partner.name if lead.partner else None, "status": lead.status})  # fmt: skip
    customer_match = Q(normalised_name=name) if name else Q(pk__in=[])
    if domain:
        customer_match |= Q(email_domain=domain)
    for customer in (
        Customer.objects.filter(customer_match).exclude(partner_id=partner_id).select_related("partner")[:20]
    ):
        conflicts.append(
            {"kind": "customer", "id": customer.pk, "company": customer.company,
             "partner": customer.partner.name, "status": "customer"}
        )  # fmt: skip
    reg_match = Q(normalised_company=name) if name else Q(pk__in=[])
    if domain:
        reg_match |= Q(customer_domain=domain)
    for reg in (
        DealRegistration.objects.filter(reg_match)
        .exclude(partner_id=partner_id)
        .exclude(status=RegistrationStatus.REJECTED)
        .select_related("partner")[:20]
    ):
        conflicts.append({"kind": "registration", "id": reg.pk, "company": reg.customer_company,
                          "partner": reg.partner.name, "status": reg.status})  # fmt: skip
    return conflicts


@transaction.atomic
def registration_submit(
    *, actor: User, partner: Partner, customer_company: str, customer_domain: str, country: str,
    value: Decimal, expected_close: date, category: Any = None, currency: str = "EUR", notes: str = "",
) -> DealRegistration:  # fmt: skip
    """A partner registers an opportunity it found. Conflicts with other partners are recorded; the
    partner is only told that the customer is already registered."""
    if access.actor_of(actor).partner_id != partner.pk:
        raise NotAllowed("Register deals for your own partner.")
    if not normalise_company(customer_company):
        raise ValidationError(
            {"customer_company": "Enter the customer's company name, not only its legal form."}
        )
    domain = (
        email_domain(customer_domain if "@" in customer_domain else "x@" + customer_domain)
        if customer_domain
        else ""
    )
    registration = DealRegistration(
        partner=partner, registered_by=actor, customer_company=customer_company.strip(),
        normalised_company=normalise_company(customer_company), customer_domain=domain, country=country,
        category=category, value=value, currency=(currency or "EUR").upper(), expected_close=expected_close,
        notes=notes.strip(),
    )  # fmt: skip
    try:
        registration.full_clean(exclude=["registered_by", "lead", "decided_by"])
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from exc
    if expected_close < timezone.localdate():
        raise ValidationError({"expected_close": "The expected close date is in the past."})
    registration.conflicts = registration_conflicts(
        partner_id=partner.pk, company=customer_company, domain=domain
    )
    registration.save()
    data_changed("registrations")
    return registration


@transaction.atomic
def registration_approve(
    *, registration: DealRegistration, actor: User, protect_days: int = PROTECTION_DAYS
) -> DealRegistration:
    """Approve: the registration becomes a lead of that partner, protected until a date."""
    if not rules.can_decide_registration(actor, registration):
        raise NotAllowed("Only the partner's channel manager or a channel admin decides.")
    registration = DealRegistration.objects.select_for_update().get(pk=registration.pk)
    if registration.status != RegistrationStatus.PENDING:
        raise ValidationError(
            {"status": f"This registration is already {registration.get_status_display().lower()}."}
        )
    now = timezone.now()
    lead = Lead.objects.create(
        company=registration.customer_company, normalised_company=registration.normalised_company, country=registration.country, category=registration.category,
        estimated_value=registration.value, currency=registration.currency, source=LeadSource.DEAL_REGISTRATION,
        external_id=f"registration-{registration.pk}", partner=registration.partner, status=LeadStatus.ACCEPTED,
        dispatched_at=now, accepted_at=now, created_by=actor,
        dispatch_reason=f"Deal registration of {registration.partner.name}, approved by {actor.display_name}.",
    )  # fmt: skip
    _link_customer(lead)
    if lead.customer_id:
        lead.save(update_fields=["customer"])
    _event(
        lead, actor=actor, kind=LeadEventKind.CREATED, before="", message="From an approved deal registration"
    )
    registration.status = RegistrationStatus.APPROVED
    registration.lead = lead
    registration.protected_until = timezone.localdate() + timedelta(days=protect_days)
    registration.decided_by = actor
    registration.decided_at = now
    registration.save()
    data_changed("registrations")
    return registration


@transaction.atomic
def registration_reject(*, registration: DealRegistration, actor: User, reason: str) -> DealRegistration:
    if not rules.can_decide_registration(actor, registration):
        raise NotAllowed("Only the partner's channel manager or a channel admin decides.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the registration is rejected; the partner reads it."})
    registration = DealRegistration.objects.select_for_update().get(pk=registration.pk)
    if registration.status != RegistrationStatus.PENDING:
        raise ValidationError(
            {"status": f"This registration is already {registration.get_status_display().lower()}."}
        )
    registration.status = RegistrationStatus.REJECTED
    registration.reject_reason = reason.strip()
    registration.decided_by = actor
    registration.decided_at = timezone.now()
    registration.save()
    data_changed("registrations")
    return registration


# --- Dispatch rules (channel admins) ---------------------------------------------------------------

RULE_FIELDS = (
    "name", "priority", "active", "countries", "regions", "postal_prefixes", "min_value", "max_value",
    "sources", "min_tier", "partner_types", "certification", "sells_lead_category", "strategy",
    "accept_within_hours",
)  # fmt: skip


def _clean_rule(rule: DispatchRule) -> None:
    from core.countries import COUNTRIES
    from partners.choices import PartnerType

    errors: dict[str, str] = {}
    rule.countries = [str(c).strip().upper() for c in rule.countries or [] if str(c).strip()]
    unknown = [c for c in rule.countries if c not in COUNTRIES]
    if unknown:
        errors["countries"] = f"Unknown country codes: {', '.join(unknown)} (use ISO codes such as DE, FR)."
    bad_sources = [s for s in rule.sources or [] if s not in LeadSource.values]
    if bad_sources:
        errors["sources"] = f"Unknown sources: {', '.join(map(str, bad_sources))}."
    bad_types = [t for t in rule.partner_types or [] if t not in PartnerType.values]
    if bad_types:
        errors["partner_types"] = f"Unknown partner types: {', '.join(map(str, bad_types))}."
    rule.postal_prefixes = [str(p).strip() for p in rule.postal_prefixes or [] if str(p).strip()]
    rule.regions = [str(r).strip() for r in rule.regions or [] if str(r).strip()]
    if errors:
        raise ValidationError(errors)
    try:
        rule.full_clean()
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from exc


@transaction.atomic
def dispatch_rule_save(
    *,
    actor: User,
    fields: dict[str, Any],
    rule: DispatchRule | None = None,
    partners: list[Partner] | None = None,
    categories: list[Any] | None = None,
) -> DispatchRule:
    """Create or change a dispatch rule (channel admins). `partners` (explicit candidates) and
    `categories` replace the current ones when given."""
    if not access.actor_of(actor).is_admin:
        raise NotAllowed("Only channel admins edit dispatch rules.")
    rule = rule if rule is not None else DispatchRule()
    for name, value in fields.items():
        if name not in RULE_FIELDS:
            raise ValidationError({name: "This field cannot be set on a rule."})
        setattr(rule, name, value)
    _clean_rule(rule)
    rule.save()
    if partners is not None:
        rule.partners.set(partners)
    if categories is not None:
        rule.categories.set(categories)
    return rule


@transaction.atomic
def dispatch_rule_delete(*, actor: User, rule: DispatchRule) -> None:
    """Delete a rule; decisions already taken keep its name."""
    if not access.actor_of(actor).is_admin:
        raise NotAllowed("Only channel admins edit dispatch rules.")
    rule.delete()


@transaction.atomic
def lead_settings_update(*, actor: User, auto_route: bool) -> LeadSettings:
    if not access.actor_of(actor).is_admin:
        raise NotAllowed("Only channel admins change the lead settings.")
    current = LeadSettings.current()
    current.auto_route = auto_route
    current.save(update_fields=["auto_route"])
    return current


# --- Showroom quote requests -------------------------------------------------------------------------


@transaction.atomic
def lead_from_showroom(
    *,
    partner: Partner,
    fields: dict[str, Any],
    products_text: str,
    value: Decimal,
    campaign_code: str,
    items: list[tuple[Any, int]] | None = None,
) -> Lead:
    """A customer's quote request in the partner's public showroom: a lead of source `showroom` with the
    basket in `products_of_interest` and its total as the estimated value, dispatched to that partner at
    once (no routing; the acceptance window of leads dispatched by hand) with a decision saying why, and
    the partner's managers e-mailed now. `items` are the basket's (product, quantity) pairs, kept as
    the lead's LeadItems (what it converts into an order with). No actor: the customer is anonymous.
    Raises ValidationError (per field, nothing stored) for bad contact details or a partner that is not
    active."""
    if partner.status != PartnerStatus.ACTIVE:
        raise ValidationError(f"{partner.name} takes no requests at the moment.")
    data = {
        **{name: item for name, item in fields.items() if name in LEAD_FIELDS},
        "products_of_interest": products_text,
        "estimated_value": value,
        "campaign_code": campaign_code.strip()[:60],
        "source": LeadSource.SHOWROOM,
        "category": None,
        "external_id": "",
    }
    lead = lead_validate(data)
    lead.created_by = None
    lead.save()
    LeadItem.objects.bulk_create(
        [
            LeadItem(lead=lead, product_id=getattr(product, "pk", product), quantity=quantity)
            for product, quantity in items or []
            if quantity > 0
        ]
    )
    _event(lead, actor=None, kind=LeadEventKind.CREATED, before="", message="Created (Showroom)")
    reason = f"Requested in {partner.name}'s showroom."[:500]
    decision = Decision(
        partner_id=partner.pk, rule=None, strategy="showroom",
        candidates=[Candidate(partner_id=partner.pk, name=partner.name, chosen=True)], reason=reason,
        accept_within_hours=LeadSettings.current().accept_within_hours_by_hand,
    )  # fmt: skip
    row = _decision_row(lead.pk, decision, None)
    row.notified_at = timezone.now()  # e-mailed below, not in the next routing digest
    row.save()
    before = lead.status
    now = timezone.now()
    lead.set_status(LeadStatus.DISPATCHED)
    lead.partner = partner
    lead.dispatched_at = now
    lead.accept_by = now + timedelta(hours=decision.accept_within_hours)
    lead.dispatch_reason = reason
    lead.save()
    _event(lead, actor=None, kind=LeadEventKind.DISPATCHED, before=before, message=reason)
    to = partner_manager_emails(partner.pk)
    if to:
        campaign = f"Campaign: {lead.campaign_code}\n" if lead.campaign_code else ""
        email_send(
            to=to, subject=f"New quote request from your showroom: {lead.company}",
            body=f"{lead.contact_name or lead.company} ({lead.company}, {lead.city or lead.country}) asked "
            f"for a quote in your showroom.\nAccept the lead by "
            f"{timezone.localtime(lead.accept_by):%Y-%m-%d %H:%M}.\n\n{products_text}\n\n"
            f"Estimated value: {lead.estimated_value} {lead.currency}\n{campaign}",
        )  # fmt: skip
    return lead
