"""core.uploads: images are recognised by their bytes, not their name or declared type; SVG, HTML and
renamed files are refused with a message that says what to upload instead."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from core.uploads import (
    JPEG,
    MAX_IMAGE_BYTES,
    PNG,
    WEBP,
    ImageUploadValidator,
    RandomUploadName,
    check_image_upload,
    image_content_type,
    sniff_image,
)
from tests.catalog.conftest import FAKE_PNG_HTML, FAKE_PNG_SVG, jpeg_bytes, png_bytes, upload, webp_bytes


@pytest.mark.parametrize(
    ("content", "kind", "size"),
    [
        (png_bytes(7, 3), PNG, (7, 3)),
        (jpeg_bytes(640, 480), JPEG, (640, 480)),
        (webp_bytes(33, 9), WEBP, (33, 9)),
    ],
)
def test_images_are_recognised_by_their_bytes(content, kind, size):
    info = check_image_upload(upload(content, name="whatever.bin", content_type="application/octet-stream"))
    assert info.kind == kind
    assert (info.width, info.height) == size


def test_webp_lossy_and_extended_headers_are_read():
    vp8 = (
        b"RIFF\x00\x00\x00\x00WEBPVP8 \x00\x00\x00\x00"
        + b"\x00\x00\x00"
        + b"\x9d\x01\x2a"
        + b"\x10\x00\x08\x00"
    )
    assert (sniff_image(vp8).width, sniff_image(vp8).height) == (16, 8)
    vp8x = (
        b"RIFF\x00\x00\x00\x00WEBPVP8X"
        + b"\x0a\x00\x00\x00"
        + b"\x00" * 4
        + (99).to_bytes(3, "little")
        + (49).to_bytes(3, "little")
    )
    assert (sniff_image(vp8x).width, sniff_image(vp8x).height) == (100, 50)


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (FAKE_PNG_HTML, "SVG, HTML or XML text"),
        (FAKE_PNG_SVG, "SVG is not accepted"),
        (b"\xef\xbb\xbf  <svg><script>x</script></svg>", "SVG, HTML or XML text"),
        (b"GIF89a\x01\x00\x01\x00", "GIF images are not accepted"),
        (b"%PDF-1.7 ...", "This is a PDF document"),
        (b"MZ\x90\x00 an executable", "not a PNG, JPEG or WebP image"),
        # The PNG signature, then a chunk that should be IHDR but is not (and no image header follows).
        (PNG_SIGNATURE + b"\x00\x00\x00\x0dIDAT", "The PNG file is damaged"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "The JPEG file is damaged"),
        (b"RIFF\x00\x00\x00\x00WEBPJUNK", "The WebP file is damaged"),
    ],
)
def test_what_is_not_an_image_is_refused_with_a_reason(content, message):
    with pytest.raises(ValidationError) as exc:
        check_image_upload(upload(content, name="innocent.png", content_type="image/png"))
    assert message in " ".join(exc.value.messages)


def test_a_file_over_the_limit_is_refused_before_it_is_read():
    big = upload(png_bytes() + b"\x00" * MAX_IMAGE_BYTES)
    with pytest.raises(ValidationError) as exc:
        check_image_upload(big)
    assert "the limit is 5 MB" in exc.value.messages[0]


def test_an_empty_file_is_refused():
    with pytest.raises(ValidationError, match="The file is empty"):
        check_image_upload(upload(b""))


def test_absurd_dimensions_are_refused():
    with pytest.raises(ValidationError) as exc:
        check_image_upload(upload(png_bytes(50_000, 1)))
    assert "50000 × 1 pixels" in exc.value.messages[0]


def test_the_validator_puts_the_file_back_where_it_was():
    file = upload(jpeg_bytes())
    file.read(3)
    ImageUploadValidator()(file)
    assert file.tell() == 3


def test_random_names_keep_only_a_known_image_extension():
    name = RandomUploadName("catalog/products")
    first, second = name(None, "image.png"), name(None, "image.png")
    assert first.startswith("catalog/products/") and first.endswith(".png") and first != second
    assert "../" not in name(None, "../../etc/passwd")
    assert name(None, "evil.svg").rsplit("/", 1)[-1].count(".") == 0
    assert image_content_type(first) == "image/png"
    assert image_content_type("x.html") == "application/octet-stream"
