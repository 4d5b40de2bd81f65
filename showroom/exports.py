"""Catalogue exports of a partner's assortment (CSV, JSON, BMEcat 2005) as background jobs, and the daily
schedules whose newest file a partner's shop polls at a token-protected feed.

`export_start` checks who asks and refuses an empty assortment before any job is queued; `export_run` (the
Celery task's body) streams the assortment with a server-side cursor through the streaming writers of
showroom.bmecat into a temporary file, chunk by chunk, reporting progress after each chunk, and then
stores the file under a random name. Memory does not grow with the catalogue. Running a job twice does
nothing to a finished job and writes the same stored name again for an unfinished one, so there is never a
second file."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import tempfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import CharField, QuerySet, Value
from django.utils import timezone

from catalog.codes import DEFAULT_CURRENCY
from catalog.models import PartnerProduct
from catalog.selectors import assortment, category_tree, chosen_category_ids, subtree_ids
from core.errors import NotAllowed
from core.jobs import job_claim, job_fail, job_finish, job_progress, job_start
from core.models import Job, JobStatus, User
from partners import access
from partners.models import Partner
from showroom.bmecat import (
    CatalogHeader,
    EmptyCatalogueError,
    ExportCategory,
    ExportError,
    ExportItem,
    bmecat_languages,
    write_bmecat,
    write_csv,
    write_json,
)
from showroom.models import (
    DEFAULT_EXPORT_LANGUAGE,
    CatalogExport,
    ExportFormat,
    ExportSchedule,
)

JOB_KIND = "catalog_export"
CHUNK_SIZE = 2000
EXPORT_DIRECTORY = "exports"
EMPTY_MESSAGE = "The assortment is empty: add products or categories to it before exporting it."
# A schedule's export counts as today's when it was started less than this long ago.
SCHEDULE_INTERVAL = timedelta(hours=20)
RECENT_EXPORTS = 20
# A schedule keeps the files of its newest exports only (older ones are deleted from storage).
SCHEDULE_KEEP = 7
CENT = Decimal("0.01")

logger = logging.getLogger(__name__)

# The assortment columns an ExportItem is built from, in ExportItem's field order (the two blanks are
# annotated as constants, so that a row becomes an ExportItem with ExportItem._make alone).
_COLUMNS = (
    "sku",
    "name",
    "effective_price",
    "currency",
    "order_unit",
    "price_unit",
    "short_description",
    "long_description",
    "manufacturer_part_number",
    "export_manufacturer_name",
    "material_group",
    "category_id",
    "category__name",
    "stock",
    "lead_time_days",
    "export_image_url",
)


def export_rows(partner_id: int) -> QuerySet[Any, tuple[Any, ...]]:
    """The partner's assortment as rows in ExportItem's field order, by id (one query when iterated)."""
    return (
        assortment(partner_id)
        .annotate(
            export_manufacturer_name=Value("", output_field=CharField()),
            export_image_url=Value("", output_field=CharField()),
        )
        .order_by("id")
        .values_list(*_COLUMNS)
    )


def can_export(user: Any, partner: Partner) -> bool:
    """The partner's own managers, channel admins and the channel managers who manage the partner."""
    return access.can_edit_own_company(user, partner) or access.manages_partner(user, partner)


def exportable_partner(user: Any, partner_id: int) -> Partner | None:
    """The partner whose exports this user may see (scope_partners), or None (answer 404)."""
    return access.scope_partners(user).filter(pk=partner_id).first()


def visible_exports(user: Any) -> QuerySet[CatalogExport]:
    """Exports of the partners this user may see, with their job and partner joined."""
    return CatalogExport.objects.filter(partner__in=access.scope_partners(user)).select_related(
        "job", "partner"
    )


def recent_exports(partner: Partner, *, limit: int = RECENT_EXPORTS) -> list[CatalogExport]:
    """The partner's newest exports (the caller fetched the partner through its scope), one query."""
    return list(CatalogExport.objects.filter(partner=partner).select_related("job")[:limit])


