"""The access matrix for marketing development funds: programmes, allocations, fund requests, claims,
proof-file downloads and the journal; each persona × the records of distributor A, its reseller B and
independent C; selectors, portal pages and API routes; list, detail, change, download, export.

Scope (mdf.selectors): channel admins see every partner's funds, a channel manager those of the
partners they manage and their resellers (cm_a: A and B), a partner manager their own partner's and
its resellers' (pm_a: A and B; pm_b: B), partner employees none at all. Out of scope is 404; the wrong
portal or role 403 (partner employees get 403 on every fund page: funds are not their business).
Deciding and paying (mdf.rules.can_decide / can_pay): admins and the partner's channel manager; acting
on a request (cancel, claim): the partner's own managers only (pm_a reads B's funds but gets 403 on
them). Programmes are set up and the journal is read and exported by channel admins only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from django.utils import timezone

from core.services import api_token_create
from mdf import selectors, services
from mdf.choices import ClaimStatus, ProgramStatus, RequestStatus
from mdf.models import Claim, FundAllocation, FundProgram, FundRequest, JournalEntry, ProofFile
from tests.mdf.conftest import make_funds, pdf

pytestmark = pytest.mark.django_db

API = "/api/v1/mdf"
PERSONAS = ["admin", "cm_a", "cm_c", "pm_a", "pe_a", "pm_b", "pm_c", "pe_c", "anonymous"]
CHANNEL = {"admin", "cm_a", "cm_c"}
EMPLOYEES = {"pe_a", "pe_c"}
KEYS = ["a", "b", "c"]  # distributor A, its reseller B, independent C

SEES = {
    "admin": {"a", "b", "c"},
    "cm_a": {"a", "b"},
    "cm_c": {"c"},
    "pm_a": {"a", "b"},
    "pe_a": set(),
    "pm_b": {"b"},
    "pm_c": {"c"},
    "pe_c": set(),
    "anonymous": set(),
}
DECIDES = {"admin": {"a", "b", "c"}, "cm_a": {"a", "b"}, "cm_c": {"c"}}
ACTS_FOR = {"pm_a": {"a"}, "pm_b": {"b"}, "pm_c": {"c"}}


@dataclass
class PartnerFunds:
    """One partner's fund records: its allocation, a submitted request (with a question on it), an
    approved request with a submitted claim (with a proof file) and an approved claim."""

    allocation: FundAllocation
    submitted: FundRequest
    approved: FundRequest
    claim: Claim
    approved_claim: Claim
    proof: ProofFile


@dataclass
class Records:
    program: FundProgram
    draft: FundProgram
    of: dict[str, PartnerFunds]

    def ids(self, keys: set[str], attribute: str) -> set[int]:
        return {getattr(self.of[key], attribute).pk for key in keys}


@pytest.fixture
def records(world, settings, tmp_path) -> Records:
    settings.MEDIA_ROOT = tmp_path / "media"
    funds = make_funds(world)
    of = {}
    for key, allocation in (("a", funds.alloc_a), ("b", funds.alloc_b), ("c", funds.alloc_c)):
        submitted = funds.request(world, allocation=allocation, amount="1000.00", title=f"Fair {key}")
        services.info_request(request=submitted, actor=world.admin, question="Which venue?")
        approved = services.request_approve(
            request=funds.request(world, allocation=allocation, amount="3000.00", title=f"Print {key}"),
            actor=world.admin,
        )
        claim = funds.claim(world, approved, amount="400.00", files=[pdf(f"proof-{key}.pdf")])
        approved_claim = services.claim_approve(
            claim=funds.claim(world, approved, amount="500.00"), actor=world.admin
        )
        of[key] = PartnerFunds(
            allocation=allocation, submitted=submitted, approved=approved, claim=claim,
            approved_claim=approved_claim, proof=claim.proof_files.get(),
        )  # fmt: skip
    today = timezone.localdate()
    draft = services.program_create(
        actor=world.admin, name="FY Draft", starts_on=today, ends_on=today + timedelta(days=30),
        claim_deadline=today + timedelta(days=60), budget="5000.00", allocation_rule="manual",
    )  # fmt: skip
    return Records(program=funds.program, draft=draft, of=of)


def user(world, persona):
    return AnonymousUser() if persona == "anonymous" else getattr(world, persona)


def login(client, world, persona):
    if persona != "anonymous":
        client.force_login(getattr(world, persona))
    return client


def bearer(world, persona) -> dict[str, str]:
    if persona == "anonymous":
        return {}
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=getattr(world, persona), name='m')[1]}"}


def portal_expectation(persona: str, channel_side: bool, key: str | None = None) -> int:
    """What a portal page answers: login first, then the portal, then (partner side) the role, then
    the scope."""
    if persona == "anonymous":
        return 302
    if (persona in CHANNEL) != channel_side or (not channel_side and persona in EMPLOYEES):
        return 403
    return 200 if key is None or key in SEES[persona] else 404


def api_read_expectation(persona: str, key: str) -> int:
    if persona == "anonymous":
        return 401
    return 200 if key in SEES[persona] else 404


def links(body: str, name: str, pks: set[int]) -> set[int]:
    """Which of these records' detail pages the body links to."""
    return {pk for pk in pks if f'href="{reverse(name, args=[pk])}"' in body}


