"""BMEcat 2005 export (showroom.bmecat.write_bmecat): every document is validated against the bundled
schema (showroom/specs/bmecat_2005.xsd, offline, with lxml); texts are escaped and shortened, identifiers and
codes that the schema would refuse raise, an empty catalogue is refused, and the output streams."""

from __future__ import annotations

import tracemalloc
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from lxml import etree

from showroom.bmecat import (
    BMECAT_NAMESPACE,
    SCHEMA_PATH,
    CatalogHeader,
    EmptyCatalogueError,
    ExportCategory,
    ExportError,
    ExportItem,
    bmecat_currencies,
    bmecat_languages,
    bmecat_order_units,
    write_bmecat,
)

NS = {"b": BMECAT_NAMESPACE}


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    # The schema imports nothing, so no network is needed; refuse network access all the same.
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    return etree.XMLSchema(etree.parse(str(SCHEMA_PATH), parser))


def header(**overrides) -> CatalogHeader:
    values = {
        "catalog_id": "alpine-2026",
        "supplier_name": "Alpine Automation AG",
        "catalog_name": "Alpine Automation – sensors and controllers",
        "generation_date": datetime(2026, 3, 1, 8, 30, tzinfo=UTC),
    }
    return CatalogHeader(**(values | overrides))


def item(**overrides) -> ExportItem:
    values = {
        "sku": "IPS-M12-PNP",
        "name": "Inductive proximity sensor M12",
        "price": Decimal("49.90"),
        "currency": "EUR",
        "order_unit": "C62",
        "price_unit": Decimal(1),
        "short_description": "Flush mount, 4 mm range",
        "long_description": "Stainless steel housing, IP67, LED status indicator.",
        "manufacturer_part_number": "BES M12MI-PSC40B",
        "manufacturer_name": "Acme Sensors",
        "material_group": "41111900",
        "category_id": "11",
        "category_name": "Inductive sensors",
        "stock": 120,
        "lead_time_days": 3,
        "image_url": "https://cdn.example/products/ips-m12.jpg",
    }
    return ExportItem(**(values | overrides))


CATEGORIES = [
    ExportCategory("1", "Sensors"),
    ExportCategory("11", "Inductive sensors", parent_id="1", description="Proximity switches"),
    ExportCategory("12", "Pressure sensors", parent_id="1"),
    ExportCategory("2", "Controllers"),
]


def render(items, *, head: CatalogHeader | None = None, **kwargs) -> bytes:
    return b"".join(write_bmecat(head or header(), items, **kwargs))


def parse_valid(data: bytes, schema: etree.XMLSchema) -> etree._Element:
    """The parsed document; fails the test with the schema's first complaint when it is not valid."""
    root = etree.fromstring(data, etree.XMLParser(no_network=True, resolve_entities=False, huge_tree=True))
    if not schema.validate(root):
        pytest.fail(f"not valid BMEcat 2005: {schema.error_log.filter_from_errors()[:3]}")
    return root


def texts(root: etree._Element, path: str) -> list[str]:
    return [element.text for element in root.iterfind(path, NS)]


