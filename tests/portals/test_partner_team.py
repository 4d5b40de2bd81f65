"""My team: managers invite, change roles, deactivate and reactivate; employees read only."""

import pytest
from django.urls import reverse

from core.models import User
from partners import services
from partners.choices import Role
from partners.models import Membership
from tests.factories import PartnerFactory, partner_user


def membership_of(user):
    return Membership.objects.get(user=user)


def groups_of(user):
    return set(user.groups.values_list("name", flat=True))


@pytest.mark.django_db
def test_team_lists_members_with_role_and_state(world, login):
    invited = services.member_invite(partner=world.a, actor=world.pm_a, email="new@alpha.example")
    response = login(world.pe_a).get(reverse("partner:team"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "pm@alpha.example" in html
    assert "pe@alpha.example" in html
    assert "new@alpha.example" in html
    assert "pm@beta.example" not in html  # a sub-partner's people are not A's team
    states = {row["membership"].user.email: (row["role"], row["state"]) for row in response.context["rows"]}
    assert states["pm@alpha.example"] == (Role.PARTNER_MANAGER, "active")
    assert states[invited.user.email] == (Role.PARTNER_EMPLOYEE, "invited")


@pytest.mark.django_db
def test_employee_sees_the_team_read_only(world, login):
    html = login(world.pe_a).get(reverse("partner:team")).content.decode()
    assert "Invite a colleague" not in html
    assert reverse("partner:member_deactivate", args=[membership_of(world.pm_a).pk]) not in html
    assert "Your partner managers invite people" in html


@pytest.mark.django_db
def test_manager_sees_the_invite_form_and_actions(world, login):
    html = login(world.pm_a).get(reverse("partner:team")).content.decode()
    assert "Invite a colleague" in html
    assert reverse("partner:member_deactivate", args=[membership_of(world.pe_a).pk]) in html
    # No deactivate button for oneself.
    assert reverse("partner:member_deactivate", args=[membership_of(world.pm_a).pk]) not in html


@pytest.mark.django_db
def test_manager_invites_a_colleague_by_email(world, login, mailoutbox, django_capture_on_commit_callbacks):
    client = login(world.pm_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("partner:team_invite"),
            {"email": "New.Person@Alpha.example", "full_name": "New Person", "role": Role.PARTNER_MANAGER},
        )
    assert response.status_code == 302
    user = User.objects.get(email="new.person@alpha.example")
    assert user.membership.partner == world.a
    assert user.membership.invited_by == world.pm_a
    assert groups_of(user) == {Role.PARTNER_MANAGER.value}
    assert not user.has_usable_password()
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["new.person@alpha.example"]
    assert "/invite/" in mailoutbox[0].body
    assert (
        "Invitation sent to new.person@alpha.example." in client.get(reverse("partner:team")).content.decode()
    )


@pytest.mark.django_db
def test_inviting_an_address_that_has_an_account_is_refused(world, login, mailoutbox):
    response = login(world.pm_a).post(
        reverse("partner:team_invite"), {"email": "pe@gamma.example", "role": Role.PARTNER_EMPLOYEE}
    )
    assert response.status_code == 200
    assert "already has an OpenPCM account" in response.content.decode()
    assert response.context["invite_form"].errors["email"]
    assert membership_of(world.pe_c).partner == world.c
    assert mailoutbox == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"email": "not-an-address", "role": Role.PARTNER_EMPLOYEE}, "email"),
        ({"email": "", "role": Role.PARTNER_EMPLOYEE}, "email"),
        ({"email": "x@alpha.example", "role": "channel_admin"}, "role"),
    ],
)
def test_invite_with_bad_input_shows_errors_and_creates_nobody(world, login, data, field):
    before = User.objects.count()
    response = login(world.pm_a).post(reverse("partner:team_invite"), data)
    assert response.status_code == 200
    assert response.context["invite_form"].errors[field]
    assert User.objects.count() == before


@pytest.mark.django_db
def test_employee_cannot_invite(world, login):
    response = login(world.pe_a).post(
        reverse("partner:team_invite"), {"email": "sneaky@alpha.example", "role": Role.PARTNER_MANAGER}
    )
    assert response.status_code == 403
    assert not User.objects.filter(email="sneaky@alpha.example").exists()


@pytest.mark.django_db
def test_manager_changes_a_role(world, login):
    response = login(world.pm_a).post(
        reverse("partner:member_role", args=[membership_of(world.pe_a).pk]), {"role": Role.PARTNER_MANAGER}
    )
    assert response.status_code == 302
    assert groups_of(world.pe_a) == {Role.PARTNER_MANAGER.value}


@pytest.mark.django_db
def test_the_last_manager_cannot_step_down(world, login):
    client = login(world.pm_a)
    response = client.post(
        reverse("partner:member_role", args=[membership_of(world.pm_a).pk]),
        {"role": Role.PARTNER_EMPLOYEE},
        follow=True,
    )
    assert "at least one active partner manager" in response.content.decode()
    assert groups_of(world.pm_a) == {Role.PARTNER_MANAGER.value}


@pytest.mark.django_db
def test_bad_role_value_changes_nothing(world, login):
    response = login(world.pm_a).post(
        reverse("partner:member_role", args=[membership_of(world.pe_a).pk]),
        {"role": "channel_admin"},
        follow=True,
    )
    assert "Choose partner manager or partner employee." in response.content.decode()
    assert groups_of(world.pe_a) == {Role.PARTNER_EMPLOYEE.value}


@pytest.mark.django_db
def test_manager_deactivates_and_reactivates_a_member(world, login):
    client = login(world.pm_a)
    pk = membership_of(world.pe_a).pk
    response = client.post(reverse("partner:member_deactivate", args=[pk]), follow=True)
    assert "can no longer log in" in response.content.decode()
    world.pe_a.refresh_from_db()
    assert not world.pe_a.is_active
    client.post(reverse("partner:member_reactivate", args=[pk]))
    world.pe_a.refresh_from_db()
    assert world.pe_a.is_active


