"""Service in the partner portal: My requests, unassigned and the partner's requests (managers), a new
request with solutions suggested while typing (htmx) and resolved with one at once, a request's page
with its actions, comments (internal or not), files, the knowledge base and "this solved it"; query
counts that do not grow with rows; out of scope is 404."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from customers.models import Customer
from service import services
from service.choices import ServiceStatus
from service.models import ServiceAttachment, ServiceComment, ServiceRequest, SolutionFeedback
from tests.service.conftest import PDF_BYTES, pdf

pytestmark = pytest.mark.django_db

MINE = reverse("partner:service_requests")
ALL = reverse("partner:service_partner_requests")
NEW = reverse("partner:service_request_new")
SUGGEST = reverse("partner:service_suggest")
SOLUTIONS = reverse("partner:solution_search")


def detail(request) -> str:
    return reverse("partner:service_request_detail", args=[request.pk])


def action(name: str, request) -> str:
    return reverse(f"partner:service_request_{name}", args=[request.pk])


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def new_form(service, **overrides) -> dict[str, str]:
    return {
        "customer": str(service.customers["a"].pk),
        "subject": "Pressure drifts after warm-up",
        "description": "The reading moves by 0.2 bar in the first hour with hot water.",
        "severity": "high",
        "product": "ka-pt-0-10b",
        "serial_number": "SN-4711",
        "action": "register",
        **overrides,
    }


# --- Lists ----------------------------------------------------------------------------------------


def test_my_requests_lists_the_ones_assigned_to_me(world, service, login):
    mine = service.request(world, "a")
    unassigned = service.request(world, "a", actor=world.pm_a, subject="Nobody works this")
    body = login(world.pe_a).get(MINE).content.decode()
    assert detail(mine) in body and detail(unassigned) not in body
    body = login(world.pe_a).get(MINE, {"show": "unassigned"}).content.decode()
    assert detail(unassigned) in body and detail(mine) not in body


def test_the_partners_requests_are_for_managers(world, service, login):
    mine = service.request(world, "a")
    reseller = service.request(world, "b")
    other = service.request(world, "c")
    body = login(world.pm_a).get(ALL).content.decode()
    assert detail(mine) in body and detail(reseller) in body and detail(other) not in body
    assert "read-only" in body  # the reseller's request
    assert login(world.pe_a).get(ALL).status_code == 403


def test_filters_and_empty_states(world, service, login):
    request = services.request_start(request=service.request(world, "a"), actor=world.pe_a)
    client = login(world.pe_a)
    assert detail(request) in client.get(MINE, {"status": "open"}).content.decode()
    assert detail(request) in client.get(MINE, {"q": request.number}).content.decode()
    empty = client.get(MINE, {"status": "closed"})
    assert "No service requests match these filters." in empty.content.decode()
    broken = client.get(MINE, {"status": "nonsense"})
    assert broken.status_code == 200 and any("not understood" in m for m in messages_of(broken))
    assert "No service requests are assigned to you." in login(world.pe_c).get(MINE).content.decode()


@pytest.mark.parametrize("count", [1, 20])
@pytest.mark.parametrize(
    ("persona", "url"), [("pe_a", MINE), ("pe_a", MINE + "?show=unassigned"), ("pm_a", ALL)]
)
def test_list_queries_do_not_grow_with_rows(
    world, service, login, django_assert_num_queries, count, persona, url
):
    for n in range(count):
        service.request(world, "a", subject=f"Problem {n}")
        service.request(world, "a", actor=world.pm_a, subject=f"Open problem {n}")
    client = login(getattr(world, persona))
    # session, user, actor, one page of requests (partner, customer, assignee joined) = 4
    with django_assert_num_queries(4):
        response = client.get(url)
    assert len(response.context["page"].items) == min(25, count * (2 if persona == "pm_a" else 1))


# --- New request and suggestions ------------------------------------------------------------------


def test_the_form_asks_for_suggestions_while_typing(world, service, login):
    body = login(world.pe_a).get(NEW).content.decode()
    assert f'hx-get="{SUGGEST}"' in body
    assert 'hx-trigger="input changed delay:300ms"' in body
    assert 'hx-target="#suggestions"' in body and 'id="suggestions"' in body
    assert service.customers["a"].company in body and service.customers["c"].company not in body


def test_suggestions_list_the_best_published_matches(world, service, login):
    response = login(world.pe_a).get(
        SUGGEST,
        {"subject": "Pressure reading drifts", "description": "hot media", "solution": service.drift.pk},
    )
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body  # a partial
    assert service.drift.title in body and service.draft.title not in body
    assert f'value="{service.drift.pk}" id="solution-{service.drift.pk}" checked' in body
    assert (
        "No published solution matches"
        in login(world.pe_a).get(SUGGEST, {"subject": "zebra"}).content.decode()
    )


@pytest.mark.parametrize("count", [1, 20])
def test_suggestions_queries_do_not_grow(world, service, login, django_assert_num_queries, count):
    for n in range(count):
        services.solution_create(
            actor=world.admin,
            fields={
                "title": f"Pressure case {n}",
                "problem": "pressure drift",
                "solution": "x",
                "published": True,
            },
        )
    client = login(world.pe_a)
    # session, user, actor, the ranked search = 4
    with django_assert_num_queries(4):
        response = client.get(SUGGEST, {"subject": "pressure drift"})
    assert len(response.context["suggestions"]) == min(5, count + 1)  # and the fixture's drift solution


def test_registering_a_request(world, service, login):
    response = login(world.pe_a).post(NEW, new_form(service))
    request = ServiceRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == detail(request)
    assert request.assigned_to == world.pe_a and request.product == service.sensor
    assert request.serial_number == "SN-4711" and request.status == ServiceStatus.NEW
    page = login(world.pe_a).get(detail(request))
    assert f"{request.number} is registered." in messages_of(page) or request.number in page.content.decode()


def test_registering_for_a_new_customer(world, service, login):
    form = new_form(service, customer="", company="Isar Verpackung AG", contact="Julia Brandl",
                    email="j.brandl@isar.example", phone="+49 89 1")  # fmt: skip
    assert login(world.pe_a).post(NEW, form).status_code == 302
    request = ServiceRequest.objects.get()
    assert request.customer.company == "Isar Verpackung AG" and request.customer.partner_id == world.a.pk
    assert request.contact.name == "Julia Brandl"


def test_picking_a_suggestion_resolves_the_request_at_once(world, service, login):
    response = login(world.pe_a).post(
        NEW, new_form(service, solution=str(service.drift.pk), action="resolve")
    )
    request = ServiceRequest.objects.get()
    assert response.status_code == 302
    assert request.status == ServiceStatus.RESOLVED and request.solution == service.drift
    service.drift.refresh_from_db()
    assert service.drift.solved_count == 1


def test_picking_a_suggestion_without_resolving_links_it(world, service, login):
    login(world.pe_a).post(NEW, new_form(service, solution=str(service.drift.pk)))
    request = ServiceRequest.objects.get()
    assert request.status == ServiceStatus.NEW and request.solution == service.drift
    assert "Linked solution" in login(world.pe_a).get(detail(request)).content.decode()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"subject": ""}, "This field is required."),
        ({"customer": "", "company": ""}, "Choose one of your customers above"),
        ({"product": "NOPE-1"}, "No product with the SKU"),
        ({"severity": "urgent"}, "Select a valid choice"),
        ({"action": "resolve"}, "Pick the solution that resolved the problem"),
        ({"solution": "draft"}, "no longer published"),
        ({"customer": "other"}, "Select a valid choice"),
    ],
)
def test_a_bad_form_is_shown_again_and_saves_nothing(world, service, login, overrides, message):
    overrides = dict(overrides)
    if overrides.get("solution") == "draft":
        overrides["solution"] = str(service.draft.pk)
    if overrides.get("customer") == "other":
        overrides["customer"] = str(service.customers["c"].pk)
    response = login(world.pe_a).post(NEW, new_form(service, **overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ServiceRequest.objects.exists()
    assert Customer.objects.count() == 3


# --- A request's page and its actions -------------------------------------------------------------


def test_the_page_offers_what_the_status_allows(world, service, login):
    request = service.request(world, "a")
    body = login(world.pe_a).get(detail(request)).content.decode()
    for name in ("start", "wait", "escalate", "resolve", "close", "comment", "attach"):
        assert action(name, request) in body, name
    assert action("reopen", request) not in body and action("take_back", request) not in body
    request = services.request_resolve(request=request, actor=world.pe_a)
    body = login(world.pe_a).get(detail(request)).content.decode()
    assert action("reopen", request) in body and action("close", request) in body
    assert action("escalate", request) not in body and action("start", request) not in body


def test_working_a_request_through_the_page(world, service, login):
    request = service.request(world, "a")
    client = login(world.pe_a)
    client.post(action("start", request))
    client.post(action("wait", request), {"note": "Photo of the type plate"})
    client.post(action("start", request))
    response = client.post(
        action("escalate", request), {"reason": "Siphon fitted; still drifts"}, follow=True
    )
    assert any("escalated" in m for m in messages_of(response))
    client.post(action("take_back", request))
    client.post(action("resolve", request), {"solution": str(service.drift.pk), "note": "Siphon"})
    client.post(action("reopen", request), {"reason": "Drifts again"})
    client.post(action("resolve", request), {"solution": str(service.drift.pk), "note": ""})
    response = client.post(action("close", request), {"note": "Confirmed"}, follow=True)
    request.refresh_from_db()
    assert request.status == ServiceStatus.CLOSED and request.solution == service.drift
    assert f"{request.number} is closed." in messages_of(response)
    body = response.content.decode()
    for label in ("Registered", "Work started", "Waiting for the customer", "Escalated to the brand owner",
                  "Handed back to the partner", "Resolved", "Reopened", "Closed"):  # fmt: skip
        assert label in body, label


def test_a_bad_move_is_a_message_and_changes_nothing(world, service, login):
    request = services.request_start(request=service.request(world, "a"), actor=world.pe_a)
    response = login(world.pe_a).post(action("close", request), {"note": ""}, follow=True)
    assert any("cannot go from “In progress” to “Closed”" in m for m in messages_of(response))
    request.refresh_from_db()
    assert request.status == ServiceStatus.IN_PROGRESS


def test_escalating_without_a_reason_shows_the_error(world, service, login):
    request = service.request(world, "a")
    response = login(world.pe_a).post(action("escalate", request), {"reason": ""})
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    request.refresh_from_db()
    assert request.status == ServiceStatus.NEW


def test_comments_internal_or_for_the_brand_owner(world, service, login):
    request = service.request(world, "a")
    client = login(world.pe_a)
    client.post(action("comment", request), {"body": "Customer is grumpy", "internal": "on"})
    client.post(action("comment", request), {"body": "Firmware is 3.1"})
    assert list(ServiceComment.objects.order_by("id").values_list("body", "internal")) == [
        ("Customer is grumpy", True), ("Firmware is 3.1", False)
    ]  # fmt: skip
    body = client.get(detail(request)).content.decode()
    assert "Customer is grumpy" in body and "Internal" in body
    assert client.post(action("comment", request), {"body": ""}).status_code == 400


def test_files_are_attached_checked_and_downloaded_as_attachments(world, service, login):
    request = service.request(world, "a")
    client = login(world.pe_a)
    response = client.post(action("attach", request), {"files": [pdf("fault.pdf")]})
    assert response.status_code == 302
    attachment = ServiceAttachment.objects.get()
    download = client.get(reverse("partner:service_attachment_download", args=[attachment.pk]))
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    assert (
        'filename="fault.pdf"' in download["Content-Disposition"]
        and download["X-Content-Type-Options"] == "nosniff"
    )
    assert b"".join(download.streaming_content) == PDF_BYTES
    bad = client.post(
        action("attach", request), {"files": [SimpleUploadedFile("x.pdf", b"<svg onload=alert(1)>")]}
    )
    assert bad.status_code == 400 and "SVG" in bad.content.decode()
    assert ServiceAttachment.objects.count() == 1


def test_a_manager_assigns_and_an_employee_may_not(world, service, login):
    request = service.request(world, "a", actor=world.pm_a)
    assert login(world.pe_a).post(action("assign", request), {"user": world.pe_a.pk}).status_code == 403
    response = login(world.pm_a).post(action("assign", request), {"user": world.pe_a.pk})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.assigned_to == world.pe_a
    assert login(world.pm_a).post(action("assign", request), {"user": world.pe_c.pk}).status_code == 400


@pytest.mark.parametrize(("persona", "queries"), [("pe_a", 8), ("pm_a", 9)])
@pytest.mark.parametrize("count", [1, 20])
def test_request_page_queries_do_not_grow(
    world, service, login, django_assert_num_queries, persona, queries, count
):
    request = service.request(world, "a")
    for n in range(count):
        services.comment_add(request=request, actor=world.pe_a, body=f"Note {n}", internal=bool(n % 2))
        services.request_wait(request=request, actor=world.pe_a, note=f"Wait {n}")
        services.request_start(request=request, actor=world.pe_a)
    services.attachment_add(
        request=request, actor=world.pe_a, files=[pdf(f"f{n}.pdf") for n in range(min(count, 10))]
    )
    client = login(getattr(world, persona))
    # session, user, actor, the request (people, product, solution joined), its timeline, its
    # comments, its files, the matching solutions for the resolve form = 8; a manager: its people = 9
    with django_assert_num_queries(queries):
        response = client.get(detail(request))
    assert len(response.context["comments"]) == count


# --- Who sees what --------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["pm_c", "pe_c", "pm_b", "colleague"])
def test_out_of_scope_requests_are_404(world, service, login, persona):
    from partners.choices import Role
    from tests.factories import partner_user

    user = (
        partner_user(world.a, Role.PARTNER_EMPLOYEE, email="pe2@alpha.example")
        if persona == "colleague"
        else getattr(world, persona)
    )
    request = service.request(world, "a")
    attachment = services.attachment_add(request=request, actor=world.pe_a, files=[pdf()])[0]
    client = login(user)
    assert client.get(detail(request)).status_code == 404
    assert client.get(reverse("partner:service_attachment_download", args=[attachment.pk])).status_code == 404
    for name, data in (
        ("start", {}),
        ("resolve", {}),
        ("comment", {"body": "x"}),
        ("close", {}),
        ("escalate", {"reason": "x"}),
    ):
        assert client.post(action(name, request), data).status_code == 404, name
    request.refresh_from_db()
    assert request.status == ServiceStatus.NEW and not ServiceComment.objects.exists()


def test_a_distributors_manager_reads_its_resellers_requests_only(world, service, login):
    request = service.request(world, "b")
    client = login(world.pm_a)
    body = client.get(detail(request)).content.decode()
    assert "(for reading)" in body and action("start", request) not in body
    assert client.post(action("start", request)).status_code == 403
    request.refresh_from_db()
    assert request.status == ServiceStatus.NEW


@pytest.mark.parametrize("persona", ["admin", "cm_a"])
def test_channel_staff_are_not_let_in(world, service, login, persona):
    client = login(getattr(world, persona))
    for url in (MINE, NEW, SOLUTIONS, SUGGEST, detail(service.request(world, "a"))):
        assert client.get(url).status_code == 403, url


# --- The knowledge base ---------------------------------------------------------------------------


def test_search_shows_published_solutions_best_first(world, service, login):
    body = login(world.pe_a).get(SOLUTIONS, {"q": "pressure drift"}).content.decode()
    assert service.drift.title in body and service.draft.title not in body
    browse = login(world.pe_a).get(SOLUTIONS).content.decode()
    assert service.flicker.title in browse and service.draft.title not in browse
    assert (
        "No published solution contains all of these words"
        in login(world.pe_a).get(SOLUTIONS, {"q": "zebra"}).content.decode()
    )


@pytest.mark.parametrize("count", [1, 20])
@pytest.mark.parametrize("q", ["", "valve"])
def test_knowledge_base_queries_do_not_grow(world, service, login, django_assert_num_queries, count, q):
    for n in range(count):
        services.solution_create(actor=world.admin, fields={"title": f"Valve {n}", "problem": "valve leaks",
                                                            "solution": "Seal", "published": True})  # fmt: skip
    client = login(world.pe_a)
    # session, user, actor, one page of solutions = 4
    with django_assert_num_queries(4):
        response = client.get(SOLUTIONS, {"q": q} if q else {})
    assert len(response.context["solutions"]) == min(20, count + (0 if q else 2))


def test_ranked_pages_go_on_with_the_next_link(world, service, login):
    for n in range(25):
        services.solution_create(actor=world.admin, fields={"title": f"Valve {n}", "problem": "valve leaks",
                                                            "solution": "Seal", "published": True})  # fmt: skip
    client = login(world.pe_a)
    first = client.get(SOLUTIONS, {"q": "valve"})
    assert len(first.context["solutions"]) == 20 and first.context["ranked_next"]
    second = client.get(SOLUTIONS, {"q": "valve", "after": first.context["ranked_next"]})
    assert len(second.context["solutions"]) == 5
    assert not {s.pk for s in first.context["solutions"]} & {s.pk for s in second.context["solutions"]}
    broken = client.get(SOLUTIONS, {"q": "valve", "after": "nonsense"})
    assert broken.status_code == 200 and any("no longer valid" in m for m in messages_of(broken))


def test_this_solved_it_counts_once(world, service, login):
    url = reverse("partner:solution_solved", args=[service.drift.pk])
    client = login(world.pe_a)
    first = client.post(url, follow=True)
    assert (
        any("Thank you" in m for m in messages_of(first))
        and "You said this solved it." in first.content.decode()
    )
    second = client.post(url, follow=True)
    assert any("counts once" in m for m in messages_of(second))
    service.drift.refresh_from_db()
    assert service.drift.solved_count == 1 and SolutionFeedback.objects.count() == 1


def test_drafts_are_404_for_partners(world, service, login):
    client = login(world.pe_a)
    assert client.get(reverse("partner:solution_detail", args=[service.draft.pk])).status_code == 404
    assert client.post(reverse("partner:solution_solved", args=[service.draft.pk])).status_code == 404
    service.draft.refresh_from_db()
    assert service.draft.solved_count == 0


@pytest.mark.parametrize("count", [1, 20])
def test_solution_page_queries_do_not_grow(world, service, login, django_assert_num_queries, count):
    from catalog.models import Product

    products = [Product.objects.create(sku=f"KA-X-{n}", name=f"Thing {n}", list_price=1, category=service.category)
                for n in range(count)]  # fmt: skip
    services.solution_update(solution=service.drift, actor=world.admin, fields={}, products=products)
    client = login(world.pe_a)
    # session, user, actor, the solution (author joined), its products, its categories, the feedback = 7
    with django_assert_num_queries(7):
        response = client.get(reverse("partner:solution_detail", args=[service.drift.pk]))
    assert response.status_code == 200 and f"KA-X-{count - 1}" in response.content.decode()
