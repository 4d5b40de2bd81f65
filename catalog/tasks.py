"""Background work of the catalogue: CSV product imports. Thin: the task calls catalog.imports."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from catalog import imports

TRANSIENT = (OperationalError, InterfaceError)


@shared_task(bind=True, acks_late=True, max_retries=5)
def import_products_task(self, job_id: int) -> None:  # type: ignore[no-untyped-def]
    """Run a product import job (catalog.imports.product_import_run). Running it again does nothing to
    a finished job and resumes an interrupted one after its last committed chunk; a database that went
    away is retried with backoff, and the job fails with a message when the retries run out (at once
    in-process, where there is no broker to retry through)."""
    try:
        imports.product_import_run(job_id=job_id)
    except TRANSIENT as exc:
        if self.request.is_eager or self.request.retries >= self.max_retries:
            imports.product_import_fail(
                job_id=job_id,
                message="The import stopped: the database could not be reached. The products imported "
                "before are kept; import the file again to do the rest (rows are matched by SKU).",
            )
            return
        raise self.retry(exc=exc, countdown=min(600, 15 * 2**self.request.retries))