# --- Selectors ------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_selectors_scope_every_fund_record(world, records, persona):
    who, sees = user(world, persona), SEES[persona]

    assert set(selectors.visible_allocations(who).values_list("pk", flat=True)) == records.ids(
        sees, "allocation"
    )
    assert set(selectors.visible_requests(who).values_list("pk", flat=True)) == (
        records.ids(sees, "submitted") | records.ids(sees, "approved")
    )
    assert set(selectors.visible_claims(who).values_list("pk", flat=True)) == (
        records.ids(sees, "claim") | records.ids(sees, "approved_claim")
    )
    claims_seen = records.ids(sees, "claim") | records.ids(sees, "approved_claim")
    assert set(selectors.visible_proof_files(who).values_list("pk", flat=True)) == set(
        ProofFile.objects.filter(claim_id__in=claims_seen).values_list("pk", flat=True)
    )
    assert set(selectors.visible_comments(who).values_list("request_id", flat=True)) == records.ids(
        sees, "submitted"
    )
    # Channel staff see every programme (drafts too); partner managers the open ones that gave money
    # to their partner or its resellers; nobody else any.
    programs = set(selectors.visible_programs(who).values_list("pk", flat=True))
    if persona in CHANNEL:
        assert programs == {records.program.pk, records.draft.pk}
    else:
        assert programs == ({records.program.pk} if sees else set())
    journal = selectors.visible_journal(who)
    assert journal.count() == (JournalEntry.objects.count() if persona == "admin" else 0)
    # The queues are the channel's: what it may decide or pay, of the partners in its scope.
    queue_keys = sees if persona in CHANNEL else set()
    assert set(selectors.request_queue(who).values_list("pk", flat=True)) == records.ids(
        queue_keys, "submitted"
    )
    assert set(selectors.claim_queue(who).values_list("pk", flat=True)) == records.ids(queue_keys, "claim")
    assert set(selectors.claims_to_pay(who).values_list("pk", flat=True)) == records.ids(
        queue_keys, "approved_claim"
    )


# --- Lists ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_partner_overview_lists_only_the_funds_in_scope(client, world, records, persona):
    response = login(client, world, persona).get(reverse("partner:funds"))
    assert response.status_code == portal_expectation(persona, channel_side=False)
    if response.status_code != 200:
        return
    body = response.content.decode()
    every = set(KEYS)
    requests = records.ids(every, "submitted") | records.ids(every, "approved")
    claims = records.ids(every, "claim") | records.ids(every, "approved_claim")
    sees = SEES[persona]
    assert links(body, "partner:fund_request_detail", requests) == (
        records.ids(sees, "submitted") | records.ids(sees, "approved")
    )
    assert links(body, "partner:fund_claim_detail", claims) == (
        records.ids(sees, "claim") | records.ids(sees, "approved_claim")
    )


@pytest.mark.parametrize("persona", PERSONAS)
def test_channel_queues_and_settlement_list_only_the_partners_in_scope(client, world, records, persona):
    c = login(client, world, persona)
    queue = c.get(reverse("channel:fund_queue"))
    settlement = c.get(reverse("channel:fund_settlement"))
    programs = c.get(reverse("channel:fund_program_list"))
    expected = portal_expectation(persona, channel_side=True)
    assert (queue.status_code, settlement.status_code, programs.status_code) == (expected,) * 3
    if expected != 200:
        return
    every, sees = set(KEYS), SEES[persona]
    body = queue.content.decode()
    assert links(body, "channel:fund_request_detail", records.ids(every, "submitted")) == records.ids(
        sees, "submitted"
    )
    assert links(body, "channel:fund_claim_detail", records.ids(every, "claim")) == records.ids(sees, "claim")
    assert links(
        settlement.content.decode(), "channel:fund_claim_detail", records.ids(every, "approved_claim")
    ) == records.ids(sees, "approved_claim")
    assert links(
        programs.content.decode(), "channel:fund_program_detail", {records.program.pk, records.draft.pk}
    ) == {records.program.pk, records.draft.pk}