@pytest.mark.django_db
def test_deactivated_member_shows_as_deactivated(world, login):
    world.pe_a.is_active = False
    world.pe_a.save()
    response = login(world.pm_a).get(reverse("partner:team"))
    states = {row["membership"].user_id: row["state"] for row in response.context["rows"]}
    assert states[world.pe_a.pk] == "deactivated"
    assert (
        reverse("partner:member_reactivate", args=[membership_of(world.pe_a).pk]) in response.content.decode()
    )


@pytest.mark.django_db
def test_manager_cannot_deactivate_themselves(world, login):
    response = login(world.pm_a).post(
        reverse("partner:member_deactivate", args=[membership_of(world.pm_a).pk]), follow=True
    )
    assert "You cannot deactivate yourself." in response.content.decode()
    world.pm_a.refresh_from_db()
    assert world.pm_a.is_active


@pytest.mark.django_db
def test_the_last_active_manager_cannot_be_deactivated(world, login):
    second = partner_user(world.a, Role.PARTNER_MANAGER, email="pm2@alpha.example")
    client = login(second)
    # Deactivate pm_a: allowed, second stays.
    client.post(reverse("partner:member_deactivate", args=[membership_of(world.pm_a).pk]))
    world.pm_a.refresh_from_db()
    assert not world.pm_a.is_active
    # Promote pe_a, demote second... second cannot demote itself as the last active manager.
    response = client.post(
        reverse("partner:member_role", args=[membership_of(second).pk]),
        {"role": Role.PARTNER_EMPLOYEE},
        follow=True,
    )
    assert "at least one active partner manager" in response.content.decode()
    assert groups_of(second) == {Role.PARTNER_MANAGER.value}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    [
        "partner:member_role",
        "partner:member_deactivate",
        "partner:member_reactivate",
        "partner:member_resend",
    ],
)
def test_employee_gets_403_on_team_actions(world, login, name):
    response = login(world.pe_a).post(
        reverse(name, args=[membership_of(world.pm_a).pk]), {"role": "partner_employee"}
    )
    assert response.status_code == 403
    world.pm_a.refresh_from_db()
    assert world.pm_a.is_active
    assert groups_of(world.pm_a) == {Role.PARTNER_MANAGER.value}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    [
        "partner:member_role",
        "partner:member_deactivate",
        "partner:member_reactivate",
        "partner:member_resend",
    ],
)
def test_member_of_another_partner_is_404(world, login, name):
    client = login(world.pm_a)
    for stranger in (world.pe_c, world.pm_b):  # another partner, and a sub-partner's manager
        response = client.post(reverse(name, args=[membership_of(stranger).pk]), {"role": "partner_manager"})
        assert response.status_code == 404
        stranger.refresh_from_db()
        assert stranger.is_active
    assert groups_of(world.pe_c) == {Role.PARTNER_EMPLOYEE.value}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    [
        "partner:member_role",
        "partner:member_deactivate",
        "partner:member_reactivate",
        "partner:member_resend",
    ],
)
def test_team_actions_refuse_get(world, login, name):
    assert login(world.pm_a).get(reverse(name, args=[membership_of(world.pe_a).pk])).status_code == 405


@pytest.mark.django_db
def test_manager_resends_an_invitation(world, login, mailoutbox, django_capture_on_commit_callbacks):
    invited = services.member_invite(partner=world.a, actor=world.pm_a, email="late@alpha.example")
    client = login(world.pm_a)
    assert (
        reverse("partner:member_resend", args=[invited.pk])
        in client.get(reverse("partner:team")).content.decode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("partner:member_resend", args=[invited.pk]))
    assert response.status_code == 302
    assert [m.to for m in mailoutbox] == [["late@alpha.example"]]


@pytest.mark.django_db
def test_resending_to_someone_who_accepted_is_refused(
    world, login, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = login(world.pm_a).post(
            reverse("partner:member_resend", args=[membership_of(world.pe_a).pk]), follow=True
        )
    assert "has already accepted the invitation" in response.content.decode()
    assert mailoutbox == []


@pytest.mark.django_db
def test_team_pages_by_keyset(world, login, settings):
    settings.PAGE_SIZE = 2
    for n in range(3):
        partner_user(world.a, email=f"z{n}@alpha.example")
    client = login(world.pm_a)
    first = client.get(reverse("partner:team"))
    page = first.context["page"]
    assert [m.user.email for m in page.items] == ["pe@alpha.example", "pm@alpha.example"]
    assert page.has_next
    second = client.get(reverse("partner:team"), {"after": page.next_cursor})
    assert [m.user.email for m in second.context["page"].items] == ["z0@alpha.example", "z1@alpha.example"]


@pytest.mark.django_db
def test_a_bad_cursor_shows_the_first_page(world, login):
    response = login(world.pm_a).get(reverse("partner:team"), {"after": "garbage!"})
    assert response.status_code == 200
    assert len(response.context["rows"]) == 2


@pytest.mark.django_db
@pytest.mark.parametrize("people", [1, 20])
def test_team_query_count_is_constant(world, login, django_assert_num_queries, people):
    partner = PartnerFactory(name="Delta")
    manager = partner_user(partner, Role.PARTNER_MANAGER)
    for _ in range(people - 1):
        partner_user(partner)
    client = login(manager)
    # session, user, actor, partner (tier, parent), one page of members (users joined), their groups
    with django_assert_num_queries(6):
        response = client.get(reverse("partner:team"))
    assert len(response.context["rows"]) == people
