"""Logging in (allauth, e-mail as login): each role lands on its portal, gates, closed sign-up,
mandatory e-mail verification, the login rate limit, password reset."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from core.models import User
from tests.factories import PASSWORD, UserFactory, partner_user


def log_in(client, email, password=PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


@pytest.mark.django_db
def test_login_page_is_accessible(client):
    response = client.get(reverse("account_login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Log in · OpenPCM</title>" in html
    assert '<label class="form-label" for="id_login">E-mail <span' in html
    assert '<label class="form-label" for="id_password">' in html
    assert 'type="email"' in html and 'autocomplete="email"' in html
    assert reverse("account_reset_password") in html
    assert reverse("apply") in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "portal"),
    [
        ("admin", "/channel/"),
        ("cm_a", "/channel/"),
        ("pm_a", "/partner/"),
        ("pe_a", "/partner/"),
        ("pm_b", "/partner/"),
    ],
)
def test_each_role_lands_on_its_portal(client, world, persona, portal):
    user = getattr(world, persona)
    response = log_in(client, user.email.upper())
    assert response.status_code == 302
    assert response["Location"] == portal
    assert int(client.session["_auth_user_id"]) == user.pk


@pytest.mark.django_db
def test_partner_lands_on_a_working_portal(client, world):
    response = client.post(
        reverse("account_login"), {"login": world.pm_a.email, "password": PASSWORD}, follow=True
    )
    assert response.status_code == 200
    assert "Alpha Distribution" in response.content.decode()


@pytest.mark.django_db
def test_wrong_password_is_refused(client, world):
    response = log_in(client, world.pm_a.email, "not-the-password")
    assert response.status_code == 200
    assert "The email address and/or password you specified are not correct." in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/channel/", "/partner/", "/partner/team/", "/channel/partners/", "/profile/"]
)
def test_anonymous_visitors_are_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={path}"


@pytest.mark.django_db
def test_partner_user_gets_403_in_the_channel_portal(world, login):
    for user in (world.pm_a, world.pe_a):
        assert login(user).get("/channel/").status_code == 403


@pytest.mark.django_db
def test_channel_user_gets_403_in_the_partner_portal(world, login):
    for user in (world.cm_a, world.admin):
        assert login(user).get("/partner/").status_code == 403


@pytest.mark.django_db
def test_signup_is_closed(client):
    response = client.get(reverse("account_signup"))
    assert "Sign-up is closed" in response.content.decode()
    client.post(
        reverse("account_signup"),
        {
            "email": "walk-in@example.org",
            "password1": "a-long-Unusual-pass-1",
            "password2": "a-long-Unusual-pass-1",
        },
    )
    assert not User.objects.filter(email="walk-in@example.org").exists()


@pytest.mark.django_db
def test_unverified_email_cannot_log_in(client, world, mailoutbox, django_capture_on_commit_callbacks):
    user = partner_user(world.a, email="unverified@alpha.example")
    EmailAddress.objects.filter(user=user).update(verified=False)
    with django_capture_on_commit_callbacks(execute=True):
        response = log_in(client, user.email)
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session
    assert client.get("/partner/").status_code == 302
    page = client.get(response["Location"])
    assert "You cannot log in until your e-mail address is confirmed." in page.content.decode()
    assert any(m.to == ["unverified@alpha.example"] for m in mailoutbox)


@pytest.mark.django_db
def test_confirming_the_email_lets_the_person_log_in(
    client, world, mailoutbox, django_capture_on_commit_callbacks
):
    user = partner_user(world.a, email="unverified@alpha.example")
    EmailAddress.objects.filter(user=user).update(verified=False)
    with django_capture_on_commit_callbacks(execute=True):
        log_in(client, user.email)
    link = re.search(r"http://\S+/accounts/confirm-email/\S+/", mailoutbox[-1].body).group(0)
    path = link.split("testserver", 1)[1] if "testserver" in link else "/" + link.split("/", 3)[3]
    page = client.get(path)
    assert page.status_code == 200
    assert "Please confirm that" in page.content.decode()
    client.post(path)
    assert EmailAddress.objects.get(user=user).verified
    client.logout()
    assert log_in(client, user.email)["Location"] == "/partner/"


@pytest.mark.django_db
def test_repeated_wrong_passwords_hit_the_rate_limit(client, world):
    for _ in range(5):
        response = log_in(client, world.pm_a.email, "wrong-password")
        assert "not correct" in response.content.decode()
    response = log_in(client, world.pm_a.email, "wrong-password")
    assert response.status_code == 200
    assert "Too many failed login attempts. Try again later." in response.content.decode()
    # Even the right password is refused while the limit holds.
    response = log_in(client, world.pm_a.email)
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_deactivated_person_cannot_log_in(client, world):
    world.pe_a.is_active = False
    world.pe_a.save()
    log_in(client, world.pe_a.email)
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_logout_asks_and_then_logs_out(world, login):
    client = login(world.pm_a)
    page = client.get(reverse("account_logout"))
    assert "<title>Log out · OpenPCM</title>" in page.content.decode()
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login")
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_password_reset_by_email(client, world, mailoutbox, django_capture_on_commit_callbacks):
    page = client.get(reverse("account_reset_password"))
    assert "<title>Reset your password · OpenPCM</title>" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_reset_password"), {"email": world.pe_a.email})
    assert response["Location"] == reverse("account_reset_password_done")
    assert "Check your e-mail" in client.get(response["Location"]).content.decode()
    link = re.search(r"http://\S+/accounts/password/reset/key/\S+/", mailoutbox[-1].body).group(0)
    path = "/" + link.split("/", 3)[3]
    form_page = client.get(path, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    set_url = form_page.redirect_chain[-1][0] if form_page.redirect_chain else path
    new = "brand-New-passphrase-77"
    done = client.post(set_url, {"password1": new, "password2": new}, follow=True)
    assert "Your password is changed" in done.content.decode()
    world.pe_a.refresh_from_db()
    assert world.pe_a.check_password(new)


@pytest.mark.django_db
def test_used_reset_link_says_it_is_not_valid(client):
    response = client.get("/accounts/password/reset/key/zz-set-password/")
    assert "This reset link is not valid" in response.content.decode()


@pytest.mark.django_db
def test_password_change_page_uses_the_site_layout(world, login):
    response = login(world.pm_a).get(reverse("account_change_password"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Change your password · OpenPCM</title>" in html
    assert 'class="form-control' in html


@pytest.mark.django_db
def test_roleless_user_lands_on_profile(client):
    user = UserFactory(email="plain@example.org")
    assert log_in(client, user.email)["Location"] == reverse("profile")


@pytest.mark.django_db
def test_inactive_account_page_explains_what_to_do(client):
    response = client.get(reverse("account_inactive"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Account deactivated · OpenPCM</title>" in html
    assert "ask your partner manager or channel manager to reactivate it" in html
