"""Uploaded images, checked by what they are rather than what they claim: the type comes from the
file's first bytes (PNG, JPEG or WebP; never SVG or HTML, which a browser may run as a page), the size
is limited, and the header must hold sane dimensions. Stored under a random name, so an upload's
original name never reaches a path or a URL. Used by product images, showroom logos and MDF proof.

No imaging library is needed: the three formats' headers are parsed here, enough to tell a real
image from a renamed file and to refuse a "decompression bomb" by its dimensions."""

from __future__ import annotations

import csv
import io
import secrets
import struct
from dataclasses import dataclass
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.utils.deconstruct import deconstructible

MAX_IMAGE_BYTES = 5 * 1024 * 1024
# Wider or taller than this is no product picture (and would take gigabytes to decode).
MAX_IMAGE_SIDE = 12_000
# The headers parsed here sit in the first bytes (a JPEG's frame header after its metadata segments;
# camera EXIF data can be large).
HEAD_BYTES = 256 * 1024


@dataclass(frozen=True)
class ImageKind:
    """A recognised image format."""

    name: str
    content_type: str
    extension: str


PNG = ImageKind("PNG", "image/png", "png")
JPEG = ImageKind("JPEG", "image/jpeg", "jpg")
WEBP = ImageKind("WebP", "image/webp", "webp")
IMAGE_KINDS: tuple[ImageKind, ...] = (PNG, JPEG, WEBP)
CONTENT_TYPES = {kind.extension: kind.content_type for kind in IMAGE_KINDS} | {"jpeg": "image/jpeg"}


@dataclass(frozen=True)
class ImageInfo:
    kind: ImageKind
    width: int
    height: int


class NotAnImage(ValueError):
    """The bytes are not a PNG, JPEG or WebP image this module can read; the message says why."""


def _png(head: bytes) -> tuple[int, int]:
    # Signature, then the IHDR chunk: length 13, type, width, height (big-endian).
    if len(head) < 24 or head[12:16] != b"IHDR":
        raise NotAnImage("The PNG file is damaged (no image header).")
    width, height = struct.unpack(">II", head[16:24])
    return width, height


