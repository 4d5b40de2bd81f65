"""Demo catalogue: the product range of "Kestrel Automation", a brand of industrial sensors and
controllers: 14 categories in a two-level tree and 67 products with realistic names, SKUs, list
prices, UNSPSC class codes as material groups and order unit C62. Created through catalog.services
(so every product is validated and its OCI short description derived). Idempotent: products and
categories that exist (by SKU and slug) are left alone.

Then the demo partners' assortments (seed_assortments): alpine, brook and cobalt each sell different
categories and single products, at their own prices, stock and lead times. A partner that has an
assortment already is left alone."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction

from catalog import assortment, services
from catalog.models import Category, PartnerCategory, PartnerProduct, Product
from core.models import User
from partners.models import Partner

ADMIN_EMAIL = "admin@openpcm.example"

# slug, name, parent slug
CATEGORIES: list[tuple[str, str, str | None]] = [
    ("sensors", "Sensors", None),
    ("inductive-sensors", "Inductive proximity sensors", "sensors"),
    ("photoelectric-sensors", "Photoelectric sensors", "sensors"),
    ("pressure-sensors", "Pressure sensors", "sensors"),
    ("temperature-sensors", "Temperature sensors", "sensors"),
    ("level-sensors", "Level sensors", "sensors"),
    ("flow-sensors", "Flow sensors", "sensors"),
    ("controllers", "Controllers", None),
    ("compact-plcs", "Compact PLCs", "controllers"),
    ("temperature-controllers", "Temperature controllers", "controllers"),
    ("io-modules", "I/O modules", "controllers"),
    ("accessories", "Accessories", None),
    ("cables-connectors", "Cables and connectors", "accessories"),
    ("mounting", "Mounting and reflectors", "accessories"),
]
# category slug -> UNSPSC class used as the material group
MATERIAL_GROUPS = {
    "inductive-sensors": "39122200",
    "photoelectric-sensors": "39122200",
    "pressure-sensors": "41112400",
    "temperature-sensors": "41112200",
    "level-sensors": "41112100",
    "flow-sensors": "41112500",
    "compact-plcs": "32151700",
    "temperature-controllers": "39121500",
    "io-modules": "32151700",
    "cables-connectors": "26121600",
    "mounting": "31162400",
}


def _inductive() -> list[dict[str, Any]]:
    rows = []
    for size, ranges, base in (
        ("M8", (2, 4), 39),
        ("M12", (4, 8), 44),
        ("M18", (8, 12), 52),
        ("M30", (15, 22), 68),
    ):
        for flush, sensing in (("flush", ranges[0]), ("non-flush", ranges[1])):
            code = f"KA-IS{size[1:]}-{sensing:02d}{'F' if flush == 'flush' else 'N'}PN"
            rows.append({
                "sku": code,
                "name": f"Inductive proximity sensor {size}, {flush}, {sensing} mm, PNP NO, M12 connector",
                "list_price": Decimal(base + (6 if flush == "non-flush" else 0)) + Decimal("0.90"),
                "attributes": {"Housing": f"{size} × 1, stainless steel", "Sensing range": f"{sensing} mm",
                               "Output": "PNP, normally open", "Supply voltage": "10–30 V DC",
                               "Protection": "IP67"},
            })  # fmt: skip
    return rows


def _photoelectric() -> list[dict[str, Any]]:
    kinds = [
        ("DF", "Diffuse photoelectric sensor", "800 mm", 79),
        ("RR", "Retro-reflective photoelectric sensor with polarisation filter", "6 m", 94),
        ("TB", "Through-beam photoelectric sensor pair, emitter and receiver", "20 m", 139),
        ("BG", "Background suppression sensor", "50–500 mm", 119),
        ("FO", "Fibre-optic amplifier with teach-in", "depends on fibre", 149),
        ("CS", "Contrast sensor for print marks", "12 mm", 269),
        ("LS", "Laser distance sensor, analogue 4–20 mA", "0.1–3 m", 459),
    ]
    return [
        {
            "sku": f"KA-PE-{code}{i + 1:02d}",
            "name": f"{name}, range {reach}",
            "list_price": Decimal(price) + Decimal("0.00"),
            "attributes": {
                "Range": reach,
                "Light": "red LED" if code != "LS" else "laser class 1",
                "Output": "PNP/NPN selectable",
                "Protection": "IP67",
            },
        }  # fmt: skip
        for i, (code, name, reach, price) in enumerate(kinds)
    ]


def _pressure() -> list[dict[str, Any]]:
    rows = []
    for span, price in (
        ("0–1 bar", 189),
        ("0–10 bar", 189),
        ("0–16 bar", 199),
        ("0–40 bar", 209),
        ("-1–1 bar", 219),
    ):
        sku = "KA-PT-" + span.replace("–", "-").replace(" bar", "B").replace("-1-1", "V1")
        rows.append({
            "sku": sku,
            "name": f"Pressure transmitter {span}, 4–20 mA, G1/4 process connection",
            "list_price": Decimal(price),
            "attributes": {"Measuring range": span, "Output": "4–20 mA, 2-wire", "Accuracy": "±0.25 % FS",
                           "Process connection": "G1/4 male"},
        })  # fmt: skip
    rows.append({
        "sku": "KA-PS-10-DISP",
        "name": "Electronic pressure switch 0–10 bar with display, two switching outputs and IO-Link",
        "list_price": Decimal("249.00"),
        "attributes": {"Measuring range": "0–10 bar", "Outputs": "2 × PNP", "Interface": "IO-Link 1.1"},
    })  # fmt: skip
    return rows


def _temperature() -> list[dict[str, Any]]:
    rows = []
    for length in (50, 100, 150, 250):
        rows.append({
            "sku": f"KA-RTD-PT100-{length}",
            "name": f"Resistance thermometer Pt100, class A, probe length {length} mm, M12 connector",
            "list_price": Decimal(72 + length // 10),
            "attributes": {"Element": "Pt100, class A, 4-wire", "Probe": f"Ø 6 × {length} mm", "Range": "-50–200 °C"},
        })  # fmt: skip
    rows += [
        {"sku": "KA-TC-K-200", "name": "Thermocouple type K, mineral insulated, 200 mm",
         "list_price": Decimal("58.50"), "attributes": {"Type": "K", "Range": "0–1,100 °C"}},
        {"sku": "KA-TT-HART", "name": "Head-mounted temperature transmitter, HART, Pt100 and thermocouple inputs",
         "list_price": Decimal("214.00"), "attributes": {"Output": "4–20 mA, HART 7", "Inputs": "RTD, TC, mV"}},
    ]  # fmt: skip
    return rows


def _level() -> list[dict[str, Any]]:
    return [
        {"sku": "KA-LV-VIB-150", "name": "Vibrating fork level switch for liquids, 150 mm",
         "list_price": Decimal("289.00"), "attributes": {"Medium": "liquids", "Output": "PNP"}},
        {"sku": "KA-LV-CAP-250", "name": "Capacitive level sensor, 250 mm rod, analogue output",
         "list_price": Decimal("329.00"), "attributes": {"Rod": "250 mm", "Output": "4–20 mA"}},
        {"sku": "KA-LV-RAD-15", "name": "Radar level transmitter 80 GHz, range 15 m, 4–20 mA HART",
         "list_price": Decimal("1290.00"), "attributes": {"Frequency": "80 GHz", "Range": "15 m"}},
        {"sku": "KA-LV-US-6", "name": "Ultrasonic level sensor, range 6 m",
         "list_price": Decimal("459.00"), "attributes": {"Range": "0.3–6 m", "Output": "4–20 mA"}},
        {"sku": "KA-LV-FLT-2", "name": "Float switch, polypropylene, 2 m cable",
         "list_price": Decimal("34.90"), "attributes": {"Cable": "2 m PVC"}},
        {"sku": "KA-LV-HYD-5", "name": "Submersible hydrostatic level probe 0–5 m H2O",
         "list_price": Decimal("389.00"), "attributes": {"Range": "0–5 m H2O"}},
    ]  # fmt: skip


def _flow() -> list[dict[str, Any]]:
    return [
        {"sku": f"KA-FL-MAG-DN{dn}", "name": f"Electromagnetic flow meter DN{dn}, PN16 flanges, 24 V DC",
         "list_price": Decimal(price), "attributes": {"Nominal size": f"DN{dn}", "Accuracy": "±0.5 %"}}
        for dn, price in ((15, 1190), (25, 1290), (50, 1590))
    ] + [
        {"sku": "KA-FL-CAL-G12", "name": "Calorimetric flow switch, G1/2, for water and oil",
         "list_price": Decimal("198.00"), "attributes": {"Process connection": "G1/2"}},
        {"sku": "KA-FL-VOR-DN25", "name": "Vortex flow meter DN25 for steam and gases",
         "list_price": Decimal("1890.00"), "attributes": {"Nominal size": "DN25"}},
    ]  # fmt: skip


def _plcs() -> list[dict[str, Any]]:
    rows = []
    for io, price in ((("8 DI", "6 DO"), 289), (("14 DI", "10 DO"), 389), (("24 DI", "16 DO"), 549)):
        rows.append({
            "sku": f"KA-PLC-C{io[0].split()[0]}",
            "name": f"Compact PLC 24 V DC, {io[0]} / {io[1]} transistor, Ethernet and Modbus TCP",
            "list_price": Decimal(price),
            "attributes": {"Inputs": io[0], "Outputs": io[1], "Memory": "2 MB program", "Interfaces": "Ethernet, RS-485"},
        })  # fmt: skip
    rows += [
        {"sku": "KA-PLC-R12", "name": "Compact PLC 230 V AC, 8 DI / 4 relay outputs",
         "list_price": Decimal("259.00"), "attributes": {"Outputs": "4 × relay 2 A"}},
        {"sku": "KA-HMI-7", "name": "Touch panel 7 inch for Kestrel PLCs",
         "list_price": Decimal("499.00"), "attributes": {"Display": "7 inch, 800 × 480"}},
        {"sku": "KA-PLC-SW", "name": "Kestrel Studio programming software, single licence",
         "list_price": Decimal("149.00"), "attributes": {"Delivery": "licence key by e-mail"}},
    ]  # fmt: skip
    return rows


def _temperature_controllers() -> list[dict[str, Any]]:
    return [
        {"sku": f"KA-TCR-{size}", "name": f"PID temperature controller {size.replace('x', ' × ')} mm, relay and SSR outputs",
         "list_price": Decimal(price), "attributes": {"Panel cut-out": size.replace("x", " × ") + " mm"}}
        for size, price in (("48x24", 98), ("48x48", 118), ("96x48", 139), ("96x96", 169))
    ] + [
        {"sku": "KA-TCR-DIN-2", "name": "Two-loop temperature controller for DIN rail, Modbus RTU",
         "list_price": Decimal("229.00"), "attributes": {"Loops": 2}},
    ]  # fmt: skip


def _io_modules() -> list[dict[str, Any]]:
    modules = [
        ("DI16", "Digital input module, 16 × 24 V DC", 129),
        ("DO16", "Digital output module, 16 × 24 V DC, 0.5 A", 139),
        ("AI4", "Analogue input module, 4 × 4–20 mA / 0–10 V, 16 bit", 219),
        ("AO4", "Analogue output module, 4 × 4–20 mA / 0–10 V", 239),
        ("RTD4", "Temperature input module, 4 × Pt100 / Pt1000", 249),
        ("IOL8", "IO-Link master module, 8 ports, IP67", 489),
    ]
    return [
        {"sku": f"KA-IO-{code}", "name": name, "list_price": Decimal(price), "attributes": {"Bus": "Kestrel backplane"}}
        for code, name, price in modules
    ]  # fmt: skip


def _cables() -> list[dict[str, Any]]:
    rows = [
        {"sku": f"KA-CB-M12-4P-{length}M", "name": f"Sensor cable M12 female, 4-pin, straight, PUR, {length} m",
         "list_price": Decimal(price), "attributes": {"Length": f"{length} m", "Jacket": "PUR, halogen-free"}}
        for length, price in ((2, "9.80"), (5, "13.40"), (10, "19.90"))
    ]  # fmt: skip
    rows += [
        {"sku": "KA-CB-M12-4P-5M-A", "name": "Sensor cable M12 female, 4-pin, angled, PUR, 5 m",
         "list_price": Decimal("14.20"), "attributes": {"Length": "5 m"}},
        {"sku": "KA-CN-M12-FA", "name": "Field-wireable connector M12 female, 4-pin",
         "list_price": Decimal("7.60"), "attributes": {}},
        {"sku": "KA-CN-Y-M12", "name": "Y distributor M12, two sensors to one port",
         "list_price": Decimal("16.50"), "attributes": {}},
    ]  # fmt: skip
    return rows


def _mounting() -> list[dict[str, Any]]:
    return [
        {"sku": f"KA-MB-{size}", "name": f"Mounting bracket for {size} sensors, stainless steel, price per 10",
         "list_price": Decimal(price), "price_unit": 10, "attributes": {"Material": "stainless steel 1.4301"}}
        for size, price in (("M8", "38.00"), ("M12", "45.00"), ("M18", "52.00"), ("M30", "64.00"))
    ] + [
        {"sku": "KA-RF-50", "name": "Reflector Ø 50 mm for retro-reflective sensors",
         "list_price": Decimal("11.90"), "attributes": {"Diameter": "50 mm"}},
        {"sku": "KA-RF-TAPE-1M", "name": "Reflective tape, micro-prism, 1 m roll",
         "list_price": Decimal("24.50"), "order_unit": "MTR", "attributes": {"Width": "25 mm"}},
    ]  # fmt: skip


PRODUCTS: dict[str, Any] = {
    "inductive-sensors": _inductive,
    "photoelectric-sensors": _photoelectric,
    "pressure-sensors": _pressure,
    "temperature-sensors": _temperature,
    "level-sensors": _level,
    "flow-sensors": _flow,
    "compact-plcs": _plcs,
    "temperature-controllers": _temperature_controllers,
    "io-modules": _io_modules,
    "cables-connectors": _cables,
    "mounting": _mounting,
}


def demo_products() -> list[tuple[str, dict[str, Any]]]:
    """(category slug, product fields) of every demo product."""
    return [(slug, row) for slug, make in PRODUCTS.items() for row in make()]


def seed_catalog(**_: Any) -> int:
    """Create the demo catalogue's missing categories and products; returns how many it created."""
    admin = User.objects.filter(email=ADMIN_EMAIL).first()
    if admin is None:
        return 0
    with transaction.atomic():
        created = _seed(admin)
        seed_assortments(admin)
        return created


