"""Partner showrooms: the partner-branded public pages over the brand owner's catalogue, and the partner's
OCI punch-out settings (which shops may receive baskets, and the credentials a shop must send)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.uploads import ImageUploadValidator, RandomUploadName
from partners.models import Partner

LOGO_MAX_BYTES = 2 * 1024 * 1024
DEFAULT_BRAND_COLOUR = "#14406b"
MAX_OCI_URLS = 20
OCI_URL_MAX_LENGTH = 500

HEX_COLOUR = re.compile(r"#[0-9a-f]{6}")
brand_colour_validator = RegexValidator(
    r"\A#[0-9a-fA-F]{6}\Z", "Enter the colour as # and six hexadecimal digits, e.g. #14406b."
)
# What a browser drops or reads differently from Python's URL parser (see showroom.oci._URL_UNSAFE).
_URL_UNSAFE = re.compile(r"[\x00-\x20\x7f\\]")


# --- Colour contrast (WCAG 2.x) ------------------------------------------------------------------------


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(hex_colour: str) -> float:
    """WCAG relative luminance of "#rrggbb" (0 black … 1 white)."""
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(first: str, second: str) -> float:
    """WCAG contrast ratio of two "#rrggbb" colours, 1 … 21."""
    light, dark = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def readable_text_colour(background: str) -> str:
    """Black or white, whichever contrasts more with `background`. One of the two always reaches at
    least 4.58:1, so text on any brand colour meets WCAG AA (4.5:1) for normal text."""
    on_white = contrast_ratio(background, "#ffffff")
    on_black = contrast_ratio(background, "#000000")
    return "#ffffff" if on_white >= on_black else "#000000"


# --- Allowed OCI shop addresses ------------------------------------------------------------------------


def oci_url_problem(url: str) -> str | None:
    """Why `url` cannot be an allowed OCI shop address prefix (the rules of showroom.oci.check_hook_url:
    http(s), a host, no user name or password, no ". / .." segments), or None when it can."""
    if len(url) > OCI_URL_MAX_LENGTH:
        return f"is longer than {OCI_URL_MAX_LENGTH} characters"
    if _URL_UNSAFE.search(url):
        return "contains spaces, control characters or backslashes"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number in range)
    except ValueError:
        return "is not a valid address"
    if parts.scheme.lower() not in ("http", "https"):
        return "must start with http:// or https://"
    if not parts.hostname:
        return "has no host name"
    if parts.username is not None or parts.password is not None:
        return "must not contain a user name or password"
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        return "must not contain ? or # (give the address up to its path)"
    if any(segment.lower().replace("%2e", ".") in (".", "..") for segment in parts.path.split("/")):
        return "must not contain . or .. path segments"
    return None


def validate_oci_urls(value: object) -> None:
    """A list of allowed shop address prefixes: each one valid, none twice, at most MAX_OCI_URLS."""
    if not isinstance(value, list) or not all(isinstance(url, str) for url in value):
        raise ValidationError("The allowed OCI shop URLs must be a list of addresses.")
    if len(value) > MAX_OCI_URLS:
        raise ValidationError(f"Give at most {MAX_OCI_URLS} allowed OCI shop URLs; there are {len(value)}.")
    messages = []
    for number, url in enumerate(value, start=1):
        problem = oci_url_problem(url)
        if problem:
            messages.append(f"Line {number}: {url[:80]} {problem}.")
    twice = sorted({url for url in value if value.count(url) > 1})
    if twice:
        messages.append(f"Given twice: {', '.join(twice)}.")
    if messages:
        raise ValidationError(messages)


# --- The showroom --------------------------------------------------------------------------------------


class Showroom(models.Model):
    """A partner's showroom: its public address (slug), branding and contact details shown to end
    customers at /showroom/<slug>/, whether it is published, and its OCI punch-out settings. One per
    partner. The OCI password is stored only as a Django password hash."""

    partner = models.OneToOneField(Partner, on_delete=models.CASCADE, related_name="showroom")
    slug = models.SlugField(
        "public address",
        max_length=80,
        unique=True,
        help_text="The showroom's address: /showroom/<this>/. Lower-case letters, digits and hyphens.",
    )
    title = models.CharField(max_length=120)
    logo = models.FileField(
        upload_to=RandomUploadName("showroom/logos"),
        blank=True,
        max_length=200,
        validators=[ImageUploadValidator(LOGO_MAX_BYTES)],
        help_text="PNG, JPEG or WebP, at most 2 MB.",
    )
    brand_colour = models.CharField(
        max_length=7,
        default=DEFAULT_BRAND_COLOUR,
        validators=[brand_colour_validator],
        help_text="The colour of the showroom's header, as #rrggbb. Text on it is black or white, "
        "whichever is readable.",
    )
    introduction = models.TextField(
        blank=True, max_length=4000, help_text="Plain text; blank lines separate paragraphs."
    )
    contact_email = models.EmailField("contact e-mail", blank=True)
    contact_phone = models.CharField("contact phone", max_length=40, blank=True)
    contact_address = models.TextField("contact address", blank=True, max_length=500)
    published = models.BooleanField(
        default=False, help_text="Only published showrooms are listed and open to the public."
    )
    oci_allowed_urls = models.JSONField(
        "allowed OCI shop URLs",
        default=list,
        blank=True,
        validators=[validate_oci_urls],
        help_text="Shops may send baskets back only to addresses that start with one of these.",
    )
    oci_username = models.CharField("OCI user name", max_length=100, blank=True)
    oci_password = models.CharField("OCI password (hash)", max_length=256, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "id"]
        indexes = [
            # The partner locator: published showrooms in title order (keyset paging by title, id).
            models.Index(fields=["title", "id"], condition=Q(published=True), name="showroom_public_title"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(slug=""), name="showroom_slug_not_empty"),
            models.CheckConstraint(condition=~Q(title=""), name="showroom_title_not_empty"),
            # A password without a user name would be a credential nobody can present.
            models.CheckConstraint(
                condition=Q(oci_password="") | ~Q(oci_username=""),
                name="showroom_oci_password_needs_username",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def text_colour(self) -> str:
        """Black or white: readable on the brand colour (WCAG AA)."""
        colour = self.brand_colour.lower()
        return readable_text_colour(colour if HEX_COLOUR.fullmatch(colour) else DEFAULT_BRAND_COLOUR)

    @property
    def safe_brand_colour(self) -> str:
        """The brand colour as validated "#rrggbb" (the default for anything else), safe in a style."""
        colour = self.brand_colour.lower()
        return colour if HEX_COLOUR.fullmatch(colour) else DEFAULT_BRAND_COLOUR

    @property
    def oci_requires_credentials(self) -> bool:
        return bool(self.oci_username and self.oci_password)

    def set_oci_password(self, raw: str) -> None:
        self.oci_password = make_password(raw) if raw else ""

    def check_oci_credentials(self, username: str, password: str) -> bool:
        """True when no credentials are configured, or `username` and `password` match them."""
        if not self.oci_requires_credentials:
            return True
        return username == self.oci_username and check_password(password, self.oci_password)


# --- Catalogue exports ---------------------------------------------------------------------------------


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    JSON = "json", "JSON"
    BMECAT = "bmecat", "BMEcat 2005 (XML)"


# What each format is served as, and the file name's extension.
EXPORT_CONTENT_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.JSON: "application/json",
    ExportFormat.BMECAT: "application/xml",
}
EXPORT_EXTENSIONS = {ExportFormat.CSV: "csv", ExportFormat.JSON: "json", ExportFormat.BMECAT: "xml"}
DEFAULT_EXPORT_LANGUAGE = "eng"


class ExportSchedule(models.Model):
    """A partner's daily catalogue export in one format and language, and the stable feed its shop polls
    (/showroom/feeds/<token>/ serves the newest finished export of this schedule). The feed token is shown
    once, when made or replaced; only its SHA-256 is stored. `created_by` is whom the daily export runs
    for (it runs only while that person may still export the partner's catalogue)."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="export_schedules")
    format = models.CharField(max_length=10, choices=ExportFormat.choices)
    language = models.CharField(max_length=3, default=DEFAULT_EXPORT_LANGUAGE)
    enabled = models.BooleanField(default=True)
    feed_token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        "core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    last_export = models.ForeignKey(
        "CatalogExport", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["partner", "format", "language", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "format", "language"], name="export_schedule_once_per_format"
            ),
            models.CheckConstraint(
                condition=Q(format__in=ExportFormat.values), name="export_schedule_format"
            ),
            models.CheckConstraint(condition=~Q(feed_token_hash=""), name="export_schedule_token_set"),
        ]

    def __str__(self) -> str:
        return f"{self.partner} daily {self.get_format_display()} ({self.language})"


