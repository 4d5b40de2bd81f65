"""The `any_of` lookup: membership in a list sent as one array parameter on PostgreSQL."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from partners import access
from partners.models import Membership, Partner


def test_any_of_matches_the_listed_values(world):
    assert set(Partner.objects.filter(pk__any_of=[world.a.pk, world.c.pk])) == {world.a, world.c}
    assert set(Partner.objects.filter(pk__any_of=(world.b.pk,))) == {world.b}
    assert not Partner.objects.filter(pk__any_of=[]).exists()


def test_any_of_on_a_foreign_key(world):
    members = Membership.objects.filter(partner__any_of=[world.a.pk])
    assert {m.user for m in members} == {world.pm_a, world.pe_a}


def test_any_of_sends_one_array_parameter_on_postgresql(world, on_postgres):
    ids = [world.a.pk, world.b.pk, world.c.pk]
    with CaptureQueriesContext(connection) as queries:
        list(Partner.objects.filter(pk__any_of=ids))
    sql = queries.captured_queries[-1]["sql"]
    assert ("= ANY(" in sql) if on_postgres else (" IN (" in sql)


def test_managed_partner_ids_are_read_once_per_user_object_and_forgotten_on_change(world):
    cm = world.cm_a
    access.forget_actor(cm)
    with CaptureQueriesContext(connection) as queries:
        first = access.managed_partner_id_list(cm)
        again = access.managed_partner_id_list(cm)
    assert first == again == sorted([world.a.pk, world.b.pk])
    assert len(queries) == 2  # the actor, then the partner ids; the second call reads nothing
    world.c.managers.add(cm)
    access.forget_actor(cm)
    assert access.managed_partner_id_list(cm) == sorted([world.a.pk, world.b.pk, world.c.pk])
