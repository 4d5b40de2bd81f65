"""Fixtures of the catalogue tests: private media, categories and products, and image bytes."""

from __future__ import annotations

import struct
import zlib
from decimal import Decimal
from itertools import count

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.models import Category, Product
from catalog.text import short_text

_numbers = count(1)


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def make_category(name: str = "", *, slug: str = "", parent: Category | None = None) -> Category:
    n = next(_numbers)
    name = name or f"Category {n}"
    return Category.objects.create(name=name, slug=slug or f"cat-{n}", parent=parent)


def make_product(category: Category | None = None, **fields) -> Product:
    n = next(_numbers)
    values = {
        "sku": f"SKU-{n:05d}",
        "name": f"Product {n:05d}",
        "list_price": Decimal("10.00"),
        **fields,
    }
    values.setdefault("short_description", short_text(values["name"]))
    return Product.objects.create(category=category or make_category(), **values)


def png_bytes(width: int = 2, height: int = 1) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def jpeg_bytes(width: int = 3, height: int = 2) -> bytes:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof0 + b"\xff\xd9"


def webp_bytes(width: int = 5, height: int = 4) -> bytes:
    bits = (width - 1) | ((height - 1) << 14)
    payload = b"\x2f" + bits.to_bytes(4, "little") + b"\x00" * 8
    chunk = b"VP8L" + struct.pack("<I", len(payload)) + payload
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


def upload(content: bytes, name: str = "picture.png", content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


FAKE_PNG_HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
FAKE_PNG_SVG = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="4"/></svg>'
)
