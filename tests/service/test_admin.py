"""Service in Django's admin: solutions written through the services (the same checks, the author
recorded), published and taken back with actions; service requests read-only (internal comments left
out) and escalated ones resolved with an action that calls the service."""

from __future__ import annotations

import pytest
from django.urls import reverse

from service import services
from service.choices import ServiceStatus
from service.models import ServiceRequest, Solution

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, world):
    world.admin.is_staff = True
    world.admin.is_superuser = True
    world.admin.save()
    client.force_login(world.admin)
    return client


def _form(service, **overrides):
    return {
        "title": "Radar shows a constant level",
        "problem": "The level stays at 2.3 m.",
        "solution": "Run the false-echo mapping with the tank empty.",
        "tags": "radar, echo",
        "products": [service.sensor.pk],
        "categories": [service.category.pk],
        "published": "on",
    } | overrides


def test_admin_adds_a_solution_through_the_service(admin_client, world, service):
    response = admin_client.post(reverse("admin:service_solution_add"), _form(service))
    assert response.status_code == 302
    solution = Solution.objects.get(title="Radar shows a constant level")
    assert solution.author == world.admin and solution.published and solution.published_at is not None
    assert list(solution.products.all()) == [service.sensor]
    assert list(solution.categories.all()) == [service.category]


def test_admin_form_shows_the_services_message_and_saves_nothing(admin_client, service):
    response = admin_client.post(reverse("admin:service_solution_add"), _form(service, problem="   "))
    assert response.status_code == 200
    assert "Describe the problem as a customer would." in response.content.decode()
    assert not Solution.objects.filter(title="Radar shows a constant level").exists()


def test_admin_changes_and_unpublishes_a_solution(admin_client, service):
    url = reverse("admin:service_solution_change", args=[service.drift.pk])
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, _form(service, title="Drift after warm-up", published=""))
    assert response.status_code == 302
    service.drift.refresh_from_db()
    assert service.drift.title == "Drift after warm-up" and not service.drift.published
    response = admin_client.post(
        reverse("admin:service_solution_changelist"),
        {"action": "publish", "_selected_action": [service.drift.pk]},
    )
    assert response.status_code == 302
    service.drift.refresh_from_db()
    assert service.drift.published


def test_requests_are_read_only_and_internal_comments_stay_out(admin_client, world, service):
    request = service.request(world, "a")
    services.comment_add(request=request, actor=world.pe_a, body="Internal: grumpy customer", internal=True)
    services.comment_add(request=request, actor=world.pe_a, body="Please look at the firmware")
    assert (
        admin_client.get(reverse("admin:service_servicerequest_changelist"), {"q": "drifts"}).status_code
        == 200
    )
    body = admin_client.get(
        reverse("admin:service_servicerequest_change", args=[request.pk])
    ).content.decode()
    assert "Please look at the firmware" in body and "grumpy customer" not in body
    assert admin_client.get(reverse("admin:service_servicerequest_add")).status_code == 403
    response = admin_client.post(
        reverse("admin:service_servicerequest_change", args=[request.pk]), {"subject": "Changed"}
    )
    assert response.status_code == 403
    request.refresh_from_db()
    assert request.subject == "Pressure reading drifts after warm-up"


def test_admin_action_resolves_escalated_requests_only(admin_client, world, service):
    escalated = services.request_escalate(
        request=service.request(world, "a"), actor=world.pe_a, reason="Help"
    )
    new = service.request(world, "a")
    response = admin_client.post(
        reverse("admin:service_servicerequest_changelist"),
        {"action": "resolve_escalated", "_selected_action": [escalated.pk, new.pk]},
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    assert "1 resolved." in messages and any(new.reference in m for m in messages)
    assert ServiceRequest.objects.get(pk=escalated.pk).status == ServiceStatus.RESOLVED
    assert ServiceRequest.objects.get(pk=new.pk).status == ServiceStatus.NEW


def test_every_service_admin_page_renders(admin_client, world, service):
    service.request(world, "a")
    for name in ("solution", "servicerequest"):
        assert admin_client.get(reverse(f"admin:service_{name}_changelist")).status_code == 200, name
    assert admin_client.get(reverse("admin:service_solution_add")).status_code == 200