# JPEG markers that carry a frame header (SOF0–SOF15 without DHT, JPG and DAC).
_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _jpeg(head: bytes) -> tuple[int, int]:
    pos = 2
    while pos + 4 <= len(head):
        if head[pos] != 0xFF:
            raise NotAnImage("The JPEG file is damaged (a segment does not start where expected).")
        marker = head[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # segments without a length
            pos += 2
            continue
        (length,) = struct.unpack(">H", head[pos + 2 : pos + 4])
        if length < 2:
            raise NotAnImage("The JPEG file is damaged (a segment has no length).")
        if marker in _SOF_MARKERS:
            if pos + 9 > len(head):
                break
            height, width = struct.unpack(">HH", head[pos + 5 : pos + 9])
            return width, height
        if marker == 0xD9:  # end of image before any frame
            break
        pos += 2 + length
    raise NotAnImage("The JPEG file is damaged or its image header is not near the start.")


def _webp(head: bytes) -> tuple[int, int]:
    chunk = head[12:16]
    if chunk == b"VP8X" and len(head) >= 30:
        width = 1 + int.from_bytes(head[24:27], "little")
        height = 1 + int.from_bytes(head[27:30], "little")
        return width, height
    if chunk == b"VP8 " and len(head) >= 30 and head[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", head[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and len(head) >= 25 and head[20] == 0x2F:
        bits = int.from_bytes(head[21:25], "little")
        return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    raise NotAnImage("The WebP file is damaged (no image header).")


def _looks_like_markup(head: bytes) -> bool:
    text = head[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return text.startswith((b"<", b"<?xml")) or b"<svg" in text or b"<html" in text or b"<script" in text


def sniff_image(head: bytes) -> ImageInfo:
    """The format and dimensions of an image from its first bytes; raises NotAnImage with a message
    that says what the file is instead, when it can tell."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        kind, (width, height) = PNG, _png(head)
    elif head.startswith(b"\xff\xd8\xff"):
        kind, (width, height) = JPEG, _jpeg(head)
    elif head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        kind, (width, height) = WEBP, _webp(head)
    elif _looks_like_markup(head):
        raise NotAnImage(
            "This file is SVG, HTML or XML text, not a picture. Upload a PNG, JPEG or WebP image; "
            "SVG is not accepted because a browser can run the scripts inside it."
        )
    elif head[:6] in (b"GIF87a", b"GIF89a"):
        raise NotAnImage("GIF images are not accepted. Upload a PNG, JPEG or WebP image.")
    elif head.startswith(b"%PDF"):
        raise NotAnImage("This is a PDF document. Upload a PNG, JPEG or WebP image.")
    else:
        raise NotAnImage("This file is not a PNG, JPEG or WebP image.")
    if not (0 < width <= MAX_IMAGE_SIDE and 0 < height <= MAX_IMAGE_SIDE):
        raise NotAnImage(
            f"The image is {width} × {height} pixels; each side must be between 1 and "
            f"{MAX_IMAGE_SIDE:,} pixels."
        )
    return ImageInfo(kind=kind, width=width, height=height)


def _read_head(file: IO[bytes] | Any) -> bytes:
    position = file.tell() if hasattr(file, "tell") else None
    if hasattr(file, "seek"):
        file.seek(0)
    head = file.read(HEAD_BYTES)
    if hasattr(file, "seek"):
        file.seek(position or 0)
    return head if isinstance(head, bytes) else bytes(head)


def check_image_upload(
    file: Any,
    *,
    max_bytes: int = MAX_IMAGE_BYTES,
    kinds: tuple[ImageKind, ...] = IMAGE_KINDS,
) -> ImageInfo:
    """Check an uploaded file (Django's UploadedFile, File or FieldFile) is an image of one of
    `kinds` within `max_bytes`; raises ValidationError with a message for the person uploading."""
    size = getattr(file, "size", None)
    if size is None:
        raise ValidationError("The upload could not be read; choose the file again.", code="unreadable")
    if size == 0:
        raise ValidationError("The file is empty.", code="empty")
    if size > max_bytes:
        raise ValidationError(
            f"The image is {size / 2**20:.1f} MB; the limit is {max_bytes / 2**20:g} MB. Save it smaller "
            "(e.g. at most 2,000 pixels wide, as JPEG or WebP) and upload it again.",
            code="too_large",
        )
    try:
        info = sniff_image(_read_head(file))
    except NotAnImage as exc:
        raise ValidationError(str(exc), code="not_an_image")
    if info.kind not in kinds:
        names = ", ".join(k.name for k in kinds)
        raise ValidationError(f"{info.kind.name} images are not accepted here; use {names}.", code="kind")
    return info


PDF_CONTENT_TYPE = "application/pdf"


def sniff_document(file: Any) -> str:
    """The content type of a proof-of-performance file (PDF, PNG or JPEG) from its content, not its
    name; raises ValueError with a message for the person uploading."""
    head = _read_head(file)
    if head.startswith(b"%PDF-"):
        if b"%%EOF" not in _read_tail(file):
            raise ValueError("The PDF file is incomplete (it has no end marker); save or export it again.")
        return PDF_CONTENT_TYPE
    try:
        info = sniff_image(head)
    except NotAnImage as exc:
        text = str(exc).replace("Upload a PNG, JPEG or WebP image", "Upload a PDF, PNG or JPEG file")
        raise ValueError(text.replace("not a PNG, JPEG or WebP image", "not a PDF, PNG or JPEG file"))
    if info.kind not in (PNG, JPEG):
        raise ValueError(f"{info.kind.name} images are not accepted here; use PDF, PNG or JPEG.")
    return info.kind.content_type


def check_documents(files: Any, *, max_bytes: int) -> list[tuple[Any, str]]:
    """Each uploaded file checked by content (sniff_document: PDF, PNG or JPEG), not empty and at most
    `max_bytes`; answers (file, content type) for each, or raises ValidationError on `files` naming
    every refused file (nothing is half-accepted). The caller checks how many files it takes."""
    checked: list[tuple[Any, str]] = []
    errors: list[str] = []
    for upload in files:
        name = getattr(upload, "name", "file") or "file"
        size = getattr(upload, "size", 0) or 0
        if size == 0:
            errors.append(f"{name}: the file is empty.")
            continue
        if size > max_bytes:
            errors.append(
                f"{name}: {size / 2**20:.1f} MB; each file may have at most {max_bytes // 2**20} MB."
            )
            continue
        try:
            content_type = sniff_document(upload)
        except ValueError as exc:
            errors.append(f"{name}: {exc}")
            continue
        checked.append((upload, content_type))
    if errors:
        raise ValidationError({"files": errors})
    return checked


def _read_tail(file: Any, size: int = 2048) -> bytes:
    position = file.tell() if hasattr(file, "tell") else None
    total = getattr(file, "size", None)
    if total is None or not hasattr(file, "seek"):
        return b"%%EOF"
    file.seek(max(0, total - size))
    tail = file.read(size)
    file.seek(position or 0)
    return tail if isinstance(tail, bytes) else bytes(tail)


def document_response(file: Any, *, filename: str, content_type: str) -> FileResponse:
    """A stored private document as a download (`Content-Disposition: attachment`), never shown
    inline nor sniffed. The caller has checked that the person may see it."""
    try:
        handle = file.open("rb")
    except FileNotFoundError:
        raise Http404
    safe = "".join(ch if ch.isalnum() or ch in "-_. " else "_" for ch in filename).strip() or "download"
    response = FileResponse(handle, content_type=content_type, as_attachment=True, filename=safe)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@deconstructible
class ImageUploadValidator:
    """A model or form field validator: the value is an image of the accepted kinds within the size
    limit. A file already stored (not a new upload) is not read again."""

    def __init__(self, max_bytes: int = MAX_IMAGE_BYTES) -> None:
        self.max_bytes = max_bytes

    def __call__(self, value: Any) -> None:
        if not value:
            return
        if getattr(value, "_committed", False):
            return  # a FieldFile already stored: it was checked when it was uploaded
        check_image_upload(value, max_bytes=self.max_bytes)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ImageUploadValidator) and other.max_bytes == self.max_bytes

    def __hash__(self) -> int:
        return hash(self.max_bytes)


@deconstructible
class RandomUploadName:
    """`upload_to` for FileFields: `<directory>/<random>.<ext>`, the extension that of the checked
    image kind (the uploaded name's own extension when it is a known image extension, else none).
    The original name is never used: it could collide, leak or hold path tricks."""

    def __init__(self, directory: str) -> None:
        self.directory = directory.strip("/")

    def __call__(self, instance: Any, filename: str) -> str:
        extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
        suffix = f".{extension}" if extension in CONTENT_TYPES else ""
        return f"{self.directory}/{secrets.token_urlsafe(18)}{suffix}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RandomUploadName) and other.directory == self.directory

    def __hash__(self) -> int:
        return hash(self.directory)


def image_content_type(name: str) -> str:
    """The Content-Type to serve a stored image with, from the extension RandomUploadName gave it."""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return CONTENT_TYPES.get(extension, "application/octet-stream")


def image_response(file: Any) -> FileResponse:
    """A stored image (a FieldFile checked on upload) as a response: its checked type, never sniffed
    or rendered as a page. The caller has checked that the person may see it; a file gone from
    storage is 404."""
    try:
        handle = file.open("rb")
    except FileNotFoundError:
        raise Http404
    response = FileResponse(handle, content_type=image_content_type(file.name or ""))
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- CSV files ------------------------------------------------------------------------------------


def csv_text_stream(binary: IO[bytes]) -> io.TextIOWrapper:
    """The upload as text. utf-8-sig: spreadsheets put a byte-order mark in front of "CSV UTF-8";
    strict: anything else is refused rather than imported garbled."""
    return io.TextIOWrapper(binary, encoding="utf-8-sig", errors="strict", newline="")


def csv_header(raw: list[str], *, columns: list[str], required: list[str]) -> list[str]:
    """The column names of a header row (trimmed, lower case, spaces as underscores); raises
    ValidationError naming what is missing, unknown or given twice, or a wrong separator."""
    names = [name.strip().lower().replace(" ", "_") for name in raw]
    if not any(names):
        raise ValidationError(f"The first line must be the header: {', '.join(columns)}.")
    if len(raw) == 1:
        separator = next((s for s in (";", "\t", "|") if s in raw[0]), None)
        if separator:
            shown = "tab" if separator == "\t" else f"“{separator}”"
            raise ValidationError(f"Separate the columns with commas; this file uses {shown}.")
    messages = []
    missing = [c for c in required if c not in names]
    if missing:
        messages.append(f"Required columns missing: {', '.join(missing)}.")
    unknown = [
        name or f"(unnamed column {i})" for i, name in enumerate(names, start=1) if name not in columns
    ]
    if unknown:
        messages.append(f"Unknown columns: {', '.join(unknown)}. The columns are: {', '.join(columns)}.")
    twice = sorted({name for name in names if name and names.count(name) > 1})
    if twice:
        messages.append(f"Columns given twice: {', '.join(twice)}.")
    if messages:
        raise ValidationError(messages)
    return names


def check_csv_upload(
    uploaded_file: Any, *, columns: list[str], required: list[str], max_bytes: int
) -> tuple[list[str], int]:
    """Check an uploaded CSV file as a whole: not empty, not too large, UTF-8 text, a known header and
    at least one row. Answers (header, number of data rows); raises ValidationError with the messages
    for the person uploading. Leaves the file at its start."""
    size = getattr(uploaded_file, "size", 0) or 0
    if size > max_bytes:
        raise ValidationError(
            f"The file is {size / 2**20:.1f} MB; the limit is {max_bytes // 2**20} MB. Split it and "
            "import the parts one after the other."
        )
    if size == 0:
        raise ValidationError("The file is empty.")
    for piece in uploaded_file.chunks():
        if b"\x00" in piece:
            raise ValidationError("This is not a CSV text file (it contains NUL bytes).")
    uploaded_file.seek(0)
    text = csv_text_stream(uploaded_file)
    reader = csv.reader(text)
    try:
        first = next(reader, None)
        if first is None:
            raise ValidationError("The file is empty.")
        header = csv_header(first, columns=columns, required=required)
        rows = sum(1 for row in reader if row)
    except UnicodeDecodeError:
        raise ValidationError(
            "The file is not UTF-8 text. Save it as “CSV UTF-8 (comma delimited)” and upload it again."
        )
    except csv.Error as exc:
        raise ValidationError(f"This is not a CSV file the import can read (line {reader.line_num}: {exc}).")
    finally:
        text.detach()
        uploaded_file.seek(0)
    if rows == 0:
        raise ValidationError("The file has a header but no rows to import.")
    return header, rows
