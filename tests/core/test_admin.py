"""The Django admin covers every model, with working list, search and filters; only staff get in."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

OUR_APPS = {"core", "partners", "catalog", "customers", "leads"}


def test_every_model_of_ours_is_in_the_admin():
    ours = {m for m in apps.get_models() if m._meta.app_label in OUR_APPS}
    assert ours - set(admin.site._registry) == set()


@pytest.mark.django_db
def test_each_changelist_searches_and_renders(client, world):
    client.force_login(_superuser(world))
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in OUR_APPS:
            continue
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        params = {"q": "alpha"} if model_admin.search_fields else {}
        response = client.get(url, params)
        assert response.status_code == 200, (url, response.status_code)


@pytest.mark.django_db
def test_partner_change_page_renders(client, world):
    client.force_login(_superuser(world))
    response = client.get(reverse("admin:partners_partner_change", args=[world.a.pk]))
    assert response.status_code == 200
    assert "Alpha Distribution" in response.content.decode()


@pytest.mark.django_db
def test_non_staff_channel_managers_do_not_get_into_the_admin(client, world):
    client.force_login(world.cm_a)
    response = client.get(reverse("admin:partners_partner_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def _superuser(world):
    world.admin.is_staff = True
    world.admin.is_superuser = True
    world.admin.save()
    return world.admin