def test_catalogue_with_categories_is_valid_and_carries_every_value(schema):
    products = [
        item(),
        item(
            sku="PT-10BAR",
            name="Pressure transmitter 0–10 bar",
            price=Decimal("189"),
            category_id="12",
            price_unit=Decimal(10),
            lead_time_days=0,
            image_url="/media/products/pt.png",
        ),
        item(
            sku="PLC-S7",
            name="Compact controller",
            category_id="2",
            manufacturer_part_number="",
            material_group="",
            lead_time_days=None,
            image_url="",
            long_description="",
            short_description="",
        ),
    ]
    root = parse_valid(render(products, categories=CATEGORIES), schema)

    assert root.get("version") == "2005"
    assert texts(root, "b:HEADER/b:CATALOG/b:LANGUAGE") == ["eng"]
    assert texts(root, "b:HEADER/b:CATALOG/b:CATALOG_ID") == ["alpine-2026"]
    assert texts(root, "b:HEADER/b:CATALOG/b:GENERATION_DATE") == ["2026-03-01T08:30:00Z"]
    assert texts(root, "b:HEADER/b:SUPPLIER/b:SUPPLIER_NAME") == ["Alpine Automation AG"]

    product = root.find("b:T_NEW_CATALOG/b:PRODUCT", NS)
    assert product.findtext("b:SUPPLIER_PID", namespaces=NS) == "IPS-M12-PNP"
    details = product.find("b:PRODUCT_DETAILS", NS)
    assert details.findtext("b:DESCRIPTION_SHORT", namespaces=NS) == "Inductive proximity sensor M12"
    assert details.findtext("b:DESCRIPTION_LONG", namespaces=NS) == (
        "Flush mount, 4 mm range\n\nStainless steel housing, IP67, LED status indicator."
    )
    assert details.findtext("b:MANUFACTURER_PID", namespaces=NS) == "BES M12MI-PSC40B"
    assert details.findtext("b:MANUFACTURER_NAME", namespaces=NS) == "Acme Sensors"
    assert details.findtext("b:ERP_GROUP_SUPPLIER", namespaces=NS) == "41111900"
    assert details.findtext("b:DELIVERY_TIME", namespaces=NS) == "3"
    assert product.findtext("b:PRODUCT_ORDER_DETAILS/b:ORDER_UNIT", namespaces=NS) == "C62"
    assert product.findtext("b:PRODUCT_ORDER_DETAILS/b:PRICE_QUANTITY", namespaces=NS) == "1"
    price = product.find("b:PRODUCT_PRICE_DETAILS/b:PRODUCT_PRICE", NS)
    assert price.get("price_type") == "net_list"
    assert price.findtext("b:PRICE_AMOUNT", namespaces=NS) == "49.90"
    assert price.findtext("b:PRICE_CURRENCY", namespaces=NS) == "EUR"
    mime = product.find("b:MIME_INFO/b:MIME", NS)
    assert mime.findtext("b:MIME_TYPE", namespaces=NS) == "image/jpeg"
    assert mime.findtext("b:MIME_SOURCE", namespaces=NS) == "https://cdn.example/products/ips-m12.jpg"

    assert texts(root, ".//b:PRICE_AMOUNT") == ["49.90", "189", "49.90"]
    assert texts(root, ".//b:PRICE_QUANTITY") == ["1", "10", "1"]
    assert texts(root, ".//b:DELIVERY_TIME") == ["3", "0"]  # the third product has no lead time
    # MIME_TYPE's pattern has no image/png: such an image goes without a type.
    assert texts(root, ".//b:MIME_TYPE") == ["image/jpeg"]
    third = root.findall("b:T_NEW_CATALOG/b:PRODUCT", NS)[2]
    assert third.find("b:PRODUCT_DETAILS/b:DESCRIPTION_LONG", NS) is None
    assert third.find("b:MIME_INFO", NS) is None

    maps = root.findall("b:T_NEW_CATALOG/b:PRODUCT_TO_CATALOGGROUP_MAP", NS)
    assert [
        (m.findtext("b:PROD_ID", namespaces=NS), m.findtext("b:CATALOG_GROUP_ID", namespaces=NS))
        for m in maps
    ] == [
        ("IPS-M12-PNP", "11"),
        ("PT-10BAR", "12"),
        ("PLC-S7", "2"),
    ]


def test_group_system_has_one_root_and_marks_nodes_and_leaves(schema):
    root = parse_valid(render([item()], categories=CATEGORIES), schema)
    structures = root.findall("b:T_NEW_CATALOG/b:CATALOG_GROUP_SYSTEM/b:CATALOG_STRUCTURE", NS)
    table = [
        (
            s.get("type"),
            s.findtext("b:GROUP_ID", namespaces=NS),
            s.findtext("b:PARENT_ID", namespaces=NS),
            s.findtext("b:GROUP_NAME", namespaces=NS),
        )
        for s in structures
    ]
    assert table == [
        ("root", "root", "0", "Alpine Automation – sensors and controllers"),
        ("node", "1", "root", "Sensors"),
        ("leaf", "2", "root", "Controllers"),
        ("leaf", "11", "1", "Inductive sensors"),
        ("leaf", "12", "1", "Pressure sensors"),
    ]
    assert texts(root, ".//b:GROUP_DESCRIPTION") == ["Proximity switches"]


