"""factory_boy factories for the tests."""

from __future__ import annotations

from decimal import Decimal

import factory
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group

from core.models import User
from partners.choices import PartnerStatus, PartnerType, Role
from partners.models import Membership, Partner, PartnerApplication, Tier

PASSWORD = "correct-horse-battery-9"


class TierFactory(factory.django.DjangoModelFactory[Tier]):
    class Meta:
        model = Tier
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Tier {n}")
    rank = factory.Sequence(lambda n: 100 + n)
    routing_weight = 1
    mdf_share = Decimal("5.00")


class PartnerFactory(factory.django.DjangoModelFactory[Partner]):
    class Meta:
        model = Partner

    name = factory.Sequence(lambda n: f"Partner {n:04d}")
    slug = factory.Sequence(lambda n: f"partner-{n:04d}")
    country = "DE"
    city = "Berlin"
    type = PartnerType.RESELLER
    status = PartnerStatus.ACTIVE
    tier = factory.SubFactory(TierFactory)
    capacity = 50


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def verified(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            EmailAddress.objects.get_or_create(
                user=obj, email=obj.email, defaults={"verified": True, "primary": True}
            )


class ApplicationFactory(factory.django.DjangoModelFactory[PartnerApplication]):
    class Meta:
        model = PartnerApplication

    company = factory.Sequence(lambda n: f"Applicant {n} GmbH")
    vat_id = factory.Sequence(lambda n: f"DE{100000000 + n}")
    country = "DE"
    contact_name = factory.Faker("name")
    contact_email = factory.Sequence(lambda n: f"applicant{n}@example.org")
    sells = "Industrial pumps"


def channel_user(role: Role = Role.CHANNEL_MANAGER, **kwargs) -> User:
    user = UserFactory(**kwargs)
    user.groups.add(Group.objects.get_or_create(name=role.value)[0])
    return user


def partner_user(partner: Partner, role: Role = Role.PARTNER_EMPLOYEE, **kwargs) -> User:
    user = UserFactory(**kwargs)
    user.groups.add(Group.objects.get_or_create(name=role.value)[0])
    Membership.objects.create(user=user, partner=partner)
    return user


# --- Leads ----------------------------------------------------------------------------------------

from catalog.models import Category  # noqa: E402
from customers.models import normalise_company  # noqa: E402
from leads.models import DispatchRule, Lead  # noqa: E402


class CategoryFactory(factory.django.DjangoModelFactory[Category]):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")


class LeadFactory(factory.django.DjangoModelFactory[Lead]):
    class Meta:
        model = Lead

    company = factory.Sequence(lambda n: f"Prospect {n} AG")
    normalised_company = factory.LazyAttribute(lambda o: normalise_company(o.company))
    contact_name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"buyer@prospect{n}.example")
    country = "DE"
    city = "Munich"
    estimated_value = Decimal("10000")


def rule(name="Rule", *, priority=10, partners=(), **fields) -> DispatchRule:
    obj = DispatchRule.objects.create(name=name, priority=priority, **fields)
    if partners:
        obj.partners.set(partners)
    return obj
