"""Catalogue export jobs end to end: starting (access, empty assortment, bad input), running (files in each
format, progress, a product the format refuses), running twice and resuming, the download (headers,
scope), the daily schedules and their token-protected feed, the API, and the partner portal page."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone
from lxml import etree

from catalog import assortment as assortment_services
from catalog.models import Category, Product
from core.errors import NotAllowed
from core.jobs import job_runner
from core.models import Job, JobStatus
from core.services import api_token_create
from showroom import exports
from showroom.bmecat import BMECAT_NAMESPACE, SCHEMA_PATH
from showroom.models import CatalogExport, ExportSchedule

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def catalogue(world):
    """Five products in "Sensors" (below "Automation"), one in "Cables"; partner A sells Sensors as a
    whole and the cable on its own at its price, stock and lead time."""
    top = Category.objects.create(name="Automation", slug="automation")
    sensors = Category.objects.create(name="Sensors", slug="sensors", parent=top)
    cables = Category.objects.create(name="Cables", slug="cables")
    products = [
        Product.objects.create(sku=f"S-{n}", name=f"Sensor {n}", list_price=f"{10 + n}.50", category=sensors)
        for n in range(1, 6)
    ]
    cable = Product.objects.create(sku="C-1", name="=Cable", list_price="5", category=cables)
    assortment_services.assortment_set_categories(
        actor=world.admin, partner=world.a, category_ids=[sensors.pk]
    )
    assortment_services.assortment_add_products(actor=world.admin, partner=world.a, product_ids=[cable.pk])
    assortment_services.assortment_product_update(
        actor=world.admin,
        partner=world.a,
        product=cable,
        settings={"price": Decimal("4.20"), "stock": 7, "lead_time_days": 3},
    )
    return {"products": products, "cable": cable, "sensors": sensors}


def run_export(world, django_capture_on_commit_callbacks, *, user=None, partner=None, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        export = exports.export_start(actor=user or world.pm_a, partner=partner or world.a, **kwargs)
    return CatalogExport.objects.select_related("job", "partner").get(pk=export.pk)


def stored(export: CatalogExport) -> bytes:
    with default_storage.open(export.file, "rb") as handle:
        return handle.read()


def stored_files() -> list[str]:
    return default_storage.listdir(exports.EXPORT_DIRECTORY)[1] if default_storage.exists("exports") else []


# --- Start and run ---------------------------------------------------------------------------------


def test_csv_export_runs_to_a_stored_file(world, catalogue, django_capture_on_commit_callbacks):
    export = run_export(world, django_capture_on_commit_callbacks, format="csv")
    assert export.job.status == JobStatus.DONE
    assert export.job.kind == "catalog_export"
    assert export.job.partner_id == world.a.pk
    assert (export.job.done, export.job.total, export.rows) == (6, 6, 6)
    assert export.file.startswith("exports/") and export.file.endswith(".csv")
    data = stored(export)
    assert export.size == len(data)
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    assert sorted(row["sku"] for row in rows) == ["C-1", "S-1", "S-2", "S-3", "S-4", "S-5"]
    cable = next(row for row in rows if row["sku"] == "C-1")
    # The partner's own price, stock and lead time; the formula-looking name defused.
    assert (cable["price"], cable["stock"], cable["lead_time_days"]) == ("4.20", "7", "3")
    assert cable["name"] == "'=Cable"
    sensor = next(row for row in rows if row["sku"] == "S-2")
    assert sensor["price"] == "12.50" and sensor["stock"] == ""


def test_json_export_holds_every_product(world, catalogue, django_capture_on_commit_callbacks):
    export = run_export(world, django_capture_on_commit_callbacks, format="json")
    items = json.loads(stored(export))
    assert len(items) == 6
    assert {item["sku"]: item["price"] for item in items}["C-1"] == "4.20"


def test_the_job_page_leads_back_to_the_exports(world, catalogue, login, django_capture_on_commit_callbacks):
    from django.urls import reverse

    export = run_export(world, django_capture_on_commit_callbacks, format="csv")
    page = login(world.pm_a).get(reverse("job_detail", args=[export.job.pk])).content.decode()
    assert f'href="{reverse("partner:exports")}">Exports</a>' in page
    assert "Start another export" in page


def test_bmecat_export_is_valid_against_the_schema(world, catalogue, django_capture_on_commit_callbacks):
    export = run_export(world, django_capture_on_commit_callbacks, format="bmecat", language="deu")
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    schema = etree.XMLSchema(etree.parse(str(SCHEMA_PATH), parser))
    document = etree.fromstring(stored(export), parser)
    schema.assertValid(document)
    ns = {"b": BMECAT_NAMESPACE}
    assert document.findtext("b:HEADER/b:CATALOG/b:LANGUAGE", namespaces=ns) == "deu"
    assert len(document.findall(".//b:PRODUCT", ns)) == 6
    groups = {e.text for e in document.findall(".//b:CATALOG_STRUCTURE/b:GROUP_NAME", ns)}
    assert {"Automation", "Sensors", "Cables"} <= groups
    assert export.file.endswith(".xml")


def test_progress_is_reported_after_each_chunk(
    world, catalogue, monkeypatch, django_capture_on_commit_callbacks
):
    seen: list[int] = []
    real = exports.job_progress

    def spy(*, job, done, **kwargs):
        seen.append(done)
        return real(job=job, done=done, **kwargs)

    monkeypatch.setattr(exports, "job_progress", spy)
    monkeypatch.setattr(exports, "CHUNK_SIZE", 2)
    with django_capture_on_commit_callbacks(execute=False):
        export = exports.export_start(actor=world.pm_a, partner=world.a, format="csv")
    exports.export_run(job_id=export.job_id, chunk_size=2)
    assert seen == [0, 2, 4, 6]


def test_empty_assortment_is_refused_before_a_job_is_queued(world, catalogue):
    with pytest.raises(ValidationError, match="assortment is empty"):
        exports.export_start(actor=world.pm_c, partner=world.c, format="csv")
    assert not Job.objects.exists() and not CatalogExport.objects.exists()


@pytest.mark.parametrize("persona", ["pe_a", "pm_b", "cm_c"])
def test_who_may_not_export_is_refused(world, catalogue, persona):
    with pytest.raises(NotAllowed):
        exports.export_start(actor=getattr(world, persona), partner=world.a, format="csv")
    assert not Job.objects.exists()


@pytest.mark.parametrize("persona", ["admin", "cm_a", "pm_a"])
def test_managers_and_channel_staff_may_export(world, catalogue, persona):
    export = exports.export_start(actor=getattr(world, persona), partner=world.a, format="csv")
    assert export.job.owner == getattr(world, persona)


@pytest.mark.parametrize(("field", "value"), [("format", "xls"), ("language", "english"), ("language", "zz")])
def test_bad_format_or_language_is_refused(world, catalogue, field, value):
    arguments = {"format": "csv", "language": "eng", field: value}
    with pytest.raises(ValidationError) as caught:
        exports.export_start(actor=world.pm_a, partner=world.a, **arguments)
    assert field in caught.value.message_dict
    assert not Job.objects.exists()


def test_a_product_the_format_refuses_fails_the_job_with_a_message(
    world, catalogue, django_capture_on_commit_callbacks
):
    # 40 characters fit the catalogue, not BMEcat's SUPPLIER_PID (32); written past validation.
    Product.objects.filter(pk=catalogue["cable"].pk).update(sku="C" * 40)
    export = run_export(world, django_capture_on_commit_callbacks, format="bmecat")
    assert export.job.status == JobStatus.FAILED
    assert "SUPPLIER_PID" in export.job.message
    assert stored_files() == []


def test_an_assortment_emptied_after_the_start_fails_the_job(world, catalogue):
    export = exports.export_start(actor=world.pm_a, partner=world.a, format="csv")
    Product.objects.update(active=False)
    exports.export_run(job_id=export.job_id)
    export.job.refresh_from_db()
    assert export.job.status == JobStatus.FAILED
    assert export.job.message == exports.EMPTY_MESSAGE


# --- Idempotence and resume ------------------------------------------------------------------------


def test_running_a_finished_job_again_changes_nothing(world, catalogue, django_capture_on_commit_callbacks):
    export = run_export(world, django_capture_on_commit_callbacks, format="csv")
    before = (export.file, export.size, export.finished_at)
    exports.export_run(job_id=export.job_id)
    export.refresh_from_db()
    assert (export.file, export.size, export.finished_at) == before
    assert stored_files() == [export.file.split("/")[-1]]


def test_an_interrupted_export_resumes_into_the_same_file(world, catalogue):
    export = exports.export_start(actor=world.pm_a, partner=world.a, format="csv")
    # A first worker chose the name, wrote part of the file and died.
    name = exports._stored_name(export)
    default_storage.save(name, io.BytesIO(b"sku,name\r\nS-1,half"))
    exports.job_progress(job=export.job, done=2)
    exports.export_run(job_id=export.job_id)
    export.refresh_from_db()
    export.job.refresh_from_db()
    assert export.job.status == JobStatus.DONE
    assert export.file == name
    assert stored_files() == [name.split("/")[-1]]
    assert stored(export).count(b"\r\n") == 7  # header + 6 products


def test_the_stale_job_sweep_knows_the_export_task():
    assert job_runner("catalog_export") == "showroom.tasks.export_catalog_task"


# --- Download --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("format", "content_type", "extension"),
    [("csv", "text/csv; charset=utf-8", "csv"), ("json", "application/json", "json"),
     ("bmecat", "application/xml", "xml")],
)  # fmt: skip
def test_download_is_an_attachment_with_its_type(
    world, catalogue, login, django_capture_on_commit_callbacks, format, content_type, extension
):
    export = run_export(world, django_capture_on_commit_callbacks, format=format)
    response = login(world.pe_a).get(reverse("showroom_exports:download", args=[export.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"].startswith("attachment;")
    assert (
        f'filename="alpha-catalogue-{timezone.now().date().isoformat()}.{extension}"'
        in response["Content-Disposition"]
    )
    assert b"".join(response.streaming_content) == stored(export)


def test_download_out_of_scope_or_unfinished_is_404(
    world, catalogue, login, django_capture_on_commit_callbacks
):
    done = run_export(world, django_capture_on_commit_callbacks, format="csv")
    queued = exports.export_start(actor=world.pm_a, partner=world.a, format="csv")
    assert login(world.pm_c).get(reverse("showroom_exports:download", args=[done.pk])).status_code == 404
    assert login(world.pm_a).get(reverse("showroom_exports:download", args=[queued.pk])).status_code == 404
    assert login(world.pm_a).get(reverse("showroom_exports:download", args=[999999])).status_code == 404


def test_download_without_login_goes_to_the_login_page(
    world, catalogue, client, django_capture_on_commit_callbacks
):
    export = run_export(world, django_capture_on_commit_callbacks, format="csv")
    response = client.get(reverse("showroom_exports:download", args=[export.pk]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_download_with_an_api_token(world, catalogue, client, django_capture_on_commit_callbacks):
    export = run_export(world, django_capture_on_commit_callbacks, format="csv")
    url = reverse("showroom_exports:download", args=[export.pk])
    token = api_token_create(user=world.cm_a, name="shop")[1]
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    assert client.get(url, HTTP_AUTHORIZATION="Bearer nonsense").status_code == 401
    other = api_token_create(user=world.cm_c, name="shop")[1]
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {other}").status_code == 404


# --- Schedules and the feed ------------------------------------------------------------------------


def test_schedule_token_is_stored_hashed_and_serves_the_newest_export(
    world, catalogue, client, django_capture_on_commit_callbacks
):
    schedule, token = exports.schedule_save(
        actor=world.pm_a, partner=world.a, format="csv", language="eng", enabled=True
    )
    assert token and schedule.feed_token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(ExportSchedule.objects.values_list().get())
    url = reverse("showroom_exports:feed", args=[token])
    assert client.get(url).status_code == 404  # no finished export yet
    with django_capture_on_commit_callbacks(execute=True):
        [first] = exports.schedules_start_due()
    later = timezone.now() + timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        [second] = exports.schedules_start_due(now=later)
    CatalogExport.objects.filter(pk=second.pk).update(created_at=later)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    second.refresh_from_db()
    assert b"".join(response.streaming_content) == stored(second)
    schedule.refresh_from_db()
    assert schedule.last_export_id == second.pk and first.pk != second.pk


def test_schedules_start_once_a_day(world, catalogue, django_capture_on_commit_callbacks):
    exports.schedule_save(actor=world.pm_a, partner=world.a, format="csv", language="eng", enabled=True)
    exports.schedule_save(actor=world.pm_a, partner=world.a, format="json", language="eng", enabled=False)
    assert len(exports.schedules_start_due()) == 1
    assert exports.schedules_start_due() == []
    assert len(exports.schedules_start_due(now=timezone.now() + timedelta(hours=21))) == 1


def test_schedule_of_someone_who_may_no_longer_export_is_skipped(world, catalogue):
    exports.schedule_save(actor=world.cm_a, partner=world.a, format="csv", language="eng", enabled=True)
    world.a.managers.remove(world.cm_a)
    assert exports.schedules_start_due() == []
    assert not Job.objects.exists()


def test_unknown_or_rotated_token_is_404(world, catalogue, client, django_capture_on_commit_callbacks):
    schedule, token = exports.schedule_save(
        actor=world.pm_a, partner=world.a, format="csv", language="eng", enabled=True
    )
    with django_capture_on_commit_callbacks(execute=True):
        exports.schedules_start_due()
    assert client.get(reverse("showroom_exports:feed", args=[token])).status_code == 200
    new = exports.schedule_rotate_token(actor=world.pm_a, schedule=schedule)
    assert client.get(reverse("showroom_exports:feed", args=[token])).status_code == 404
    assert client.get(reverse("showroom_exports:feed", args=[new])).status_code == 200
    assert client.get(reverse("showroom_exports:feed", args=["x" * 43])).status_code == 404


def test_saving_an_existing_schedule_keeps_its_token(world, catalogue):
    schedule, token = exports.schedule_save(
        actor=world.pm_a, partner=world.a, format="csv", language="eng", enabled=True
    )
    again, none = exports.schedule_save(
        actor=world.pm_a, partner=world.a, format="csv", language="eng", enabled=False
    )
    assert none is None and again.pk == schedule.pk and not again.enabled
    assert again.feed_token_hash == schedule.feed_token_hash


def test_employees_may_not_set_up_schedules(world, catalogue):
    with pytest.raises(NotAllowed):
        exports.schedule_save(actor=world.pe_a, partner=world.a, format="csv", language="eng", enabled=True)


# --- API -------------------------------------------------------------------------------------------


def bearer(user) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=user, name='t')[1]}"}


def test_api_starts_and_follows_an_export(world, catalogue, client, django_capture_on_commit_callbacks):
    auth = bearer(world.cm_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/catalog/exports",
            {"partner": world.a.pk, "format": "bmecat", "language": "fra"},
            content_type="application/json",
            **auth,
        )
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "queued" and body["download_url"] is None
    detail = client.get(f"/api/v1/catalog/exports/{body['id']}", **auth).json()
    assert (detail["status"], detail["progress"], detail["done"], detail["total"]) == ("done", 100, 6, 6)
    assert detail["language"] == "fra"
    assert detail["download_url"].endswith(reverse("showroom_exports:download", args=[body["id"]]))
    download = client.get(detail["download_url"], **auth)
    assert download.status_code == 200 and download["Content-Type"] == "application/xml"


def test_api_refuses_bad_input_with_messages(world, catalogue, client):
    auth = bearer(world.admin)
    url = "/api/v1/catalog/exports"
    bad_format = client.post(
        url, {"partner": world.a.pk, "format": "xls"}, content_type="application/json", **auth
    )
    assert bad_format.status_code == 422 and "format" in bad_format.json()["errors"]
    bad_language = client.post(
        url,
        {"partner": world.a.pk, "format": "csv", "language": "zz"},
        content_type="application/json",
        **auth,
    )
    assert bad_language.status_code == 422 and "language" in bad_language.json()["errors"]
    empty = client.post(
        url, {"partner": world.c.pk, "format": "csv"}, content_type="application/json", **auth
    )
    assert empty.status_code == 422
    assert "assortment is empty" in json.dumps(empty.json()["errors"])
    assert not Job.objects.exists()


def test_api_out_of_scope_is_404_and_reading_only_is_403(world, catalogue, client):
    url = "/api/v1/catalog/exports"
    payload = {"partner": world.a.pk, "format": "csv"}
    assert client.post(url, payload, content_type="application/json", **bearer(world.cm_c)).status_code == 404
    assert client.post(url, payload, content_type="application/json", **bearer(world.pe_a)).status_code == 403
    export = exports.export_start(actor=world.pm_a, partner=world.a, format="csv")
    assert client.get(f"{url}/{export.pk}", **bearer(world.pm_c)).status_code == 404
    assert client.get(f"{url}/{export.pk}", **bearer(world.pe_a)).status_code == 200
    assert client.get(f"{url}/{2**63}", **bearer(world.admin)).status_code in (404, 422)


def test_api_detail_query_count_is_constant(world, catalogue, client, django_assert_num_queries):
    export = exports.export_start(actor=world.pm_a, partner=world.a, format="csv")
    auth = bearer(world.pm_a)
    # token and user, actor, export (partner scope as a subquery, job and partner joined)
    with django_assert_num_queries(4):
        assert client.get(f"/api/v1/catalog/exports/{export.pk}", **auth).status_code == 200


# --- Partner portal page ---------------------------------------------------------------------------


def test_portal_page_starts_an_export_and_lists_it(
    world, catalogue, login, django_capture_on_commit_callbacks
):
    client = login(world.pm_a)
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(reverse("partner:export_start"), {"format": "csv", "language": "eng"})
    assert started.status_code == 302 and started["Location"] == reverse("partner:exports")
    response = client.get(started["Location"])
    assert "export has started" in response.content.decode()
    export = CatalogExport.objects.get()
    assert reverse("showroom_exports:download", args=[export.pk]) in response.content.decode()
    assert [crumb[0] for crumb in response.context["breadcrumbs"]] == ["Partner portal", "Catalogue exports"]


def test_portal_refuses_an_empty_assortment_with_a_message(world, catalogue, login):
    response = login(world.pm_c).post(
        reverse("partner:export_start"), {"format": "csv", "language": "eng"}, follow=True
    )
    assert "assortment is empty" in response.content.decode()
    assert not Job.objects.exists()


def test_portal_shows_the_feed_token_once(world, catalogue, login):
    client = login(world.pm_a)
    response = client.post(
        reverse("partner:export_schedule_save"),
        {"format": "bmecat", "language": "eng", "enabled": "on"},
        follow=True,
    )
    feed = response.context["new_feed"]
    assert feed and "/showroom/feeds/" in feed and feed in response.content.decode()
    token = feed.rstrip("/").rsplit("/", 1)[-1]
    assert ExportSchedule.objects.get().feed_token_hash == hashlib.sha256(token.encode()).hexdigest()
    again = client.get(reverse("partner:exports"))
    assert again.context["new_feed"] is None and token not in again.content.decode()


def test_portal_employee_sees_the_list_but_may_not_start(world, catalogue, login):
    client = login(world.pe_a)
    page = client.get(reverse("partner:exports"))
    assert page.status_code == 200 and not page.context["can_export"]
    assert reverse("partner:export_start") not in page.content.decode()
    assert (
        client.post(reverse("partner:export_start"), {"format": "csv", "language": "eng"}).status_code == 403
    )
    assert client.post(reverse("partner:export_schedule_save"), {"format": "csv"}).status_code == 403


def test_portal_schedule_of_another_partner_is_404(world, catalogue, login):
    schedule, _ = exports.schedule_save(
        actor=world.pm_a, partner=world.a, format="csv", language="eng", enabled=True
    )
    client = login(world.pm_c)
    assert client.post(reverse("partner:export_schedule_rotate", args=[schedule.pk])).status_code == 404
    assert client.post(reverse("partner:export_schedule_delete", args=[schedule.pk])).status_code == 404
    assert ExportSchedule.objects.filter(pk=schedule.pk).exists()


def test_portal_page_query_count_is_constant(
    world, catalogue, login, django_assert_num_queries, django_capture_on_commit_callbacks
):
    client = login(world.pm_a)
    exports.schedule_save(actor=world.pm_a, partner=world.a, format="csv", language="eng", enabled=True)
    run_export(world, django_capture_on_commit_callbacks, format="csv")
    url = reverse("partner:exports")
    client.get(url)
    # session, user, actor, partner, exports (job joined), schedules (last export joined)
    with django_assert_num_queries(6):
        client.get(url)
    for _ in range(5):
        run_export(world, django_capture_on_commit_callbacks, format="json")
    with django_assert_num_queries(6):
        assert client.get(url).status_code == 200


def test_a_schedule_keeps_only_its_newest_files(
    world, catalogue, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(exports, "SCHEDULE_KEEP", 2)
    exports.schedule_save(actor=world.pm_a, partner=world.a, format="csv", language="eng", enabled=True)
    made = []
    for day in range(4):
        now = timezone.now() + timedelta(days=day)
        with django_capture_on_commit_callbacks(execute=True):
            [export] = exports.schedules_start_due(now=now)
        made.append(export.pk)
    kept = dict(CatalogExport.objects.values_list("pk", "file"))
    assert [bool(kept[pk]) for pk in made] == [False, False, True, True]
    assert sorted(stored_files()) == sorted(kept[pk].split("/")[-1] for pk in made[2:])


def test_the_feed_answers_head_requests(world, catalogue, client, django_capture_on_commit_callbacks):
    _, token = exports.schedule_save(
        actor=world.pm_a, partner=world.a, format="csv", language="eng", enabled=True
    )
    with django_capture_on_commit_callbacks(execute=True):
        exports.schedules_start_due()
    assert client.head(reverse("showroom_exports:feed", args=[token])).status_code == 200


# --- Channel portal: a partner's exports ------------------------------------------------------------


def test_channel_staff_export_a_partners_catalogue_from_the_portal(
    world, catalogue, login, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    page = reverse("channel:partner_exports", args=[world.a.pk])
    start = reverse("channel:partner_export_start", args=[world.a.pk])
    body = login(world.cm_a).get(page)
    assert body.status_code == 200 and "Start export" in body.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = login(world.cm_a).post(start, {"format": "bmecat", "language": "eng"}, follow=True)
    export = CatalogExport.objects.get()
    assert export.partner == world.a and export.format == "bmecat"
    assert "export has started" in response.content.decode()
    after = login(world.cm_a).get(page).content.decode()  # the job ran when the request committed
    assert f'href="{reverse("showroom_exports:download", args=[export.pk])}"' in after
    bad = login(world.admin).post(start, {"format": "pdf", "language": "eng"}, follow=True)
    assert bad.status_code == 200 and CatalogExport.objects.count() == 1
    # Out of scope: another manager's partner is 404; partner users never reach the channel portal.
    assert login(world.cm_c).get(page).status_code == 404
    assert login(world.cm_c).post(start, {"format": "csv", "language": "eng"}).status_code == 404
    assert login(world.pm_a).get(page).status_code == 403
    assert CatalogExport.objects.count() == 1


@pytest.mark.parametrize("rows", [1, 5])
def test_channel_exports_page_queries_do_not_grow(
    world, catalogue, login, django_capture_on_commit_callbacks, django_assert_num_queries, rows
):
    from django.urls import reverse

    for _ in range(rows):
        run_export(world, django_capture_on_commit_callbacks, format="csv")
    client = login(world.admin)
    page = reverse("channel:partner_exports", args=[world.a.pk])
    client.get(page)
    with django_assert_num_queries(5):  # session, user, actor, the partner, the exports (job joined)
        assert client.get(page).status_code == 200