class CatalogExport(models.Model):
    """One export of a partner's assortment as a file: its core Job carries the status and progress (the
    job page shows them); the file sits in the default storage under a random name and is served only to
    those who may see the partner (never from MEDIA_URL). `schedule` is set for the daily exports."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="catalog_exports")
    job = models.OneToOneField("core.Job", on_delete=models.CASCADE, related_name="catalog_export")
    format = models.CharField(max_length=10, choices=ExportFormat.choices)
    language = models.CharField(max_length=3, default=DEFAULT_EXPORT_LANGUAGE)
    schedule = models.ForeignKey(
        ExportSchedule, on_delete=models.SET_NULL, null=True, blank=True, related_name="exports"
    )
    file = models.CharField(max_length=200, blank=True, help_text="Name in the default storage.")
    size = models.BigIntegerField(default=0, help_text="Bytes.")
    rows = models.PositiveIntegerField(default=0, help_text="Products exported.")
    created_by = models.ForeignKey(
        "core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["partner", "-created_at", "-id"], name="catalog_export_partner_recent"),
            models.Index(fields=["schedule", "-created_at", "-id"], name="catalog_export_schedule_recent"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(format__in=ExportFormat.values), name="catalog_export_format"),
        ]

    def __str__(self) -> str:
        return f"{self.partner} {self.get_format_display()} export {self.pk}"

    @property
    def content_type(self) -> str:
        return EXPORT_CONTENT_TYPES[ExportFormat(self.format)]

    @property
    def extension(self) -> str:
        return EXPORT_EXTENSIONS[ExportFormat(self.format)]
