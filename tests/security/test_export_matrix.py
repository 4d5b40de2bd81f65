"""The access matrix for catalogue exports: each persona × starting an export in the partner portal,
starting one through the API, reading it through the API, downloading its file, and the schedule feed.

Start: the partner's own managers, channel admins and the partner's channel managers (API; the partner
portal is for partner users, so channel staff get 403 there); a partner's employees and its parent's
managers see the partner but may not export (403); anybody else does not see it (404).
Read and download: whoever sees the partner (scope_partners); others 404; no login goes to the login page
(download) or 401 (API). Feed: the token alone decides, whoever asks (unknown token 404)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from catalog import assortment as assortment_services
from catalog.models import Category, Product
from core.models import Job
from core.services import api_token_create
from showroom import exports
from showroom.models import CatalogExport

pytestmark = pytest.mark.django_db

PERSONAS = ["admin", "cm_a", "cm_c", "pm_a", "pe_a", "pm_b", "pm_c", "pe_c", "anonymous"]

# persona -> (status of POST partner:export_start for the persona's own partner, a job was queued)
PORTAL_START = {
    "admin": (403, False), "cm_a": (403, False), "cm_c": (403, False), "pm_a": (302, True),
    "pe_a": (403, False), "pm_b": (302, True), "pm_c": (302, False), "pe_c": (403, False),
    "anonymous": (302, False),
}  # fmt: skip
# partner -> persona -> (POST /catalog/exports, GET /catalog/exports/{id}, download)
EXPECTED = {
    "a": {
        "admin": (202, 200, 200), "cm_a": (202, 200, 200), "cm_c": (404, 404, 404), "pm_a": (202, 200, 200),
        "pe_a": (403, 200, 200), "pm_b": (404, 404, 404), "pm_c": (404, 404, 404), "pe_c": (404, 404, 404),
        "anonymous": (401, 401, 302),
    },
    "b": {
        "admin": (202, 200, 200), "cm_a": (202, 200, 200), "cm_c": (404, 404, 404), "pm_a": (403, 200, 200),
        "pe_a": (404, 404, 404), "pm_b": (202, 200, 200), "pm_c": (404, 404, 404), "pe_c": (404, 404, 404),
        "anonymous": (401, 401, 302),
    },
}  # fmt: skip


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def catalogue(world):
    """A and its reseller B sell "Sensors"; C sells nothing."""
    category = Category.objects.create(name="Sensors", slug="sensors")
    Product.objects.create(sku="S-1", name="Sensor", list_price="10", category=category)
    for partner in (world.a, world.b):
        assortment_services.assortment_set_categories(
            actor=world.admin, partner=partner, category_ids=[category.pk]
        )
    return category


def as_persona(client, world, persona):
    if persona != "anonymous":
        client.force_login(getattr(world, persona))
    return client


def auth(world, persona) -> dict[str, str]:
    if persona == "anonymous":
        return {}
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=getattr(world, persona), name='m')[1]}"}


def finished_export(world, partner, django_capture_on_commit_callbacks) -> CatalogExport:
    with django_capture_on_commit_callbacks(execute=True):
        export = exports.export_start(actor=world.admin, partner=partner, format="csv")
    return export


@pytest.mark.parametrize("persona", PERSONAS)
def test_portal_start(client, world, catalogue, persona):
    response = as_persona(client, world, persona).post(
        reverse("partner:export_start"), {"format": "csv", "language": "eng"}
    )
    status, queued = PORTAL_START[persona]
    assert response.status_code == status
    if persona == "anonymous":
        assert "login" in response["Location"]
    assert Job.objects.exists() is queued


@pytest.mark.parametrize("partner_key", ["a", "b"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_api_start(client, world, catalogue, persona, partner_key):
    partner = getattr(world, partner_key)
    response = client.post(
        "/api/v1/catalog/exports",
        {"partner": partner.pk, "format": "json"},
        content_type="application/json",
        **auth(world, persona),
    )
    assert response.status_code == EXPECTED[partner_key][persona][0]
    assert Job.objects.exists() is (response.status_code == 202)


@pytest.mark.parametrize("partner_key", ["a", "b"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_api_read(client, world, catalogue, persona, partner_key, django_capture_on_commit_callbacks):
    export = finished_export(world, getattr(world, partner_key), django_capture_on_commit_callbacks)
    response = client.get(f"/api/v1/catalog/exports/{export.pk}", **auth(world, persona))
    assert response.status_code == EXPECTED[partner_key][persona][1]
    if response.status_code == 200:
        assert response.json()["download_url"]


@pytest.mark.parametrize("partner_key", ["a", "b"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_download(client, world, catalogue, persona, partner_key, django_capture_on_commit_callbacks):
    export = finished_export(world, getattr(world, partner_key), django_capture_on_commit_callbacks)
    response = as_persona(client, world, persona).get(reverse("showroom_exports:download", args=[export.pk]))
    assert response.status_code == EXPECTED[partner_key][persona][2]
    if response.status_code == 200:
        assert response["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize("persona", PERSONAS)
def test_feed_answers_the_token_whoever_asks(
    client, world, catalogue, persona, django_capture_on_commit_callbacks
):
    _, token = exports.schedule_save(
        actor=world.pm_a, partner=world.a, format="csv", language="eng", enabled=True
    )
    with django_capture_on_commit_callbacks(execute=True):
        exports.schedules_start_due()
    client = as_persona(client, world, persona)
    assert client.get(reverse("showroom_exports:feed", args=[token])).status_code == 200
    assert client.get(reverse("showroom_exports:feed", args=[token[:-1]])).status_code == 404
