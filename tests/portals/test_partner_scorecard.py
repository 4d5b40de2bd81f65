"""Partner portal: the partner's scorecard (issue 7)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from analytics import scorecards
from analytics.choices import Measure
from analytics.services import tier_requirement_set
from partners.choices import PartnerStatus, PartnerType, Role
from partners.models import Certification, Partner
from portals.partner.scorecard import format_value, gaps_text
from tests.factories import PartnerFactory, partner_user

pytestmark = pytest.mark.django_db


def queries_of(call):
    """(number of queries, result) of a call."""
    with CaptureQueriesContext(connection) as context:
        result = call()
    return len(context), result


URL = "/partner/analytics/scorecard/"


def require(world, tier, measure, minimum):
    return tier_requirement_set(actor=world.admin, tier=tier, measure=measure, minimum=minimum)


def certify(partner, count: int) -> None:
    for n in range(count):
        cert, _ = Certification.objects.get_or_create(code=f"cert-{n}", defaults={"name": f"Certificate {n}"})
        partner.certifications.add(cert)


def test_url_has_its_name():
    assert reverse("partner:scorecard") == URL


def test_manager_sees_own_scorecard(world, login):
    response = login(world.pm_a).get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<title>Scorecard · OpenPCM</title>" in page
    assert "Your scorecard" in page
    assert response.context["card"].partner == world.a
    assert [label for label, _ in response.context["breadcrumbs"]] == ["Partner portal", "Scorecard"]
    for measure in response.context["card"].measures:
        assert measure.label in page
    assert "Rank among Gold partners" in page


def test_measures_show_the_next_tiers_requirement_with_a_progress_bar(world, login):
    require(world, world.platinum, Measure.CERTIFICATIONS, "4")
    certify(world.a, 3)
    response = login(world.pm_a).get(URL)
    page = response.content.decode()
    row = next(r for r in response.context["rows"] if r.key == Measure.CERTIFICATIONS)
    assert (row.value_text, row.requirement_text, row.percent, row.met) == ("3", "at least 4", 75, False)
    assert "Platinum requires at least 4" in page
    assert 'role="progressbar" aria-label="Certifications towards Platinum" aria-valuenow="75"' in page
    assert "3 of 4: 75 % of the way." in page  # the bar's text equivalent, visible
    others = [r for r in response.context["rows"] if r.key != Measure.CERTIFICATIONS]
    assert others and not any(r.requirement_text for r in others)  # no requirement, no bar


def test_page_says_what_it_takes_to_reach_the_next_tier(world, login):
    require(world, world.platinum, Measure.CERTIFICATIONS, "4")
    certify(world.a, 1)
    response = login(world.pm_a).get(URL)
    card = response.context["card"]
    assert card.next_tier == world.platinum and card.gaps
    page = response.content.decode()
    assert "To reach Platinum" in page
    assert f"{gaps_text(card)}." in page
    assert "3" in gaps_text(card)  # three more certifications


def test_met_requirement_shows_a_full_bar(world, login):
    require(world, world.platinum, Measure.CERTIFICATIONS, "2")
    certify(world.a, 2)
    response = login(world.pm_a).get(URL)
    row = next(r for r in response.context["rows"] if r.key == Measure.CERTIFICATIONS)
    assert (row.percent, row.met, row.progress_text) == (100, True, "Met: 2 (at least 2).")


def test_partner_below_its_own_tier_is_told_what_it_misses(world, login):
    require(world, world.gold, Measure.CERTIFICATIONS, "2")
    page = login(world.pm_a).get(URL).content.decode()
    assert "Your measures no longer meet the Gold requirements." in page
    assert "To hold Gold:" in page and "<li>2 more certifications</li>" in page


def test_partner_meeting_its_tier_sees_no_warning(world, login):
    require(world, world.gold, Measure.CERTIFICATIONS, "1")
    certify(world.a, 1)
    page = login(world.pm_a).get(URL).content.decode()
    assert "no longer meet" not in page


def test_top_tier_partner_has_no_next_tier(world, login):
    top = PartnerFactory(name="Top Co", tier=world.platinum, status=PartnerStatus.ACTIVE)
    pm = partner_user(top, Role.PARTNER_MANAGER, email="pm@top.example")
    page = login(pm).get(URL).content.decode()
    assert "Platinum is the highest tier." in page


def test_distributor_manager_switches_to_a_resellers_scorecard(world, login):
    client = login(world.pm_a)
    own = client.get(URL)
    assert own.context["switch_choices"] == [
        (world.a.pk, "Alpha Distribution (your company)"), (world.b.pk, "Beta Resale"),
    ]  # fmt: skip
    assert (
        '<label class="form-label mb-1" for="scorecard-partner">Scorecard of</label>' in own.content.decode()
    )
    response = client.get(URL, {"partner": world.b.pk})
    assert response.status_code == 200
    assert response.context["card"].partner == world.b
    page = response.content.decode()
    assert "<title>Scorecard of Beta Resale · OpenPCM</title>" in page
    assert "Rank among Silver partners" in page
    assert [label for label, _ in response.context["breadcrumbs"]] == [
        "Partner portal", "Scorecard", "Beta Resale",
    ]  # fmt: skip
    assert client.get(URL, {"partner": world.a.pk}).context["card"].partner == world.a


def test_reseller_and_independent_managers_have_no_switcher(world, login):
    assert login(world.pm_b).get(URL).context["switch_choices"] == []
    assert login(world.pm_c).get(URL).context["switch_choices"] == []


@pytest.mark.parametrize(
    ("who", "partner"),
    [("pm_a", "c"), ("pm_b", "a"), ("pm_b", "c"), ("pm_c", "a"), ("pm_c", "b")],
)
def test_another_partners_scorecard_is_404(world, login, who, partner):
    response = login(getattr(world, who)).get(URL, {"partner": getattr(world, partner).pk})
    assert response.status_code == 404


@pytest.mark.parametrize("value", ["abc", "-1", "0", "1.5", "99999999999999999999", "999999"])
def test_a_bad_partner_parameter_is_404(world, login, value):
    assert login(world.pm_a).get(URL, {"partner": value}).status_code == 404


@pytest.mark.parametrize("who", ["pe_a", "pe_c"])
def test_employees_get_403(world, login, who):
    """The scorecard holds revenue and MDF figures: a partner's managers' business."""
    assert login(getattr(world, who)).get(URL).status_code == 403


@pytest.mark.parametrize("who", ["admin", "cm_a"])
def test_channel_users_get_403(world, login, who):
    assert login(getattr(world, who)).get(URL).status_code == 403


def test_anonymous_people_are_sent_to_log_in(world, client):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_post_is_not_allowed(world, login):
    assert login(world.pm_a).post(URL).status_code == 405


def page_and_scorecard_queries(client, user, partner) -> tuple[int, int, object]:
    client.get(URL)  # warm the session
    page, response = queries_of(lambda: client.get(URL))
    scorecard_queries, _ = queries_of(lambda: scorecards.scorecard(user, partner))
    return page, scorecard_queries, response


def test_query_count_does_not_grow_with_requirements(world, login):
    client = login(world.pm_a)
    counts = []
    for requirements in (1, 9):
        for measure in list(Measure.values)[:requirements]:
            require(world, world.platinum, measure, "1")
            require(world, world.gold, measure, "1")
        page, scorecard_queries, response = page_and_scorecard_queries(client, world.pm_a, world.a)
        assert sum(1 for r in response.context["rows"] if r.requirement_text) == requirements
        # session, user, actor, the partner (tier and parent joined), the scorecard
        # (analytics.scorecards.scorecard), the next tier's requirements, the switcher's resellers
        assert page == 3 + 1 + scorecard_queries + 1 + 1
        counts.append(page)
    assert counts[0] == counts[1]


def test_query_count_does_not_grow_with_resellers(world, login):
    client = login(world.pm_a)
    counts = []
    for resellers in (1, 20):
        while Partner.objects.filter(parent=world.a).count() < resellers:
            PartnerFactory(parent=world.a, tier=world.silver, type=PartnerType.RESELLER)
        page, scorecard_queries, response = page_and_scorecard_queries(client, world.pm_a, world.a)
        assert len(response.context["switch_choices"]) == resellers + 1
        assert page == 3 + 1 + scorecard_queries + 1 + 1
        counts.append(page)
    assert counts[0] == counts[1]


# --- Formatting -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (None, "count", "No data"),
        (12, "count", "12"),
        (Decimal("1234"), "count", "1,234"),
        (Decimal("45.50"), "percent", "45.5 %"),
        (Decimal("100"), "percent", "100 %"),
        (Decimal("40000.00"), "money", "EUR 40,000"),
        (Decimal("40000.05"), "money", "EUR 40,000.05"),
        (Decimal("40000.50"), "money", "EUR 40,000.50"),
        (Decimal("36.24"), "hours", "36.2 h"),
        (Decimal("2.50"), "ratio", "2.5"),
    ],
)
def test_values_are_formatted_for_people(value, unit, text):
    assert format_value(value, unit, "EUR") == text