def _seed(admin: User) -> int:
    created = 0
    categories = {c.slug: c for c in Category.objects.filter(slug__in=[slug for slug, _, _ in CATEGORIES])}
    for slug, name, parent in CATEGORIES:
        if slug not in categories:
            categories[slug] = services.category_create(
                actor=admin,
                fields={"name": name, "slug": slug, "parent": categories[parent] if parent else None},
            )
            created += 1
    rows = demo_products()
    existing = set(
        Product.objects.filter(sku__in=[row["sku"] for _, row in rows]).values_list("sku", flat=True)
    )
    for slug, row in rows:
        if row["sku"] in existing:
            continue
        fields = {
            "currency": "EUR",
            "order_unit": "C62",
            "price_unit": 1,
            "material_group": MATERIAL_GROUPS[slug],
            "manufacturer_part_number": row["sku"].removeprefix("KA-"),
            "long_description": f"{row['name']}. Made by Kestrel Automation; datasheet and CAD data on request.",
            **row,
            "category": categories[slug],
        }
        services.product_create(actor=admin, fields=fields)
        created += 1
    return created


# partner slug -> (whole categories, {category slug of single products: (price factor or None, stock
# base or None, lead time days or None)})
ASSORTMENTS: dict[str, tuple[list[str], dict[str, tuple[Decimal | None, int | None, int | None]]]] = {
    "alpine": (
        ["sensors", "cables-connectors"],
        {
            "inductive-sensors": (Decimal("0.95"), 40, 2),
            "pressure-sensors": (Decimal("0.97"), 12, 3),
            "compact-plcs": (None, 4, 10),
        },
    ),
    "brook": (
        ["controllers"],
        {
            "level-sensors": (Decimal("1.05"), 0, 14),
            "temperature-controllers": (Decimal("0.92"), 25, 5),
            "mounting": (None, None, 7),
        },
    ),
    "cobalt": (
        ["flow-sensors", "temperature-sensors", "accessories"],
        {
            "photoelectric-sensors": (Decimal("1.10"), 8, 21),
            "io-modules": (None, None, 28),
        },
    ),
}


