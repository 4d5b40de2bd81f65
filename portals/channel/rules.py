"""Channel portal: the dispatch rules in the order routing tries them; channel admins create, edit
and delete them, channel managers read them."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.errors import NotAllowed
from leads import selectors, services
from leads.choices import LeadSource
from leads.models import DispatchRule
from partners import access
from partners import selectors as partner_selectors
from partners.choices import PartnerType
from portals.channel.lead_forms import RuleForm
from portals.channel.leads import partners_in_scope
from portals.channel.partners import request_page
from portals.decorators import acting_user, channel_required
from portals.forms import add_service_errors

RULE_PAGE_SIZE = 100
SUMMARY_PARTNERS = 5

SOURCE_LABELS = dict(LeadSource.choices)
TYPE_LABELS = dict(PartnerType.choices)


def _crumbs(*items: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [
        ("Channel", reverse("channel:dashboard")),
        ("Dispatch rules", reverse("channel:rule_list")),
        *items,
    ]


def _require_admin(request: HttpRequest) -> None:
    if not access.actor_of(request.user).is_admin:
        raise PermissionDenied("Only channel admins edit dispatch rules.")


def rule_summary(rule: DispatchRule, mine: set[int]) -> dict[str, list[str]]:
    """A rule's conditions and candidates in short phrases (its partners and categories prefetched).
    Explicit partners outside `mine` (the user's scope) are counted, not named."""
    conditions: list[str] = []
    if rule.countries:
        conditions.append("Countries " + ", ".join(rule.countries))
    if rule.regions:
        conditions.append("Regions " + ", ".join(rule.regions))
    if rule.postal_prefixes:
        conditions.append("Postal codes " + ", ".join(f"{p}…" for p in rule.postal_prefixes))
    categories = [c.name for c in rule.categories.all()]
    if categories:
        conditions.append("Categories " + ", ".join(categories))
    if rule.min_value is not None and rule.max_value is not None:
        conditions.append(f"Value {rule.min_value:,.0f}–{rule.max_value:,.0f}")
    elif rule.min_value is not None:
        conditions.append(f"Value from {rule.min_value:,.0f}")
    elif rule.max_value is not None:
        conditions.append(f"Value up to {rule.max_value:,.0f}")
    if rule.sources:
        conditions.append("Sources " + ", ".join(SOURCE_LABELS.get(s, s) for s in rule.sources))
    candidates: list[str] = []
    explicit = list(rule.partners.all())
    if explicit:
        names = [p.name for p in explicit if p.pk in mine]
        others = len(explicit) - len(names)
        more = max(0, len(names) - SUMMARY_PARTNERS)
        parts = [", ".join(names[:SUMMARY_PARTNERS])] if names else []
        if more:
            parts.append(f"{more} more")
        if others:
            parts.append(f"{others} partner{'s' if others > 1 else ''} you do not manage")
        candidates.append(" and ".join(parts) if len(parts) < 3 else f"{parts[0]}, {parts[1]} and {parts[2]}")
    else:
        candidates.append("All active partners")
        if rule.min_tier:
            candidates.append(f"tier {rule.min_tier.name} or better")
        if rule.partner_types:
            candidates.append(", ".join(TYPE_LABELS.get(t, t) for t in rule.partner_types))
        if rule.certification:
            candidates.append(f"certified {rule.certification.name}")
    if rule.sells_lead_category:
        candidates.append("selling the lead's category")
    return {"conditions": conditions or ["Any lead"], "candidates": candidates}


@channel_required
def rule_list(request: HttpRequest) -> HttpResponse:
    """Queries: session, user, actor, page rows (tier and certification joined), their partners,
    their categories: 6; for a channel manager, which of the partners are theirs: 7."""
    page = request_page(request, selectors.rule_list(request.user), order="priority", size=RULE_PAGE_SIZE)
    explicit = {p.pk for rule in page.items for p in rule.partners.all()}
    mine = partners_in_scope(request.user, explicit)
    rows = [{"rule": rule, **rule_summary(rule, mine)} for rule in page.items]
    return render(
        request,
        "portals/channel/rules/list.html",
        {
            "page": page,
            "rows": rows,
            "can_edit": access.actor_of(request.user).is_admin,
            "querystring": "",
            "breadcrumbs": [("Channel", reverse("channel:dashboard")), ("Dispatch rules", None)],
        },
    )


def _save(request: HttpRequest, rule: DispatchRule | None) -> HttpResponse:
    """The create and edit form: validate, save through dispatch_rule_save, errors on the form."""
    user = request.user
    partners_qs = partner_selectors.visible_partners(user)
    choices = list(partners_qs.order_by("name", "id").values_list("id", "name"))
    initial: dict[str, Any] = RuleForm.initial_for(rule) if rule is not None else {}
    form = RuleForm(
        request.POST if request.method == "POST" else None, partner_choices=choices, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        partners = list(partners_qs.filter(pk__in=form.cleaned_data["partners"]))
        try:
            saved = services.dispatch_rule_save(
                actor=acting_user(request),
                fields=form.rule_fields(),
                rule=rule,
                partners=partners,
                categories=list(form.cleaned_data["categories"]),
            )
        except NotAllowed as exc:
            raise PermissionDenied(str(exc))
        except ValidationError as exc:
            add_service_errors(form, exc)
            if rule is not None:
                rule.refresh_from_db()
        else:
            messages.success(request, f"Dispatch rule “{saved.name}” saved (priority {saved.priority}).")
            return redirect("channel:rule_list")
    title = f"Edit rule “{rule.name}”" if rule is not None else "New dispatch rule"
    return render(
        request,
        "portals/channel/rules/form.html",
        {
            "form": form,
            "rule": rule,
            "title": title,
            "submit_label": "Save rule" if rule is not None else "Create rule",
            "breadcrumbs": _crumbs((rule.name if rule is not None else "New rule", None)),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@channel_required
def rule_create(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    return _save(request, None)


@channel_required
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    return _save(request, get_object_or_404(selectors.visible_rules(request.user), pk=pk))


@require_POST
@channel_required
def rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a rule; decisions it made keep its name."""
    _require_admin(request)
    rule = get_object_or_404(selectors.visible_rules(request.user), pk=pk)
    name = rule.name
    try:
        services.dispatch_rule_delete(actor=acting_user(request), rule=rule)
    except NotAllowed as exc:
        raise PermissionDenied(str(exc))
    messages.success(request, f"Dispatch rule “{name}” deleted.")
    return redirect("channel:rule_list")
