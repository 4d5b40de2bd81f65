"""Showrooms in Django's admin: channel admins change them through showroom_update (same validation,
hashed password, activity trail); nobody adds them there."""

from __future__ import annotations

from django.contrib.auth.hashers import check_password
from django.urls import reverse

from core.models import ActivityEvent
from showroom import services
from showroom.models import Showroom


def change_data(showroom, **overrides):
    data = {
        "title": showroom.title,
        "slug": showroom.slug,
        "published": "on",
        "brand_colour": showroom.brand_colour,
        "introduction": "",
        "contact_email": "",
        "contact_phone": "",
        "contact_address": "",
        "oci_allowed_urls": "[]",
        "oci_username": "",
        "new_oci_password": "",
    }
    data.update(overrides)
    return data


def test_admin_changes_a_showroom_through_the_service(world, client):
    world.admin.is_staff = world.admin.is_superuser = True
    world.admin.save(update_fields=["is_staff", "is_superuser"])
    showroom = services.showroom_update(partner=world.a, actor=world.pm_a, changes={})
    client.force_login(world.admin)
    url = reverse("admin:showroom_showroom_change", args=[showroom.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        change_data(
            showroom,
            title="By the admin",
            oci_allowed_urls='["https://shop.example/oci"]',
            oci_username="shop",
            new_oci_password="admin-set-pass",
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    showroom.refresh_from_db()
    assert showroom.title == "By the admin" and showroom.published
    assert check_password("admin-set-pass", showroom.oci_password)
    assert ActivityEvent.objects.filter(verb="showroom.updated", actor=world.admin).exists()
    bad = client.post(url, change_data(showroom, oci_allowed_urls='["ftp://x.example"]'))
    assert bad.status_code == 200 and "must start with http:// or https://" in bad.content.decode()
    no_user = client.post(url, change_data(showroom, oci_username="", new_oci_password="lonely-pass"))
    assert no_user.status_code == 200 and "Enter the OCI user name" in no_user.content.decode()
    no_password = client.post(url, change_data(showroom, oci_username="other"))
    assert no_password.status_code == 302  # the stored password is kept
    assert client.get(reverse("admin:showroom_showroom_add")).status_code == 403
    assert Showroom.objects.count() == 1
