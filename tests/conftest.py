"""Shared fixtures: the personas of STYLE.md and the access-matrix world."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest
from django.core.cache import cache

from core.models import User
from partners.choices import PartnerType, Role
from partners.models import Partner, Tier
from pcm.celery import app as celery_app
from tests.factories import PartnerFactory, TierFactory, channel_user, partner_user


@pytest.fixture(autouse=True)
def _clean_cache_and_inline_tasks():
    """Rate-limit counters must not leak between tests; tasks run in-process unless a test starts a
    real worker (those tests set task_always_eager back to False themselves)."""
    cache.clear()
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = eager
    cache.clear()


@dataclass
class World:
    """Distributor A with reseller B under it, independent reseller C, and people around them."""

    registered: Tier
    silver: Tier
    gold: Tier
    platinum: Tier
    a: Partner
    b: Partner
    c: Partner
    admin: User
    cm_a: User  # channel manager of A (and so of B, A's reseller)
    cm_c: User  # channel manager of C
    pm_a: User
    pe_a: User
    pm_b: User
    pm_c: User
    pe_c: User


@pytest.fixture
def world(db) -> World:
    registered = TierFactory(name="Registered", rank=1, routing_weight=1)
    silver = TierFactory(name="Silver", rank=2, routing_weight=2)
    gold = TierFactory(name="Gold", rank=3, routing_weight=4)
    platinum = TierFactory(name="Platinum", rank=4, routing_weight=8)
    a = PartnerFactory(name="Alpha Distribution", slug="alpha", type=PartnerType.DISTRIBUTOR, tier=gold)
    b = PartnerFactory(name="Beta Resale", slug="beta", parent=a, tier=silver, country="AT", city="Vienna")
    c = PartnerFactory(name="Gamma Services", slug="gamma", tier=silver, country="FR", city="Lyon")
    admin = channel_user(Role.CHANNEL_ADMIN, email="admin@test.example")
    cm_a = channel_user(Role.CHANNEL_MANAGER, email="cm.a@test.example")
    cm_c = channel_user(Role.CHANNEL_MANAGER, email="cm.c@test.example")
    a.managers.add(cm_a)
    c.managers.add(cm_c)
    return World(
        registered=registered,
        silver=silver,
        gold=gold,
        platinum=platinum,
        a=a,
        b=b,
        c=c,
        admin=admin,
        cm_a=cm_a,
        cm_c=cm_c,
        pm_a=partner_user(a, Role.PARTNER_MANAGER, email="pm@alpha.example"),
        pe_a=partner_user(a, Role.PARTNER_EMPLOYEE, email="pe@alpha.example"),
        pm_b=partner_user(b, Role.PARTNER_MANAGER, email="pm@beta.example"),
        pm_c=partner_user(c, Role.PARTNER_MANAGER, email="pm@gamma.example"),
        pe_c=partner_user(c, Role.PARTNER_EMPLOYEE, email="pe@gamma.example"),
    )


@pytest.fixture
def login(client):
    """login(user) logs the test client in as that user and returns the client."""

    def _login(user: User):
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def on_postgres() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


def pytest_collection_modifyitems(config, items):
    """Browser tests need /usr/bin/chromium; without it they are deselected (and said so)."""
    if os.path.exists("/usr/bin/chromium"):
        return
    skip = pytest.mark.skip(reason="no /usr/bin/chromium on this machine")
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def funds(world, settings, tmp_path):
    """MDF: an open programme (budget 100,000 EUR, second approval above 20,000) with allocations
    A 50,000, B 10,000, C 30,000 (tests/mdf/conftest.py's make_funds); proof files are stored under
    the test's own directory."""
    from tests.mdf.conftest import make_funds

    settings.MEDIA_ROOT = tmp_path / "media"
    return make_funds(world)


@pytest.fixture
def service(world, settings, tmp_path):
    """Service: customers of A, B and C, two products and a knowledge base with two published
    solutions and a draft (tests/service/conftest.py's make_service); attachments are stored under the
    test's own directory."""
    from tests.service.conftest import make_service

    settings.MEDIA_ROOT = tmp_path / "media"
    return make_service(world)
