"""CSV and JSON catalogue exports (showroom.bmecat.write_csv / write_json): the same items as BMEcat, streamed
in chunks, money with a decimal point, an empty catalogue refused."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest

from showroom.bmecat import CSV_COLUMNS, EmptyCatalogueError, ExportError, ExportItem, write_csv, write_json


def item(**overrides) -> ExportItem:
    values = {
        "sku": "IPS-M12-PNP",
        "name": "Inductive proximity sensor M12",
        "price": Decimal("49.90"),
        "currency": "EUR",
        "short_description": "Flush mount",
        "long_description": "Stainless steel housing,\nIP67.",
        "manufacturer_part_number": "BES M12MI",
        "manufacturer_name": "Acme",
        "material_group": "41111900",
        "category_id": "11",
        "category_name": "Inductive sensors",
        "stock": 120,
        "lead_time_days": 3,
        "image_url": "/media/p/1.jpg",
    }
    return ExportItem(**(values | overrides))


def csv_rows(items, **kwargs) -> list[list[str]]:
    data = b"".join(write_csv(items, **kwargs))
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def json_objects(items, **kwargs) -> list[dict]:
    return json.loads(b"".join(write_json(items, **kwargs)))


def test_csv_has_a_header_and_one_row_per_product():
    rows = csv_rows(
        [
            item(),
            item(
                sku="PT-10", price=Decimal("1E+3"), price_unit=Decimal(100), stock=None, lead_time_days=None
            ),
        ]
    )
    assert rows[0] == list(CSV_COLUMNS)
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first == {
        "sku": "IPS-M12-PNP",
        "name": "Inductive proximity sensor M12",
        "short_description": "Flush mount",
        "long_description": "Stainless steel housing,\nIP67.",
        "price": "49.90",
        "currency": "EUR",
        "price_unit": "1",
        "order_unit": "C62",
        "manufacturer_part_number": "BES M12MI",
        "manufacturer_name": "Acme",
        "material_group": "41111900",
        "category_id": "11",
        "category_name": "Inductive sensors",
        "stock": "120",
        "lead_time_days": "3",
        "image_url": "/media/p/1.jpg",
    }
    second = dict(zip(rows[0], rows[2], strict=True))
    assert (second["price"], second["price_unit"], second["stock"], second["lead_time_days"]) == (
        "1000",
        "100",
        "",
        "",
    )
    assert len(rows) == 3


def test_csv_keeps_special_characters():
    name = 'Relay "K1", 24 V; Größe ÄÖÜ 😀'
    rows = csv_rows([item(name=name)])
    assert rows[1][1] == name


def test_csv_defuses_text_cells_a_spreadsheet_would_run_but_keeps_identifiers_exact():
    rows = csv_rows(
        [
            item(
                sku="-SKU",
                name='=HYPERLINK("http://evil")',
                category_name="@cat",
                manufacturer_part_number="+49-1",
            )
        ]
    )
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["name"] == '\'=HYPERLINK("http://evil")'
    assert row["category_name"] == "'@cat"
    assert (row["sku"], row["manufacturer_part_number"]) == ("-SKU", "+49-1")

    raw = dict(zip(rows[0], csv_rows([item(name="=1+1")], defuse_formulas=False)[1], strict=True))
    assert raw["name"] == "=1+1"


def test_json_is_one_array_with_money_as_decimal_strings():
    objects = json_objects([item(), item(sku="B", price=Decimal("0.5"), stock=None, lead_time_days=None)])
    assert [o["sku"] for o in objects] == ["IPS-M12-PNP", "B"]
    assert set(objects[0]) == set(CSV_COLUMNS)
    assert objects[0]["price"] == "49.90" and objects[0]["price_unit"] == "1"
    assert objects[0]["stock"] == 120 and objects[0]["lead_time_days"] == 3
    assert (
        objects[1]["price"] == "0.5" and objects[1]["stock"] is None and objects[1]["lead_time_days"] is None
    )


def test_json_keeps_unicode_readable_and_escapes_what_json_must():
    name = 'Quote " backslash \\ tab \t Größe 😀 </script>'
    data = b"".join(write_json([item(name=name)]))
    assert "Größe 😀".encode() in data
    assert json.loads(data)[0]["name"] == name


@pytest.mark.parametrize("writer", [write_csv, write_json])
def test_output_streams_in_chunks(writer):
    pulled = 0

    def source():
        nonlocal pulled
        for n in range(10):
            pulled += 1
            yield item(sku=f"S{n}")

    progress: list[int] = []
    chunks = writer(source(), chunk_size=4, on_progress=progress.append)
    assert pulled == 1
    first = next(chunks)
    assert pulled <= 5
    rest = list(chunks)
    assert pulled == 10
    assert progress == [4, 8, 10]
    data = first + b"".join(rest)
    if writer is write_json:
        assert [o["sku"] for o in json.loads(data)] == [f"S{n}" for n in range(10)]
    else:
        assert [r[0] for r in csv.reader(io.StringIO(data.decode()))][1:] == [f"S{n}" for n in range(10)]


@pytest.mark.parametrize("writer", [write_csv, write_json])
def test_empty_catalogue_is_refused_at_the_call(writer):
    with pytest.raises(EmptyCatalogueError, match="The catalogue is empty"):
        writer(iter([]))


@pytest.mark.parametrize("writer", [write_csv, write_json])
@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"price": 1.5}, "price must be a Decimal"),
        ({"price": Decimal("-2")}, "non-negative"),
        ({"price_unit": Decimal(0)}, "positive"),
        ({"stock": "12"}, "stock must be a whole number"),
        ({"lead_time_days": -3}, "lead time"),
        ({"sku": ""}, "has no SKU"),
    ],
)
def test_bad_values_raise_a_clear_error(writer, overrides, message):
    with pytest.raises(ExportError, match=message):
        b"".join(writer([item(), item(**overrides)]))


@pytest.mark.parametrize("writer", [write_csv, write_json])
def test_a_lone_surrogate_does_not_break_the_export(writer):
    data = b"".join(writer([item(name="bad \udc80 text")]))
    assert b"bad ? text" in data


def test_int_category_ids_and_missing_values():
    objects = json_objects([item(category_id=11), item(sku="B", category_id=None)])
    assert [o["category_id"] for o in objects] == ["11", None]
    rows = csv_rows([item(category_id=11), item(sku="B", category_id=None)])
    assert [r[CSV_COLUMNS.index("category_id")] for r in rows[1:]] == ["11", ""]