def seed_assortments(admin: User) -> int:
    """Give the demo partners their assortments (through catalog.assortment); answers how many
    partners got one. Partners that are missing or have an assortment already are left alone."""
    partners = Partner.objects.filter(slug__in=ASSORTMENTS).order_by("slug")
    categories = {c.slug: c for c in Category.objects.all()}
    seeded = 0
    for partner in partners:
        has_one = (
            PartnerCategory.objects.filter(partner=partner).exists()
            or PartnerProduct.objects.filter(partner=partner).exists()
        )
        if has_one:
            continue
        whole, singles = ASSORTMENTS[partner.slug]
        products: list[dict[str, Any]] = []
        for slug, (factor, stock, lead) in singles.items():
            if slug not in categories:
                continue
            rows = Product.objects.filter(category=categories[slug], active=True).order_by("sku")
            for index, product in enumerate(rows):
                price = (
                    (product.list_price * factor).quantize(Decimal("0.01")) if factor is not None else None
                )
                products.append(
                    {
                        "product": product.pk,
                        "price": price,
                        "stock": None if stock is None else stock + (index * 7) % 30,
                        "lead_time_days": lead,
                    }
                )
        assortment.assortment_replace(
            actor=admin,
            partner=partner,
            category_ids=[categories[slug].pk for slug in whole if slug in categories],
            products=products,
        )
        seeded += 1
    return seeded
