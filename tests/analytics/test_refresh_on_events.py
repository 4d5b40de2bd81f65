"""The roll-ups follow the events that change them: a change made through a service shows on the
dashboards right after its commit (eager Celery, the embedded mode), not two minutes later when beat
refreshes; a burst of changes queues one refresh; a failing refresh never fails the change; and with
a real worker on Redis the queued refresh is delivered and run. Real commits (transaction=True):
the refresh is queued on commit."""

from __future__ import annotations

import logging
import os
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from analytics import rollups, selectors
from analytics import services as analytics_services
from analytics import tasks as analytics_tasks
from analytics.figures import AnalyticsFilters
from analytics.models import LeadRollup
from core.changes import data_changed
from leads import services as lead_services
from leads.choices import LeadStatus
from leads.models import Lead
from orders import services as order_services
from pcm.celery import app as celery_app
from service import services as service_services
from tests.factories import LeadFactory
from tests.orders.conftest import enter_order, make_shop

pytestmark = pytest.mark.django_db(transaction=True)


def wide() -> AnalyticsFilters:
    today = timezone.localdate()
    return AnalyticsFilters(start=today - timedelta(days=60), end=today, preset="custom")


def lead_counts(user) -> dict[str, int]:
    return selectors.summary(user, wide())["leads"]["by_status"]


def order_counts(user) -> dict[str, int]:
    return selectors.summary(user, wide())["orders"]["by_status"]


def resolution(user) -> dict[str, object]:
    figure = selectors.figure(user, wide(), "service.resolution")
    assert figure is not None
    return {row[0]: row[1] for row in figure.rows}


def dispatched_lead(world, **fields) -> Lead:
    now = timezone.now()
    return LeadFactory(
        partner=world.a, status=LeadStatus.DISPATCHED, dispatched_at=now, accept_by=now + timedelta(hours=48),
        **fields,
    )  # fmt: skip


def test_accepting_a_lead_shows_on_both_dashboards_at_once(world):
    lead = dispatched_lead(world)
    rollups.rebuild_all()
    assert (lead_counts(world.admin)["dispatched"], lead_counts(world.admin)["accepted"]) == (1, 0)
    # Written behind the services' back: the dashboards read roll-ups, so this lead does not show yet.
    dispatched_lead(world)
    assert lead_counts(world.admin)["dispatched"] == 1

    lead_services.lead_accept(lead=lead, actor=world.pm_a)

    for user in (world.admin, world.cm_a, world.pm_a):
        counts = lead_counts(user)
        # The accepted lead, and the day's other change with it (its whole day was rebuilt).
        assert (counts["accepted"], counts["dispatched"]) == (1, 1), user
    assert lead_counts(world.pm_c)["accepted"] == 0  # C's dashboard: not a number of A's


def test_shipping_an_order_shows_on_the_dashboard_at_once(world):
    shop = make_shop(world)
    order = enter_order(world.a, world.pm_a, [(shop.sensor, 2)])
    order = order_services.order_accept(order=order, actor=world.pe_a)
    order = order_services.order_confirm(order=order, actor=world.cm_a)
    assert (order_counts(world.cm_a)["confirmed"], order_counts(world.cm_a)["shipped"]) == (1, 0)

    order_services.order_ship(order=order, actor=world.admin, tracking_reference="DHL 1")

    assert (order_counts(world.cm_a)["confirmed"], order_counts(world.cm_a)["shipped"]) == (0, 1)
    assert order_counts(world.pm_a)["shipped"] == 1


def test_resolving_a_service_request_shows_on_the_dashboard_at_once(world, service):
    request = service.request(world, "a")
    assert resolution(world.pm_a)["Requests opened"] == 1
    assert resolution(world.pm_a)["Resolved"] == 0

    service_services.request_resolve(request=request, actor=world.pe_a, solution=service.drift)

    assert resolution(world.pm_a)["Resolved"] == 1
    assert resolution(world.admin)["Resolved"] == 1


def test_a_single_change_rebuilds_only_its_day(world, monkeypatch):
    """Cheap in the embedded mode: one accepted lead among leads of 30 days rebuilds one day."""
    now = timezone.now()
    for n in range(30):
        old = dispatched_lead(world)
        then = now - timedelta(days=n + 1)
        Lead.objects.filter(pk=old.pk).update(created_at=then, updated_at=then, dispatched_at=then)
    lead = dispatched_lead(world)
    rollups.rebuild_all()
    runs: list[dict[str, int]] = []
    real = analytics_services.rollups_refresh
    monkeypatch.setattr(analytics_services, "rollups_refresh", lambda: runs.append(real()) or runs[-1])

    lead_services.lead_accept(lead=lead, actor=world.pm_a)

    assert len(runs) == 1 and runs[0]["leads"] == 1
    assert lead_counts(world.admin)["accepted"] == 1


