"""The profile page: who you are, and your API tokens (create shows the token once; revoke)."""

import pytest
from django.urls import reverse

from core.models import ApiToken
from core.services import api_token_authenticate, api_token_create


@pytest.mark.django_db
def test_profile_shows_name_email_role_and_partner(world, login):
    response = login(world.pe_a).get(reverse("profile"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Your profile · OpenPCM</title>" in html
    assert world.pe_a.full_name in html
    assert "pe@alpha.example" in html
    assert "Partner employee" in html
    assert "Alpha Distribution" in html
    assert "You have no API tokens." in html


@pytest.mark.django_db
def test_channel_staff_profile_has_a_role_and_no_partner(world, login):
    response = login(world.cm_a).get(reverse("profile"))
    assert "Channel manager" in response.content.decode()
    assert response.context["partner"] is None


@pytest.mark.django_db
def test_profile_links_to_password_change_and_two_factor(world, login):
    html = login(world.pm_a).get(reverse("profile")).content.decode()
    assert reverse("account_change_password") in html
    assert reverse("mfa_index") in html


@pytest.mark.django_db
def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get(reverse("profile"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.django_db
def test_created_token_is_shown_once_and_works(world, login):
    client = login(world.pm_a)
    response = client.post(reverse("profile_token_create"), {"name": "ERP import"})
    assert response.status_code == 302
    token = ApiToken.objects.get(user=world.pm_a)
    assert token.name == "ERP import"
    first = client.get(reverse("profile"))
    raw = first.context["new_token"]["raw"]
    html = first.content.decode()
    assert "Copy your new token “ERP import” now" in html
    assert raw in html
    assert raw.startswith(token.prefix)
    assert api_token_authenticate(raw) == world.pm_a
    second = client.get(reverse("profile")).content.decode()
    assert raw not in second
    assert "Copy your new token" not in second
    assert token.prefix in second  # still listed by its prefix


@pytest.mark.django_db
def test_profile_page_is_not_cached(world, login):
    response = login(world.pm_a).get(reverse("profile"))
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "message"), [("", "This field is required."), ("x" * 101, "at most 100 characters")]
)
def test_token_with_a_bad_name_is_not_created(world, login, name, message):
    response = login(world.pm_a).post(reverse("profile_token_create"), {"name": name})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_revoked_token_stops_authenticating(world, login):
    token, raw = api_token_create(user=world.pm_a, name="Old script")
    assert api_token_authenticate(raw) == world.pm_a
    client = login(world.pm_a)
    response = client.post(reverse("profile_token_revoke", args=[token.pk]), follow=True)
    assert "API token “Old script” revoked" in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert api_token_authenticate(raw) is None
    assert "Revoked" in response.content.decode()
    # Revoking again changes nothing and says so.
    again = client.post(reverse("profile_token_revoke", args=[token.pk]), follow=True)
    assert "was already revoked" in again.content.decode()


@pytest.mark.django_db
def test_another_users_token_is_404(world, login):
    token, raw = api_token_create(user=world.pm_c, name="Gamma ERP")
    for user in (world.pm_a, world.admin):
        assert login(user).post(reverse("profile_token_revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert api_token_authenticate(raw) == world.pm_c
    assert "Gamma ERP" not in login(world.pm_a).get(reverse("profile")).content.decode()


@pytest.mark.django_db
def test_token_actions_refuse_get(world, login):
    token, _ = api_token_create(user=world.pm_a, name="t")
    client = login(world.pm_a)
    assert client.get(reverse("profile_token_revoke", args=[token.pk])).status_code == 405
    assert client.get(reverse("profile_token_create")).status_code == 405


@pytest.mark.django_db
def test_deactivated_members_tokens_stop_working(world, login):
    _, raw = api_token_create(user=world.pe_a, name="Employee script")
    login(world.pm_a).post(reverse("partner:member_deactivate", args=[world.pe_a.membership.pk]))
    assert api_token_authenticate(raw) is None


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [1, 20])
def test_profile_query_count_is_constant(world, login, django_assert_num_queries, rows):
    for n in range(rows):
        api_token_create(user=world.pm_a, name=f"token {n}")
    client = login(world.pm_a)
    # session, user, actor, membership with partner, one page of tokens
    with django_assert_num_queries(5):
        response = client.get(reverse("profile"))
    assert len(response.context["page"].items) == rows
