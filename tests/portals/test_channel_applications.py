"""Channel portal: the applications queue, approving and rejecting."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import User
from partners.choices import ApplicationStatus, PartnerStatus, PartnerType, Role
from partners.models import Partner, PartnerApplication
from tests.factories import ApplicationFactory, PartnerFactory, channel_user

pytestmark = pytest.mark.django_db

LIST = "/channel/applications/"


def detail(application) -> str:
    return reverse("channel:application_detail", args=[application.pk])


def approve(application) -> str:
    return reverse("channel:application_approve", args=[application.pk])


def reject(application) -> str:
    return reverse("channel:application_reject", args=[application.pk])


def companies(response) -> list[str]:
    return [a.company for a in response.context["page"].items]


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def decided(status: str, **kwargs) -> PartnerApplication:
    return ApplicationFactory(status=status, decided_at=timezone.now(), **kwargs)


@pytest.fixture
def queue(world):
    """Two pending applications, one approved, one rejected (created in this order)."""
    return {
        "old": ApplicationFactory(company="Old Pending"),
        "approved": decided(
            ApplicationStatus.APPROVED, company="Was Approved", partner=world.c, decided_by=world.admin
        ),
        "rejected": decided(ApplicationStatus.REJECTED, company="Was Rejected", reject_reason="No fit"),
        "new": ApplicationFactory(company="New Pending", city="Graz", message="We sell a lot."),
    }


# --- Queue ----------------------------------------------------------------------------------------


def test_queue_shows_pending_applications_newest_first_by_default(queue, world, login):
    response = login(world.cm_a).get(LIST)
    assert response.status_code == 200
    assert companies(response) == ["New Pending", "Old Pending"]
    tabs = {tab["key"]: tab for tab in response.context["tabs"]}
    assert tabs["pending"]["current"] and tabs["pending"]["count"] == 2
    assert (tabs["approved"]["count"], tabs["rejected"]["count"], tabs["all"]["count"]) == (1, 1, 4)
    assert "<title>Applications · OpenPCM</title>" in response.content.decode()


@pytest.mark.parametrize(
    ("tab", "expected"),
    [
        ("approved", ["Was Approved"]),
        ("rejected", ["Was Rejected"]),
        ("all", ["New Pending", "Was Rejected", "Was Approved", "Old Pending"]),
    ],
)
def test_queue_tabs(queue, world, login, tab, expected):
    assert companies(login(world.admin).get(f"{LIST}?status={tab}")) == expected


def test_unknown_tab_shows_pending_with_a_message(queue, world, login):
    response = login(world.admin).get(f"{LIST}?status=archived")
    assert response.status_code == 200
    assert companies(response) == ["New Pending", "Old Pending"]
    assert "Unknown tab" in messages_of(response)[0]


def test_queue_pages_forward_and_back_and_survives_a_bad_cursor(queue, world, login, settings):
    settings.PAGE_SIZE = 1
    client = login(world.admin)
    first = client.get(LIST)
    assert companies(first) == ["New Pending"]
    second = client.get(f"{LIST}?status=pending&after={first.context['page'].next_cursor}")
    assert companies(second) == ["Old Pending"]
    assert not second.context["page"].has_next
    back = client.get(f"{LIST}?status=pending&before={second.context['page'].prev_cursor}")
    assert companies(back) == ["New Pending"]
    bad = client.get(f"{LIST}?status=pending&after=xyz")
    assert companies(bad) == ["New Pending"]
    assert any("no longer valid" in m for m in messages_of(bad))


def test_empty_queue_says_so(world, login):
    body = login(world.admin).get(LIST).content.decode()
    assert "No applications are waiting for a decision." in body


@pytest.mark.parametrize("persona", ["pm_a", "pe_a", "pm_c"])
def test_partner_users_get_403(queue, world, login, persona):
    client = login(getattr(world, persona))
    assert client.get(LIST).status_code == 403
    assert client.get(detail(queue["new"])).status_code == 403
    assert (
        client.post(approve(queue["new"]), {"tier": world.silver.pk, "partner_type": "reseller"}).status_code
        == 403
    )
    assert client.post(reject(queue["new"]), {"reason": "no"}).status_code == 403
    queue["new"].refresh_from_db()
    assert queue["new"].status == ApplicationStatus.PENDING


@pytest.mark.parametrize("rows", [1, 20])
def test_queue_queries_do_not_grow_with_rows(db, login, django_assert_num_queries, rows):
    admin = channel_user(Role.CHANNEL_ADMIN)
    for n in range(rows):
        partner = PartnerFactory()
        decided(
            ApplicationStatus.APPROVED, partner=partner, decided_by=channel_user(email=f"d{n}@test.example")
        )
    client = login(admin)
    # session, user, actor, counts per status, page rows (partner and decider joined) = 5
    with django_assert_num_queries(5):
        response = client.get(f"{LIST}?status=all")
    assert len(response.context["page"].items) == rows


# --- Detail ---------------------------------------------------------------------------------------


def test_pending_application_shows_every_field_and_both_decisions(queue, world, login):
    response = login(world.cm_a).get(detail(queue["new"]))
    assert response.status_code == 200
    body = response.content.decode()
    application = queue["new"]
    for value in (application.company, application.vat_id, "Germany", "Graz", application.contact_name,
                  application.contact_email, "Industrial pumps", "We sell a lot."):  # fmt: skip
        assert value in body
    assert approve(application) in body and reject(application) in body
    form = response.context["approve_form"]
    assert form.initial["tier"] == world.registered.pk
    assert {p.name for p in form.fields["parent"].queryset} == {"Alpha Distribution"}


def test_decided_application_shows_the_decision_without_forms(queue, world, login):
    body = login(world.admin).get(detail(queue["rejected"])).content.decode()
    assert "No fit" in body
    assert approve(queue["rejected"]) not in body and reject(queue["rejected"]) not in body
    approved = login(world.admin).get(detail(queue["approved"])).content.decode()
    assert "by admin@test.example" in approved
    assert reverse("channel:partner_detail", args=[world.c.pk]) in approved


def test_missing_application_is_404(world, login):
    assert login(world.admin).get(reverse("channel:application_detail", args=[999999])).status_code == 404


# --- Approve --------------------------------------------------------------------------------------


def test_approve_creates_the_partner_in_onboarding_and_invites_the_contact(
    queue, world, login, django_capture_on_commit_callbacks, mailoutbox
):
    application = queue["new"]
    client = login(world.cm_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            approve(application),
            {"tier": world.silver.pk, "partner_type": PartnerType.RESELLER, "parent": world.a.pk},
            follow=True,
        )
    partner = Partner.objects.get(name="New Pending")
    assert response.redirect_chain == [(reverse("channel:partner_detail", args=[partner.pk]), 302)]
    assert response.status_code == 200
    assert (partner.status, partner.tier, partner.parent, partner.type) == (
        PartnerStatus.ONBOARDING, world.silver, world.a, PartnerType.RESELLER,
    )  # fmt: skip
    assert world.cm_a in partner.managers.all()
    application.refresh_from_db()
    assert (application.status, application.partner, application.decided_by) == (
        ApplicationStatus.APPROVED, partner, world.cm_a,
    )  # fmt: skip
    contact = User.objects.get(email=application.contact_email)
    assert contact.membership.partner == partner
    assert contact.groups.filter(name=Role.PARTNER_MANAGER).exists()
    assert "approved and now onboarding" in messages_of(response)[0]
    [invitation] = mailoutbox
    assert invitation.to == [application.contact_email]
    assert "New Pending" in invitation.subject
    assert "/invite/" in invitation.body


def test_approve_form_errors_change_nothing(queue, world, login, mailoutbox):
    response = login(world.cm_a).post(
        approve(queue["new"]), {"tier": "", "partner_type": "wholesaler", "parent": world.c.pk}
    )
    assert response.status_code == 400
    assert set(response.context["approve_form"].errors) == {"tier", "partner_type", "parent"}
    queue["new"].refresh_from_db()
    assert queue["new"].status == ApplicationStatus.PENDING
    assert not Partner.objects.filter(name="New Pending").exists()
    assert mailoutbox == []


def test_approve_is_refused_when_the_contact_already_has_an_account(world, login, mailoutbox):
    application = ApplicationFactory(contact_email="pm@beta.example")
    response = login(world.admin).post(
        approve(application), {"tier": world.silver.pk, "partner_type": "reseller"}
    )
    assert response.status_code == 400
    assert "already has an account" in messages_of(response)[0]
    application.refresh_from_db()
    assert application.status == ApplicationStatus.PENDING
    assert Partner.objects.count() == 3
    assert mailoutbox == []


def test_a_second_decision_is_refused(queue, world, login, django_capture_on_commit_callbacks, mailoutbox):
    application = queue["new"]
    client = login(world.admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(approve(application), {"tier": world.silver.pk, "partner_type": "reseller"})
    mailoutbox.clear()
    again = client.post(approve(application), {"tier": world.gold.pk, "partner_type": "reseller"})
    assert again.status_code == 400
    assert "This application is already approved." in messages_of(again)
    assert approve(application) not in again.content.decode()  # the page shows the decision, no forms
    rejected = client.post(reject(application), {"reason": "Changed our mind"})
    assert rejected.status_code == 400
    assert "This application is already approved." in messages_of(rejected)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED and application.reject_reason == ""
    assert Partner.objects.filter(name="New Pending").count() == 1
    assert mailoutbox == []


# --- Reject ---------------------------------------------------------------------------------------


def test_reject_needs_a_reason(queue, world, login, mailoutbox):
    response = login(world.cm_c).post(reject(queue["new"]), {"reason": "   "})
    assert response.status_code == 400
    assert response.context["reject_form"].errors["reason"]
    queue["new"].refresh_from_db()
    assert queue["new"].status == ApplicationStatus.PENDING
    assert mailoutbox == []


def test_reject_records_the_reason_and_emails_it(
    queue, world, login, django_capture_on_commit_callbacks, mailoutbox
):
    application = queue["new"]
    with django_capture_on_commit_callbacks(execute=True):
        response = login(world.cm_c).post(
            reject(application), {"reason": "We have enough resellers in Graz."}, follow=True
        )
    assert response.redirect_chain == [(LIST, 302)]
    assert "Application of New Pending rejected" in messages_of(response)[0]
    application.refresh_from_db()
    assert (application.status, application.decided_by) == (ApplicationStatus.REJECTED, world.cm_c)
    assert application.reject_reason == "We have enough resellers in Graz."
    [mail] = mailoutbox
    assert mail.to == [application.contact_email]
    assert "We have enough resellers in Graz." in mail.body


def test_decisions_are_post_only(queue, world, login):
    client = login(world.admin)
    assert client.get(approve(queue["new"])).status_code == 405
    assert client.get(reject(queue["new"])).status_code == 405
