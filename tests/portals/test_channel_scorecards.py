"""Channel portal: partners below their tier, a partner's scorecard and the tier rules (issue 7)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from guardian.shortcuts import assign_perm

from analytics import scorecards
from analytics.choices import Measure
from analytics.models import TierRequirement
from analytics.services import tier_requirement_set
from core.models import ActivityEvent, User
from partners import access
from partners.choices import PartnerStatus
from partners.models import Certification, Partner
from tests.factories import PartnerFactory, TierFactory

pytestmark = pytest.mark.django_db


def queries_of(call):
    """(number of queries, result) of a call."""
    with CaptureQueriesContext(connection) as context:
        result = call()
    return len(context), result


LIST = "/channel/analytics/scorecards/"
TIERS = "/channel/analytics/tiers/"


def scorecard_url(partner) -> str:
    return f"/channel/partners/{partner.pk}/scorecard/"


def delete_url(requirement) -> str:
    return f"/channel/analytics/tiers/{requirement.pk}/delete/"


def texts(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def require(world, tier, measure, minimum) -> TierRequirement:
    return tier_requirement_set(actor=world.admin, tier=tier, measure=measure, minimum=minimum)


def certify(partner, count: int) -> None:
    for n in range(count):
        cert, _ = Certification.objects.get_or_create(code=f"cert-{n}", defaults={"name": f"Certificate {n}"})
        partner.certifications.add(cert)


def test_urls_have_their_names():
    assert reverse("channel:scorecards") == LIST
    assert reverse("channel:tier_requirements") == TIERS
    assert reverse("channel:partner_scorecard", args=[7]) == "/channel/partners/7/scorecard/"


# --- Partners below their tier --------------------------------------------------------------------


def test_list_names_partners_below_their_tier_with_what_they_miss(world, login):
    require(world, world.silver, Measure.CERTIFICATIONS, "2")
    certify(world.c, 2)  # C meets Silver; B (Silver, no certificates) does not
    response = login(world.admin).get(LIST)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<title>Scorecards · OpenPCM</title>" in page
    names = [row["card"].partner.name for row in response.context["rows"]]
    assert "Beta Resale" in names and "Gamma Services" not in names
    row = next(r for r in response.context["rows"] if r["card"].partner == world.b)
    assert row["misses"] == ["2 more certifications"]
    assert "2 more certifications" in page
    assert scorecard_url(world.b) in page
    assert [label for label, _ in response.context["breadcrumbs"]] == ["Channel", "Scorecards"]


def test_list_is_scoped_to_the_managers_partners(world, login):
    require(world, world.silver, Measure.CERTIFICATIONS, "2")  # B and C are Silver, neither certified
    names = {row["card"].partner.name for row in login(world.cm_c).get(LIST).context["rows"]}
    assert names == {"Gamma Services"}
    names = {row["card"].partner.name for row in login(world.cm_a).get(LIST).context["rows"]}
    assert names == {"Beta Resale"}  # A's reseller, through A


def test_list_says_so_when_every_partner_meets_its_tier(world, login):
    page = login(world.cm_a).get(LIST).content.decode()
    assert "Every partner you manage meets the requirements of its tier." in page


@pytest.mark.parametrize("who", ["pm_a", "pe_a"])
def test_partner_users_get_403_on_every_channel_scorecard_page(world, login, who):
    requirement = require(world, world.gold, Measure.CERTIFICATIONS, "1")
    client = login(getattr(world, who))
    for url in (LIST, TIERS, scorecard_url(world.a)):
        assert client.get(url).status_code == 403, url
    assert (
        client.post(TIERS, {"tier": world.gold.pk, "measure": "won_deals", "minimum": "1"}).status_code == 403
    )
    assert client.post(delete_url(requirement)).status_code == 403
    assert TierRequirement.objects.count() == 1


def test_anonymous_people_are_sent_to_log_in(world, client):
    for url in (LIST, TIERS, scorecard_url(world.a)):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_list_query_count_does_not_grow_with_partners(world, login):
    require(world, world.registered, Measure.CERTIFICATIONS, "1")
    client = login(world.cm_a)
    counts = []
    for partners in (1, 20):
        while Partner.objects.filter(parent=world.a, tier=world.registered).count() < partners:
            PartnerFactory(tier=world.registered, parent=world.a)
        client.get(LIST)  # warm the session
        page, response = queries_of(lambda: client.get(LIST))  # noqa: B023
        below = [r for r in response.context["rows"] if r["card"].partner.tier_id == world.registered.pk]
        assert len(below) == partners
        user = User.objects.get(pk=world.cm_a.pk)
        access.actor_of(user)  # the page resolves the actor before it asks for the scorecards
        scorecards_queries, _ = queries_of(lambda: scorecards.off_tier_partners(user))  # noqa: B023
        # session, user, actor, then the scorecards (analytics.scorecards.off_tier_partners: grouped
        # queries, whatever the number of partners)
        assert page == 3 + scorecards_queries
        counts.append(page)
    assert counts[0] == counts[1]


# --- One partner's scorecard ----------------------------------------------------------------------


def test_partner_scorecard_shows_measures_rank_and_next_tier(world, login):
    require(world, world.platinum, Measure.CERTIFICATIONS, "4")
    certify(world.a, 1)
    response = login(world.cm_a).get(scorecard_url(world.a))
    assert response.status_code == 200
    page = response.content.decode()
    assert "<title>Scorecard of Alpha Distribution · OpenPCM</title>" in page
    assert [label for label, _ in response.context["breadcrumbs"]] == [
        "Channel", "Partners", "Alpha Distribution", "Scorecard",
    ]  # fmt: skip
    row = next(r for r in response.context["rows"] if r.key == Measure.CERTIFICATIONS)
    assert (row.value_text, row.requirement_text, row.percent, row.met) == ("1", "at least 4", 25, False)
    assert 'aria-valuenow="25"' in page and "1 of 4: 25 % of the way." in page
    assert "To reach Platinum" in page
    card = response.context["card"]
    assert card.gaps and all(gap.rstrip(".") in page for gap in card.gaps)


@pytest.mark.parametrize(
    ("who", "partner", "status"),
    [
        ("admin", "a", 200), ("admin", "b", 200), ("admin", "c", 200),
        ("cm_a", "a", 200), ("cm_a", "b", 200), ("cm_a", "c", 404),
        ("cm_c", "c", 200), ("cm_c", "a", 404), ("cm_c", "b", 404),
    ],
)  # fmt: skip
def test_partner_scorecard_is_scoped(world, login, who, partner, status):
    assert login(getattr(world, who)).get(scorecard_url(getattr(world, partner))).status_code == status


def test_partner_scorecard_of_a_shared_partner_opens(world, login):
    assign_perm("partners.view_partner", world.cm_c, world.a)
    access.forget_actor(world.cm_c)
    assert login(world.cm_c).get(scorecard_url(world.a)).status_code == 200


def test_unknown_partner_scorecard_is_404(world, login):
    assert login(world.admin).get("/channel/partners/999999/scorecard/").status_code == 404


def test_partner_page_links_its_scorecard(world, login):
    page = login(world.cm_a).get(reverse("channel:partner_detail", args=[world.a.pk])).content.decode()
    assert f'href="{scorecard_url(world.a)}"' in page


def test_partner_scorecard_says_what_it_misses_for_its_own_tier(world, login):
    require(world, world.gold, Measure.CERTIFICATIONS, "3")
    certify(world.a, 1)
    page = login(world.admin).get(scorecard_url(world.a)).content.decode()
    assert "Alpha Distribution's measures no longer meet the Gold requirements." in page
    assert "To hold Gold:" in page and "<li>2 more certifications</li>" in page


def test_top_tier_partner_has_no_next_tier(world, login):
    top = PartnerFactory(name="Top Co", tier=world.platinum, status=PartnerStatus.ACTIVE)
    page = login(world.admin).get(scorecard_url(top)).content.decode()
    assert "Platinum is the highest tier." in page


def test_partner_scorecard_query_count_does_not_grow_with_requirements(world, login):
    client = login(world.cm_a)
    counts = []
    for requirements in (1, 9):
        for measure in list(Measure.values)[:requirements]:
            require(world, world.platinum, measure, "1")
            require(world, world.gold, measure, "1")
        client.get(scorecard_url(world.a))
        page, response = queries_of(lambda: client.get(scorecard_url(world.a)))
        assert sum(1 for r in response.context["rows"] if r.requirement_text) == requirements
        scorecard_queries, _ = queries_of(lambda: scorecards.scorecard(world.cm_a, world.a))
        # session, user, actor, the partner (tier and parent joined), the scorecard
        # (analytics.scorecards.scorecard), the next tier's requirements
        assert page == 3 + 1 + scorecard_queries + 1
        counts.append(page)
    assert counts[0] == counts[1]


# --- Tier rules -----------------------------------------------------------------------------------


def test_admin_adds_a_requirement(world, login):
    client = login(world.admin)
    page = client.get(TIERS)
    assert page.status_code == 200
    body = page.content.decode()
    assert "<title>Tier rules · OpenPCM</title>" in body
    assert '<label class="form-label" for="id_minimum">Minimum' in body
    assert "amounts in EUR, the resolution time in hours (a maximum)" in body
    assert "Gold has no requirements yet" in body
    response = client.post(TIERS, {"tier": world.gold.pk, "measure": "won_revenue", "minimum": "40000"})
    assert response.status_code == 302 and response["Location"] == TIERS
    requirement = TierRequirement.objects.get()
    assert (requirement.tier, requirement.measure, requirement.minimum, requirement.updated_by) == (
        world.gold, "won_revenue", Decimal("40000.00"), world.admin,
    )  # fmt: skip
    followed = client.get(TIERS)
    assert any(m.startswith("Gold requires Won revenue: at least") for m in texts(followed))
    assert ActivityEvent.objects.filter(verb="analytics.tier_requirement.created").exists()


def test_admin_changes_a_requirement_by_setting_it_again(world, login):
    requirement = require(world, world.gold, Measure.WIN_RATE, "20")
    client = login(world.admin)
    page = client.get(TIERS).content.decode()
    row_form = page.split(f'id="requirement-{requirement.pk}"')[1].split("</li>")[0]
    assert (
        f'name="tier" value="{world.gold.pk}"' in row_form and 'name="measure" value="win_rate"' in row_form
    )
    assert 'name="minimum" value="20.00"' in row_form
    response = client.post(
        TIERS, {"tier": world.gold.pk, "measure": "win_rate", "minimum": "25.5"}, follow=True
    )
    requirement.refresh_from_db()
    assert requirement.minimum == Decimal("25.50") and TierRequirement.objects.count() == 1
    assert "Gold now requires Win rate (%): at least 25.5 %." in texts(response)


def test_admin_deletes_a_requirement(world, login):
    requirement = require(world, world.gold, Measure.WIN_RATE, "20")
    response = login(world.admin).post(delete_url(requirement), follow=True)
    assert not TierRequirement.objects.exists()
    assert "Gold no longer requires Win rate (%)." in texts(response)


def test_deleting_an_unknown_requirement_is_404(world, login):
    assert login(world.admin).post("/channel/analytics/tiers/999999/delete/").status_code == 404


def test_delete_needs_post(world, login):
    requirement = require(world, world.gold, Measure.WIN_RATE, "20")
    assert login(world.admin).get(delete_url(requirement)).status_code == 405
    assert TierRequirement.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"minimum": "abc"}, "minimum", "Enter a number such as 20 or 40000.00."),
        ({"minimum": "-1"}, "minimum", "Enter zero or more."),
        ({"minimum": ""}, "minimum", "Enter the minimum."),
        ({"minimum": "1.234"}, "minimum", "Use at most two decimal places."),
        ({"minimum": "1e30"}, "minimum", "This minimum is too large."),
        ({"measure": "win_rate", "minimum": "150"}, "minimum", "A percentage is at most 100."),
        ({"measure": "won_deals", "minimum": "2.5"}, "minimum", "A count is a whole number."),
        ({"measure": "speed"}, "measure", "Choose one of the measures."),
        ({"tier": "999999"}, "tier", "Choose one of the tiers."),
        ({"tier": "gold"}, "tier", "Choose one of the tiers."),
        ({"tier": ""}, "tier", "Choose a tier."),
    ],
)
def test_bad_input_says_why_and_saves_nothing(world, login, data, field, message):
    existing = require(world, world.gold, Measure.WON_REVENUE, "1000")
    form = {"tier": world.gold.pk, "measure": "won_revenue", "minimum": "5000"} | data
    response = login(world.admin).post(TIERS, form)
    assert response.status_code == 400
    assert message in response.context["form"].errors[field]
    assert message in response.content.decode()
    assert any("was not saved" in m and "Nothing was saved." in m for m in texts(response))
    existing.refresh_from_db()
    assert existing.minimum == Decimal("1000.00") and TierRequirement.objects.count() == 1


def test_channel_manager_reads_the_rules_but_cannot_change_them(world, login):
    requirement = require(world, world.gold, Measure.WON_DEALS, "3")
    client = login(world.cm_a)
    response = client.get(TIERS)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Won deals" in page and "at least 3" in page
    assert response.context["form"] is None and "Save requirement" not in page and "Delete" not in page
    assert "Only channel admins change these rules." in page
    assert (
        client.post(TIERS, {"tier": world.gold.pk, "measure": "won_deals", "minimum": "9"}).status_code == 403
    )
    assert client.post(delete_url(requirement)).status_code == 403
    requirement.refresh_from_db()
    assert requirement.minimum == Decimal("3.00")


def test_resolution_time_is_a_maximum(world, login):
    require(world, world.gold, Measure.RESOLUTION_HOURS, "48")
    page = login(world.admin).get(TIERS).content.decode()
    assert "at most 48 h" in page
    assert (
        '>New maximum<span class="visually-hidden"> for Median service resolution time (hours) in Gold'
        in page
    )


@pytest.mark.parametrize("requirements", [1, 20])
def test_tier_page_query_count_does_not_grow_with_requirements(
    world, login, django_assert_num_queries, requirements
):
    tiers = [world.registered, world.silver, world.gold, world.platinum]
    tiers += [TierFactory(name=f"Extra {n}", rank=10 + n) for n in range(2)]
    pairs = [(tier, measure) for tier in tiers for measure in Measure.values][:requirements]
    for tier, measure in pairs:
        require(world, tier, measure, "1")
    client = login(world.admin)
    client.get(TIERS)
    # session, user, actor, the tiers, the requirements
    with django_assert_num_queries(5):
        response = client.get(TIERS)
    assert sum(len(row["requirements"]) for row in response.context["tier_rows"]) == requirements