def test_without_categories_there_is_no_group_system_and_no_mapping(schema):
    minimal = ExportItem(sku="X1", name="Cable", price=Decimal("3.10"), currency="EUR")
    root = parse_valid(render([minimal]), schema)
    assert root.find(".//b:CATALOG_GROUP_SYSTEM", NS) is None
    assert root.find(".//b:PRODUCT_TO_CATALOGGROUP_MAP", NS) is None
    assert texts(root, ".//b:ORDER_UNIT") == ["C62"]


def test_database_rows_with_int_ids_and_null_texts_are_accepted(schema):
    """`ExportItem._make(row)` from a values_list() row: category ids are ints, nullable texts are None."""
    row = (
        "DB-1",
        "Cable gland M20",
        Decimal("2.35"),
        "EUR",
        "C62",
        Decimal(1),
        None,
        None,
        None,
        None,
        None,
        11,
        "Inductive sensors",
        None,
        None,
        None,
    )
    categories = [ExportCategory(1, "Sensors"), ExportCategory(11, "Inductive sensors", parent_id=1)]
    root = parse_valid(render([ExportItem._make(row)], categories=categories), schema)
    assert texts(root, ".//b:CATALOG_GROUP_ID") == ["11"]
    assert texts(root, ".//b:GROUP_ID") == ["root", "1", "11"]
    assert root.find(".//b:DESCRIPTION_LONG", NS) is None


def test_buyer_and_supplier_id_are_written_when_given(schema):
    root = parse_valid(render([item()], head=header(buyer_name="Shop GmbH", supplier_id="P-42")), schema)
    assert texts(root, "b:HEADER/b:BUYER/b:BUYER_NAME") == ["Shop GmbH"]
    assert texts(root, "b:HEADER/b:SUPPLIER/b:SUPPLIER_ID") == ["P-42"]


def test_special_characters_are_escaped_and_come_back_unchanged(schema):
    name = 'Relay "K1" & <contactor> – Größe ÄÖÜ ß, 温度 😀 🇩🇪'
    long_text = "a < b && c > d ]]> <![CDATA[x]]> &amp; literally\nsecond line\ttabbed"
    head = header(supplier_name="Müller & Söhne <GmbH>", catalog_name="Ünïcödé & <more>")
    products = [
        item(sku="A&B<1>", name=name, long_description=long_text, short_description="", category_id="c&1")
    ]
    data = render(products, head=head, categories=[ExportCategory("c&1", "Kabel & <Leitungen>")])
    assert b"<contactor>" not in data  # the text was escaped, not written as markup
    root = parse_valid(data, schema)
    assert texts(root, ".//b:DESCRIPTION_SHORT") == [name]
    assert texts(root, ".//b:DESCRIPTION_LONG") == [long_text]
    assert texts(root, ".//b:SUPPLIER_PID") == ["A&B<1>"]
    assert texts(root, ".//b:PROD_ID") == ["A&B<1>"]
    assert texts(root, ".//b:SUPPLIER_NAME") == ["Müller & Söhne <GmbH>"]
    assert texts(root, ".//b:CATALOG_GROUP_ID") == ["c&1"]
    assert "Kabel & <Leitungen>" in texts(root, ".//b:GROUP_NAME")


def test_characters_that_xml_cannot_carry_are_left_out(schema):
    products = [
        item(
            sku="CTRL-1", name="Bell\x07 and\x00 null\x1b escape", long_description="bad \ufffe\uffff end\x0c"
        ),
        item(sku="SURR-1", name="lone \ud800 surrogate"),
    ]
    root = parse_valid(render(products), schema)
    assert texts(root, ".//b:DESCRIPTION_SHORT") == ["Bell and null escape", "lone ? surrogate"]
    assert "bad  end" in texts(root, ".//b:DESCRIPTION_LONG")[0]


def test_a_name_of_control_characters_only_counts_as_missing():
    with pytest.raises(ExportError, match="'X' has no name"):
        render([item(sku="X", name="\x01\x02")])