class QueueRecorder:
    """Stands in for the refresh task: records what would be queued, runs nothing."""

    def __init__(self) -> None:
        self.queued: list[dict[str, object]] = []

    def apply_async(self, **options: object) -> None:
        self.queued.append(options)


def test_a_burst_of_changes_queues_one_refresh(world, monkeypatch):
    recorder = QueueRecorder()
    real_task = analytics_tasks.refresh_rollups_task
    monkeypatch.setattr(analytics_tasks, "refresh_rollups_task", recorder)
    leads = [dispatched_lead(world) for _ in range(25)]

    for lead in leads[:20]:  # twenty transactions, each committing a change
        lead_services.lead_accept(lead=lead, actor=world.pm_a)

    assert recorder.queued == [
        {"countdown": analytics_tasks.REFRESH_DELAY, "expires": analytics_tasks.REFRESH_EXPIRES}
    ]
    # The refresh starts (and clears the flag first): the next change queues another one.
    real_task.apply()
    lead_services.lead_accept(lead=leads[20], actor=world.pm_a)
    lead_services.lead_accept(lead=leads[21], actor=world.pm_a)
    assert len(recorder.queued) == 2


def test_kinds_without_figures_queue_nothing(world, monkeypatch):
    recorder = QueueRecorder()
    monkeypatch.setattr(analytics_tasks, "refresh_rollups_task", recorder)
    with transaction.atomic():
        data_changed("test-something-else")
    assert recorder.queued == []
    with transaction.atomic():
        data_changed("mdf")
    assert len(recorder.queued) == 1


def test_a_failing_refresh_never_fails_the_change(world, monkeypatch, caplog):
    lead = dispatched_lead(world)
    rollups.rebuild_all()
    real = analytics_services.rollups_refresh

    def broken() -> dict[str, int]:
        raise RuntimeError("roll-up refresh broke")

    monkeypatch.setattr(analytics_services, "rollups_refresh", broken)
    with caplog.at_level(logging.ERROR):
        accepted = lead_services.lead_accept(lead=lead, actor=world.pm_a)

    assert accepted.status == LeadStatus.ACCEPTED
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.ACCEPTED  # committed
    assert "Could not refresh the analytics roll-ups after a change of leads" in caplog.text
    assert "roll-up refresh broke" in caplog.text
    assert cache.get(analytics_tasks.REFRESH_QUEUED_KEY) is None  # the next change tries again
    # Repaired: the next change refreshes, and catches up on the one whose refresh failed.
    monkeypatch.setattr(analytics_services, "rollups_refresh", real)
    other = dispatched_lead(world)
    lead_services.lead_accept(lead=other, actor=world.pm_a)
    assert lead_counts(world.admin)["accepted"] == 2


# --- A real worker on the real Redis broker ---------------------------------------------------------


@pytest.fixture
def worker(django_db_setup, django_db_blocker, tmp_path):
    from tests.leads.test_workers import Worker, worker_database_url

    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL: a real worker takes the refresh from Redis (CI runs with one)")
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the worker shares the test database, which SQLite in memory cannot")
    env = {
        **os.environ,
        "DATABASE_URL": worker_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "OPENPCM_VAR_DIR": str(tmp_path),
        "OPENPCM_TESTING": "1",
        "EMAIL_URL": "locmem://",
    }
    process = Worker("analytics", env)
    try:
        process.wait_ready()
        yield process
    finally:
        process.stop()


@pytest.mark.redis
@pytest.mark.postgres
def test_a_real_worker_refreshes_the_rollups_after_a_change(world, worker):
    lead = dispatched_lead(world)
    rollups.rebuild_all()
    accepted_rows = LeadRollup.objects.filter(status=LeadStatus.ACCEPTED)
    assert not accepted_rows.exists()
    celery_app.conf.task_always_eager = False  # tests/conftest.py puts it back after the test
    celery_app.conf.update(task_routes={analytics_tasks.refresh_rollups_task.name: {"queue": worker.queue}})
    try:
        lead_services.lead_accept(lead=lead, actor=world.pm_a)
        # Queued, not run here: the worker takes it REFRESH_DELAY seconds later.
        assert cache.get(analytics_tasks.REFRESH_QUEUED_KEY) == 1
        assert not accepted_rows.exists()
        deadline = time.monotonic() + 60
        while not accepted_rows.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        celery_app.conf.update(task_routes=None)
    assert accepted_rows.exists(), f"the worker did not refresh the roll-ups:\n{worker.log()}"
    assert lead_counts(world.pm_a)["accepted"] == 1
    assert "analytics.tasks.refresh_rollups_task" in worker.log()
    assert cache.get(analytics_tasks.REFRESH_QUEUED_KEY) is None  # cleared by the worker as it started
