"""The service API: /solutions (search, ranked pages, published only for partners) and
/service-requests (list, register, detail, comments, escalate, resolve, close, file downloads), with
the shapes of docs/api.md: 201 on creation, 409 for a move the workflow does not allow, 422 for bad
payloads (and ids you cannot use), 404 outside your scope, constant queries per list."""

from __future__ import annotations

import pytest

from core.paging import encode_cursor
from customers.models import Customer
from service import services
from service.choices import ServiceStatus
from service.models import ServiceComment, ServiceRequest, Solution
from tests.service.conftest import PDF_BYTES, pdf

pytestmark = pytest.mark.django_db

SOLUTIONS = "/api/v1/solutions"
REQUESTS = "/api/v1/service-requests"
# Every list: 1 token and user, 2 token last_used_at, 3 actor (role and partner), then the page.
AUTH_QUERIES = 3


def body(**overrides):
    return {
        "customer": None,
        "subject": "Light barrier misses glossy packs",
        "description": "One pack in twenty passes undetected.",
        "severity": "high",
    } | overrides


# --- Solutions ------------------------------------------------------------------------------------


def test_partners_list_published_solutions_and_the_channel_all(api, world, service):
    partner = {s["title"] for s in api(world.pe_a).get(SOLUTIONS).json()["items"]}
    channel = {s["title"] for s in api(world.cm_a).get(SOLUTIONS).json()["items"]}

    assert partner == {service.drift.title, service.flicker.title}
    assert channel == partner | {service.draft.title}


def test_solution_search_is_ranked_and_pages_by_rank(api, world, service):
    for n in range(4):
        services.solution_create(
            actor=world.admin,
            fields={"title": f"Pressure spike {n}", "problem": "pressure " * (n + 1), "solution": "Snubber",
                    "published": True},
        )  # fmt: skip
    client = api(world.pe_a)
    first = client.get(SOLUTIONS, {"q": "pressure", "limit": 3}).json()
    assert len(first["items"]) == 3 and first["next_cursor"]
    ranks = [item["rank"] for item in first["items"]]
    assert ranks == sorted(ranks, reverse=True) and all(r > 0 for r in ranks)
    second = client.get(SOLUTIONS, {"q": "pressure", "limit": 3, "cursor": first["next_cursor"]}).json()
    titles = [i["title"] for i in first["items"] + second["items"]]
    assert len(titles) == len(set(titles)) == 5 and second["next_cursor"] is None
    assert "Secret draft about pressure drift" not in titles
    item = first["items"][0]
    assert set(item) == {"id", "title", "problem", "solution", "tags", "products", "categories", "published",
                         "solved_count", "updated_at", "rank"}  # fmt: skip


def test_solution_filters_and_detail(api, world, service):
    client = api(world.pe_a)
    by_product = client.get(SOLUTIONS, {"product": service.sensor.pk}).json()["items"]
    assert [s["id"] for s in by_product] == [service.drift.pk]
    assert by_product[0]["products"] == [service.sensor.pk] and by_product[0]["tags"] == [
        "drift",
        "temperature",
        "siphon",
    ]
    assert by_product[0]["rank"] is None
    assert client.get(f"{SOLUTIONS}/{service.drift.pk}").json()["title"] == service.drift.title
    assert client.get(f"{SOLUTIONS}/{service.draft.pk}").status_code == 404
    assert api(world.cm_a).get(f"{SOLUTIONS}/{service.draft.pk}").status_code == 200
    assert client.get(f"{SOLUTIONS}/{2**70}").status_code == 404


@pytest.mark.parametrize("params", [{"cursor": "nonsense"}, {"q": "pressure", "cursor": "nonsense"},
                                    {"q": "pressure", "cursor": encode_cursor("-updated_at", "x", 1)}])  # fmt: skip
def test_a_bad_solution_cursor_is_422(api, world, service, params):
    response = api(world.pe_a).get(SOLUTIONS, params)
    assert response.status_code == 422 and "cursor" in response.json()["errors"]


def test_solutions_need_a_token(api, service):
    assert api(None).get(SOLUTIONS).status_code == 401