def test_long_texts_are_shortened_at_a_word_boundary_within_the_schema(schema):
    long_name = "Inductive proximity sensor " + "with a very long descriptive name " * 12
    long_description = "Paragraph. " * 7000  # 77,000 characters
    head = header(
        catalog_name="Catalogue " * 20, supplier_name="Supplier name " * 6, buyer_name="Buyer " * 12
    )
    categories = [ExportCategory("1", "Category with a name much longer than fifty characters in all")]
    products = [
        item(
            name=long_name,
            long_description=long_description,
            short_description="",
            manufacturer_name="Manufacturer with a name of more than fifty characters",
            category_id="1",
        )
    ]
    root = parse_valid(render(products, head=head, categories=categories), schema)

    short = texts(root, ".//b:DESCRIPTION_SHORT")[0]
    assert len(short) <= 150 and short.endswith("…")
    assert long_name.startswith(short[:-1].rstrip())
    description = texts(root, ".//b:DESCRIPTION_LONG")[0]
    assert 60000 < len(description) <= 64000 and description.endswith("…")
    for path, limit in [
        (".//b:CATALOG_NAME", 100),
        (".//b:SUPPLIER_NAME", 50),
        (".//b:BUYER_NAME", 50),
        (".//b:MANUFACTURER_NAME", 50),
        (".//b:GROUP_SYSTEM_NAME", 50),
    ]:
        (value,) = texts(root, path)
        assert len(value) <= limit and value.endswith("…"), path
    assert all(len(name) <= 50 for name in texts(root, ".//b:GROUP_NAME"))


def test_a_sku_of_exactly_32_characters_fits(schema):
    parse_valid(render([item(sku="S" * 32)]), schema)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"sku": "S" * 33}, "SKU must have 1 to 32 characters"),
        ({"sku": "  "}, "SKU must have 1 to 32 characters"),
        ({"name": " \n "}, "has no name"),
        ({"manufacturer_part_number": "M" * 51}, "manufacturer part number is longer than 50"),
        ({"material_group": "27-27-09-01"}, "material group is longer than 10"),
        ({"image_url": "https://cdn.example/" + "x" * 240}, "image address is longer than 255"),
        ({"order_unit": "PCE"}, "order unit 'PCE' is not a UN/ECE code"),
        ({"order_unit": "c62"}, "order unit 'c62'"),
        ({"currency": "PLN"}, "does not know the currency 'PLN'"),
        ({"price": Decimal("-1.00")}, "price must be a non-negative number"),
        ({"price": Decimal("NaN")}, "price must be a non-negative number"),
        ({"price": Decimal("Infinity")}, "price must be a non-negative number"),
        ({"price": 49.9}, "price must be a Decimal, not float"),
        ({"price_unit": Decimal(0)}, "price unit must be a positive number"),
        ({"lead_time_days": -1}, "lead time must be a whole number of days"),
        ({"lead_time_days": 2.5}, "lead time must be a whole number of days"),
    ],
)
def test_values_the_schema_would_refuse_raise_a_clear_error(overrides, message):
    products = [item(sku="OK-1"), item(**({"sku": "BAD-1"} | overrides))]
    with pytest.raises(ExportError, match=message):
        render(products)


def test_decimals_are_plain_with_a_point(schema):
    products = [
        item(sku="E3", price=Decimal("1E+3")),
        item(sku="TINY", price=Decimal("0.0000001"), price_unit=Decimal("1E+2")),
        item(sku="INT", price=5, price_unit=1000),
        item(sku="ZERO", price=Decimal("0.00")),
        item(sku="NEG0", price=Decimal("-0")),
    ]
    root = parse_valid(render(products), schema)
    assert texts(root, ".//b:PRICE_AMOUNT") == ["1000", "0.0000001", "5", "0.00", "-0"]
    assert texts(root, ".//b:PRICE_QUANTITY") == ["1", "100", "1000", "1", "1"]
    assert not any("," in value or "E" in value for value in texts(root, ".//b:PRICE_AMOUNT"))


@pytest.mark.parametrize("language", ["eng", "deu", "ger", "fra", "fre", "ita", "spa"])
def test_iso_639_2_languages_are_accepted(schema, language):
    root = parse_valid(render([item()], head=header(language=language)), schema)
    assert texts(root, ".//b:LANGUAGE") == [language]


