"""GET /api/v1/me for each persona of the access-matrix world."""

from __future__ import annotations

import pytest

PERSONAS = [
    # (persona, role, partner attribute or None)
    ("admin", "channel_admin", None),
    ("cm_a", "channel_manager", None),
    ("cm_c", "channel_manager", None),
    ("pm_a", "partner_manager", "a"),
    ("pe_a", "partner_employee", "a"),
    ("pm_b", "partner_manager", "b"),
    ("pm_c", "partner_manager", "c"),
    ("pe_c", "partner_employee", "c"),
]


@pytest.mark.parametrize(("persona", "role", "partner"), PERSONAS)
def test_me_tells_email_role_and_partner(api, world, persona, role, partner):
    user = getattr(world, persona)

    response = api(user).get("/api/v1/me")

    assert response.status_code == 200
    assert response.json() == {
        "email": user.email,
        "role": role,
        "partner": getattr(world, partner).pk if partner else None,
    }


def test_superuser_without_group_is_a_channel_admin(api, db):
    from core.models import User

    root = User.objects.create_superuser(email="root@example.com", password="long-enough-pw-1")

    assert api(root).get("/api/v1/me").json() == {
        "email": "root@example.com",
        "role": "channel_admin",
        "partner": None,
    }


def test_user_without_a_role_has_null_role(api, db):
    from tests.factories import UserFactory

    nobody = UserFactory(email="norole@example.com")

    assert api(nobody).get("/api/v1/me").json() == {
        "email": "norole@example.com",
        "role": None,
        "partner": None,
    }