@pytest.mark.parametrize("persona", ["admin", "cm_a", "pe_a"])
@pytest.mark.parametrize("rows", [1, 20])
def test_solution_list_query_count_is_flat(api, world, service, django_assert_num_queries, persona, rows):
    for n in range(rows):
        services.solution_create(
            actor=world.admin,
            fields={"title": f"Valve {n} leaks", "problem": "Leaks", "solution": "Seal", "published": True},
            products=[service.sensor, service.plc],
            categories=[service.category],
        )
    browsing, searching = api(getattr(world, persona)), api(getattr(world, persona))
    # The page, its products, its categories; the same with a search.
    with django_assert_num_queries(AUTH_QUERIES + 3):
        response = browsing.get(SOLUTIONS, {"limit": 200})
    assert len(response.json()["items"]) == rows + (3 if persona != "pe_a" else 2)
    with django_assert_num_queries(AUTH_QUERIES + 3):
        response = searching.get(SOLUTIONS, {"q": "valve leaks", "limit": 200})
    assert len(response.json()["items"]) == rows


# --- Listing and reading requests -----------------------------------------------------------------


def test_the_list_is_scoped_like_leads(api, world, service):
    mine = service.request(world, "a")
    unassigned = service.request(world, "a", actor=world.pm_a)
    colleague = service.request(world, "a", actor=world.pm_a, assigned_to=world.pm_a)
    reseller = service.request(world, "b")
    other = service.request(world, "c")

    def ids(persona, **params):
        return {i["id"] for i in api(getattr(world, persona)).get(REQUESTS, params).json()["items"]}

    assert ids("pe_a") == {mine.pk, unassigned.pk}
    assert ids("pm_a") == {mine.pk, unassigned.pk, colleague.pk, reseller.pk}
    assert ids("pm_b") == {reseller.pk}
    assert ids("cm_a") == {mine.pk, unassigned.pk, colleague.pk, reseller.pk}
    assert ids("cm_c") == ids("pm_c") == {other.pk}
    assert ids("admin") == {mine.pk, unassigned.pk, colleague.pk, reseller.pk, other.pk}
    assert ids("pe_a", assigned="me") == {mine.pk}
    assert ids("pm_a", assigned="unassigned") == {unassigned.pk, reseller.pk}  # B's manager left it open
    assert ids("admin", partner=world.c.pk) == {other.pk}
    assert ids("admin", q=mine.number) == {mine.pk}


def test_list_items_and_filters(api, world, service):
    request = services.request_start(request=service.request(world, "a"), actor=world.pe_a)
    service.request(world, "a", severity="low")
    client = api(world.pe_a)
    items = client.get(REQUESTS, {"status": "in_progress"}).json()["items"]
    assert [i["id"] for i in items] == [request.pk]
    item = items[0]
    assert (
        item["number"] == request.number and item["status"] == "in_progress" and item["severity"] == "medium"
    )
    assert item["partner"] == world.a.pk and item["customer_name"] == service.customers["a"].company
    assert item["assigned_to"] == world.pe_a.email and item["product"] == service.sensor.pk
    assert [i["severity"] for i in client.get(REQUESTS, {"severity": "low"}).json()["items"]] == ["low"]
    assert client.get(REQUESTS, {"status": "nonsense"}).status_code == 422
    assert client.get(REQUESTS, {"assigned": "everyone"}).status_code == 422


@pytest.mark.parametrize(("persona", "extra"), [("admin", 0), ("cm_a", 1), ("pm_a", 0), ("pe_a", 0)])
@pytest.mark.parametrize("rows", [1, 20])
def test_request_list_query_count_is_flat(
    api, world, service, django_assert_num_queries, persona, extra, rows
):
    for n in range(rows):
        service.request(world, "a", subject=f"Problem {n}")
    client = api(getattr(world, persona))
    # The page (partner, customer, assignee joined); a channel manager's partner ids first.
    with django_assert_num_queries(AUTH_QUERIES + 1 + extra):
        response = client.get(REQUESTS, {"limit": 200})
    assert len(response.json()["items"]) == rows


