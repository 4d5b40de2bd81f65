"""Fixtures of the orders tests: a small catalogue with the partners' assortments, and a helper that
enters an order through the service."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from catalog.models import PartnerCategory, PartnerProduct, Product
from orders import services
from orders.choices import OrderOrigin
from tests.catalog.conftest import make_category, make_product

CUSTOMER = {
    "company": "Kunde AG",
    "contact": "Kim Kunde",
    "email": "kim@kunde.example",
    "phone": "+49 30 1234",
    "address": "Hauptstraße 1",
    "city": "Potsdam",
    "postal_code": "14467",
    "country": "DE",
}


@dataclass
class Shop:
    """Partner A sells the whole "Sensors" category (sensor at list price 49.90, hundred-pack priced
    per 100) and the controller at its own price 450.00 (list 500.00); C sells the valve only; the
    USD pump is in A's assortment too; the retired product is inactive."""

    sensor: Product
    controller: Product
    pack: Product
    valve: Product
    pump_usd: Product
    retired: Product


@pytest.fixture
def shop(world) -> Shop:
    return make_shop(world)


def make_shop(world) -> Shop:
    sensors = make_category("Sensors", slug="sensors")
    controllers = make_category("Controllers", slug="controllers")
    sensor = make_product(sensors, sku="IS-M12", name="Inductive sensor M12", list_price=Decimal("49.90"))
    pack = make_product(
        sensors, sku="CAB-100", name="Cable ties, hundred", list_price=Decimal("12.34"), price_unit=100
    )
    controller = make_product(
        controllers, sku="PLC-1", name="Compact controller", list_price=Decimal("500.00")
    )
    valve = make_product(make_category("Valves"), sku="V-1", name="Valve", list_price=Decimal("80.00"))
    pump_usd = make_product(
        make_category("Pumps"), sku="P-US", name="Pump", list_price=Decimal("99.00"), currency="USD"
    )
    retired = make_product(sensors, sku="OLD-1", name="Old sensor", active=False)
    PartnerCategory.objects.create(partner=world.a, category=sensors)
    PartnerProduct.objects.create(partner=world.a, product=controller, price=Decimal("450.00"))
    PartnerProduct.objects.create(partner=world.a, product=pump_usd)
    PartnerProduct.objects.create(partner=world.c, product=valve)
    PartnerProduct.objects.create(partner=world.b, product=sensor, price=Decimal("45.00"))
    return Shop(
        sensor=sensor, controller=controller, pack=pack, valve=valve, pump_usd=pump_usd, retired=retired
    )


def enter_order(partner, actor, lines, *, draft=False, customer_data=None, **kwargs):
    """An order through orders.services.order_create, for the standard customer unless told."""
    return services.order_create(
        partner=partner,
        actor=actor,
        origin=kwargs.pop("origin", OrderOrigin.REPLENISHMENT),
        customer_data=customer_data if customer_data is not None else CUSTOMER,
        lines=lines,
        draft=draft,
        **kwargs,
    )
