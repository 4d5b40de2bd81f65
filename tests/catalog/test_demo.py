"""The demo catalogue: at least 60 products in at least 6 categories, valid by the services' rules,
loaded by seed_demo before the leads, and idempotent."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from catalog.demo import seed_catalog
from catalog.models import Category, Product
from core.demo import _SEEDERS
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_catalogue_seeder_runs_before_the_leads():
    order = {name: position for position, name, _ in _SEEDERS}
    assert order["catalog"] < order["leads"]


def test_seed_creates_a_realistic_catalogue_once():
    UserFactory(email="admin@openpcm.example", is_superuser=True)
    created = seed_catalog()
    products, categories = Product.objects.count(), Category.objects.count()
    assert products >= 60 and categories >= 6 and created == products + categories
    leaves = Category.objects.filter(parent__isnull=False)
    assert leaves.count() >= 6 and all(c.products.exists() for c in leaves)
    assert set(Product.objects.values_list("order_unit", flat=True)) <= {"C62", "MTR"}
    assert all(len(g) == 8 and g.isdigit() for g in Product.objects.values_list("material_group", flat=True))
    assert Product.objects.filter(short_description_auto=True, short_description__endswith="…").exists()
    assert seed_catalog() == 0
    assert (Product.objects.count(), Category.objects.count()) == (products, categories)


def test_without_the_demo_admin_nothing_is_seeded():
    assert seed_catalog() == 0 and not Product.objects.exists()


def test_seed_demo_loads_the_catalogue(settings):
    settings.DEMO_DATA_ALLOWED = True
    call_command("seed_demo")
    assert Product.objects.filter(sku="KA-PT-0-10B", category__slug="pressure-sensors").exists()
    assert Product.objects.count() >= 60
