"""Service in the channel portal: the escalations queue, the partners' requests, a request's page
(hand back, resolve with a solution, comment, files; internal comments never shown), the knowledge base
(list, search, new, change, publish) and the service volumes per partner and product (table and chart);
query counts that do not grow with rows; out of scope is 404, partner users 403."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from service import services
from service.choices import ServiceStatus
from service.models import ServiceAttachment, ServiceRequest, Solution
from tests.service.conftest import pdf

pytestmark = pytest.mark.django_db

QUEUE = reverse("channel:service_queue")
LIST = reverse("channel:service_request_list")
SOLUTIONS = reverse("channel:solution_list")
NEW_SOLUTION = reverse("channel:solution_create")
VOLUMES = reverse("channel:service_volumes")


def detail(request) -> str:
    return reverse("channel:service_request_detail", args=[request.pk])


def action(name: str, request) -> str:
    return reverse(f"channel:service_request_{name}", args=[request.pk])


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def escalated(world, service, key="a", **kw):
    actor = service.worker(world, key)
    return services.request_escalate(
        request=service.request(world, key, **kw), actor=actor, reason="Lab needed"
    )


# --- The queue and the list -----------------------------------------------------------------------


def test_the_queue_lists_escalated_requests_longest_waiting_first(world, service, login):
    first = escalated(world, service, "a", subject="First")
    second = escalated(world, service, "b", subject="Second")
    ServiceRequest.objects.filter(pk=first.pk).update(escalated_at=timezone.now() - timedelta(hours=5))
    service.request(world, "a", subject="Not escalated")
    other = escalated(world, service, "c", subject="Gamma's")

    response = login(world.cm_a).get(QUEUE)
    assert [r.pk for r in response.context["page"].items] == [first.pk, second.pk]
    assert response.context["total"] == {"count": 2, "more": False}
    assert detail(other) not in response.content.decode()
    assert [r.pk for r in login(world.admin).get(QUEUE).context["page"].items] == [
        first.pk,
        second.pk,
        other.pk,
    ]
    assert [r.pk for r in login(world.cm_c).get(QUEUE).context["page"].items] == [other.pk]


def test_an_empty_queue_says_so(world, service, login):
    service.request(world, "c")
    assert "No service request is escalated." in login(world.cm_c).get(QUEUE).content.decode()


@pytest.mark.parametrize(("persona", "queries"), [("admin", 5), ("cm_a", 6)])
@pytest.mark.parametrize("count", [1, 20])
def test_queue_queries_do_not_grow(world, service, login, django_assert_num_queries, persona, queries, count):
    for n in range(count):
        escalated(world, service, "a" if n % 2 else "b", subject=f"Problem {n}")
    client = login(getattr(world, persona))
    # session, user, actor, waiting (capped count), a page (partner, customer, assignee joined) = 5;
    # a channel manager's partners' ids (read once for both) = 6
    with django_assert_num_queries(queries):
        response = client.get(QUEUE)
    assert len(response.context["page"].items) == count


def test_the_request_list_filters_and_scopes(world, service, login):
    a = service.request(world, "a")
    b = services.request_start(request=service.request(world, "b"), actor=world.pm_b)
    c = service.request(world, "c")
    client = login(world.cm_a)
    body = client.get(LIST).content.decode()
    assert detail(a) in body and detail(b) in body and detail(c) not in body
    assert [r.pk for r in client.get(LIST, {"status": "in_progress"}).context["page"].items] == [b.pk]
    assert [r.pk for r in client.get(LIST, {"partner": world.a.pk}).context["page"].items] == [a.pk]
    foreign = client.get(LIST, {"partner": world.c.pk})
    assert any("not one of yours" in m for m in messages_of(foreign))
    assert detail(c) not in foreign.content.decode()


@pytest.mark.parametrize(("persona", "queries"), [("admin", 5), ("cm_a", 6)])
@pytest.mark.parametrize("count", [1, 20])
def test_list_queries_do_not_grow(world, service, login, django_assert_num_queries, persona, queries, count):
    for n in range(count):
        service.request(world, "a" if n % 2 else "b", subject=f"Problem {n}")
    client = login(getattr(world, persona))
    # session, user, actor, partner picker, a page (partner, customer, assignee joined) = 5; a channel
    # manager's partners' ids = 6
    with django_assert_num_queries(queries):
        response = client.get(LIST)
    assert len(response.context["page"].items) == count


# --- A request's page -----------------------------------------------------------------------------


def test_the_page_hides_internal_comments(world, service, login):
    request = service.request(world, "a")
    services.comment_add(request=request, actor=world.pe_a, body="Customer is grumpy", internal=True)
    services.comment_add(request=request, actor=world.pe_a, body="Firmware is 3.1")
    body = login(world.cm_a).get(detail(request)).content.decode()
    assert "Firmware is 3.1" in body and "grumpy" not in body
    assert (
        action("resolve", request) not in body and action("hand_back", request) not in body
    )  # not escalated
    assert action("comment", request) in body


def test_resolving_an_escalation_with_a_solution(world, service, login):
    request = escalated(world, service, "a")
    client = login(world.cm_a)
    body = client.get(detail(request)).content.decode()
    assert action("resolve", request) in body and action("hand_back", request) in body
    assert service.drift.title in body  # suggested for the resolve form
    response = client.post(
        action("resolve", request), {"solution": str(service.drift.pk), "note": "Siphon"}, follow=True
    )
    assert any("is resolved" in m for m in messages_of(response))
    request.refresh_from_db()
    assert request.status == ServiceStatus.RESOLVED and request.solution == service.drift
    service.drift.refresh_from_db()
    assert service.drift.solved_count == 1


def test_handing_back_an_escalation(world, service, login):
    request = escalated(world, service, "a")
    response = login(world.cm_a).post(action("hand_back", request), {"note": "Check the vent"}, follow=True)
    assert any("handed back" in m for m in messages_of(response))
    request.refresh_from_db()
    assert request.status == ServiceStatus.IN_PROGRESS


def test_acting_on_a_request_that_is_not_escalated_changes_nothing(world, service, login):
    request = services.request_start(request=service.request(world, "a"), actor=world.pe_a)
    client = login(world.cm_a)
    assert client.post(action("resolve", request), {"solution": "", "note": ""}).status_code == 403
    assert client.post(action("hand_back", request), {"note": ""}).status_code == 403
    request.refresh_from_db()
    assert request.status == ServiceStatus.IN_PROGRESS


def test_comments_and_files_from_the_brand_owner(world, service, login):
    request = escalated(world, service, "a")
    client = login(world.cm_a)
    assert client.post(action("comment", request), {"body": "Lab test running"}).status_code == 302
    assert client.post(action("comment", request), {"body": ""}).status_code == 400
    assert client.post(action("attach", request), {"files": [pdf("lab.pdf")]}).status_code == 302
    attachment = ServiceAttachment.objects.get()
    download = client.get(reverse("channel:service_attachment_download", args=[attachment.pk]))
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    partner_view = login(world.pe_a).get(reverse("partner:service_request_detail", args=[request.pk]))
    assert "Lab test running" in partner_view.content.decode() and "lab.pdf" in partner_view.content.decode()


@pytest.mark.parametrize(("persona", "queries"), [("admin", 8), ("cm_a", 10)])
@pytest.mark.parametrize("count", [1, 20])
def test_request_page_queries_do_not_grow(
    world, service, login, django_assert_num_queries, persona, queries, count
):
    request = service.request(world, "a")
    for n in range(count):
        services.comment_add(request=request, actor=world.pe_a, body=f"Note {n}")
        services.request_wait(request=request, actor=world.pe_a)
        services.request_start(request=request, actor=world.pe_a)
    services.attachment_add(request=request, actor=world.pe_a, files=[pdf() for _ in range(min(count, 10))])
    request = services.request_escalate(request=request, actor=world.pe_a, reason="Help")
    client = login(getattr(world, persona))
    # session, user, actor, the request (people, product, solution joined), its timeline, its
    # comments, its files, the matching solutions = 8; a channel manager also: their partners' ids
    # (the scope) and whether they manage the request's partner = 10
    with django_assert_num_queries(queries):
        response = client.get(detail(request))
    assert len(response.context["comments"]) == count + 1  # and the escalation's reason


def test_other_partners_requests_are_404(world, service, login):
    request = service.request(world, "a")
    attachment = services.attachment_add(request=request, actor=world.pe_a, files=[pdf()])[0]
    client = login(world.cm_c)
    assert client.get(detail(request)).status_code == 404
    assert client.get(reverse("channel:service_attachment_download", args=[attachment.pk])).status_code == 404
    for name, data in (("comment", {"body": "x"}), ("resolve", {}), ("hand_back", {}), ("attach", {})):
        assert client.post(action(name, request), data).status_code == 404, name


@pytest.mark.parametrize("persona", ["pm_a", "pe_a"])
def test_partner_users_get_403_on_every_channel_service_page(world, service, login, persona):
    request = escalated(world, service, "a")
    client = login(getattr(world, persona))
    for url in (QUEUE, LIST, detail(request), SOLUTIONS, NEW_SOLUTION, VOLUMES,
                reverse("channel:solution_detail", args=[service.drift.pk])):  # fmt: skip
        assert client.get(url).status_code == 403, url
    assert client.post(action("resolve", request), {}).status_code == 403
    request.refresh_from_db()
    assert request.status == ServiceStatus.ESCALATED


# --- The knowledge base ---------------------------------------------------------------------------


def test_the_knowledge_base_lists_drafts_and_searches(world, service, login):
    client = login(world.cm_a)
    body = client.get(SOLUTIONS).content.decode()
    assert service.draft.title in body and "Draft" in body
    drafts = client.get(SOLUTIONS, {"published": "no"}).context["solutions"]
    assert [s.pk for s in drafts] == [service.draft.pk]
    found = client.get(SOLUTIONS, {"q": "pressure drift"}).context["solutions"]
    assert {s.pk for s in found} == {service.drift.pk, service.draft.pk}


@pytest.mark.parametrize("count", [1, 20])
@pytest.mark.parametrize("q", ["", "valve"])
def test_knowledge_base_queries_do_not_grow(world, service, login, django_assert_num_queries, count, q):
    for n in range(count):
        services.solution_create(
            actor=world.admin, fields={"title": f"Valve {n}", "problem": "valve leaks", "solution": "Seal"}
        )
    client = login(world.cm_a)
    # session, user, actor, one page of solutions = 4
    with django_assert_num_queries(4):
        response = client.get(SOLUTIONS, {"q": q} if q else {})
    assert len(response.context["solutions"]) == min(25, count + (0 if q else 3))


def test_writing_publishing_and_changing_a_solution(world, service, login):
    client = login(world.cm_a)
    response = client.post(NEW_SOLUTION, {
        "title": "Radar shows a constant level", "problem": "Stays at 2.3 m", "solution": "Map false echoes",
        "tags": "radar, echo", "products": "ka-pt-0-10b KA-PLC-C14", "categories": [service.category.pk],
    })  # fmt: skip
    solution = Solution.objects.get(title="Radar shows a constant level")
    assert response.status_code == 302 and not solution.published and solution.author == world.cm_a
    assert {p.sku for p in solution.products.all()} == {"KA-PT-0-10B", "KA-PLC-C14"}
    response = client.post(reverse("channel:solution_publish", args=[solution.pk]), follow=True)
    assert any("partners find it now" in m for m in messages_of(response))
    solution.refresh_from_db()
    assert solution.published
    edit = reverse("channel:solution_edit", args=[solution.pk])
    assert "KA-PT-0-10B" in client.get(edit).content.decode()
    client.post(edit, {"title": "Radar: constant level", "problem": "Stays", "solution": "Map", "tags": "",
                       "products": "", "categories": []})  # fmt: skip
    solution.refresh_from_db()
    assert solution.title == "Radar: constant level" and not solution.products.exists() and solution.published
    client.post(reverse("channel:solution_unpublish", args=[solution.pk]))
    solution.refresh_from_db()
    assert not solution.published


def test_a_bad_solution_form_saves_nothing(world, service, login):
    response = login(world.cm_a).post(
        NEW_SOLUTION, {"title": "X", "problem": "", "solution": "Y", "products": "NOPE-1"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "No product with the SKU NOPE-1." in body and "This field is required." in body
    assert Solution.objects.count() == 3


@pytest.mark.parametrize("count", [1, 20])
def test_solution_page_queries_do_not_grow(world, service, login, django_assert_num_queries, count):
    from catalog.models import Product

    products = [Product.objects.create(sku=f"KA-X-{n}", name=f"Thing {n}", list_price=1, category=service.category)
                for n in range(count)]  # fmt: skip
    services.solution_update(solution=service.drift, actor=world.admin, fields={}, products=products)
    client = login(world.cm_a)
    # session, user, actor, the solution (author joined), its products, its categories = 6
    with django_assert_num_queries(6):
        response = client.get(reverse("channel:solution_detail", args=[service.drift.pk]))
    assert f"KA-X-{count - 1}" in response.content.decode()


# --- Volumes --------------------------------------------------------------------------------------


def test_volumes_per_partner_and_product_in_table_and_chart(world, service, login):
    for _ in range(3):
        service.request(world, "a")
    resolved = service.request(world, "b", product=service.plc)
    ServiceRequest.objects.filter(pk=resolved.pk).update(created_at=timezone.now() - timedelta(hours=2))
    services.request_resolve(request=resolved, actor=world.pm_b)
    escalated(world, service, "b", product=service.plc)
    service.request(world, "c")
    old = service.request(world, "a")
    ServiceRequest.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=200))

    response = login(world.cm_a).get(VOLUMES)
    partners = {row.label: row for row in response.context["partners"]}
    assert set(partners) == {world.a.name, world.b.name}  # cm_a's partners only; the old one out of 90 days
    assert partners[world.a.name].total == 3 and partners[world.a.name].open == 3
    b = partners[world.b.name]
    assert (b.total, b.open, b.escalated, b.resolved) == (2, 1, 1, 1)
    assert b.avg_time_to_resolve == "2 h"
    products = {row.label: row.total for row in response.context["products"]}
    assert products == {"KA-PT-0-10B": 3, "KA-PLC-C14": 2}
    body = response.content.decode()
    chart = json.loads(
        body.split('id="partner-chart-data" type="application/json">')[1].split("</script>")[0]
    )
    assert chart["labels"] == [world.a.name, world.b.name] and chart["values"] == [3, 2]
    assert 'data-chart="product-chart-data"' in body and "js/charts.js" in body
    year = login(world.admin).get(VOLUMES, {"days": 365}).context
    assert year["totals"].total == 7  # the old one too


def test_volumes_are_cached_for_a_minute(world, service, login, django_assert_num_queries):
    service.request(world, "a")
    client = login(world.admin)
    client.get(VOLUMES)
    service.request(world, "a")
    # session, user, actor; the figures come from the cache
    with django_assert_num_queries(3):
        response = client.get(VOLUMES)
    assert response.context["totals"].total == 1


@pytest.mark.parametrize(("persona", "queries"), [("admin", 6), ("cm_a", 7)])
@pytest.mark.parametrize("count", [1, 20])
def test_volume_queries_do_not_grow(
    world, service, login, django_assert_num_queries, persona, queries, count
):
    from catalog.models import Product

    for n in range(count):
        product = Product.objects.create(
            sku=f"KA-V-{n}", name=f"Thing {n}", list_price=1, category=service.category
        )
        service.request(world, "a" if n % 2 else "b", product=product)
    client = login(getattr(world, persona))
    # session, user, actor, per partner, per product, totals = 6; a channel manager's partner ids = 7
    with django_assert_num_queries(queries):
        response = client.get(VOLUMES)
    assert len(response.context["products"]) == count


def test_no_requests_in_the_period_is_an_empty_state(world, service, login):
    body = login(world.cm_c).get(VOLUMES).content.decode()
    assert "No service requests were registered in this period." in body and "js/charts.js" not in body
