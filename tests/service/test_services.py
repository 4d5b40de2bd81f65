"""Service requests and the knowledge base through service.services: registering (customer chosen
or matched/created), the workflow and its transition table, who may act, comments, attachments,
"this solved it" counted once, the time to resolve, and the automatic closing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.errors import InvalidTransition, NotAllowed
from customers.models import Contact, Customer
from partners.choices import Role
from service import selectors, services
from service.choices import SERVICE_TRANSITIONS, ServiceEventKind, ServiceStatus
from service.models import (
    ServiceAttachment,
    ServiceComment,
    ServiceEvent,
    ServiceRequest,
    Solution,
    SolutionFeedback,
    duration_text,
)
from tests.factories import partner_user
from tests.service.conftest import PDF_BYTES, pdf, png

pytestmark = pytest.mark.django_db

S = ServiceStatus


def kinds(request: ServiceRequest) -> list[str]:
    return list(ServiceEvent.objects.filter(request=request).order_by("id").values_list("kind", flat=True))


# --- Registering ----------------------------------------------------------------------------------


def test_employee_registers_a_request_that_is_theirs(world, service):
    request = service.request(world, "a")

    assert request.status == S.NEW
    assert request.number == f"SR-{request.pk:06d}" and request.reference == request.number
    assert request.partner_id == world.a.pk and request.assigned_to_id == world.pe_a.pk
    assert request.created_by_id == world.pe_a.pk and request.customer == service.customers["a"]
    assert kinds(request) == [ServiceEventKind.CREATED]


def test_manager_registers_for_the_team_or_assigns_it(world, service):
    unassigned = service.request(world, "a", actor=world.pm_a)
    assigned = service.request(world, "a", actor=world.pm_a, assigned_to=world.pe_a)

    assert unassigned.assigned_to_id is None
    assert assigned.assigned_to_id == world.pe_a.pk
    with pytest.raises(ValidationError) as exc:
        service.request(world, "a", actor=world.pm_a, assigned_to=world.pe_c)
    assert "assigned_to" in exc.value.message_dict


def test_employee_cannot_register_for_a_colleague(world, service):
    colleague = partner_user(world.a, Role.PARTNER_EMPLOYEE, email="pe2@alpha.example")
    with pytest.raises(NotAllowed):
        service.request(world, "a", actor=world.pe_a, assigned_to=colleague)


def test_a_new_customer_is_created_with_its_contact_and_matched_the_next_time(world, service):
    data = {"company": "Bergbrauerei GmbH", "contact": "Martin Huber", "email": "m.huber@bergbrau.example",
            "phone": "+49 8022 1"}  # fmt: skip
    first = service.request(world, "a", customer=None, customer_data=data)
    second = service.request(
        world,
        "a",
        customer=None,
        customer_data={"company": "Bergbrauerei", "email": "other@bergbrau.example"},
    )

    assert first.customer.company == "Bergbrauerei GmbH" and first.customer.partner_id == world.a.pk
    assert first.contact.name == "Martin Huber" and first.contact.email == "m.huber@bergbrau.example"
    assert second.customer_id == first.customer_id  # same company, same domain: the same customer
    assert Customer.objects.filter(company__startswith="Bergbrauerei").count() == 1
    assert Contact.objects.filter(customer=first.customer).count() == 2


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"subject": "  "}, "subject"),
        ({"description": ""}, "description"),
        ({"severity": "urgent"}, "severity"),
        ({"customer": None}, "customer"),
        ({"customer": None, "customer_data": {"company": "X", "email": "not-an-address"}}, "email"),
        ({"serial_number": "9" * 101}, "serial_number"),
        ({"resolve": True}, "solution"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_saved(world, service, fields, field):
    with pytest.raises(ValidationError) as exc:
        service.request(world, "a", **fields)
    assert field in exc.value.message_dict
    assert not ServiceRequest.objects.exists()


def test_another_partners_customer_is_refused(world, service):
    with pytest.raises(ValidationError) as exc:
        service.request(world, "a", customer=service.customers["c"])
    assert "customer" in exc.value.message_dict
    assert not ServiceRequest.objects.exists()


def test_an_inactive_product_or_a_draft_solution_is_refused(world, service):
    service.plc.active = False
    service.plc.save()
    with pytest.raises(ValidationError):
        service.request(world, "a", product=service.plc)
    with pytest.raises(ValidationError):
        service.request(world, "a", solution=service.draft)
    assert not ServiceRequest.objects.exists()


@pytest.mark.parametrize("persona", ["admin", "cm_a"])
def test_channel_staff_do_not_register_requests(world, service, persona):
    with pytest.raises(NotAllowed):
        services.request_create(
            actor=getattr(world, persona), subject="x", description="y", customer=service.customers["a"]
        )


def test_registering_with_a_solution_links_it_or_resolves_at_once(world, service):
    linked = service.request(world, "a", solution=service.drift)
    resolved = service.request(world, "a", solution=service.drift, resolve=True)

    assert linked.status == S.NEW and linked.solution == service.drift
    assert kinds(linked) == [ServiceEventKind.CREATED, ServiceEventKind.SOLUTION_LINKED]
    assert resolved.status == S.RESOLVED and resolved.solution == service.drift
    assert resolved.resolved_at is not None and resolved.resolve_seconds is not None
    service.drift.refresh_from_db()
    assert service.drift.solved_count == 1  # only the resolved one counts


# --- The workflow ---------------------------------------------------------------------------------


@pytest.mark.parametrize("current", S.values)
@pytest.mark.parametrize("target", S.values)
def test_the_transition_table_is_the_only_way(current, target):
    request = ServiceRequest(status=current)
    if target in SERVICE_TRANSITIONS[current]:
        request.set_status(target)
        assert request.status == target
    else:
        with pytest.raises(InvalidTransition):
            request.set_status(target)
        assert request.status == current


def test_a_request_goes_through_the_whole_workflow(world, service):
    request = service.request(world, "a")
    request = services.request_start(request=request, actor=world.pe_a)
    request = services.request_wait(request=request, actor=world.pe_a, note="Photo of the type plate")
    request = services.request_start(request=request, actor=world.pe_a)
    request = services.request_escalate(
        request=request, actor=world.pe_a, reason="Siphon fitted, still drifts"
    )
    assert request.status == S.ESCALATED and request.escalated_at is not None
    request = services.request_take_back(request=request, actor=world.cm_a, note="Check the vent")
    assert request.status == S.IN_PROGRESS
    request = services.request_resolve(request=request, actor=world.pe_a, solution=service.drift)
    assert request.status == S.RESOLVED
    request = services.request_reopen(request=request, actor=world.pe_a, reason="Drifts again")
    request = services.request_resolve(request=request, actor=world.pe_a)
    request = services.request_close(request=request, actor=world.pe_a, note="Confirmed")

    request.refresh_from_db()
    assert request.status == S.CLOSED and request.closed_at is not None
    assert request.solution == service.drift  # the linked solution stays when none is given again
    assert kinds(request) == [
        "created", "started", "waiting", "started", "escalated", "handed_back", "resolved", "reopened",
        "resolved", "closed",
    ]  # fmt: skip
    # The escalation reason is a comment the brand owner reads.
    assert ServiceComment.objects.filter(
        request=request, internal=False, body__contains="Siphon fitted"
    ).exists()


def test_a_bad_move_raises_and_changes_nothing(world, service):
    request = services.request_start(request=service.request(world, "a"), actor=world.pe_a)
    before = kinds(request)
    with pytest.raises(InvalidTransition):
        services.request_close(request=request, actor=world.pe_a)
    with pytest.raises(InvalidTransition):
        services.request_reopen(request=request, actor=world.pe_a, reason="x")
    with pytest.raises(InvalidTransition):
        services.request_take_back(request=request, actor=world.pe_a)
    request.refresh_from_db()
    assert request.status == S.IN_PROGRESS and kinds(request) == before


def test_a_closed_request_is_final(world, service):
    request = services.request_close(request=service.request(world, "a"), actor=world.pe_a, note="Mistake")
    for act in (
        lambda: services.request_start(request=request, actor=world.pe_a),
        lambda: services.request_resolve(request=request, actor=world.pe_a),
        lambda: services.request_escalate(request=request, actor=world.pe_a, reason="x"),
    ):
        with pytest.raises(InvalidTransition):
            act()
    with pytest.raises(ValidationError):
        services.comment_add(request=request, actor=world.pe_a, body="Hello")
    with pytest.raises(ValidationError):
        services.attachment_add(request=request, actor=world.pe_a, files=[pdf()])


def test_escalating_needs_a_reason(world, service):
    request = service.request(world, "a")
    with pytest.raises(ValidationError) as exc:
        services.request_escalate(request=request, actor=world.pe_a, reason=" ")
    assert "reason" in exc.value.message_dict
    request.refresh_from_db()
    assert request.status == S.NEW


def test_starting_an_unassigned_request_makes_it_the_starters(world, service):
    request = service.request(world, "a", actor=world.pm_a)
    request = services.request_start(request=request, actor=world.pe_a)
    assert request.assigned_to_id == world.pe_a.pk


def test_time_to_resolve_is_measured_from_registration(world, service):
    request = service.request(world, "a")
    ServiceRequest.objects.filter(pk=request.pk).update(
        created_at=timezone.now() - timedelta(hours=5, minutes=20)
    )
    request = services.request_resolve(request=request, actor=world.pe_a)

    assert 5 * 3600 + 20 * 60 <= request.resolve_seconds < 5 * 3600 + 21 * 60
    assert request.time_to_resolve == "5 h 20 min"
    assert (
        duration_text(None) == "—"
        and duration_text(59) == "0 min"
        and duration_text(3 * 86400 + 7200) == "3 d 2 h"
    )


# --- Who may act ----------------------------------------------------------------------------------


def test_only_the_partner_side_works_a_request(world, service):
    request = service.request(world, "a")
    colleague = partner_user(world.a, Role.PARTNER_EMPLOYEE, email="pe2@alpha.example")
    for actor in (colleague, world.pm_c, world.pe_c, world.pm_b, world.cm_a, world.admin):
        with pytest.raises(NotAllowed):
            services.request_start(request=request, actor=actor)
    # A distributor's manager reads its reseller's requests but does not work them.
    reseller_request = service.request(world, "b")
    with pytest.raises(NotAllowed):
        services.request_start(request=reseller_request, actor=world.pm_a)
    # The partner's manager works every request of the partner.
    assert services.request_start(request=request, actor=world.pm_a).status == S.IN_PROGRESS


def test_the_brand_owner_acts_only_on_escalated_requests_of_its_partners(world, service):
    request = services.request_start(request=service.request(world, "a"), actor=world.pe_a)
    with pytest.raises(NotAllowed):
        services.request_resolve(request=request, actor=world.cm_a)
    request = services.request_escalate(request=request, actor=world.pe_a, reason="Need the lab")
    with pytest.raises(NotAllowed):
        services.request_resolve(request=request, actor=world.cm_c)  # not A's channel manager
    with pytest.raises(NotAllowed):
        services.request_wait(request=request, actor=world.cm_a)  # the partner's move
    resolved = services.request_resolve(
        request=request, actor=world.cm_a, solution=service.draft, note="Lab fix"
    )
    assert (
        resolved.status == S.RESOLVED and resolved.solution == service.draft
    )  # drafts: the brand owner's own


def test_a_partner_may_take_an_escalation_back(world, service):
    request = services.request_escalate(request=service.request(world, "a"), actor=world.pe_a, reason="Help")
    request = services.request_take_back(request=request, actor=world.pe_a)
    assert request.status == S.IN_PROGRESS


def test_assigning_is_for_the_partners_manager(world, service):
    request = service.request(world, "a", actor=world.pm_a)
    with pytest.raises(NotAllowed):
        services.request_assign(request=request, actor=world.pe_a, assignee=world.pe_a)
    with pytest.raises(ValidationError):
        services.request_assign(request=request, actor=world.pm_a, assignee=world.pe_c)
    request = services.request_assign(request=request, actor=world.pm_a, assignee=world.pe_a)
    assert request.assigned_to_id == world.pe_a.pk
    assert kinds(request)[-1] == ServiceEventKind.ASSIGNED


# --- Comments -------------------------------------------------------------------------------------


def test_internal_comments_stay_with_the_partner(world, service):
    request = service.request(world, "a")
    services.comment_add(request=request, actor=world.pe_a, body="Customer is grumpy", internal=True)
    services.comment_add(request=request, actor=world.pe_a, body="Please check the firmware")
    services.comment_add(request=request, actor=world.cm_a, body="Firmware 3.2 has a fix")

    def bodies(user):
        return [c.body for c in selectors.request_comments(user, request)]

    assert bodies(world.pe_a) == ["Customer is grumpy", "Please check the firmware", "Firmware 3.2 has a fix"]
    assert bodies(world.pm_a) == bodies(world.pe_a)
    assert bodies(world.cm_a) == ["Please check the firmware", "Firmware 3.2 has a fix"]
    assert bodies(world.admin) == bodies(world.cm_a)
    with pytest.raises(ValidationError):
        services.comment_add(request=request, actor=world.cm_a, body="x", internal=True)
    with pytest.raises(NotAllowed):
        services.comment_add(request=request, actor=world.cm_c, body="x")
    with pytest.raises(NotAllowed):
        services.comment_add(request=request, actor=world.pm_c, body="x")


def test_a_distributors_manager_does_not_read_its_resellers_internal_comments(world, service):
    request = service.request(world, "b")
    services.comment_add(request=request, actor=world.pm_b, body="Between us", internal=True)
    assert [c.body for c in selectors.request_comments(world.pm_a, request)] == []
    assert [c.body for c in selectors.request_comments(world.pm_b, request)] == ["Between us"]


def test_escalation_and_the_brand_owners_comments_are_mailed(
    world, service, mailoutbox, django_capture_on_commit_callbacks
):
    request = service.request(world, "a")
    with django_capture_on_commit_callbacks(execute=True):
        services.request_escalate(request=request, actor=world.pe_a, reason="Line down")
    assert [m.to for m in mailoutbox] == [[world.cm_a.email]]
    assert "escalated" in mailoutbox[0].subject and "Line down" in mailoutbox[0].body
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(request=request, actor=world.cm_a, body="We look into it")
    assert mailoutbox[-1].to == [world.pe_a.email] and "We look into it" in mailoutbox[-1].body
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(request=request, actor=world.pe_a, body="Internal note", internal=True)
    assert len(mailoutbox) == 2  # internal comments mail nobody


# --- Attachments ----------------------------------------------------------------------------------


def test_pdf_and_images_are_attached_under_random_names(world, service):
    request = service.request(world, "a")
    saved = services.attachment_add(
        request=request, actor=world.pe_a, files=[pdf("fault.pdf"), png("plate.png")]
    )

    assert [(a.name, a.content_type) for a in saved] == [
        ("fault.pdf", "application/pdf"),
        ("plate.png", "image/png"),
    ]
    for attachment in saved:
        assert attachment.file.name.startswith("service-attachments/")
        assert "fault" not in attachment.file.name and "plate" not in attachment.file.name
        assert attachment.partner_id == world.a.pk
    assert saved[0].file.read() == PDF_BYTES


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("page.pdf", b"<html><script>alert(1)</script></html>"), "HTML"),
        (SimpleUploadedFile("tool.exe", b"MZ\x90\x00" + b"\x00" * 60), "not a PDF, PNG or JPEG"),
        (SimpleUploadedFile("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>'), "SVG"),
        (SimpleUploadedFile("anim.gif", b"GIF89a" + b"\x00" * 20), "GIF"),
        (SimpleUploadedFile("empty.pdf", b""), "empty"),
        (SimpleUploadedFile("cut.pdf", b"%PDF-1.4\n1 0 obj"), "incomplete"),
    ],
)
def test_files_that_are_not_pdf_png_or_jpeg_are_refused_all_or_nothing(world, service, upload, message):
    request = service.request(world, "a")
    with pytest.raises(ValidationError) as exc:
        services.attachment_add(request=request, actor=world.pe_a, files=[pdf(), upload])
    assert message in " ".join(exc.value.message_dict["files"])
    assert not ServiceAttachment.objects.exists()


def test_too_large_and_too_many_files_are_refused(world, service, settings):
    request = service.request(world, "a")
    big = SimpleUploadedFile("big.pdf", PDF_BYTES)
    big.size = services.MAX_ATTACHMENT_BYTES + 1
    with pytest.raises(ValidationError) as exc:
        services.attachment_add(request=request, actor=world.pe_a, files=[big])
    assert "at most 10 MB" in " ".join(exc.value.message_dict["files"])
    with pytest.raises(ValidationError):
        services.attachment_add(request=request, actor=world.pe_a, files=[pdf() for _ in range(11)])
    with pytest.raises(ValidationError):
        services.attachment_add(request=request, actor=world.pe_a, files=[])
    assert not ServiceAttachment.objects.exists()


def test_who_may_attach(world, service):
    request = service.request(world, "a")
    assert services.attachment_add(request=request, actor=world.cm_a, files=[pdf()])
    for actor in (world.pm_c, world.cm_c, world.pm_b):
        with pytest.raises(NotAllowed):
            services.attachment_add(request=request, actor=actor, files=[pdf()])


# --- "This solved it" -----------------------------------------------------------------------------


def test_feedback_counts_once_per_person(world, service):
    assert services.solution_feedback(solution=service.drift, actor=world.pe_a) is True
    assert services.solution_feedback(solution=service.drift, actor=world.pe_a) is False
    assert services.solution_feedback(solution=service.drift, actor=world.pm_c) is True
    service.drift.refresh_from_db()
    assert service.drift.solved_count == 2
    assert services.feedback_given(solution=service.drift, actor=world.pe_a)
    assert not services.feedback_given(solution=service.drift, actor=world.pm_a)


def test_feedback_counts_once_per_request_however_often_it_is_resolved(world, service):
    request = service.request(world, "a")
    request = services.request_resolve(request=request, actor=world.pe_a, solution=service.drift)
    request = services.request_reopen(request=request, actor=world.pe_a, reason="Again")
    services.request_resolve(request=request, actor=world.pe_a, solution=service.drift)
    other = services.request_resolve(
        request=service.request(world, "a"), actor=world.pe_a, solution=service.drift
    )

    service.drift.refresh_from_db()
    assert service.drift.solved_count == 2  # two requests, each once
    assert SolutionFeedback.objects.filter(solution=service.drift).count() == 2
    assert other.solution == service.drift


def test_feedback_on_drafts_and_from_the_channel_is_refused(world, service):
    with pytest.raises(ValidationError):
        services.solution_feedback(solution=service.draft, actor=world.pe_a)
    with pytest.raises(NotAllowed):
        services.solution_feedback(solution=service.drift, actor=world.cm_a)
    service.draft.refresh_from_db()
    service.drift.refresh_from_db()
    assert service.draft.solved_count == service.drift.solved_count == 0


# --- The knowledge base ---------------------------------------------------------------------------


def test_channel_staff_write_and_publish_solutions(world, service):
    solution = services.solution_create(
        actor=world.cm_a,
        fields={"title": "  Radar   false echo ", "problem": "Constant level", "solution": "Map the tank",
                "tags": "radar; echo, Radar , mapping"},
        products=[service.sensor],
    )  # fmt: skip
    assert solution.title == "Radar false echo" and solution.tags == "radar, echo, mapping"
    assert not solution.published and list(solution.products.all()) == [service.sensor]
    solution = services.solution_set_published(solution=solution, actor=world.cm_a, published=True)
    assert solution.published and solution.published_at is not None
    solution = services.solution_update(solution=solution, actor=world.admin, fields={"title": "Radar echo"})
    assert solution.title == "Radar echo" and solution.problem == "Constant level"
    assert list(solution.products.all()) == [service.sensor]  # not given: unchanged


def test_partners_do_not_write_the_knowledge_base(world, service):
    with pytest.raises(NotAllowed):
        services.solution_create(actor=world.pm_a, fields={"title": "x", "problem": "y", "solution": "z"})
    with pytest.raises(NotAllowed):
        services.solution_set_published(solution=service.draft, actor=world.pm_a, published=True)
    service.draft.refresh_from_db()
    assert not service.draft.published


def test_a_solution_needs_title_problem_and_solution(world, service):
    with pytest.raises(ValidationError) as exc:
        services.solution_create(actor=world.admin, fields={"title": "", "problem": "", "solution": ""})
    assert set(exc.value.message_dict) == {"title", "problem", "solution"}
    assert Solution.objects.count() == 3


# --- Closing resolved requests automatically ------------------------------------------------------


def test_resolved_requests_close_after_two_weeks_once(world, service):
    old = services.request_resolve(request=service.request(world, "a"), actor=world.pe_a)
    recent = services.request_resolve(request=service.request(world, "a"), actor=world.pe_a)
    ServiceRequest.objects.filter(pk=old.pk).update(resolved_at=timezone.now() - timedelta(days=15))

    assert services.requests_autoclose() == 1
    assert services.requests_autoclose() == 0
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.status == S.CLOSED and recent.status == S.RESOLVED
    assert ServiceEvent.objects.filter(request=old, kind="closed", actor__isnull=True).exists()


def test_the_autoclose_task_calls_the_service(world, service):
    from service.tasks import autoclose_resolved_requests_task

    old = services.request_resolve(request=service.request(world, "a"), actor=world.pe_a)
    ServiceRequest.objects.filter(pk=old.pk).update(resolved_at=timezone.now() - timedelta(days=20))
    assert autoclose_resolved_requests_task.delay().get() == 1


def test_beat_runs_the_autoclose():
    from django.conf import settings

    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "service.tasks.autoclose_resolved_requests_task" in tasks
