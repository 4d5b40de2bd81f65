"""POST /api/v1/auth/token, bearer authentication, and the caller's tokens."""

from __future__ import annotations

import json

import pytest
from allauth.account.models import EmailAddress
from django.utils import timezone

from core.models import ApiToken
from core.services import api_token_create, api_token_revoke
from tests.factories import PASSWORD, UserFactory

TOKEN_URL = "/api/v1/auth/token"


def post_token(client, email: str, password: str, **extra):
    body = json.dumps({"email": email, "password": password})
    return client.post(TOKEN_URL, body, content_type="application/json", **extra)


def test_login_returns_a_token_that_authenticates(client, world):
    response = post_token(client, "pm@alpha.example", PASSWORD)

    assert response.status_code == 200
    token = response.json()["token"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json()["email"] == "pm@alpha.example"
    record = ApiToken.objects.get(user=world.pm_a)
    assert record.name == f"API login {timezone.localdate():%Y-%m-%d}"
    assert token.startswith(record.prefix)


def test_login_email_is_case_insensitive(client, world):
    response = post_token(client, "  PM@Alpha.Example ", PASSWORD)

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("email", "password"),
    [("pm@alpha.example", "wrong-password-1"), ("nobody@alpha.example", PASSWORD), ("", "")],
)
def test_bad_credentials_get_401_and_no_token(client, world, email, password):
    response = post_token(client, email, password)

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid e-mail address or password."}
    assert not ApiToken.objects.exists()


def test_inactive_user_gets_401(client, db):
    UserFactory(email="gone@example.com", is_active=False)

    response = post_token(client, "gone@example.com", PASSWORD)

    assert response.status_code == 401
    assert not ApiToken.objects.exists()


def test_unverified_email_gets_401_with_a_reason(client, db):
    user = UserFactory(email="new@example.com")
    EmailAddress.objects.filter(user=user).update(verified=False)

    response = post_token(client, "new@example.com", PASSWORD)

    assert response.status_code == 401
    assert "not verified" in response.json()["detail"]
    assert not ApiToken.objects.exists()


def test_login_is_rate_limited_per_email(client, world, settings):
    settings.API_TOKEN_RATE_LIMIT_PER_MINUTE = 3
    for n in range(3):
        assert (
            post_token(client, "pm@alpha.example", "wrong-password-1", REMOTE_ADDR=f"192.0.2.{n}").status_code
            == 401
        )

    # Even the right password, from yet another address, waits now.
    response = post_token(client, "pm@alpha.example", PASSWORD, REMOTE_ADDR="192.0.2.99")

    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert "wait a minute" in response.json()["detail"]
    assert not ApiToken.objects.exists()


def test_login_is_rate_limited_per_address(client, world, settings):
    settings.API_TOKEN_RATE_LIMIT_PER_MINUTE = 3
    for n in range(3):
        assert post_token(client, f"guess{n}@alpha.example", "wrong-password-1").status_code == 401

    response = post_token(client, "pm@alpha.example", PASSWORD)

    assert response.status_code == 429
    # Another client address is not affected.
    assert post_token(client, "pm@beta.example", PASSWORD, REMOTE_ADDR="192.0.2.7").status_code == 200


def test_login_with_malformed_json_gets_400(client, db):
    response = client.post(TOKEN_URL, "{not json", content_type="application/json")

    assert response.status_code == 400
    assert "must be a JSON object" in response.json()["detail"]


def test_login_without_password_gets_422_with_field_errors(client, db):
    response = client.post(TOKEN_URL, json.dumps({"email": "a@example.com"}), content_type="application/json")

    assert response.status_code == 422
    assert response.json() == {
        "detail": "Validation failed",
        "errors": {"password": ["This field is required."]},
    }


def test_login_body_that_is_not_an_object_gets_400(client, db):
    response = client.post(TOKEN_URL, json.dumps(["a@example.com", "pw"]), content_type="application/json")

    assert response.status_code == 400
    assert "must be a JSON object" in response.json()["detail"]