def clean_language(language: str) -> str:
    language = (language or DEFAULT_EXPORT_LANGUAGE).strip().lower()
    if language not in bmecat_languages():
        raise ValidationError(
            {
                "language": [
                    f"Give an ISO 639-2 language code of three letters such as eng or deu, not {language!r}."
                ]
            }
        )
    return language


def clean_format(format: str) -> ExportFormat:
    if format not in ExportFormat.values:
        raise ValidationError({"format": [f"The format must be one of {', '.join(ExportFormat.values)}."]})
    return ExportFormat(format)


def _require(actor: User, partner: Partner) -> None:
    if not can_export(actor, partner):
        raise NotAllowed("Only the partner's managers and its channel managers export its catalogue.")


def export_start(
    *,
    actor: User,
    partner: Partner,
    format: str,
    language: str = DEFAULT_EXPORT_LANGUAGE,
    schedule: ExportSchedule | None = None,
) -> CatalogExport:
    """Queue an export of the partner's assortment: a Job (kind catalog_export) and its CatalogExport, the
    task sent on commit. Raises NotAllowed for someone who may not export, ValidationError for a bad
    format or language and for an empty assortment (then nothing is queued)."""
    _require(actor, partner)
    chosen = clean_format(format)
    language = clean_language(language)
    rows = assortment(partner.pk)
    total = rows.count()
    if not total:
        raise ValidationError(EMPTY_MESSAGE)
    with transaction.atomic():
        job = job_start(
            kind=JOB_KIND,
            owner=actor,
            title=f"{chosen.label} catalogue export of {partner.name}",
            total=total,
            partner_id=partner.pk,
        )
        export = CatalogExport.objects.create(
            partner=partner, job=job, format=chosen, language=language, schedule=schedule, created_by=actor
        )
        from showroom.tasks import export_catalog_task

        export_catalog_task.delay_on_commit(job.pk)
    return export


def _categories(partner_id: int) -> list[ExportCategory]:
    """The categories the assortment's products sit in, with their ancestors (BMEcat's group system)."""
    tree = category_tree()
    parents = {node.id: node.parent_id for node in tree}
    used = {pk for root in chosen_category_ids(partner_id) for pk in subtree_ids(tree, root)}
    used |= set(
        PartnerProduct.objects.filter(partner_id=partner_id)
        .order_by()
        .values_list("product__category_id", flat=True)
        .distinct()
    )
    wanted: set[int] = set()
    for pk in used:
        node: int | None = pk
        while node is not None and node in parents and node not in wanted:
            wanted.add(node)
            node = parents[node]
    return [
        ExportCategory(id=node.id, name=node.name, parent_id=node.parent_id)
        for node in tree
        if node.id in wanted
    ]


def _items(partner_id: int, chunk_size: int) -> Iterator[ExportItem]:
    """The assortment as ExportItems, streamed (a server-side cursor on PostgreSQL). SQLite answers the
    coalesced price as a float-made Decimal ("4.20000000000000"); it is brought back to cents there."""
    rows = export_rows(partner_id).iterator(chunk_size=chunk_size)
    if connection.vendor == "postgresql":
        return map(ExportItem._make, rows)
    return (ExportItem._make((*row[:2], Decimal(str(row[2])).quantize(CENT), *row[3:])) for row in rows)


def _chunks(export: CatalogExport, on_progress: Any, chunk_size: int) -> Iterator[bytes]:
    partner = export.partner
    items = _items(partner.pk, chunk_size)
    if export.format == ExportFormat.CSV:
        return write_csv(items, chunk_size=chunk_size, on_progress=on_progress)
    if export.format == ExportFormat.JSON:
        return write_json(items, chunk_size=chunk_size, on_progress=on_progress)
    header = CatalogHeader(
        catalog_id=f"P{partner.pk}-E{export.pk}"[:20],
        supplier_name=partner.name,
        catalog_name=f"{partner.name} catalogue",
        language=export.language,
        currency=DEFAULT_CURRENCY,
        generation_date=timezone.now(),
    )
    return write_bmecat(
        header, items, categories=_categories(partner.pk), chunk_size=chunk_size, on_progress=on_progress
    )


