"""seed_demo: the demo world of the issue, idempotent, refused in production."""

import pytest
from django.core.management import CommandError, call_command

from core.models import User
from partners import access
from partners.choices import ApplicationStatus, PartnerStatus, Role
from partners.models import Partner, PartnerApplication, Tier


@pytest.mark.django_db
def test_seed_creates_the_demo_world_and_prints_the_logins(capsys, settings):
    settings.DEMO_DATA_ALLOWED = True
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "demo-pass-2026" in out
    assert "pm@alpine.example" in out
    assert list(Tier.objects.order_by("rank").values_list("name", flat=True)) == [
        "Registered",
        "Silver",
        "Gold",
        "Platinum",
    ]
    alpine = Partner.objects.get(slug="alpine")
    brook = Partner.objects.get(slug="brook")
    cobalt = Partner.objects.get(slug="cobalt")
    assert (alpine.name, alpine.type, alpine.tier.name, alpine.country, alpine.city) == (
        "Alpine Distribution GmbH",
        "distributor",
        "Gold",
        "DE",
        "Munich",
    )
    assert (brook.name, brook.parent, brook.tier.name, brook.country, brook.city) == (
        "Brook Systems",
        alpine,
        "Silver",
        "AT",
        "Vienna",
    )
    assert (cobalt.name, cobalt.parent, cobalt.tier.name, cobalt.country, cobalt.city) == (
        "Cobalt Services SARL",
        None,
        "Silver",
        "FR",
        "Lyon",
    )
    for p in (alpine, brook, cobalt):
        assert p.status == PartnerStatus.ACTIVE and p.latitude is not None and p.longitude is not None
    admin = User.objects.get(email="admin@openpcm.example")
    assert admin.is_superuser and access.actor_of(admin).role == Role.CHANNEL_ADMIN
    north = User.objects.get(email="cm.north@openpcm.example")
    assert set(
        north.managed_partners.filter(slug__in=["alpine", "brook", "cobalt"]).values_list("slug", flat=True)
    ) == {"alpine", "brook"}
    south = User.objects.get(email="cm.south@openpcm.example")
    assert south.managed_partners.filter(slug="cobalt").exists()
    expected = {
        "pm@alpine.example": (Role.PARTNER_MANAGER, alpine),
        "pe@alpine.example": (Role.PARTNER_EMPLOYEE, alpine),
        "pm@brook.example": (Role.PARTNER_MANAGER, brook),
        "pm@cobalt.example": (Role.PARTNER_MANAGER, cobalt),
        "pe@cobalt.example": (Role.PARTNER_EMPLOYEE, cobalt),
    }
    for email, (role, partner) in expected.items():
        user = User.objects.get(email=email)
        assert access.actor_of(user).role == role
        assert user.membership.partner == partner
        assert user.check_password("demo-pass-2026")
    assert PartnerApplication.objects.filter(status=ApplicationStatus.PENDING).count() == 1
    assert Partner.objects.count() >= 30
    assert Partner.objects.values("country").distinct().count() >= 8


@pytest.mark.django_db
def test_seed_twice_changes_nothing(settings):
    settings.DEMO_DATA_ALLOWED = True
    call_command("seed_demo")
    counts = (Partner.objects.count(), User.objects.count(), PartnerApplication.objects.count())
    call_command("seed_demo")
    assert (Partner.objects.count(), User.objects.count(), PartnerApplication.objects.count()) == counts


@pytest.mark.django_db
def test_seed_with_password_sets_it(settings):
    settings.DEMO_DATA_ALLOWED = True
    call_command("seed_demo", password="another-pass-77")
    assert User.objects.get(email="pm@brook.example").check_password("another-pass-77")


@pytest.mark.django_db
def test_production_settings_refuse_to_seed(settings):
    settings.DEMO_DATA_ALLOWED = False
    with pytest.raises(CommandError, match="Refusing to load demo data"):
        call_command("seed_demo")
    assert not Partner.objects.exists()


@pytest.mark.django_db
def test_seed_adds_rules_leads_in_every_status_and_a_conflicting_registration(settings, mailoutbox):
    from leads.choices import LeadStatus
    from leads.models import DealRegistration, DispatchDecision, DispatchRule, Lead

    settings.DEMO_DATA_ALLOWED = True
    call_command("seed_demo")
    names = list(DispatchRule.objects.order_by("priority").values_list("name", "strategy"))
    assert names == [
        ("DACH to Alpine and Brook", "weighted"),
        ("France and Benelux", "least_loaded"),
        ("Rest of Europe: nearest partner", "nearest"),
    ]
    assert set(DispatchRule.objects.get(priority=10).partners.values_list("slug", flat=True)) == {
        "alpine",
        "brook",
    }
    statuses = set(Lead.objects.values_list("status", flat=True))
    assert statuses == set(LeadStatus.values)
    assert Lead.objects.count() >= 200
    # Every routed lead explains itself.
    routed = Lead.objects.exclude(status=LeadStatus.NEW)
    assert not routed.filter(dispatch_reason="").exists()
    assert DispatchDecision.objects.count() >= routed.count()
    registration = DealRegistration.objects.get(status="pending")
    assert registration.partner.slug == "cobalt"
    assert registration.conflicts and registration.conflicts[0]["partner"] == "Alpine Distribution GmbH"
    assert mailoutbox == []  # loading demo data mails nobody
    leads = Lead.objects.count()
    call_command("seed_demo")
    assert Lead.objects.count() == leads
