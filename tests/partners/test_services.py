"""Partner, membership and application services: invariants, workflows, the trail."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core.errors import InvalidTransition, NotAllowed
from core.models import ActivityEvent
from partners import access, services
from partners.choices import ApplicationStatus, PartnerStatus, PartnerType, Role
from partners.models import Membership, Partner, PartnerApplication
from tests.factories import ApplicationFactory, PartnerFactory


def test_vat_ids_are_normalised():
    from partners.models import normalise_vat_id

    assert normalise_vat_id(" de 123.456-789 ") == "DE123456789"


@pytest.mark.django_db
def test_channel_manager_creating_a_partner_owns_it_and_it_is_recorded(world):
    partner = services.partner_create(
        actor=world.cm_c, fields={"name": "Delta Tech", "country": "FR", "tier": world.gold}
    )
    assert partner.slug == "delta-tech"
    assert partner.status == PartnerStatus.ONBOARDING
    assert world.cm_c in partner.managers.all()
    event = ActivityEvent.objects.get(partner_id=partner.pk, verb="partner.created")
    assert event.actor == world.cm_c


@pytest.mark.django_db
def test_partner_users_cannot_create_partners(world):
    with pytest.raises(NotAllowed):
        services.partner_create(actor=world.pm_a, fields={"name": "X", "country": "DE"})


@pytest.mark.django_db
def test_bad_fields_raise_field_errors_and_save_nothing(world):
    before = Partner.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.partner_create(actor=world.admin, fields={"name": "X", "country": "XX", "vat_id": "1"})
    assert {"country", "vat_id"} <= set(exc.value.message_dict)
    assert Partner.objects.count() == before


@pytest.mark.django_db
def test_hierarchy_has_two_levels_at_most(world):
    # B is under A; nothing can go under B.
    with pytest.raises(ValidationError, match="at most two levels"):
        services.partner_create(
            actor=world.admin, fields={"name": "Deep", "country": "DE", "parent": world.b}
        )
    # A has sub-partners, so A cannot be put under C.
    with pytest.raises(ValidationError, match="sub-partners of its own"):
        services.partner_update(partner=world.a, actor=world.admin, changes={"parent": world.c})
    with pytest.raises(ValidationError, match="own parent"):
        services.partner_update(partner=world.c, actor=world.admin, changes={"parent": world.c})
    world.a.refresh_from_db()
    assert world.a.parent is None


@pytest.mark.django_db
def test_database_refuses_a_partner_as_its_own_parent(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        Partner.objects.filter(pk=world.c.pk).update(parent_id=world.c.pk)


@pytest.mark.django_db
def test_status_workflow(world):
    partner = PartnerFactory(status=PartnerStatus.ONBOARDING, tier=world.silver)
    partner.managers.add(world.cm_a)
    services.partner_change_status(partner=partner, actor=world.cm_a, status=PartnerStatus.ACTIVE)
    services.partner_change_status(
        partner=partner, actor=world.cm_a, status=PartnerStatus.SUSPENDED, reason="unpaid"
    )
    with pytest.raises(InvalidTransition):
        services.partner_change_status(partner=partner, actor=world.cm_a, status=PartnerStatus.ONBOARDING)
    services.partner_change_status(partner=partner, actor=world.cm_a, status=PartnerStatus.TERMINATED)
    with pytest.raises(InvalidTransition):
        services.partner_change_status(partner=partner, actor=world.cm_a, status=PartnerStatus.ACTIVE)
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.TERMINATED
    messages = list(
        ActivityEvent.objects.filter(partner_id=partner.pk, verb="partner.status").values_list(
            "message", flat=True
        )
    )
    assert any("unpaid" in m for m in messages)


@pytest.mark.django_db
def test_only_owners_change_tier_and_status(world):
    with pytest.raises(NotAllowed):
        services.partner_change_tier(partner=world.a, actor=world.cm_c, tier=world.platinum)
    services.partner_change_tier(partner=world.b, actor=world.cm_a, tier=world.gold)
    world.b.refresh_from_db()
    assert world.b.tier == world.gold


@pytest.mark.django_db
def test_partner_manager_edits_only_partner_fields(world):
    services.partner_update(partner=world.a, actor=world.pm_a, changes={"city": "Augsburg"})
    with pytest.raises(ValidationError, match="cannot be changed here"):
        services.partner_update(partner=world.a, actor=world.pm_a, changes={"capacity": 999})
    with pytest.raises(NotAllowed):
        services.partner_update(partner=world.a, actor=world.pe_a, changes={"city": "X"})
    with pytest.raises(NotAllowed):
        services.partner_update(partner=world.b, actor=world.pm_a, changes={"city": "X"})


@pytest.mark.django_db
def test_managers_must_be_channel_staff(world):
    with pytest.raises(ValidationError):
        services.partner_set_managers(partner=world.a, actor=world.admin, managers=[world.pm_a])
    services.partner_set_managers(partner=world.a, actor=world.admin, managers=[world.cm_c])
    assert list(world.a.managers.all()) == [world.cm_c]


@pytest.mark.django_db
def test_invite_change_role_and_keep_one_manager(world, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        membership = services.member_invite(
            partner=world.c, actor=world.pm_c, email="New@Gamma.example", full_name="Nina"
        )
    assert membership.user.email == "new@gamma.example"
    assert not membership.user.has_usable_password()
    assert len(mailoutbox) == 1 and "/invite/" in mailoutbox[0].body
    with pytest.raises(ValidationError, match="already has an OpenPCM account"):
        services.member_invite(partner=world.a, actor=world.pm_a, email="new@gamma.example")
    with pytest.raises(NotAllowed):
        services.member_invite(partner=world.c, actor=world.pe_c, email="x@gamma.example")
    pm_membership = Membership.objects.get(user=world.pm_c)
    with pytest.raises(ValidationError, match="at least one active partner manager"):
        services.member_change_role(membership=pm_membership, actor=world.pm_c, role=Role.PARTNER_EMPLOYEE)
    services.member_change_role(membership=membership, actor=world.pm_c, role=Role.PARTNER_MANAGER)
    assert access.actor_of(membership.user).role == Role.PARTNER_MANAGER
    with pytest.raises(ValidationError, match="yourself"):
        services.member_set_active(membership=pm_membership, actor=world.pm_c, active=False)


@pytest.mark.django_db
def test_invitation_link_works_once_and_verifies_the_address(world, django_capture_on_commit_callbacks):
    from allauth.account.models import EmailAddress

    membership = services.member_invite(partner=world.a, actor=world.pm_a, email="joiner@alpha.example")
    link = services.invitation_link(membership.user)
    uid, token = link.rstrip("/").split("/")[-2:]
    user = services.invitation_user(uid, token)
    assert user == membership.user
    services.invitation_accept(user=user, password="a-long-new-password-1")
    assert EmailAddress.objects.get(user=user).verified
    assert services.invitation_user(uid, token) is None  # the password changed, the link died


@pytest.mark.django_db
def test_application_duplicates_are_refused(world):
    services.application_submit(
        company="Omega",
        vat_id="de 999 888 777",
        country="DE",
        contact_name="O",
        contact_email="o@omega.example",
        sells="pumps",
    )
    with pytest.raises(services.ApplicationRefused, match="VAT id is already being reviewed"):
        services.application_submit(
            company="Omega 2",
            vat_id="DE999888777",
            country="DE",
            contact_name="O",
            contact_email="other@omega.example",
            sells="pumps",
        )
    with pytest.raises(services.ApplicationRefused, match="e-mail address is already being reviewed"):
        services.application_submit(
            company="Omega 3",
            vat_id="DE111222333",
            country="DE",
            contact_name="O",
            contact_email="O@omega.example",
            sells="pumps",
        )
    assert PartnerApplication.objects.count() == 1


@pytest.mark.django_db
def test_database_holds_one_pending_application_per_vat_id(world):
    ApplicationFactory(vat_id="DE555555555")
    with pytest.raises(IntegrityError), transaction.atomic():
        ApplicationFactory(vat_id="DE555555555")
    # A decided application does not block a new one.
    PartnerApplication.objects.update(status=ApplicationStatus.REJECTED)
    ApplicationFactory(vat_id="DE555555555")


@pytest.mark.django_db
def test_approve_creates_onboarding_partner_and_invites_contact(
    world, django_capture_on_commit_callbacks, mailoutbox
):
    application = ApplicationFactory(company="Kappa Kft", country="HU", contact_email="boss@kappa.example")
    with django_capture_on_commit_callbacks(execute=True):
        partner = services.application_approve(
            application=application, actor=world.cm_a, tier=world.silver, partner_type=PartnerType.RESELLER
        )
    assert partner.status == PartnerStatus.ONBOARDING and partner.tier == world.silver
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED and application.partner == partner
    user = Membership.objects.get(partner=partner).user
    assert user.email == "boss@kappa.example"
    assert access.actor_of(user).role == Role.PARTNER_MANAGER
    assert [m.to for m in mailoutbox] == [["boss@kappa.example"]]
    with pytest.raises(ValidationError, match="already approved"):
        services.application_approve(application=application, actor=world.admin)


@pytest.mark.django_db
def test_reject_needs_a_reason_and_emails_it(world, django_capture_on_commit_callbacks, mailoutbox):
    application = ApplicationFactory()
    with pytest.raises(ValidationError):
        services.application_reject(application=application, actor=world.admin, reason="  ")
    with django_capture_on_commit_callbacks(execute=True):
        services.application_reject(
            application=application, actor=world.admin, reason="Outside our territory"
        )
    assert "Outside our territory" in mailoutbox[0].body
    with pytest.raises(NotAllowed):
        services.application_reject(application=ApplicationFactory(), actor=world.pm_a, reason="no")