def _stored_name(export: CatalogExport) -> str:
    """The export's name in storage, chosen once (random) and kept, so a second run overwrites it."""
    if not export.file:
        export.file = f"{EXPORT_DIRECTORY}/{secrets.token_urlsafe(18)}.{export.extension}"
        export.save(update_fields=["file"])
    return export.file


def export_run(*, job_id: int, chunk_size: int = CHUNK_SIZE) -> CatalogExport | None:
    """Write the export of job `job_id` and store it; reports progress after each chunk. A finished job,
    or one another worker holds, is left alone; an interrupted one starts over into the same stored name.
    A product the format cannot carry, or an assortment emptied meanwhile, fails the job with a message."""
    export = CatalogExport.objects.select_related("job", "partner").filter(job_id=job_id).first()
    if export is None or export.job.is_finished:
        return export
    job = export.job
    with job_claim(job) as claimed:
        if not claimed:
            return export
        job.refresh_from_db()
        if job.is_finished:
            return export

        def on_progress(done: int) -> None:
            job_progress(job=job, done=done)

        name = _stored_name(export)
        job_progress(job=job, done=0)
        size = 0
        try:
            with tempfile.TemporaryFile() as spool:
                for chunk in _chunks(export, on_progress, chunk_size):
                    spool.write(chunk)
                    size += len(chunk)
                spool.seek(0)
                if default_storage.exists(name):
                    default_storage.delete(name)
                saved = default_storage.save(name, File(spool, name=name))
        except EmptyCatalogueError:
            export_fail(job_id=job_id, message=EMPTY_MESSAGE)
            return export
        except ExportError as exc:
            export_fail(job_id=job_id, message=f"The export stopped: {exc}")
            return export
        except (OperationalError, InterfaceError):
            raise  # the task retries
        except Exception:
            logger.exception("Catalogue export job %s failed", job_id)
            export_fail(job_id=job_id, message="The export stopped on an unexpected error; start it again.")
            return export
        with transaction.atomic():
            export.file = saved
            export.size = size
            export.rows = job.done
            export.finished_at = timezone.now()
            export.save(update_fields=["file", "size", "rows", "finished_at"])
            job_finish(job=job, message=f"{job.done:,} product{'' if job.done == 1 else 's'} exported.")
            if export.schedule_id:
                ExportSchedule.objects.filter(pk=export.schedule_id).update(last_export=export)
                transaction.on_commit(partial(schedule_prune, schedule_id=export.schedule_id), robust=True)
    return export


def schedule_prune(*, schedule_id: int, keep: int | None = None) -> int:
    """Delete the files of a schedule's finished exports but the newest `keep` (SCHEDULE_KEEP; the rows
    stay, without a file), so daily exports do not fill the storage. Answers how many files were deleted."""
    keep = SCHEDULE_KEEP if keep is None else keep
    older = list(
        CatalogExport.objects.filter(schedule_id=schedule_id, job__status=JobStatus.DONE)
        .exclude(file="")
        .order_by("-created_at", "-id")
        .values_list("pk", "file")[keep:]
    )
    for _, name in older:
        default_storage.delete(name)
    CatalogExport.objects.filter(pk__in=[pk for pk, _ in older]).update(file="")
    return len(older)