@pytest.mark.parametrize("persona", PERSONAS)
def test_api_lists_answer_only_the_funds_in_scope(client, world, records, persona):
    headers = bearer(world, persona)
    answers = {
        name: client.get(f"{API}/{name}", **headers)
        for name in ("programs", "allocations", "requests", "claims")
    }
    if persona == "anonymous":
        assert {name: r.status_code for name, r in answers.items()} == dict.fromkeys(answers, 401)
        return
    ids = {name: {item["id"] for item in r.json()["items"]} for name, r in answers.items()}
    sees = SEES[persona]
    if persona in CHANNEL:
        assert ids["programs"] == {records.program.pk, records.draft.pk}
    else:
        assert ids["programs"] == ({records.program.pk} if sees else set())
    assert ids["allocations"] == records.ids(sees, "allocation")
    assert ids["requests"] == records.ids(sees, "submitted") | records.ids(sees, "approved")
    assert ids["claims"] == records.ids(sees, "claim") | records.ids(sees, "approved_claim")


# --- Details --------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("key", KEYS)
def test_request_detail(client, world, records, persona, key):
    pk = records.of[key].approved.pk
    c = login(client, world, persona)
    partner = c.get(reverse("partner:fund_request_detail", args=[pk]))
    channel = c.get(reverse("channel:fund_request_detail", args=[pk]))
    api = client.get(f"{API}/requests/{pk}", **bearer(world, persona))

    assert partner.status_code == portal_expectation(persona, channel_side=False, key=key)
    assert channel.status_code == portal_expectation(persona, channel_side=True, key=key)
    assert api.status_code == api_read_expectation(persona, key)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("key", KEYS)
def test_claim_detail(client, world, records, persona, key):
    pk = records.of[key].claim.pk
    c = login(client, world, persona)
    partner = c.get(reverse("partner:fund_claim_detail", args=[pk]))
    channel = c.get(reverse("channel:fund_claim_detail", args=[pk]))
    api = client.get(f"{API}/claims/{pk}", **bearer(world, persona))

    assert partner.status_code == portal_expectation(persona, channel_side=False, key=key)
    assert channel.status_code == portal_expectation(persona, channel_side=True, key=key)
    assert api.status_code == api_read_expectation(persona, key)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("key", KEYS)
def test_allocation_detail(client, world, records, persona, key):
    response = client.get(f"{API}/allocations/{records.of[key].allocation.pk}", **bearer(world, persona))

    assert response.status_code == api_read_expectation(persona, key)


@pytest.mark.parametrize("persona", PERSONAS)
def test_programme_detail(client, world, records, persona):
    c = login(client, world, persona)
    pages = [
        c.get(reverse("channel:fund_program_detail", args=[p.pk])) for p in (records.program, records.draft)
    ]
    headers = bearer(world, persona)
    api = [client.get(f"{API}/programs/{p.pk}", **headers) for p in (records.program, records.draft)]

    page_status = portal_expectation(persona, channel_side=True)
    assert [r.status_code for r in pages] == [page_status, page_status]
    if persona == "anonymous":
        expected = [401, 401]
    elif persona in CHANNEL:
        expected = [200, 200]
    else:  # a draft is nobody's business outside the channel; the open one that of those it funds
        expected = [200 if SEES[persona] else 404, 404]
    assert [r.status_code for r in api] == expected


# --- Proof downloads ------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("key", KEYS)
def test_proof_download(client, world, records, persona, key):
    proof = records.of[key].proof
    c = login(client, world, persona)
    answers = {
        "partner": c.get(reverse("partner:fund_proof_download", args=[proof.pk])),
        "channel": c.get(reverse("channel:fund_proof_download", args=[proof.pk])),
        "api": client.get(f"{API}/claims/{proof.claim_id}/files/{proof.pk}", **bearer(world, persona)),
    }

    assert {side: r.status_code for side, r in answers.items()} == {
        "partner": portal_expectation(persona, channel_side=False, key=key),
        "channel": portal_expectation(persona, channel_side=True, key=key),
        "api": api_read_expectation(persona, key),
    }
    for response in answers.values():
        if response.status_code == 200:
            assert response["Content-Disposition"].startswith("attachment;")
            assert b"".join(response.streaming_content).startswith(b"%PDF")
    # Another partner's proof file through a claim one may see is 404 as well.
    if persona in ("pm_b", "cm_c"):
        own = records.of["b" if persona == "pm_b" else "c"].claim.pk
        other = records.of["a"].proof.pk
        assert client.get(f"{API}/claims/{own}/files/{other}", **bearer(world, persona)).status_code == 404


