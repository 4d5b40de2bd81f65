"""Invitation acceptance: the e-mailed link sets a password once, logs the person in, and dies."""

from urllib.parse import urlparse

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from core.models import ActivityEvent, User
from partners import services
from partners.choices import PartnerStatus, Role
from tests.factories import ApplicationFactory

NEW_PASSWORD = "a-long-Unusual-passphrase-42"


@pytest.fixture
def invited(world):
    membership = services.member_invite(
        partner=world.a, actor=world.pm_a, email="ivy@alpha.example", full_name="Ivy Invited"
    )
    return membership.user


def link_path(user):
    return urlparse(services.invitation_link(user)).path


def accept(client, path, password=NEW_PASSWORD, again=None, **kwargs):
    return client.post(path, {"new_password1": password, "new_password2": again or password}, **kwargs)


@pytest.mark.django_db
def test_valid_link_shows_the_set_password_form(client, invited):
    response = client.get(link_path(invited))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Choose your password · OpenPCM</title>" in html
    assert "Alpha Distribution" in html
    assert "ivy@alpha.example" in html
    assert 'name="new_password1"' in html and 'name="new_password2"' in html
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
def test_accepting_sets_the_password_logs_in_and_lands_on_the_portal(client, invited):
    response = accept(client, link_path(invited))
    assert response.status_code == 302
    assert response["Location"] == reverse("partner:home")
    invited.refresh_from_db()
    assert invited.check_password(NEW_PASSWORD)
    assert EmailAddress.objects.get(user=invited).verified
    assert int(client.session["_auth_user_id"]) == invited.pk
    assert ActivityEvent.objects.filter(verb="member.joined", actor=invited).exists()
    home = client.get(response["Location"])
    assert home.status_code == 200
    assert "Welcome to OpenPCM, Ivy Invited." in home.content.decode()


@pytest.mark.django_db
def test_the_link_works_once(client, invited):
    path = link_path(invited)
    accept(client, path)
    client.logout()
    for response in (client.get(path), accept(client, path, password="another-Long-passphrase-7")):
        assert response.status_code == 400
        assert "This invitation link is not valid" in response.content.decode()
        assert "ask the person who invited you" in response.content.decode()
    invited.refresh_from_db()
    assert invited.check_password(NEW_PASSWORD)


@pytest.mark.django_db
def test_after_accepting_the_person_logs_in_with_email_and_password(client, invited):
    accept(client, link_path(invited))
    client.logout()
    response = client.post(reverse("account_login"), {"login": "ivy@alpha.example", "password": NEW_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("partner:home")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("password", "again", "message"),
    [
        (NEW_PASSWORD, NEW_PASSWORD + "x", "The two password fields didn’t match."),
        ("short1", "short1", "This password is too short."),
        ("password1234", "password1234", "This password is too common."),
        ("83920174652", "83920174652", "This password is entirely numeric."),
        ("", "", "This field is required."),
    ],
)
def test_bad_passwords_show_errors_and_change_nothing(client, invited, password, again, message):
    response = accept(client, link_path(invited), password=password, again=again)
    assert response.status_code == 200
    assert message in response.content.decode()
    invited.refresh_from_db()
    assert not invited.has_usable_password()
    assert "_auth_user_id" not in client.session
    # The link still works after a mistake.
    assert client.get(link_path(invited)).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("uid", "token"),
    [("MTIz", "bad-token"), ("!!!", "x"), ("OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5", "abc-def"), ("", "")],
)
def test_invalid_links_explain_themselves(client, invited, uid, token):
    path = f"/invite/{uid}/{token}/" if uid else f"/invite/x/{token or 'y'}/"
    response = client.get(path)
    assert response.status_code == 400
    assert "This invitation link is not valid" in response.content.decode()


@pytest.mark.django_db
def test_a_deactivated_persons_link_is_invalid(client, invited):
    invited.is_active = False
    invited.save()
    assert client.get(link_path(invited)).status_code == 400


@pytest.mark.django_db
def test_a_link_for_another_user_does_not_work(client, invited, world):
    uid = link_path(invited).split("/")[2]
    token = link_path(world.pe_a).split("/")[3]
    assert client.get(f"/invite/{uid}/{token}/").status_code == 400


@pytest.mark.django_db
def test_approved_applicant_sets_a_password_and_sees_the_onboarding_portal(
    client, world, mailoutbox, django_capture_on_commit_callbacks
):
    application = ApplicationFactory(
        company="Epsilon AG", contact_email="eve@epsilon.example", contact_name="Eve E"
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.application_approve(application=application, actor=world.cm_a)
    invitation = next(m for m in mailoutbox if "/invite/" in m.body)
    path = urlparse(next(w for w in invitation.body.split() if "/invite/" in w)).path
    response = accept(client, path, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Welcome to OpenPCM, Eve E." in html
    assert "Welcome to the partner programme" in html
    eve = User.objects.get(email="eve@epsilon.example")
    assert eve.groups.filter(name=Role.PARTNER_MANAGER).exists()
    assert eve.membership.partner.status == PartnerStatus.ONBOARDING