def test_detail_shows_timeline_comments_and_files(api, world, service):
    request = service.request(world, "a")
    services.comment_add(request=request, actor=world.pe_a, body="Internal note", internal=True)
    services.comment_add(request=request, actor=world.pe_a, body="For the brand owner")
    services.attachment_add(request=request, actor=world.pe_a, files=[pdf("fault.pdf")])

    partner = api(world.pe_a).get(f"{REQUESTS}/{request.pk}").json()
    channel = api(world.cm_a).get(f"{REQUESTS}/{request.pk}").json()

    assert [c["body"] for c in partner["comments"]] == ["Internal note", "For the brand owner"]
    assert [c["body"] for c in channel["comments"]] == ["For the brand owner"]
    assert [e["kind"] for e in partner["events"]] == ["created"]
    file = partner["attachments"][0]
    assert file["name"] == "fault.pdf" and file["content_type"] == "application/pdf"
    download = api(world.cm_a).client.get(file["download_url"], headers=api(world.cm_a)._headers())
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content) == PDF_BYTES


@pytest.mark.parametrize("persona", ["pm_c", "pe_c", "cm_c", "pm_b"])
def test_out_of_scope_requests_and_files_are_404(api, world, service, persona):
    request = service.request(world, "a")
    attachment = services.attachment_add(request=request, actor=world.pe_a, files=[pdf()])[0]
    client = api(getattr(world, persona))
    assert client.get(f"{REQUESTS}/{request.pk}").status_code == 404
    assert client.get(f"{REQUESTS}/{request.pk}/attachments/{attachment.pk}").status_code == 404
    for action, payload in (("comments", {"body": "x"}), ("escalate", {"reason": "x"}), ("resolve", {}),
                            ("close", {})):  # fmt: skip
        assert client.post(f"{REQUESTS}/{request.pk}/{action}", payload).status_code == 404, action
    request.refresh_from_db()
    assert request.status == ServiceStatus.NEW and not ServiceComment.objects.exists()


def test_a_file_of_another_request_is_404(api, world, service):
    mine = service.request(world, "a")
    other = service.request(world, "c")
    attachment = services.attachment_add(request=other, actor=world.pe_c, files=[pdf()])[0]
    assert api(world.admin).get(f"{REQUESTS}/{mine.pk}/attachments/{attachment.pk}").status_code == 404


# --- Registering ----------------------------------------------------------------------------------


def test_an_employee_registers_for_a_known_customer(api, world, service):
    response = api(world.pe_a).post(
        REQUESTS, body(customer=service.customers["a"].pk, product=service.sensor.pk)
    )
    assert response.status_code == 201
    data = response.json()
    assert data["status"] == "new" and data["assigned_to"] == world.pe_a.email
    assert data["number"].startswith("SR-") and data["customer"] == service.customers["a"].pk
    assert data["events"][0]["kind"] == "created"


def test_a_new_customer_is_created_from_its_details(api, world, service):
    customer = {"company": "Isar Verpackung AG", "contact": "Julia Brandl", "email": "j.brandl@isar.example"}
    response = api(world.pm_a).post(REQUESTS, body(customer=customer))
    assert response.status_code == 201
    created = Customer.objects.get(pk=response.json()["customer"])
    assert created.partner_id == world.a.pk and created.company == "Isar Verpackung AG"
    assert response.json()["contact"] is not None and response.json()["assigned_to"] is None


def test_registering_with_a_solution_resolves_at_once(api, world, service):
    response = api(world.pe_a).post(
        REQUESTS, body(customer=service.customers["a"].pk, solution=service.drift.pk, resolve=True)
    )
    assert response.status_code == 201
    assert response.json()["status"] == "resolved" and response.json()["solution"] == service.drift.pk
    service.drift.refresh_from_db()
    assert service.drift.solved_count == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"customer": "c"}, "customer"),  # another partner's customer id (filled in below)
        ({"customer": 2**40}, "customer"),
        ({"product": 2**40}, "product"),
        ({"solution": "draft"}, "solution"),
        ({"subject": ""}, "subject"),
        ({"severity": "urgent"}, "severity"),
        ({"customer": True}, "customer"),
        ({"customer": {"contact": "No company"}}, "customer"),
        ({"resolve": True}, "solution"),
        ({"colour": "red"}, "colour"),
        ({"description": None}, "description"),
    ],
)
def test_bad_payloads_are_422_and_create_nothing(api, world, service, payload, field):
    payload = dict(payload)
    if payload.get("customer") == "c":
        payload["customer"] = service.customers["c"].pk
    if payload.get("solution") == "draft":
        payload["solution"] = service.draft.pk
    data = body(customer=service.customers["a"].pk) | payload
    response = api(world.pe_a).post(REQUESTS, data)
    assert response.status_code == 422, response.json()
    assert field in response.json()["errors"]
    assert not ServiceRequest.objects.exists()