# --- Bearer authentication ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer",
        "Bearer pcm_not-a-real-token",
        "Token pcm_x",
        "Basic dXNlcjpwYXNz",
        "Bearer " + "x" * 300,
    ],
)
def test_routes_need_a_valid_bearer_token(client, world, header):
    headers = {"Authorization": header} if header else {}

    for path in ("/api/v1/me", "/api/v1/partners", f"/api/v1/partners/{world.a.pk}", "/api/v1/tokens"):
        response = client.get(path, headers=headers)
        assert response.status_code == 401, path
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert "Authorization: Bearer" in response.json()["detail"]


def test_write_routes_need_a_token_and_change_nothing(client, world):
    response = client.patch(
        f"/api/v1/partners/{world.a.pk}", json.dumps({"name": "Hijacked"}), content_type="application/json"
    )

    assert response.status_code == 401
    world.a.refresh_from_db()
    assert world.a.name == "Alpha Distribution"


def test_revoked_token_gets_401(client, world):
    token, raw = api_token_create(user=world.pm_a, name="script")
    headers = {"Authorization": f"Bearer {raw}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200

    api_token_revoke(token=token, actor=world.pm_a)

    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_token_of_a_deactivated_user_gets_401(client, world):
    _token, raw = api_token_create(user=world.pe_a, name="script")
    world.pe_a.is_active = False
    world.pe_a.save()

    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401


def test_session_login_does_not_open_the_api(login, world):
    client = login(world.admin)

    assert client.get("/api/v1/me").status_code == 401


def test_using_a_token_records_last_use(client, world):
    token, raw = api_token_create(user=world.pm_a, name="script")

    client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})

    token.refresh_from_db()
    assert token.last_used_at is not None


# --- The caller's tokens -------------------------------------------------------------------------


def test_token_list_shows_only_my_tokens_newest_first(api, world):
    api_token_create(user=world.pm_b, name="someone else's")
    client = api(world.pm_a)  # creates token "test"
    revoked, _raw = api_token_create(user=world.pm_a, name="old script")
    api_token_revoke(token=revoked, actor=world.pm_a)

    response = client.get("/api/v1/tokens")

    assert response.status_code == 200
    body = response.json()
    assert [t["name"] for t in body["items"]] == ["old script", "test"]
    assert body["next_cursor"] is None
    assert set(body["items"][0]) == {"id", "name", "prefix", "created_at", "last_used_at", "revoked_at"}
    assert body["items"][0]["revoked_at"] is not None
    assert body["items"][1]["revoked_at"] is None
    assert "key_hash" not in response.content.decode()


def test_token_list_pages_by_cursor(api, world):
    client = api(world.pm_a)
    for n in range(4):
        api_token_create(user=world.pm_a, name=f"t{n}")

    first = client.get("/api/v1/tokens", {"limit": 3}).json()
    second = client.get("/api/v1/tokens", {"limit": 3, "cursor": first["next_cursor"]}).json()

    ids = [t["id"] for t in first["items"] + second["items"]]
    assert len(ids) == 5 == len(set(ids))
    assert second["next_cursor"] is None


def test_revoking_my_token_stops_it(api, world):
    client = api(world.pm_a)
    other, raw = api_token_create(user=world.pm_a, name="script")

    response = client.delete(f"/api/v1/tokens/{other.pk}")

    assert response.status_code == 200
    assert response.json()["revoked_at"] is not None
    assert client.client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401
    assert client.get("/api/v1/me").status_code == 200


def test_revoking_someone_elses_token_gets_404(api, world):
    theirs, raw = api_token_create(user=world.pm_b, name="theirs")
    client = api(world.admin)

    response = client.delete(f"/api/v1/tokens/{theirs.pk}")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


@pytest.mark.parametrize("token_id", ["0", "99999999999999999999999"])
def test_revoking_an_impossible_token_id_gets_404(api, world, token_id):
    assert api(world.pm_a).delete(f"/api/v1/tokens/{token_id}").status_code == 404


@pytest.mark.parametrize("rows", [1, 20])
def test_token_list_query_count_is_flat(api, world, django_assert_num_queries, rows):
    client = api(world.pm_a)
    for n in range(rows - 1):
        api_token_create(user=world.pm_a, name=f"t{n}")

    # 1 token and user, 2 token last_used_at, 3 the page.
    with django_assert_num_queries(3):
        response = client.get("/api/v1/tokens", {"limit": 200})

    assert len(response.json()["items"]) == rows
