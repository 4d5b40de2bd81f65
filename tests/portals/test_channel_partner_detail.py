"""Channel portal: the partner page and its actions (status, tier, channel managers, team)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from guardian.shortcuts import assign_perm

from core.models import ActivityEvent
from partners import services
from partners.choices import PartnerStatus, Role
from partners.models import Membership, Partner
from tests.factories import PartnerFactory, TierFactory, UserFactory, channel_user, partner_user

pytestmark = pytest.mark.django_db


def detail(partner: Partner) -> str:
    return reverse("channel:partner_detail", args=[partner.pk])


def action(name: str, partner: Partner) -> str:
    return reverse(f"channel:partner_{name}", args=[partner.pk])


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def share(user, partner: Partner, perm: str = "view") -> None:
    from partners import access

    assign_perm(f"partners.{perm}_partner", user, partner)
    access.forget_actor(user)


# --- The page -------------------------------------------------------------------------------------


def test_page_shows_profile_hierarchy_managers_team_and_activity(world, login):
    services.partner_change_tier(partner=world.a, actor=world.admin, tier=world.platinum, reason="Top seller")
    response = login(world.cm_a).get(detail(world.a))
    assert response.status_code == 200
    body = response.content.decode()
    assert "<title>Alpha Distribution · OpenPCM</title>" in body
    assert 'class="badge badge-status-active"' in body
    assert "Platinum" in body and "Distributor" in body
    assert "A top-level partner." in body
    assert "Sub-partners (1)" in body and detail(world.b) in body
    assert "cm.a@test.example" in body  # channel manager
    assert "pm@alpha.example" in body and "Partner manager" in body
    assert "pe@alpha.example" in body and "Partner employee" in body
    assert "Tier Gold → Platinum: Top seller" in body
    assert [label for label, _ in response.context["breadcrumbs"]] == [
        "Channel",
        "Partners",
        "Alpha Distribution",
    ]


def test_reseller_page_links_to_its_parent(world, login):
    body = login(world.cm_a).get(detail(world.b)).content.decode()
    assert f'Under <a href="{detail(world.a)}">Alpha Distribution</a>' in body
    assert "No sub-partners." in body


def test_team_shows_invited_and_deactivated_people(world, login, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.member_invite(partner=world.c, actor=world.admin, email="new@gamma.example")
    world.pe_c.is_active = False
    world.pe_c.save()
    rows = {row["user"].email: row for row in login(world.admin).get(detail(world.c)).context["team"]}
    assert rows["new@gamma.example"]["state"] == "invited"
    assert rows["pe@gamma.example"]["state"] == "deactivated"
    assert rows["pm@gamma.example"]["state"] == "active"
    assert rows["pm@gamma.example"]["role"] == "Partner manager"


def test_empty_states_for_a_new_partner(world, login):
    fresh = PartnerFactory(name="Fresh", tier=world.registered)
    body = login(world.admin).get(detail(fresh)).content.decode()
    assert "Nobody from Fresh has been invited yet." in body
    assert "No activity recorded yet." in body
    assert "No channel manager owns this partner yet." in body


def test_owner_sees_edit_status_and_tier_but_not_manager_assignment(world, login):
    response = login(world.cm_a).get(detail(world.a))
    body = response.content.decode()
    assert action("edit", world.a) in body
    assert action("status", world.a) in body and action("tier", world.a) in body
    assert action("managers", world.a) not in body
    assert not response.context["can_assign_managers"]


def test_admin_sees_manager_assignment(world, login):
    assert action("managers", world.a) in login(world.admin).get(detail(world.a)).content.decode()


def test_view_only_share_shows_the_page_without_any_change_control(world, login):
    share(world.cm_c, world.a)
    response = login(world.cm_c).get(detail(world.a))
    assert response.status_code == 200
    body = response.content.decode()
    assert action("edit", world.a) not in body
    assert action("status", world.a) not in body and action("tier", world.a) not in body


def test_status_select_offers_only_the_allowed_moves(world, login):
    form = login(world.admin).get(detail(world.a)).context["status_form"]
    assert form.fields["status"].widget.choices == [
        ("", "Choose a status"),
        ("suspended", "Suspended"),
        ("terminated", "Terminated"),
    ]


def test_terminated_partner_says_its_status_is_final(world, login):
    world.c.status = PartnerStatus.TERMINATED
    world.c.save()
    body = login(world.admin).get(detail(world.c)).content.decode()
    assert "Terminated is final" in body
    assert action("status", world.c) not in body


@pytest.mark.parametrize("persona", ["pm_a", "pe_a", "pm_b"])
def test_partner_users_get_403_on_every_channel_partner_page(world, login, persona):
    client = login(getattr(world, persona))
    assert client.get(detail(world.a)).status_code == 403
    assert client.get(action("team", world.a)).status_code == 403
    assert client.get(action("managers", world.a)).status_code == 403
    assert client.post(action("status", world.a), {"status": "suspended"}).status_code == 403
    assert client.post(action("tier", world.a), {"tier": world.platinum.pk}).status_code == 403
    world.a.refresh_from_db()
    assert (world.a.status, world.a.tier) == (PartnerStatus.ACTIVE, world.gold)


def test_other_channel_manager_gets_404_everywhere(world, login):
    client = login(world.cm_c)
    for partner in (world.a, world.b):
        assert client.get(detail(partner)).status_code == 404
        assert client.get(action("edit", partner)).status_code == 404
        assert client.get(action("team", partner)).status_code == 404
        assert client.post(action("status", partner), {"status": "suspended"}).status_code == 404
        assert client.post(action("tier", partner), {"tier": world.platinum.pk}).status_code == 404
        assert (
            client.post(
                action("team", partner), {"email": "x@y.example", "role": "partner_employee"}
            ).status_code
            == 404
        )
    world.a.refresh_from_db()
    assert world.a.status == PartnerStatus.ACTIVE
    assert not Membership.objects.filter(user__email="x@y.example").exists()


def test_missing_partner_is_404(world, login):
    assert login(world.admin).get(reverse("channel:partner_detail", args=[999999])).status_code == 404


# --- Status --------------------------------------------------------------------------------------


def test_allowed_status_change_is_saved_recorded_and_confirmed(world, login):
    response = login(world.cm_a).post(
        action("status", world.b), {"status": "suspended", "reason": "Unpaid invoices"}, follow=True
    )
    assert response.redirect_chain == [(detail(world.b), 302)]
    world.b.refresh_from_db()
    assert world.b.status == PartnerStatus.SUSPENDED
    assert "Beta Resale is now suspended." in messages_of(response)
    assert "Status Active → Suspended: Unpaid invoices" in response.content.decode()


def test_refused_status_change_shows_why_and_changes_nothing(world, login):
    response = login(world.cm_a).post(action("status", world.a), {"status": "onboarding"})
    assert response.status_code == 400
    assert "cannot go from “Active” to “Onboarding”" in response.content.decode()
    world.a.refresh_from_db()
    assert world.a.status == PartnerStatus.ACTIVE
    assert not ActivityEvent.objects.filter(verb="partner.status").exists()


def test_unknown_status_is_a_form_error(world, login):
    response = login(world.admin).post(action("status", world.a), {"status": "bankrupt"})
    assert response.status_code == 400
    assert response.context["status_form"].errors["status"]


def test_status_change_on_a_view_only_share_is_403(world, login):
    share(world.cm_c, world.a)
    response = login(world.cm_c).post(action("status", world.a), {"status": "suspended"})
    assert response.status_code == 403
    world.a.refresh_from_db()
    assert world.a.status == PartnerStatus.ACTIVE


def test_status_and_tier_changes_are_post_only(world, login):
    client = login(world.admin)
    assert client.get(action("status", world.a)).status_code == 405
    assert client.get(action("tier", world.a)).status_code == 405


# --- Tier -----------------------------------------------------------------------------------------


def test_tier_change_is_saved_and_recorded_in_the_activity(world, login):
    response = login(world.cm_a).post(
        action("tier", world.a), {"tier": world.platinum.pk, "reason": "Revenue target met"}, follow=True
    )
    world.a.refresh_from_db()
    assert world.a.tier == world.platinum
    assert "Alpha Distribution moved from tier Gold to Platinum." in messages_of(response)
    event = ActivityEvent.objects.get(verb="partner.tier", partner_id=world.a.pk)
    assert event.actor == world.cm_a
    assert event.data == {"from": "Gold", "to": "Platinum", "reason": "Revenue target met"}
    assert "Tier Gold → Platinum: Revenue target met" in response.content.decode()


def test_same_tier_changes_nothing(world, login):
    response = login(world.admin).post(action("tier", world.a), {"tier": world.gold.pk}, follow=True)
    assert "already in tier Gold" in messages_of(response)[0]
    assert not ActivityEvent.objects.filter(verb="partner.tier").exists()


def test_unknown_tier_is_a_form_error(world, login):
    response = login(world.admin).post(action("tier", world.a), {"tier": "999999"})
    assert response.status_code == 400
    assert response.context["tier_form"].errors["tier"]
    world.a.refresh_from_db()
    assert world.a.tier == world.gold


# --- Channel managers -----------------------------------------------------------------------------


def test_admin_assigns_channel_managers(world, login):
    client = login(world.admin)
    page = client.get(action("managers", world.a))
    assert page.status_code == 200
    assert set(page.context["form"].initial["managers"]) == {world.cm_a}
    response = client.post(
        action("managers", world.a), {"managers": [world.cm_c.pk, world.cm_a.pk]}, follow=True
    )
    assert response.redirect_chain == [(detail(world.a), 302)]
    assert set(world.a.managers.all()) == {world.cm_a, world.cm_c}
    assert "Channel managers of Alpha Distribution saved." in messages_of(response)
    assert ActivityEvent.objects.filter(verb="partner.managers", partner_id=world.a.pk).exists()


def test_admin_can_remove_every_manager(world, login):
    login(world.admin).post(action("managers", world.a), {})
    assert not world.a.managers.exists()


def test_only_channel_staff_can_be_chosen(world, login):
    response = login(world.admin).post(action("managers", world.a), {"managers": [world.pm_a.pk]})
    assert response.status_code == 400
    assert response.context["form"].errors["managers"]
    assert set(world.a.managers.all()) == {world.cm_a}


def test_channel_manager_cannot_assign_managers(world, login):
    client = login(world.cm_a)
    assert client.get(action("managers", world.a)).status_code == 403
    assert (
        client.post(action("managers", world.a), {"managers": [world.cm_a.pk, world.cm_c.pk]}).status_code
        == 403
    )
    assert set(world.a.managers.all()) == {world.cm_a}


# --- Team -----------------------------------------------------------------------------------------


def test_team_page_lists_the_partners_people(world, login):
    response = login(world.cm_a).get(action("team", world.a))
    assert response.status_code == 200
    assert [row["user"].email for row in response.context["members"]] == [
        "pe@alpha.example",
        "pm@alpha.example",
    ]
    assert "pm@beta.example" not in response.content.decode()
    assert response.context["can_invite"]


def test_channel_manager_invites_the_first_person_of_a_partner(
    world, login, django_capture_on_commit_callbacks, mailoutbox
):
    fresh = PartnerFactory(name="Fresh Reseller", parent=world.a, tier=world.registered)
    client = login(world.cm_a)
    assert (
        "Nobody from Fresh Reseller has an account yet." in client.get(action("team", fresh)).content.decode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            action("team", fresh),
            {"email": "Boss@Fresh.example", "full_name": "Fran Boss", "role": Role.PARTNER_MANAGER},
            follow=True,
        )
    assert response.redirect_chain == [(action("team", fresh), 302)]
    membership = Membership.objects.get(partner=fresh)
    assert membership.user.email == "boss@fresh.example"
    assert membership.user.groups.filter(name=Role.PARTNER_MANAGER).exists()
    assert membership.invited_by == world.cm_a
    assert "boss@fresh.example is invited as partner manager" in messages_of(response)[0]
    [mail] = mailoutbox
    assert mail.to == ["boss@fresh.example"]
    assert "/invite/" in mail.body


def test_invitation_errors_show_on_the_form(world, login, mailoutbox):
    client = login(world.admin)
    taken = client.post(action("team", world.a), {"email": "pm@beta.example", "role": Role.PARTNER_EMPLOYEE})
    assert taken.status_code == 400
    assert "already has an OpenPCM account" in taken.context["form"].errors["email"][0]
    bad = client.post(action("team", world.a), {"email": "not-an-address", "role": "channel_admin"})
    assert bad.status_code == 400
    assert set(bad.context["form"].errors) == {"email", "role"}
    assert Membership.objects.filter(partner=world.a).count() == 2
    assert mailoutbox == []


def test_view_only_share_sees_the_team_but_cannot_invite(world, login):
    share(world.cm_c, world.a)
    client = login(world.cm_c)
    page = client.get(action("team", world.a))
    assert page.status_code == 200
    assert not page.context["can_invite"]
    assert "Send invitation" not in page.content.decode()
    response = client.post(
        action("team", world.a), {"email": "x@alpha.example", "role": Role.PARTNER_EMPLOYEE}
    )
    assert response.status_code == 403
    assert not Membership.objects.filter(user__email="x@alpha.example").exists()


def test_team_page_pages_by_email_and_survives_a_bad_cursor(world, login, monkeypatch):
    monkeypatch.setattr("portals.channel.partners.TEAM_PAGE_SIZE", 1)
    client = login(world.admin)
    first = client.get(action("team", world.a))
    assert [r["user"].email for r in first.context["members"]] == ["pe@alpha.example"]
    second = client.get(action("team", world.a) + "?after=" + first.context["page"].next_cursor)
    assert [r["user"].email for r in second.context["members"]] == ["pm@alpha.example"]
    bad = client.get(action("team", world.a) + "?after=nonsense")
    assert [r["user"].email for r in bad.context["members"]] == ["pe@alpha.example"]
    assert any("no longer valid" in m for m in messages_of(bad))


# --- Query counts: the same with 1 and with 20 rows in every list of the page ------------------------


def _populated_partner(rows: int) -> tuple[Partner, object]:
    admin = channel_user(Role.CHANNEL_ADMIN)
    manager = channel_user(Role.CHANNEL_MANAGER)
    partner = PartnerFactory(name="Hub", tier=TierFactory())
    partner.managers.add(manager)
    for n in range(rows):
        partner.managers.add(channel_user(Role.CHANNEL_MANAGER, email=f"cm{n}@test.example"))
        PartnerFactory(name=f"Child {n:02d}", parent=partner, tier=TierFactory())
        partner_user(partner, Role.PARTNER_EMPLOYEE if n else Role.PARTNER_MANAGER, email=f"p{n}@hub.example")
        ActivityEvent.objects.create(
            actor=UserFactory(),
            verb="note",
            message=f"note {n}",
            target_type="x",
            target_id=n,
            partner_id=partner.pk,
        )
    return partner, {"admin": admin, "manager": manager}


@pytest.mark.parametrize("rows", [1, 20])
def test_detail_queries_do_not_grow_with_rows_for_an_admin(db, login, django_assert_num_queries, rows):
    partner, users = _populated_partner(rows)
    client = login(users["admin"])
    # session, user, actor, partner (tier, parent, sub-partner count), managers, certifications,
    # sub-partners (bounded), team (bounded), team members' groups, activity (bounded, with actors),
    # tier choices = 11.
    with django_assert_num_queries(11):
        response = client.get(detail(partner))
    assert len(response.context["children"]) == rows
    assert len(response.context["team"]) == min(rows, 10)
    assert len(response.context["activity"]) == rows


@pytest.mark.parametrize("rows", [1, 20])
def test_detail_queries_do_not_grow_with_rows_for_a_channel_manager(
    db, login, django_assert_num_queries, rows
):
    partner, users = _populated_partner(rows)
    client = login(users["manager"])
    # The admin's 11, plus the ownership checks of can_edit_partner and can_change_tier_or_status.
    with django_assert_num_queries(13):
        response = client.get(detail(partner))
    assert response.context["can_edit"] and response.context["can_change"]
    assert len(response.context["managers"]) == rows + 1