def export_fail(*, job_id: int, message: str) -> Job | None:
    """End an unfinished export job as failed with `message` (a finished one stays as it is)."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id, kind=JOB_KIND).first()
        if job is None or job.is_finished:
            return job
        return job_fail(job=job, message=message)


def export_status(export: CatalogExport) -> str:
    return export.job.status


def export_is_done(export: CatalogExport) -> bool:
    return export.job.status == JobStatus.DONE and bool(export.file)


def export_filename(export: CatalogExport) -> str:
    day = (export.finished_at or export.created_at).date().isoformat()
    return f"{export.partner.slug}-catalogue-{day}.{export.extension}"


# --- Daily schedules and their feed ------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, _token_hash(token)


def schedule_save(
    *, actor: User, partner: Partner, format: str, language: str, enabled: bool
) -> tuple[ExportSchedule, str | None]:
    """Create or change the partner's daily export in `format` and `language`. Answers the schedule and,
    when it was just made, its feed token (shown once; only its hash is kept), else None."""
    _require(actor, partner)
    chosen = clean_format(format)
    language = clean_language(language)
    with transaction.atomic():
        schedule = (
            ExportSchedule.objects.select_for_update()
            .filter(partner=partner, format=chosen, language=language)
            .first()
        )
        if schedule is not None:
            schedule.enabled = enabled
            schedule.save(update_fields=["enabled", "updated_at"])
            return schedule, None
        token, digest = _new_token()
        schedule = ExportSchedule.objects.create(
            partner=partner, format=chosen, language=language, enabled=enabled, feed_token_hash=digest,
            created_by=actor,
        )  # fmt: skip
    return schedule, token


def schedule_rotate_token(*, actor: User, schedule: ExportSchedule) -> str:
    """Give the schedule a new feed token (the old address stops working); answers it, shown once."""
    _require(actor, schedule.partner)
    token, digest = _new_token()
    schedule.feed_token_hash = digest
    schedule.save(update_fields=["feed_token_hash", "updated_at"])
    return token


def schedule_delete(*, actor: User, schedule: ExportSchedule) -> None:
    """Remove the schedule; its feed stops answering (the exports made stay in the list)."""
    _require(actor, schedule.partner)
    schedule.delete()


def partner_schedules(partner: Partner) -> list[ExportSchedule]:
    return list(ExportSchedule.objects.filter(partner=partner).select_related("last_export"))


def feed_export(token: str) -> CatalogExport | None:
    """The newest finished export of the schedule whose feed token this is, or None (answer 404). The
    token's hash is looked up by index and then compared in constant time."""
    if not token or len(token) > 200:
        return None
    digest = _token_hash(token)
    schedule = ExportSchedule.objects.filter(feed_token_hash=digest).select_related("partner").first()
    if schedule is None or not hmac.compare_digest(schedule.feed_token_hash, digest):
        return None
    return (
        CatalogExport.objects.filter(schedule=schedule, job__status=JobStatus.DONE)
        .exclude(file="")
        .select_related("partner", "job")
        .first()
    )


def schedules_start_due(*, now: datetime | None = None) -> list[CatalogExport]:
    """Start today's export of every enabled schedule that has none from the last SCHEDULE_INTERVAL. A
    schedule whose creator may no longer export the partner, or whose assortment is empty, is skipped
    (logged). Safe to run twice: the second run finds the exports just started."""
    now = now or timezone.now()
    started: list[CatalogExport] = []
    due = (
        ExportSchedule.objects.filter(enabled=True)
        .exclude(exports__created_at__gte=now - SCHEDULE_INTERVAL)
        .select_related("partner", "created_by")
        .order_by("id")
    )
    for schedule in due:
        actor = schedule.created_by
        if actor is None or not can_export(actor, schedule.partner):
            logger.warning("Export schedule %s skipped: its owner may no longer export.", schedule.pk)
            continue
        try:
            started.append(
                export_start(
                    actor=actor,
                    partner=schedule.partner,
                    format=schedule.format,
                    language=schedule.language,
                    schedule=schedule,
                )
            )
        except (ValidationError, NotAllowed) as exc:
            logger.warning("Export schedule %s skipped: %s", schedule.pk, exc)
    return started