@pytest.mark.parametrize("persona", ["admin", "cm_a"])
def test_channel_staff_do_not_register_requests(api, world, service, persona):
    response = api(getattr(world, persona)).post(REQUESTS, body(customer=service.customers["a"].pk))
    assert response.status_code == 403
    assert not ServiceRequest.objects.exists()


# --- Working a request ----------------------------------------------------------------------------


def test_comment_escalate_resolve_close(api, world, service):
    request = service.request(world, "a")
    partner, channel = api(world.pe_a), api(world.cm_a)
    url = f"{REQUESTS}/{request.pk}"

    comment = partner.post(f"{url}/comments", {"body": "Tried a new cable", "internal": True})
    assert comment.status_code == 201 and comment.json()["internal"] is True
    escalated = partner.post(f"{url}/escalate", {"reason": "Still drifting"})
    assert escalated.status_code == 200 and escalated.json()["status"] == "escalated"
    assert escalated.json()["escalated_at"] is not None
    assert partner.post(f"{url}/escalate", {"reason": "Again"}).status_code == 409
    assert channel.post(f"{url}/comments", {"body": "Lab test running"}).status_code == 201
    resolved = channel.post(f"{url}/resolve", {"solution": service.drift.pk, "note": "Siphon"})
    assert resolved.status_code == 200
    data = resolved.json()
    assert (
        data["status"] == "resolved" and data["solution"] == service.drift.pk and data["resolve_seconds"] >= 0
    )
    assert partner.post(f"{url}/resolve", {}).status_code == 409
    closed = partner.post(f"{url}/close", {"note": "Confirmed"})
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert partner.post(f"{url}/comments", {"body": "Late"}).status_code == 409
    assert partner.post(f"{url}/close", {}).status_code == 409


def test_refusals_answer_403_409_and_422(api, world, service):
    request = services.request_start(request=service.request(world, "a"), actor=world.pe_a)
    url = f"{REQUESTS}/{request.pk}"
    assert api(world.cm_a).post(f"{url}/resolve", {}).status_code == 403  # not escalated
    assert api(world.pe_a).post(f"{url}/close", {}).status_code == 409  # in progress
    assert api(world.pe_a).post(f"{url}/escalate", {"reason": ""}).status_code == 422
    assert api(world.pe_a).post(f"{url}/escalate", {}).status_code == 422
    assert api(world.cm_a).post(f"{url}/comments", {"body": "x", "internal": True}).status_code == 422
    assert api(world.pe_a).post(f"{url}/resolve", {"solution": 2**40}).status_code == 422
    assert api(world.pe_a).post(f"{url}/resolve", {"solution": service.draft.pk}).status_code == 422
    request.refresh_from_db()
    assert request.status == ServiceStatus.IN_PROGRESS and request.solution is None


def test_the_openapi_document_lists_the_service_routes(api, world):
    paths = api(None).get("/api/v1/openapi.json").json()["paths"]
    for path in ("/api/v1/solutions", "/api/v1/solutions/{id}", "/api/v1/service-requests",
                 "/api/v1/service-requests/{id}", "/api/v1/service-requests/{id}/comments",
                 "/api/v1/service-requests/{id}/escalate", "/api/v1/service-requests/{id}/resolve",
                 "/api/v1/service-requests/{id}/close"):  # fmt: skip
        assert path in paths, path
    assert Solution.objects.count() == 0


def test_a_search_within_a_product_or_category(api, world, service):
    client = api(world.pe_a)
    found = client.get(SOLUTIONS, {"q": "drift", "product": service.sensor.pk}).json()["items"]
    assert [s["id"] for s in found] == [service.drift.pk]
    assert client.get(SOLUTIONS, {"q": "drift", "product": service.plc.pk}).json()["items"] == []
    found = client.get(SOLUTIONS, {"q": "drift", "category": service.category.pk}).json()["items"]
    assert [s["id"] for s in found] == [service.drift.pk]