# --- Changes --------------------------------------------------------------------------------------


def change_expectation(persona: str, key: str, via: str, *, allowed: dict[str, set[str]], done: int) -> int:
    """A channel-side change (decide, pay): the portal answers `done` (a redirect) for whoever may make
    it, 404 out of scope, 403 in the partner portal's people; the API `done` for them, 403 for those who
    see the record but may not change it, 404 out of scope, 401 without a token."""
    if persona == "anonymous":
        return 302 if via == "portal" else 401
    if via == "portal":
        if persona not in CHANNEL:
            return 403
        return done if key in allowed.get(persona, set()) else 404
    if key not in SEES[persona]:
        return 404
    return done if key in allowed.get(persona, set()) else 403


@pytest.mark.parametrize("via", ["portal", "api"])
@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("key", KEYS)
def test_request_approval(client, world, records, persona, key, via):
    request = records.of[key].submitted
    if via == "portal":
        response = login(client, world, persona).post(
            reverse("channel:fund_request_approve", args=[request.pk]), {"amount": ""}
        )
    else:
        response = client.post(
            f"{API}/requests/{request.pk}/approve",
            {},
            content_type="application/json",
            **bearer(world, persona),
        )
    expected = change_expectation(persona, key, via, allowed=DECIDES, done=302 if via == "portal" else 200)

    assert response.status_code == expected
    request.refresh_from_db()
    assert (request.status == RequestStatus.APPROVED) == (expected in (200, 302) and persona in DECIDES)


@pytest.mark.parametrize("via", ["portal", "api"])
@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("key", KEYS)
def test_claim_approval(client, world, records, persona, key, via):
    claim = records.of[key].claim
    if via == "portal":
        response = login(client, world, persona).post(
            reverse("channel:fund_claim_approve", args=[claim.pk]), {"amount": ""}
        )
    else:
        response = client.post(
            f"{API}/claims/{claim.pk}/approve", {}, content_type="application/json", **bearer(world, persona)
        )
    expected = change_expectation(persona, key, via, allowed=DECIDES, done=302 if via == "portal" else 200)

    assert response.status_code == expected
    claim.refresh_from_db()
    assert (claim.status == ClaimStatus.APPROVED) == (expected in (200, 302) and persona in DECIDES)


@pytest.mark.parametrize("via", ["portal", "api"])
@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("key", KEYS)
def test_claim_payment(client, world, records, persona, key, via):
    claim = records.of[key].approved_claim
    if via == "portal":
        response = login(client, world, persona).post(
            reverse("channel:fund_claim_pay", args=[claim.pk]), {"payment_reference": "PAY-1"}
        )
    else:
        response = client.post(
            f"{API}/claims/{claim.pk}/pay", {"payment_reference": "PAY-1"}, content_type="application/json",
            **bearer(world, persona),
        )  # fmt: skip
    expected = change_expectation(persona, key, via, allowed=DECIDES, done=302 if via == "portal" else 200)

    assert response.status_code == expected
    claim.refresh_from_db()
    assert (claim.status == ClaimStatus.PAID) == (expected in (200, 302) and persona in DECIDES)


def partner_action_expectation(persona: str, key: str) -> int:
    """A partner-side change (cancel a request, file a claim): its own managers go ahead (302), a
    distributor's manager on its reseller's is refused (403), out of scope 404; partner employees and
    channel staff 403 (not their portal or role); no login: the login page."""
    if persona == "anonymous":
        return 302
    if persona in CHANNEL or persona in EMPLOYEES:
        return 403
    if key not in SEES[persona]:
        return 404
    return 302 if key in ACTS_FOR[persona] else 403


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("key", KEYS)
def test_request_cancel_in_the_partner_portal(client, world, records, persona, key):
    request = records.of[key].submitted
    response = login(client, world, persona).post(reverse("partner:fund_request_cancel", args=[request.pk]))
    expected = partner_action_expectation(persona, key)

    assert response.status_code == expected
    if persona == "anonymous":
        assert "login" in response["Location"]
    request.refresh_from_db()
    assert (request.status == RequestStatus.CANCELLED) == (expected == 302 and persona != "anonymous")


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("key", KEYS)
def test_claim_filing_in_the_partner_portal(client, world, records, persona, key):
    request = records.of[key].approved
    before = Claim.objects.filter(request=request).count()
    response = login(client, world, persona).post(
        reverse("partner:fund_claim_new", args=[request.pk]),
        {"amount": "100.00", "description": "Posters", "files": [pdf("posters.pdf")]},
    )
    expected = partner_action_expectation(persona, key)

    assert response.status_code == expected
    filed = Claim.objects.filter(request=request).count() - before
    assert filed == (1 if expected == 302 and persona != "anonymous" else 0)


