"""The access policy's scopes and action rules, persona by persona."""

import pytest
from guardian.shortcuts import assign_perm

from partners import access
from partners.choices import Role


def visible(user):
    return set(access.scope_partners(user).values_list("slug", flat=True))


@pytest.mark.django_db
def test_channel_admin_sees_every_partner(world):
    assert visible(world.admin) == {"alpha", "beta", "gamma"}


@pytest.mark.django_db
def test_channel_manager_sees_managed_partners_and_their_resellers(world):
    assert visible(world.cm_a) == {"alpha", "beta"}
    assert visible(world.cm_c) == {"gamma"}


@pytest.mark.django_db
def test_distributor_manager_sees_own_partner_and_resellers(world):
    assert visible(world.pm_a) == {"alpha", "beta"}


@pytest.mark.django_db
def test_employee_and_reseller_manager_see_only_their_partner(world):
    assert visible(world.pe_a) == {"alpha"}
    assert visible(world.pm_b) == {"beta"}
    assert visible(world.pm_c) == {"gamma"}


@pytest.mark.django_db
def test_anonymous_and_roleless_users_see_nothing(world, django_user_model):
    from django.contrib.auth.models import AnonymousUser

    assert visible(AnonymousUser()) == set()
    assert visible(django_user_model.objects.create_user(email="nobody@test.example")) == set()


@pytest.mark.django_db
def test_share_adds_a_partner_for_a_covering_manager(world):
    assign_perm("partners.view_partner", world.cm_c, world.a)
    access.forget_actor(world.cm_c)
    assert visible(world.cm_c) == {"alpha", "beta", "gamma"}
    # A view share does not let them change it.
    assert not access.can_edit_partner(world.cm_c, world.a)
    assign_perm("partners.change_partner", world.cm_c, world.a)
    assert access.can_edit_partner(world.cm_c, world.a)


@pytest.mark.django_db
def test_group_share_reaches_group_members(world):
    from django.contrib.auth.models import Group

    covering = Group.objects.create(name="covering-north")
    world.cm_c.groups.add(covering)
    assign_perm("partners.view_partner", covering, world.a)
    access.forget_actor(world.cm_c)
    assert "alpha" in visible(world.cm_c)


@pytest.mark.django_db
def test_roles_resolve(world):
    assert access.actor_of(world.admin).role == Role.CHANNEL_ADMIN
    assert access.actor_of(world.cm_a).role == Role.CHANNEL_MANAGER
    assert access.actor_of(world.pm_a).role == Role.PARTNER_MANAGER
    assert access.actor_of(world.pe_a).partner_id == world.a.pk


@pytest.mark.django_db
def test_action_rules(world):
    assert access.can_edit_partner(world.cm_a, world.b)  # owns B's distributor
    assert not access.can_edit_partner(world.cm_c, world.a)
    assert not access.can_edit_partner(world.pm_a, world.a)  # partner side edits via company page
    assert access.can_edit_own_company(world.pm_a, world.a)
    assert not access.can_edit_own_company(world.pm_a, world.b)  # reseller is read-only for A
    assert not access.can_edit_own_company(world.pe_a, world.a)
    assert access.can_assign_managers(world.admin, world.a)
    assert not access.can_assign_managers(world.cm_a, world.a)


@pytest.mark.django_db
@pytest.mark.parametrize("tier", ["²", "9" * 25, "Silver", "silver"])
def test_partner_list_tier_filter_never_fails(world, tier):
    from partners.selectors import partner_list

    names = set(partner_list(world.admin, tier=tier).values_list("slug", flat=True))
    assert names == ({"beta", "gamma"} if tier.lower() == "silver" else set())