@pytest.mark.parametrize("language", ["en", "EN", "ENG", "english", "", "de-DE"])
def test_other_language_codes_are_refused_at_the_call(language):
    with pytest.raises(ExportError, match="ISO 639-2 code of three letters"):
        write_bmecat(header(language=language), [item()])


def test_code_lists_come_from_the_schema():
    assert {"eng", "deu", "fra"} <= bmecat_languages()
    assert "en" not in bmecat_languages()
    assert {"EUR", "USD", "GBP", "CHF"} <= bmecat_currencies()
    assert {"C62", "MTR", "KGM", "EA"} <= bmecat_order_units()
    assert len(bmecat_order_units()) > 1000


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"catalog_id": "c" * 21}, "catalogue id must have 1 to 20 characters"),
        ({"catalog_id": " "}, "catalogue id must have 1 to 20 characters"),
        ({"catalog_version": "1"}, "version must look like 1.0"),
        ({"catalog_version": "1.0.0"}, "version must look like 1.0"),
        ({"catalog_version": "\u0661.0"}, "version must look like 1.0"),  # an Arabic-Indic digit
        ({"currency": "ZZZ"}, "does not know the currency 'ZZZ'"),
        ({"price_type": "retail"}, "price type must be one of"),
        ({"supplier_name": " "}, "supplier name is missing"),
    ],
)
def test_a_bad_header_is_refused_at_the_call(overrides, message):
    with pytest.raises(ExportError, match=message):
        write_bmecat(header(**overrides), [item()])


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 3, 1, 10, 30, 5, tzinfo=timezone(timedelta(hours=2))), "2026-03-01T08:30:05Z"),
        (datetime(2026, 3, 1, 10, 30, 5), "2026-03-01T10:30:05"),
        (date(2026, 3, 1), "2026-03-01"),
    ],
)
def test_generation_date(schema, moment, expected):
    root = parse_valid(render([item()], head=header(generation_date=moment)), schema)
    assert texts(root, ".//b:GENERATION_DATE") == [expected]


def test_generation_date_defaults_to_now(schema):
    root = parse_valid(render([item()], head=header(generation_date=None)), schema)
    written = datetime.strptime(texts(root, ".//b:GENERATION_DATE")[0], "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=UTC
    )
    assert abs(datetime.now(UTC) - written) < timedelta(minutes=1)


def test_empty_catalogue_is_refused_before_any_output():
    with pytest.raises(EmptyCatalogueError, match="The catalogue is empty"):
        write_bmecat(header(), [])
    with pytest.raises(EmptyCatalogueError):
        write_bmecat(header(), (i for i in []), categories=CATEGORIES)


def test_the_schema_itself_accepts_an_empty_catalogue(schema):
    """Why the writer refuses it: the schema would not (see ../shared/specs/README.md)."""
    data = render([item()])
    start, end = data.index(b"<PRODUCT "), data.index(b"</T_NEW_CATALOG>")
    assert schema.validate(etree.fromstring(data[:start] + data[end:]))


@pytest.mark.parametrize(
    ("categories", "message"),
    [
        ([ExportCategory("1", "A", parent_id="9")], "parent '9' is not among the exported categories"),
        ([ExportCategory("1", "A"), ExportCategory("1", "B")], "appears twice"),
        ([ExportCategory("1", "A", parent_id="2"), ExportCategory("2", "B", parent_id="1")], "form a loop"),
        ([ExportCategory("root", "A")], "reserved"),
        ([ExportCategory("c" * 51, "A")], "1 to 50 characters"),
    ],
)
def test_bad_categories_are_refused_at_the_call(categories, message):
    with pytest.raises(ExportError, match=message):
        write_bmecat(header(), [item()], categories=categories)


def test_a_product_in_a_category_that_is_not_exported_raises():
    with pytest.raises(ExportError, match="its category '99' is not among the exported categories"):
        render([item(category_id="99")], categories=CATEGORIES)