def api_partner_action_expectation(persona: str, key: str, *, created: int) -> int:
    """The API's partner-side changes name the record in the body: one the caller cannot see is a 422
    on that field; one they see but may not draw on (a reseller's, or as channel staff) 403."""
    if persona == "anonymous":
        return 401
    if key not in SEES[persona]:
        return 422
    return created if key in ACTS_FOR.get(persona, set()) else 403


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("key", KEYS)
def test_api_request_creation(client, world, records, persona, key):
    today = timezone.localdate()
    payload = {
        "allocation": records.of[key].allocation.pk, "title": "Webinar", "activity_type": "digital_campaign",
        "starts_on": today.isoformat(), "ends_on": (today + timedelta(days=3)).isoformat(), "amount": "250.00",
    }  # fmt: skip
    before = FundRequest.objects.count()
    response = client.post(
        f"{API}/requests", payload, content_type="application/json", **bearer(world, persona)
    )
    expected = api_partner_action_expectation(persona, key, created=201)

    assert response.status_code == expected
    assert FundRequest.objects.count() - before == (1 if expected == 201 else 0)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("key", KEYS)
def test_api_claim_filing(client, world, records, persona, key):
    request = records.of[key].approved
    before = Claim.objects.count()
    response = client.post(
        f"{API}/claims",
        {"request": request.pk, "amount": "100.00", "description": "Posters", "files": [pdf("posters.pdf")]},
        **bearer(world, persona),
    )
    expected = api_partner_action_expectation(persona, key, created=201)

    assert response.status_code == expected
    assert Claim.objects.count() - before == (1 if expected == 201 else 0)


# --- Programmes and allocations: channel admins --------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_channel_admins_open_programmes_and_allocate(client, world, records, persona):
    c = login(client, world, persona)
    opened = c.post(reverse("channel:fund_program_open", args=[records.draft.pk]))
    allocated = c.post(
        reverse("channel:fund_allocation_set", args=[records.program.pk]),
        {"partner": world.c.pk, "amount": "31000.00"},
    )
    new = c.get(reverse("channel:fund_program_create"))

    if persona == "admin":
        expected = (302, 302, 200)
    elif persona == "anonymous":
        expected = (302, 302, 302)
    else:
        expected = (403, 403, 403)
    assert (opened.status_code, allocated.status_code, new.status_code) == expected
    records.draft.refresh_from_db()
    assert (records.draft.status == ProgramStatus.OPEN) == (persona == "admin")
    assert FundAllocation.objects.get(pk=records.of["c"].allocation.pk).amount == (
        31000 if persona == "admin" else 30000
    )


# --- The journal: channel admins ------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_channel_admins_read_and_export_the_journal(client, world, records, persona):
    c = login(client, world, persona)
    page = c.get(reverse("channel:fund_journal"))
    export = c.get(reverse("channel:fund_journal_export"))
    api = client.get(f"{API}/journal", **bearer(world, persona))

    if persona == "anonymous":
        assert (page.status_code, export.status_code, api.status_code) == (302, 302, 401)
        assert "login" in export["Location"]
        return
    if persona != "admin":
        assert (page.status_code, export.status_code, api.status_code) == (403, 403, 403)
        return
    assert (page.status_code, export.status_code, api.status_code) == (200, 200, 200)
    assert export["Content-Disposition"].startswith("attachment;")
    csv = b"".join(export.streaming_content).decode()
    # Every partner's movements are in it (the admin's journal is the whole journal).
    for key in KEYS:
        assert records.of[key].approved.reference in csv
        assert records.of[key].approved_claim.reference in csv
    assert len(csv.strip().splitlines()) == JournalEntry.objects.count() + 1  # a header, then each line
