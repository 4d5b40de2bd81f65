"""Data for the analytics page tests, made through the services of leads, orders and MDF (never by
writing rows), then rolled up (analytics.rollups.rebuild_all) as the periodic refresh would.

Every partner's money is distinctive (won revenue, order value, MDF allocation), so a test can
assert that one partner's numbers never reach a person who must not see them, not even inside a
total: `forbidden_strings` lists every sum that includes such a partner, as the page, CSV and XLSX
would write it."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from decimal import Decimal
from itertools import combinations
from xml.etree import ElementTree

from leads import services as lead_services
from tests.mdf.conftest import make_funds
from tests.orders.conftest import enter_order, make_shop

D = Decimal
KEYS = ("a", "b", "c")  # distributor A, its reseller B, independent C
WON = {"a": D("4321.09"), "b": D("617.28"), "c": D("98765.43")}
# Order value: A sells the sensor at its list price 49.90, B at 45.00, C the valve at 80.00.
ORDER_QUANTITY = {"a": 3, "b": 7, "c": 977}
ORDER_VALUE = {"a": D("149.70"), "b": D("315.00"), "c": D("78160.00")}
ALLOCATION = {"a": D("52468.00"), "b": D("10864.00"), "c": D("31337.00")}
MEASURES = (WON, ORDER_VALUE, ALLOCATION)


def partner_of(world, key):
    return getattr(world, key)


def manager_of(world, key):
    return getattr(world, f"pm_{key}")


def won_leads(world, key: str, count: int = 1, *, value: Decimal | None = None) -> None:
    """`count` leads dispatched by hand to the partner, accepted and won, together worth
    WON[key] (or `value` each)."""
    partner, manager = partner_of(world, key), manager_of(world, key)
    for number in range(count):
        lead = lead_services.lead_create(
            actor=world.admin,
            fields={"company": f"Prospect {key}{number} AG", "country": partner.country, "city": "Munich"},
            route=False,
        )
        lead = lead_services.lead_dispatch_to(lead=lead, actor=world.admin, partner=partner)
        lead = lead_services.lead_accept(lead=lead, actor=manager)
        amount = value if value is not None else (WON[key] if number == 0 else D("0.00"))
        lead_services.lead_mark_won(lead=lead, actor=manager, value=amount)


def open_lead(world, key: str) -> None:
    """A lead dispatched to the partner and not yet accepted (the funnel's "dispatched")."""
    lead = lead_services.lead_create(
        actor=world.admin,
        fields={"company": f"Open prospect {key} GmbH", "country": partner_of(world, key).country},
        route=False,
    )
    lead_services.lead_dispatch_to(lead=lead, actor=world.admin, partner=partner_of(world, key))


def orders(world, shop, key: str, count: int = 1) -> None:
    """`count` submitted orders of the partner; the first worth ORDER_VALUE[key], the others one
    unit each."""
    product = shop.valve if key == "c" else shop.sensor
    for number in range(count):
        quantity = ORDER_QUANTITY[key] if number == 0 else 1
        enter_order(partner_of(world, key), manager_of(world, key), [(product, quantity)])


def rebuild() -> None:
    from analytics import rollups

    rollups.rebuild_all()


def make_data(world, *, leads: int = 1, order_count: int = 1):
    """Leads (won and open), orders and MDF allocations for A, B and C, rolled up."""
    shop = make_shop(world)
    funds = make_funds(world, a=str(ALLOCATION["a"]), b=str(ALLOCATION["b"]), c=str(ALLOCATION["c"]))
    for key in KEYS:
        won_leads(world, key, leads)
        open_lead(world, key)
        orders(world, shop, key, order_count)
    rebuild()
    return shop, funds


def forbidden_strings(hidden: set[str]) -> set[str]:
    """Every sum of a measure that includes a hidden partner's value, plain and with thousands
    separators (how CSV, XLSX, JSON and the page write it)."""
    out: set[str] = set()
    for measure in MEASURES:
        for size in range(1, len(KEYS) + 1):
            for keys in combinations(KEYS, size):
                if hidden & set(keys):
                    total = sum((measure[k] for k in keys), D("0.00"))
                    out |= {f"{total:f}", f"{total:,f}"}
    return out


def visible_strings(keys: set[str]) -> set[str]:
    """Each visible partner's own values (a partner-level table shows them)."""
    return {f"{measure[k]:,f}" for measure in MEASURES for k in keys}


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8"))))


_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def xlsx_rows(content: bytes) -> list[list[str]]:
    """The first sheet's cells as text, by row (inline strings and numbers), from the zip."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheet = ElementTree.fromstring(archive.read("xl/worksheets/sheet1.xml"))
    rows: list[list[str]] = []
    for row in sheet.iterfind(".//m:sheetData/m:row", _NS):
        cells: list[str] = []
        for cell in row.iterfind("m:c", _NS):
            column = _column_index(re.sub(r"\d", "", cell.get("r", "")))
            while len(cells) < column:
                cells.append("")
            text = cell.findtext("m:is/m:t", default=None, namespaces=_NS)
            cells.append(text if text is not None else cell.findtext("m:v", default="", namespaces=_NS))
        rows.append(cells)
    return rows


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1
