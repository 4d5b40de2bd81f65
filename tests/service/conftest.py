"""Service fixtures: a small catalogue, a customer per partner of the access world, a knowledge base
(published solutions and a draft), and helpers that register and move service requests through the
services (never by writing rows directly)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.models import Category, Product
from customers.models import Customer
from customers.services import customer_match_or_create
from service import services
from service.models import ServiceRequest, Solution

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def pdf(name: str = "log.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def png(name: str = "photo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG_BYTES, content_type="image/png")


@dataclass
class Service:
    """The service world on top of tests.conftest.World: customers of A, B and C, two products, and
    the knowledge base (`drift` and `flicker` published, `draft` not)."""

    category: Category
    sensor: Product
    plc: Product
    customers: dict[str, Customer]
    drift: Solution
    flicker: Solution
    draft: Solution

    def worker(self, world, key: str):
        """Who registers a request for partner `key` by default: A's employee, B's and C's managers."""
        return {"a": world.pe_a, "b": world.pm_b, "c": world.pe_c}[key]

    def request(self, world, key: str = "a", actor=None, **kw) -> ServiceRequest:
        fields = {
            "subject": "Pressure reading drifts after warm-up",
            "description": "The transmitter drifts by 2 % during the first hour.",
            "customer": self.customers[key],
            "product": self.sensor,
        } | kw
        return services.request_create(actor=actor or self.worker(world, key), **fields)


def make_service(world) -> Service:
    category = Category.objects.create(name="Pressure sensors", slug="pressure-sensors-t")
    sensor = Product.objects.create(
        sku="KA-PT-0-10B",
        name="Pressure transmitter 0–10 bar",
        list_price=Decimal("189.00"),
        category=category,
    )
    plc = Product.objects.create(
        sku="KA-PLC-C14", name="Compact PLC 14 DI / 10 DO", list_price=Decimal("389.00"), category=category
    )
    customers = {
        key: customer_match_or_create(
            partner_id=partner.pk,
            company=f"Customer of {partner.name}",
            email=f"buyer@{partner.slug}-customer.example",
        )
        for key, partner in (("a", world.a), ("b", world.b), ("c", world.c))
    }
    drift = services.solution_create(
        actor=world.admin,
        fields={
            "title": "Pressure reading drifts after warm-up",
            "problem": "The transmitter shows a correct value when cold, but the reading drifts with hot media.",
            "solution": "Mount it on a siphon so the cell stays below 85 °C, then adjust the zero.",
            "tags": "drift, temperature, siphon",
            "published": True,
        },
        products=[sensor],
        categories=[category],
    )
    flicker = services.solution_create(
        actor=world.admin,
        fields={
            "title": "Inductive sensor switches without a target",
            "problem": "The LED flickers and the input toggles when the conveyor motor runs.",
            "solution": "Route the cable away from motor cables; use a flush sensor in metal.",
            "tags": "false trigger, EMC",
            "published": True,
        },
    )
    draft = services.solution_create(
        actor=world.admin,
        fields={
            "title": "Secret draft about pressure drift",
            "problem": "Pressure drift, still being written.",
            "solution": "Not ready yet.",
            "published": False,
        },
    )
    return Service(
        category=category,
        sensor=sensor,
        plc=plc,
        customers=customers,
        drift=drift,
        flicker=flicker,
        draft=draft,
    )


__all__ = ["PDF_BYTES", "PNG_BYTES", "Service", "make_service", "pdf", "png"]
