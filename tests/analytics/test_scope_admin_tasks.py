"""Scope of the dashboards (a partner never sees another partner's numbers), the roll-ups' age on the
page, filter choices, the admin, and the refresh task."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from analytics import rollups, selectors
from analytics.figures import AnalyticsFilters
from analytics.models import RollupState, TierRequirement
from analytics.tasks import rebuild_rollups_task, refresh_rollups_task
from tests.analytics.test_exactness import build_data


def wide() -> AnalyticsFilters:
    today = timezone.localdate()
    return AnalyticsFilters(start=today - timedelta(days=600), end=today, preset="custom")


def _text(board) -> str:
    return repr([(f.rows, f.chart) for f in board.figures])


@pytest.fixture
def data(world):
    built = build_data(world)
    rollups.rebuild_all()
    return built


def test_a_partner_never_sees_another_partners_names_or_numbers(world, data):
    c_board = _text(selectors.dashboard(world.pm_c, wide()))
    assert "Gamma Services" in c_board
    for other in ("Alpha Distribution", "Beta Resale", "Delta Italia", "Not dispatched", "Programme 2"):
        assert other not in c_board
    b_board = _text(selectors.dashboard(world.pm_b, wide()))
    assert "Alpha Distribution" not in b_board and "Beta Resale" in b_board
    # A's manager asking for C through the filter gets nothing.
    nothing = selectors.dashboard(
        world.pm_a, AnalyticsFilters(start=wide().start, end=wide().end, partner_ids=(world.c.pk,))
    )
    assert all(f.rows == [] for f in nothing.figures)


def test_employees_see_no_funds_and_unknown_keys_are_none(world, data):
    board = selectors.dashboard(world.pe_a, wide())
    assert {f.section for f in board.figures} == {"sales", "service", "orders"}
    assert selectors.figure(world.pe_a, wide(), "marketing.roi") is None
    assert selectors.figure(world.admin, wide(), "nope") is None
    assert selectors.dashboard(world.admin, wide(), section="service").figures[0].section == "service"


def test_figure_keys_are_unique_and_cells_exact(world, data):
    board = selectors.dashboard(world.admin, wide())
    assert len({f.key for f in board.figures}) == len(board.figures) == len(selectors.FIGURES)
    for f in board.figures:
        for row in f.rows:
            assert len(row) == len(f.columns)
            assert not any(isinstance(cell, float) for cell in row), f.key


def test_updated_at_says_when_the_rollups_were_refreshed(world):
    assert selectors.dashboard(world.admin, wide()).updated_at is None
    refresh_rollups_task.delay()
    updated = selectors.dashboard(world.admin, wide()).updated_at
    assert updated is not None and RollupState.objects.count() == len(rollups.SPECS)
    rebuild_rollups_task.delay()
    assert selectors.dashboard(world.admin, wide()).updated_at >= updated


def test_filter_choices_are_in_scope(world, data):
    partner_names = {name for _, name in selectors.filter_choices(world.pm_a)["partner"]}
    assert partner_names == {"Alpha Distribution", "Beta Resale"}
    assert {code for code, _ in selectors.filter_choices(world.pm_c)["country"]} == {"FR"}
    assert len(selectors.filter_choices(world.admin)["partner"]) == 4
    assert selectors.filter_choices(world.pe_a)["partner"] == [(str(world.a.pk), "Alpha Distribution")]


def test_every_analytics_model_is_in_the_admin_and_renders(client, world, data):
    ours = {m for m in apps.get_models() if m._meta.app_label == "analytics"}
    assert ours - set(admin.site._registry) == set()
    world.admin.is_staff = world.admin.is_superuser = True
    world.admin.save()
    client.force_login(world.admin)
    for model in ours:
        url = reverse(f"admin:analytics_{model._meta.model_name}_changelist")
        assert client.get(url, {"q": "1"}).status_code == 200, url


def test_admin_adds_a_tier_requirement_through_the_service(client, world):
    world.admin.is_staff = world.admin.is_superuser = True
    world.admin.save()
    client.force_login(world.admin)
    url = reverse("admin:analytics_tierrequirement_add")
    response = client.post(url, {"tier": world.gold.pk, "measure": "won_deals", "minimum": "5"})
    assert response.status_code == 302
    assert TierRequirement.objects.get().updated_by == world.admin


def test_beat_refreshes_every_two_minutes_and_rebuilds_nightly(settings):
    refresh = settings.CELERY_BEAT_SCHEDULE["refresh-analytics-rollups"]
    rebuild = settings.CELERY_BEAT_SCHEDULE["rebuild-analytics-rollups"]
    assert (refresh["task"], refresh["schedule"]) == (refresh_rollups_task.name, 120.0)
    assert (rebuild["task"], rebuild["schedule"]) == (rebuild_rollups_task.name, 86400.0)
    assert refresh["options"]["expires"] < refresh["schedule"]