@pytest.mark.parametrize(
    "breakage",
    [
        (b"<ORDER_UNIT>C62</ORDER_UNIT>", b""),  # ORDER_UNIT is required
        (b' price_type="net_list"', b""),  # so is PRODUCT_PRICE/@price_type
        (b"<LANGUAGE>eng</LANGUAGE>", b"<LANGUAGE>en</LANGUAGE>"),  # ISO 639-2 only
        (b"<PRICE_AMOUNT>49.90</PRICE_AMOUNT>", b"<PRICE_AMOUNT>49,90</PRICE_AMOUNT>"),  # decimal comma
        (b"<SUPPLIER_PID>IPS-M12-PNP</SUPPLIER_PID>", b"<SUPPLIER_PID>" + b"S" * 33 + b"</SUPPLIER_PID>"),
    ],
)
def test_validation_catches_a_broken_document(schema, breakage):
    """The validation in these tests can fail: each of these edits makes a valid document invalid."""
    data = render([item()], categories=CATEGORIES)
    assert schema.validate(etree.fromstring(data))
    old, new = breakage
    assert old in data
    assert not schema.validate(etree.fromstring(data.replace(old, new, 1)))


class CountingSource:
    """20,000 products made on demand; counts how many the writer has pulled."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.pulled = 0

    def __iter__(self):
        for n in range(self.total):
            self.pulled += 1
            yield item(sku=f"SKU-{n:06d}", name=f"Sensor {n}", category_id="11" if n % 2 else "2")


def test_many_products_stream_chunk_by_chunk(schema):
    source = CountingSource(20_000)
    progress: list[int] = []
    chunks = write_bmecat(
        header(), source, categories=CATEGORIES, chunk_size=500, on_progress=progress.append
    )
    assert source.pulled == 1  # the first product, to refuse an empty catalogue at the call

    head = next(chunks)
    assert b"<CATALOG_GROUP_SYSTEM>" in head and b"<PRODUCT " not in head
    first = next(chunks)
    assert first.count(b"<PRODUCT ") == 500
    assert source.pulled <= 501  # only what the first chunk needed, not the whole catalogue

    sizes = [len(head), len(first)]
    collected = [head, first]
    for chunk in chunks:
        sizes.append(len(chunk))
        collected.append(chunk)
    assert source.pulled == 20_000
    assert progress == list(range(500, 20_001, 500))
    # 40 product chunks after the head, then the mappings (kept in a temporary file meanwhile) and the end.
    product_chunks = [c for c in collected if c.startswith(b"<PRODUCT ")]
    assert len(product_chunks) == 40
    assert all(c.count(b"<PRODUCT ") == 500 for c in product_chunks)
    assert max(sizes) < 2_000_000

    root = parse_valid(b"".join(collected), schema)
    assert len(root.findall("b:T_NEW_CATALOG/b:PRODUCT", NS)) == 20_000
    assert len(root.findall("b:T_NEW_CATALOG/b:PRODUCT_TO_CATALOGGROUP_MAP", NS)) == 20_000


def test_memory_does_not_grow_with_the_catalogue():
    bmecat_languages(), bmecat_currencies(), bmecat_order_units()  # read the code lists before measuring

    def peak_while_writing(count: int) -> tuple[int, int]:
        tracemalloc.start()
        try:
            written = sum(
                len(c) for c in write_bmecat(header(), CountingSource(count), categories=CATEGORIES)
            )
            return tracemalloc.get_traced_memory()[1], written
        finally:
            tracemalloc.stop()

    small_peak, small_size = peak_while_writing(1_000)
    large_peak, large_size = peak_while_writing(15_000)
    assert large_size > 14 * small_size  # fifteen times the products, fifteen times the output...
    # ...but not fifteen times the memory: one chunk and at most 1 MB of spooled mappings more.
    assert large_peak < small_peak + 1_500_000
    assert large_peak < 5_000_000


def test_progress_counts_products_after_each_chunk():
    progress: list[int] = []
    render([item(sku=f"S{n}") for n in range(1200)], chunk_size=500, on_progress=progress.append)
    assert progress == [500, 1000, 1200]


def test_chunk_size_must_be_positive():
    with pytest.raises(ValueError, match="chunk_size"):
        write_bmecat(header(), [item()], chunk_size=0)
