"""The public partner application: validation, duplicates, the honeypot and the rate limit."""

import pytest
from django.urls import reverse

from core.models import ActivityEvent
from partners.choices import ApplicationStatus
from partners.models import PartnerApplication
from tests.factories import ApplicationFactory, PartnerFactory

VALID = {
    "company": "Delta Pumps GmbH",
    "vat_id": "de 123.456-789",
    "country": "DE",
    "city": "Hamburg",
    "website": "https://delta.example",
    "contact_name": "Dana Delta",
    "contact_email": "Dana@Delta.example",
    "contact_phone": "+49 40 123",
    "sells": "Industrial pumps, northern Germany",
    "message": "We would like to join.",
}


def apply(client, data=None, ip="203.0.113.7", **kwargs):
    return client.post(reverse("apply"), data or VALID, REMOTE_ADDR=ip, **kwargs)


@pytest.mark.django_db
def test_anonymous_visitor_sees_the_form(client):
    response = client.get(reverse("apply"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Become a partner · OpenPCM</title>" in html
    for name in VALID:
        assert f'name="{name}"' in html
    assert '<select name="country"' in html


@pytest.mark.django_db
def test_honeypot_is_hidden_from_people_screen_readers_and_the_tab_order(client):
    html = client.get(reverse("apply")).content.decode()
    assert '<div class="visually-hidden" aria-hidden="true">' in html
    assert 'name="fax_number" id="id_fax_number" value="" tabindex="-1" autocomplete="off"' in html


@pytest.mark.django_db
def test_valid_application_is_stored_and_confirmed(client, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = apply(client)
    assert response.status_code == 302
    assert response["Location"] == reverse("apply_thanks")
    application = PartnerApplication.objects.get()
    assert application.vat_id == "DE123456789"
    assert application.contact_email == "dana@delta.example"
    assert application.status == ApplicationStatus.PENDING
    assert application.sells == "Industrial pumps, northern Germany"
    assert ActivityEvent.objects.filter(verb="application.submitted", target_id=application.pk).exists()
    assert [m.to for m in mailoutbox] == [["dana@delta.example"]]
    thanks = client.get(response["Location"])
    assert thanks.status_code == 200
    assert "Thank you for applying" in thanks.content.decode()


@pytest.mark.django_db
def test_logged_in_people_can_open_the_form_too(world, login):
    assert login(world.pm_a).get(reverse("apply")).status_code == 200


@pytest.mark.django_db
def test_second_application_for_the_same_vat_id_is_refused(client):
    ApplicationFactory(vat_id="DE123456789", contact_email="other@example.org")
    response = apply(client)
    assert response.status_code == 200
    assert "An application for this VAT id is already being reviewed" in response.content.decode()
    assert response.context["form"].errors["vat_id"]
    assert PartnerApplication.objects.count() == 1


@pytest.mark.django_db
def test_second_application_from_the_same_email_is_refused(client):
    ApplicationFactory(vat_id="FR12345678901", contact_email="dana@delta.example")
    response = apply(client, {**VALID, "contact_email": "DANA@delta.example"})
    assert response.status_code == 200
    assert "An application from this e-mail address is already being reviewed" in response.content.decode()
    assert response.context["form"].errors["contact_email"]
    assert PartnerApplication.objects.count() == 1


@pytest.mark.django_db
def test_a_decided_application_does_not_block_a_new_one(client):
    ApplicationFactory(
        vat_id="DE123456789", contact_email="dana@delta.example", status=ApplicationStatus.REJECTED
    )
    assert apply(client).status_code == 302
    assert PartnerApplication.objects.filter(status=ApplicationStatus.PENDING).count() == 1


@pytest.mark.django_db
def test_an_existing_partners_vat_id_is_refused(client, world):
    PartnerFactory(vat_id="DE123456789")
    response = apply(client)
    assert "A partner with this VAT id already exists" in response.content.decode()
    assert not PartnerApplication.objects.exists()


@pytest.mark.django_db
def test_honeypot_pretends_success_and_stores_nothing(client, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = apply(client, {**VALID, "fax_number": "+49 40 999"})
    assert response.status_code == 302
    assert response["Location"] == reverse("apply_thanks")
    assert not PartnerApplication.objects.exists()
    assert not ActivityEvent.objects.exists()
    assert mailoutbox == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("vat_id", "12", "Enter a VAT or tax id of 4 to 20 letters and digits"),
        ("vat_id", "DE-12345-ÄÖÜ", "Enter a VAT or tax id of 4 to 20 letters and digits"),
        ("contact_email", "dana-at-delta", "Enter a valid email address."),
        ("country", "XX", "Select a valid choice."),
        ("website", "not a website", "Enter a valid URL."),
        ("company", "", "This field is required."),
        ("contact_name", "", "This field is required."),
        ("sells", "", "This field is required."),
        ("country", "", "This field is required."),
        ("vat_id", "", "This field is required."),
        ("sells", "x" * 2001, "at most 2000 characters"),
    ],
)
def test_bad_input_shows_field_errors_and_stores_nothing(client, mailoutbox, field, value, message):
    response = apply(client, {**VALID, field: value})
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert "Please correct the error below; nothing was sent." in html
    assert response.context["form"].errors[field]
    assert not PartnerApplication.objects.exists()
    assert mailoutbox == []


@pytest.mark.django_db
def test_entered_values_are_kept_after_an_error(client):
    html = apply(client, {**VALID, "contact_email": "nope"}).content.decode()
    assert 'value="Delta Pumps GmbH"' in html
    assert "Industrial pumps, northern Germany" in html


@pytest.mark.django_db
def test_too_many_applications_from_one_address_get_429(client, settings):
    settings.APPLY_RATE_LIMIT_PER_HOUR = 2
    assert (
        apply(client, {**VALID, "vat_id": "DE100000001", "contact_email": "a@delta.example"}).status_code
        == 302
    )
    assert (
        apply(client, {**VALID, "vat_id": "DE100000002", "contact_email": "b@delta.example"}).status_code
        == 302
    )
    response = apply(client, {**VALID, "vat_id": "DE100000003", "contact_email": "c@delta.example"})
    assert response.status_code == 429
    assert response["Retry-After"] == "3600"
    html = response.content.decode()
    assert "Too many applications from your network" in html
    assert "at most 2 applications an hour" in html
    assert PartnerApplication.objects.count() == 2
    # Another address is not affected.
    other = apply(
        client, {**VALID, "vat_id": "DE100000004", "contact_email": "d@delta.example"}, ip="198.51.100.1"
    )
    assert other.status_code == 302


@pytest.mark.django_db
def test_honeypot_hits_count_against_the_limit(client, settings):
    settings.APPLY_RATE_LIMIT_PER_HOUR = 1
    assert apply(client, {**VALID, "fax_number": "x"}).status_code == 302
    assert apply(client, {**VALID, "fax_number": "x"}).status_code == 429
    assert apply(client).status_code == 429
    assert not PartnerApplication.objects.exists()


@pytest.mark.django_db
def test_fixing_typos_does_not_use_up_the_limit(client, settings):
    settings.APPLY_RATE_LIMIT_PER_HOUR = 1
    for _ in range(3):
        assert apply(client, {**VALID, "contact_email": "typo"}).status_code == 200
    assert apply(client).status_code == 302
    assert PartnerApplication.objects.count() == 1


@pytest.mark.django_db
def test_thanks_page_is_public(client):
    response = client.get(reverse("apply_thanks"))
    assert response.status_code == 200
    assert "<title>Application received · OpenPCM</title>" in response.content.decode()
