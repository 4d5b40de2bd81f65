"""The access matrix for service: knowledge-base solutions (published only for partners), service
requests, their internal comments and their attachments; each persona × the records of distributor A,
its reseller B and independent C; selectors, portal pages and API routes; list, detail, change,
download.

Scope (service.selectors): channel admins see every request, a channel manager those of the partners
they manage and their resellers (cm_a: A and B), a partner manager their own partner's and its
resellers' (pm_a: A and B, B read-only), a partner employee their partner's requests assigned to them
or to nobody (pe_a: not A's request assigned to its manager). Out of scope is 404; the wrong portal
403. Working a request (service.rules.works_request): the people of its own partner; the brand owner
acts on escalated requests of the partners it manages. Internal comments: the request's own partner's
people only."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from core.services import api_token_create
from service import selectors, services
from service.choices import ServiceStatus
from service.models import ServiceAttachment, ServiceRequest
from tests.service.conftest import pdf

pytestmark = pytest.mark.django_db

API = "/api/v1/service-requests"
PERSONAS = ["admin", "cm_a", "cm_c", "pm_a", "pe_a", "pm_b", "pm_c", "pe_c", "anonymous"]
CHANNEL = {"admin", "cm_a", "cm_c"}
PARTNER = {"pm_a", "pe_a", "pm_b", "pm_c", "pe_c"}
KEYS = ["a", "b", "c"]  # distributor A, its reseller B, independent C

SEES = {
    "admin": {"a", "b", "c", "a_manager"},
    "cm_a": {"a", "b", "a_manager"},
    "cm_c": {"c"},
    "pm_a": {"a", "b", "a_manager"},
    "pe_a": {"a"},
    "pm_b": {"b"},
    "pm_c": {"c"},
    "pe_c": {"c"},
    "anonymous": set(),
}
WORKS = {"pm_a": {"a", "a_manager"}, "pe_a": {"a"}, "pm_b": {"b"}, "pm_c": {"c"}, "pe_c": {"c"}}
HANDLES = {"admin": {"a", "b", "c", "a_manager"}, "cm_a": {"a", "b", "a_manager"}, "cm_c": {"c"}}
# Who reads internal comments: the request's own partner's people.
INTERNAL = {"pm_a": {"a", "a_manager"}, "pe_a": {"a"}, "pm_b": {"b"}, "pm_c": {"c"}, "pe_c": {"c"}}
ALL_KEYS = ["a", "b", "c", "a_manager"]


@dataclass
class Records:
    requests: dict[
        str, ServiceRequest
    ]  # escalated, with comments and a file; "a_manager": A's, assigned to pm_a
    files: dict[str, ServiceAttachment]


@pytest.fixture
def records(world, service) -> Records:
    requests, files = {}, {}
    for key in ALL_KEYS:
        if key == "a_manager":
            request = service.request(
                world, "a", actor=world.pm_a, assigned_to=world.pm_a, subject="Manager's own"
            )
            worker = world.pm_a
        else:
            request = service.request(world, key, subject=f"Request of {key}")
            worker = service.worker(world, key)
        services.comment_add(request=request, actor=worker, body=f"internal {key}", internal=True)
        services.comment_add(request=request, actor=worker, body=f"public {key}")
        files[key] = services.attachment_add(request=request, actor=worker, files=[pdf(f"{key}.pdf")])[0]
        requests[key] = services.request_escalate(request=request, actor=worker, reason=f"Escalated {key}")
    return Records(requests=requests, files=files)


def user(world, persona):
    return AnonymousUser() if persona == "anonymous" else getattr(world, persona)


def login(client, world, persona):
    if persona != "anonymous":
        client.force_login(getattr(world, persona))
    return client


def bearer(world, persona) -> dict[str, str]:
    if persona == "anonymous":
        return {}
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=getattr(world, persona), name='m')[1]}"}


def portal_expectation(persona: str, channel_side: bool, key: str | None = None) -> int:
    if persona == "anonymous":
        return 302
    if (persona in CHANNEL) != channel_side:
        return 403
    return 200 if key is None or key in SEES[persona] else 404


def ids(records: Records, keys: set[str]) -> set[int]:
    return {records.requests[k].pk for k in keys}


# --- Selectors ------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_selectors_scope_requests_files_and_solutions(world, service, records, persona):
    who, sees = user(world, persona), SEES[persona]
    assert set(selectors.visible_requests(who).values_list("pk", flat=True)) == ids(records, sees)
    assert set(selectors.visible_attachments(who).values_list("pk", flat=True)) == {
        records.files[k].pk for k in sees
    }
    queue = set(selectors.escalation_queue(who).values_list("pk", flat=True))
    assert queue == (ids(records, sees) if persona in CHANNEL else set())
    solutions = set(selectors.visible_solutions(who).values_list("pk", flat=True))
    if persona in CHANNEL:
        assert solutions == {service.drift.pk, service.flicker.pk, service.draft.pk}
    elif persona in PARTNER:
        assert solutions == {service.drift.pk, service.flicker.pk}
    else:
        assert solutions == set()


@pytest.mark.parametrize("persona", PERSONAS)
def test_internal_comments_only_for_the_requests_own_partner(world, records, persona):
    who = user(world, persona)
    for key in SEES[persona]:
        bodies = {c.body for c in selectors.request_comments(who, records.requests[key])}
        assert (f"internal {key}" in bodies) == (key in INTERNAL.get(persona, set())), key
        assert f"public {key}" in bodies


# --- Portal lists ---------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_partner_portal_lists_only_what_the_persona_sees(client, world, records, persona):
    url = reverse(
        "partner:service_partner_requests"
        if persona in {"pm_a", "pm_b", "pm_c"}
        else "partner:service_requests"
    )
    response = login(client, world, persona).get(url)
    assert response.status_code == portal_expectation(persona, channel_side=False)
    if response.status_code != 200:
        return
    listed = {r.pk for r in response.context["page"].items}
    if persona.startswith("pe_"):
        expected = {
            records.requests[k].pk
            for k in SEES[persona]
            if records.requests[k].assigned_to_id == getattr(world, persona).pk
        }
    else:
        expected = ids(records, SEES[persona])
    assert listed == expected


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", ["channel:service_queue", "channel:service_request_list"])
def test_channel_portal_lists_only_what_the_persona_sees(client, world, records, persona, name):
    response = login(client, world, persona).get(reverse(name))
    assert response.status_code == portal_expectation(persona, channel_side=True)
    if response.status_code == 200:
        assert {r.pk for r in response.context["page"].items} == ids(records, SEES[persona])


# --- Portal detail, change and download -----------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("key", ALL_KEYS)
def test_request_pages(client, world, records, persona, key):
    request = records.requests[key]
    client = login(client, world, persona)
    partner_page = client.get(reverse("partner:service_request_detail", args=[request.pk]))
    channel_page = client.get(reverse("channel:service_request_detail", args=[request.pk]))
    assert partner_page.status_code == portal_expectation(persona, channel_side=False, key=key)
    assert channel_page.status_code == portal_expectation(persona, channel_side=True, key=key)
    for page in (partner_page, channel_page):
        if page.status_code == 200:
            body = page.content.decode()
            assert (f"internal {key}" in body) == (key in INTERNAL.get(persona, set()))


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("key", ALL_KEYS)
def test_file_downloads(client, world, records, persona, key):
    attachment = records.files[key]
    client = login(client, world, persona)
    partner = client.get(reverse("partner:service_attachment_download", args=[attachment.pk]))
    channel = client.get(reverse("channel:service_attachment_download", args=[attachment.pk]))
    assert partner.status_code == portal_expectation(persona, channel_side=False, key=key)
    assert channel.status_code == portal_expectation(persona, channel_side=True, key=key)
    for response in (partner, channel):
        if response.status_code == 200:
            assert response["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("key", ALL_KEYS)
def test_taking_back_an_escalation_in_the_partner_portal(client, world, records, persona, key):
    request = records.requests[key]
    response = login(client, world, persona).post(
        reverse("partner:service_request_take_back", args=[request.pk])
    )
    expected = portal_expectation(persona, channel_side=False, key=key)
    if expected == 200:
        expected = 302 if key in WORKS.get(persona, set()) else 403
    assert response.status_code == expected
    request.refresh_from_db()
    assert (request.status == ServiceStatus.IN_PROGRESS) == (expected == 302 and persona != "anonymous")


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("key", ALL_KEYS)
def test_handing_back_an_escalation_in_the_channel_portal(client, world, records, persona, key):
    request = records.requests[key]
    response = login(client, world, persona).post(
        reverse("channel:service_request_hand_back", args=[request.pk]), {"note": ""}
    )
    expected = portal_expectation(persona, channel_side=True, key=key)
    if expected == 200:
        expected = 302 if key in HANDLES.get(persona, set()) else 403
    assert response.status_code == expected
    request.refresh_from_db()
    assert (request.status == ServiceStatus.IN_PROGRESS) == (expected == 302 and persona != "anonymous")


# --- API ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_api_list_detail_and_files(client, world, records, persona):
    headers = bearer(world, persona)
    listed = client.get(API, {"limit": 200}, **headers)
    if persona == "anonymous":
        assert listed.status_code == 401
    else:
        assert {i["id"] for i in listed.json()["items"]} == ids(records, SEES[persona])
    for key in ALL_KEYS:
        request, attachment = records.requests[key], records.files[key]
        expected = 401 if persona == "anonymous" else (200 if key in SEES[persona] else 404)
        detail = client.get(f"{API}/{request.pk}", **headers)
        assert detail.status_code == expected, key
        download = client.get(f"{API}/{request.pk}/attachments/{attachment.pk}", **headers)
        assert download.status_code == expected, key
        if expected == 200:
            bodies = {c["body"] for c in detail.json()["comments"]}
            assert (f"internal {key}" in bodies) == (key in INTERNAL.get(persona, set()))


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("key", ALL_KEYS)
def test_api_resolve(client, world, records, persona, key):
    request = records.requests[key]
    response = client.post(
        f"{API}/{request.pk}/resolve", "{}", content_type="application/json", **bearer(world, persona)
    )
    if persona == "anonymous":
        expected = 401
    elif key not in SEES[persona]:
        expected = 404
    elif key in WORKS.get(persona, set()) or key in HANDLES.get(persona, set()):
        expected = 200
    else:
        expected = 403
    assert response.status_code == expected
    request.refresh_from_db()
    assert (request.status == ServiceStatus.RESOLVED) == (expected == 200)


@pytest.mark.parametrize("persona", PERSONAS)
def test_solutions_published_only_for_partners(client, world, service, records, persona):
    headers = bearer(world, persona)
    client = login(client, world, persona)
    for solution in (service.drift, service.draft):
        visible = persona in CHANNEL or (persona in PARTNER and solution.published)
        api = client.get(f"/api/v1/solutions/{solution.pk}", **headers)
        assert api.status_code == (401 if persona == "anonymous" else 200 if visible else 404)
        partner_page = client.get(reverse("partner:solution_detail", args=[solution.pk]))
        channel_page = client.get(reverse("channel:solution_detail", args=[solution.pk]))
        if persona == "anonymous":
            assert partner_page.status_code == channel_page.status_code == 302
        elif persona in CHANNEL:
            assert (partner_page.status_code, channel_page.status_code) == (403, 200)
        else:
            assert (partner_page.status_code, channel_page.status_code) == (200 if visible else 404, 403)
    if persona != "anonymous":
        listed = {
            i["id"]
            for i in client.get("/api/v1/solutions", {"q": "pressure drift"}, **headers).json()["items"]
        }
        assert (service.draft.pk in listed) == (persona in CHANNEL)
        assert service.drift.pk in listed


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_channel_staff_change_the_knowledge_base(client, world, service, records, persona):
    response = login(client, world, persona).post(
        reverse("channel:solution_publish", args=[service.draft.pk])
    )
    assert response.status_code == {"anonymous": 302}.get(persona, 302 if persona in CHANNEL else 403)
    service.draft.refresh_from_db()
    assert service.draft.published == (persona in CHANNEL)
