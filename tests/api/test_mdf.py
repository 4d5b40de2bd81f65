"""/api/v1/mdf: programmes and allocations (read), fund requests and claims (file, decide, settle),
proof downloads and the journal. Scope per persona, 403/404/409/422 with nothing changed, decimal
strings, multipart claims with content-checked files, and flat query counts for every list."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from mdf import services
from mdf.choices import RequestStatus
from mdf.models import Claim, FundAllocation, FundRequest, JournalEntry, ProofFile
from tests.mdf.conftest import PDF_BYTES, assert_books_balance, pdf, png

BASE = "/api/v1/mdf"
PROGRAMS = f"{BASE}/programs"
ALLOCATIONS = f"{BASE}/allocations"
REQUESTS = f"{BASE}/requests"
CLAIMS = f"{BASE}/claims"
JOURNAL = f"{BASE}/journal"
D = Decimal


def assert_422(response, *fields: str) -> dict:
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["detail"] == "Validation failed"
    assert set(body["errors"]) == set(fields)
    return body["errors"]


def in_days(days: int) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def books(funds) -> tuple[list[tuple[Decimal, ...]], int, list[tuple[int, str, Decimal | None]]]:
    """Every figure an action could change: each allocation's, the journal's length, the requests'
    and claims' statuses and approved amounts."""
    allocations = [
        (a.amount, a.reserved, a.claimed, a.paid)
        for a in FundAllocation.objects.filter(program=funds.program).order_by("pk")
    ]
    records = [
        *FundRequest.objects.order_by("pk").values_list("pk", "status", "approved_amount"),
        *Claim.objects.order_by("pk").values_list("pk", "status", "approved_amount"),
    ]
    return allocations, JournalEntry.objects.count(), records


def request_payload(funds, **fields) -> dict:
    return {
        "allocation": funds.alloc_a.pk,
        "title": "Autumn roadshow",
        "activity_type": "event",
        "starts_on": in_days(5),
        "ends_on": in_days(12),
        "amount": "1500.00",
    } | fields


def post_claim(client, data: dict, files: list | None = None):
    """A multipart POST /claims (the ApiClient sends JSON; this sends a form with files)."""
    form = dict(data)
    if files is not None:
        form["files"] = files
    return client.client.post(CLAIMS, form, headers=client._headers())


def claim_form(request: FundRequest, **fields) -> dict:
    return {"request": request.pk, "amount": "400.00", "description": "Booth and flyers"} | fields


# --- Programmes ------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["admin", "cm_c"])
def test_channel_staff_see_programmes_with_their_budget_figures(api, world, funds, persona):
    response = api(getattr(world, persona)).get(PROGRAMS)

    assert response.status_code == 200, response.content
    [item] = response.json()["items"]
    assert item["id"] == funds.program.pk
    assert (item["status"], item["currency"]) == ("open", "EUR")
    assert (item["budget"], item["allocated"], item["unallocated"], item["approval_threshold"]) == (
        "100000.00",
        "90000.00",
        "10000.00",
        "20000.00",
    )


def test_partner_manager_sees_their_programme_without_the_brand_owners_budget(api, world, funds):
    response = api(world.pm_c).get(PROGRAMS)

    [item] = response.json()["items"]
    assert item["id"] == funds.program.pk
    assert item["claim_deadline"] == funds.program.claim_deadline.isoformat()
    assert not {"budget", "allocated", "unallocated", "approval_threshold"} & set(item)


def test_partner_managers_do_not_see_draft_programmes(api, world, funds):
    today = timezone.localdate()
    draft = services.program_create(
        actor=world.admin, name="Next year", starts_on=today, ends_on=today + timedelta(days=30),
        claim_deadline=today + timedelta(days=60), budget="5000.00", allocation_rule="manual",
    )  # fmt: skip
    services.allocation_set(program=draft, partner=world.c, amount="1000.00", actor=world.admin)
    pm, admin = api(world.pm_c), api(world.admin)

    assert [p["id"] for p in pm.get(PROGRAMS).json()["items"]] == [funds.program.pk]
    assert pm.get(f"{PROGRAMS}/{draft.pk}").status_code == 404
    assert {a["program"] for a in pm.get(ALLOCATIONS).json()["items"]} == {funds.program.pk}
    assert admin.get(f"{PROGRAMS}/{draft.pk}").json()["status"] == "draft"
    assert {p["id"] for p in admin.get(PROGRAMS, {"status": "draft"}).json()["items"]} == {draft.pk}


def test_partner_employees_see_no_funds_at_all(api, world, funds):
    request = funds.approved(world)
    claim = funds.claim(world, request)
    client = api(world.pe_a)

    for path in (PROGRAMS, ALLOCATIONS, REQUESTS, CLAIMS):
        response = client.get(path)
        assert response.status_code == 200
        assert response.json() == {"items": [], "next_cursor": None}
    for path in (
        f"{PROGRAMS}/{funds.program.pk}",
        f"{ALLOCATIONS}/{funds.alloc_a.pk}",
        f"{REQUESTS}/{request.pk}",
        f"{CLAIMS}/{claim.pk}",
        f"{CLAIMS}/{claim.pk}/files/{claim.proof_files.get().pk}",
    ):
        assert client.get(path).status_code == 404, path


def test_mdf_routes_need_a_token(api, funds):
    response = api(None).get(ALLOCATIONS)

    assert response.status_code == 401


# --- Allocations -----------------------------------------------------------------------------------


def test_allocations_answer_every_figure_as_a_decimal_string(api, world, funds):
    funds.approved(world, amount="1000.00")
    request = funds.approved(world, amount="2000.50")
    services.claim_approve(claim=funds.claim(world, request, amount="500.25"), actor=world.admin)
    paid = services.claim_approve(claim=funds.claim(world, request, amount="100.00"), actor=world.admin)
    services.claim_pay(claim=paid, actor=world.admin, payment_reference="PAY-1")

    response = api(world.pm_a).get(ALLOCATIONS, {"partner": world.a.pk})

    [item] = response.json()["items"]
    assert item == {
        "id": funds.alloc_a.pk,
        "program": funds.program.pk,
        "program_name": "FY Test",
        "program_status": "open",
        "claim_deadline": funds.program.claim_deadline.isoformat(),
        "partner": world.a.pk,
        "partner_name": "Alpha Distribution",
        "currency": "EUR",
        "allocated": "50000.00",
        "reserved": "2400.25",
        "claimed": "500.25",
        "paid": "100.00",
        "available": "46999.50",
        "expired": "0.00",
    }
    assert api(world.pm_a).get(f"{ALLOCATIONS}/{funds.alloc_a.pk}").json() == item


@pytest.mark.parametrize(
    ("persona", "partners"),
    [
        ("admin", {"a", "b", "c"}),
        ("cm_a", {"a", "b"}),
        ("cm_c", {"c"}),
        ("pm_a", {"a", "b"}),
        ("pm_b", {"b"}),
        ("pm_c", {"c"}),
        ("pe_a", set()),
        ("pe_c", set()),
    ],
)
def test_allocations_are_scoped_by_the_access_policy(api, world, funds, persona, partners):
    client = api(getattr(world, persona))

    items = client.get(ALLOCATIONS).json()["items"]

    assert {i["partner"] for i in items} == {getattr(world, p).pk for p in partners}
    allocations = {"a": funds.alloc_a, "b": funds.alloc_b, "c": funds.alloc_c}
    for name, allocation in allocations.items():
        expected = 200 if name in partners else 404
        assert client.get(f"{ALLOCATIONS}/{allocation.pk}").status_code == expected, name


def test_allocations_filter_by_programme_and_partner(api, world, funds):
    other = open_programme(world)
    client = api(world.admin)

    by_program = client.get(ALLOCATIONS, {"program": other.pk}).json()["items"]
    by_partner = client.get(ALLOCATIONS, {"partner": world.c.pk}).json()["items"]

    assert [(i["program"], i["partner"]) for i in by_program] == [(other.pk, world.c.pk)]
    assert {(i["program"], i["partner"]) for i in by_partner} == {
        (funds.program.pk, world.c.pk),
        (other.pk, world.c.pk),
    }
    assert_422(client.get(ALLOCATIONS, {"program": "first"}), "program")


def open_programme(world, name: str = "Second", partner=None):
    """Another open programme, with an allocation of 1,000 for `partner` (default C)."""
    today = timezone.localdate()
    program = services.program_create(
        actor=world.admin, name=name, starts_on=today, ends_on=today + timedelta(days=30),
        claim_deadline=today + timedelta(days=60), budget="1000000.00", allocation_rule="manual",
    )  # fmt: skip
    services.allocation_set(program=program, partner=partner or world.c, amount="1000.00", actor=world.admin)
    return services.program_open(program=program, actor=world.admin)


# --- Fund requests: create -------------------------------------------------------------------------


def test_partner_manager_requests_funds_and_the_request_is_submitted(api, world, funds):
    response = api(world.pm_a).post(
        REQUESTS,
        request_payload(
            funds,
            campaign_code="ROADSHOW-27",
            description=" Three cities ",
            expected_leads=40,
            expected_revenue="90000",
        ),
    )

    assert response.status_code == 201, response.content
    body = response.json()
    saved = FundRequest.objects.get(pk=body["id"])
    assert (saved.partner, saved.allocation, saved.created_by) == (world.a, funds.alloc_a, world.pm_a)
    assert body["status"] == "submitted"
    assert (body["amount"], body["approved_amount"], body["reserved"], body["currency"]) == (
        "1500.00",
        None,
        "0.00",
        "EUR",
    )
    assert (body["campaign_code"], body["description"], body["expected_revenue"]) == (
        "ROADSHOW-27",
        "Three cities",
        "90000.00",
    )
    assert (body["reference"], body["created_by"]) == (f"REQ-{saved.pk}", "pm@alpha.example")
    # Submitting reserves nothing yet: approval does.
    funds.alloc_a.refresh_from_db()
    assert funds.alloc_a.reserved == 0


def test_a_request_without_campaign_code_gets_one_and_a_json_number_amount_is_taken(api, world, funds):
    response = api(world.pm_a).post(REQUESTS, request_payload(funds, amount=1250.5))

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["amount"] == "1250.50"
    assert body["campaign_code"].startswith("MDF-")


@pytest.mark.parametrize(
    "amount",
    ["-5.00", -5, "10.001", 10.001, "0", 0, "0.00", "lots", True, None, "NaN", "50000.01", 60000],
)
def test_an_invalid_request_amount_is_refused_and_nothing_is_saved(api, world, funds, amount):
    before = books(funds)

    response = api(world.pm_a).post(REQUESTS, request_payload(funds, amount=amount))

    assert_422(response, "amount")
    assert books(funds) == before
    assert not FundRequest.objects.exists()


def test_an_amount_above_what_is_available_says_what_is_available(api, world, funds):
    response = api(world.pm_b).post(
        REQUESTS, request_payload(funds, allocation=funds.alloc_b.pk, amount="10000.01")
    )

    errors = assert_422(response, "amount")
    assert errors["amount"] == ["Your allocation has EUR 10,000.00 available."]


def test_request_fields_are_checked_all_at_once(api, world, funds):
    response = api(world.pm_a).post(
        REQUESTS,
        {"allocation": funds.alloc_a.pk, "title": "x", "activity_type": "party", "starts_on": "soon",
         "amount": "1.00", "colour": "red"},
    )  # fmt: skip

    assert_422(response, "activity_type", "starts_on", "ends_on", "colour")
    assert not FundRequest.objects.exists()


def test_request_dates_and_a_taken_campaign_code_are_refused(api, world, funds):
    funds.request(world, campaign_code="TAKEN-1")
    client = api(world.pm_a)

    backwards = client.post(REQUESTS, request_payload(funds, starts_on=in_days(9), ends_on=in_days(2)))
    taken = client.post(REQUESTS, request_payload(funds, campaign_code="taken-1"))

    assert_422(backwards, "ends_on")
    assert_422(taken, "campaign_code")
    assert FundRequest.objects.count() == 1


@pytest.mark.parametrize("persona", ["pm_c", "pe_a", "pm_b"])
def test_an_allocation_the_caller_cannot_see_is_refused_on_its_field(api, world, funds, persona):
    response = api(getattr(world, persona)).post(REQUESTS, request_payload(funds))

    errors = assert_422(response, "allocation")
    assert errors["allocation"] == [f"No fund allocation with id {funds.alloc_a.pk} that you can see."]
    # The same answer as for an allocation that does not exist: nothing leaks.
    missing = api(world.pm_a).post(REQUESTS, request_payload(funds, allocation=999_999))
    assert assert_422(missing, "allocation") == {
        "allocation": ["No fund allocation with id 999999 that you can see."]
    }
    assert not FundRequest.objects.exists()


@pytest.mark.parametrize(
    ("persona", "allocation"), [("pm_a", "alloc_b"), ("cm_a", "alloc_a"), ("admin", "alloc_c")]
)
def test_who_sees_an_allocation_but_may_not_draw_on_it_gets_403(api, world, funds, persona, allocation):
    response = api(getattr(world, persona)).post(
        REQUESTS, request_payload(funds, allocation=getattr(funds, allocation).pk)
    )

    assert response.status_code == 403, response.content
    assert "managers request funds" in response.json()["detail"]
    assert not FundRequest.objects.exists()


def test_a_closed_programme_takes_no_requests(api, world, funds):
    services.program_close(program=funds.program, actor=world.admin)

    response = api(world.pm_a).post(REQUESTS, request_payload(funds))

    assert_422(response, "allocation")
    assert not FundRequest.objects.exists()


# --- Fund requests: read ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "partners"),
    [
        ("admin", {"a", "b", "c"}),
        ("cm_a", {"a", "b"}),
        ("cm_c", {"c"}),
        ("pm_a", {"a", "b"}),
        ("pm_b", {"b"}),
        ("pm_c", {"c"}),
        ("pe_c", set()),
    ],
)
def test_requests_are_scoped_by_the_access_policy(api, world, funds, persona, partners):
    made = {
        "a": funds.request(world),
        "b": funds.request(world, allocation=funds.alloc_b),
        "c": funds.request(world, allocation=funds.alloc_c),
    }
    client = api(getattr(world, persona))

    items = client.get(REQUESTS).json()["items"]

    assert {i["id"] for i in items} == {made[p].pk for p in partners}
    for name, request in made.items():
        expected = 200 if name in partners else 404
        assert client.get(f"{REQUESTS}/{request.pk}").status_code == expected, name


def test_requests_filter_by_status_partner_and_allocation(api, world, funds):
    approved = funds.approved(world)
    submitted = funds.request(world, allocation=funds.alloc_b)
    client = api(world.admin)

    def ids(**params) -> list[int]:
        return [i["id"] for i in client.get(REQUESTS, params).json()["items"]]

    assert ids(status="approved") == [approved.pk]
    assert ids(partner=world.b.pk) == [submitted.pk]
    assert ids(allocation=funds.alloc_a.pk) == [approved.pk]
    assert ids(program=funds.program.pk) == [submitted.pk, approved.pk]
    assert_422(client.get(REQUESTS, {"status": "maybe"}), "status")


def test_request_list_pages_by_cursor(api, world, funds):
    made = [funds.request(world, amount="10.00", title=f"Activity {n}") for n in range(5)]
    client = api(world.pm_a)

    first = client.get(REQUESTS, {"limit": 3}).json()
    second = client.get(REQUESTS, {"limit": 3, "cursor": first["next_cursor"]}).json()

    assert [i["id"] for i in first["items"] + second["items"]] == [r.pk for r in reversed(made)]
    assert second["next_cursor"] is None
    assert_422(client.get(REQUESTS, {"cursor": "nonsense"}), "cursor")


# --- Fund requests: decide -------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["cm_a", "admin"])
def test_channel_manager_approves_a_request_in_full_and_the_money_is_reserved(api, world, funds, persona):
    request = funds.request(world, amount="1500.00")

    response = api(getattr(world, persona)).post(f"{REQUESTS}/{request.pk}/approve", raw="")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["approved_amount"], body["reserved"]) == ("approved", "1500.00", "1500.00")
    funds.alloc_a.refresh_from_db()
    assert (funds.alloc_a.reserved, funds.alloc_a.available) == (D("1500.00"), D("48500.00"))
    assert JournalEntry.objects.filter(request=request, movement="reservation").count() == 2
    assert_books_balance(funds.program)


def test_a_request_is_approved_for_a_smaller_amount(api, world, funds):
    request = funds.request(world, amount="1500.00")

    response = api(world.cm_a).post(f"{REQUESTS}/{request.pk}/approve", {"amount": 600})

    assert response.status_code == 200, response.content
    assert (response.json()["amount"], response.json()["approved_amount"]) == ("1500.00", "600.00")
    funds.alloc_a.refresh_from_db()
    assert funds.alloc_a.reserved == D("600.00")
    assert_books_balance(funds.program)


def test_above_the_threshold_a_channel_admin_approves_as_well(api, world, funds):
    request = funds.request(world, amount="25000.00")

    first = api(world.cm_a).post(f"{REQUESTS}/{request.pk}/approve", {})
    funds.alloc_a.refresh_from_db()
    reserved_after_first = funds.alloc_a.reserved
    again = api(world.cm_a).post(f"{REQUESTS}/{request.pk}/approve", {})
    second = api(world.admin).post(f"{REQUESTS}/{request.pk}/approve", {})

    assert first.status_code == 200, first.content
    assert (first.json()["status"], first.json()["awaiting_second_approval"]) == ("submitted", True)
    assert first.json()["first_approved_amount"] == "25000.00"
    assert reserved_after_first == 0
    assert again.status_code == 409
    assert "channel admin" in again.json()["detail"]
    assert (second.json()["status"], second.json()["approved_amount"]) == ("approved", "25000.00")
    assert_books_balance(funds.program)


def test_an_approval_that_would_overspend_answers_409_and_changes_nothing(api, world, funds):
    first = funds.request(world, allocation=funds.alloc_b, amount="8000.00")
    second = funds.request(world, allocation=funds.alloc_b, amount="8000.00")
    services.request_approve(request=first, actor=world.admin)
    before = books(funds)

    response = api(world.cm_a).post(f"{REQUESTS}/{second.pk}/approve", {"amount": "2000.01"})

    assert response.status_code == 409, response.content
    assert response.json()["detail"] == (
        "Beta Resale has EUR 2,000.00 available in FY Test; approving EUR 2,000.01 would overspend it."
    )
    assert books(funds) == before
    second.refresh_from_db()
    assert (second.status, second.approved_amount) == (RequestStatus.SUBMITTED, None)
    assert_books_balance(funds.program)
    # What is left can still be approved.
    assert api(world.cm_a).post(f"{REQUESTS}/{second.pk}/approve", {"amount": "2000.00"}).status_code == 200


@pytest.mark.parametrize("amount", ["-1.00", -1, "0.001", 0.001, "0", "1500.01", "abc", False])
def test_an_invalid_approval_amount_answers_422_and_changes_nothing(api, world, funds, amount):
    request = funds.request(world, amount="1500.00")
    before = books(funds)

    response = api(world.cm_a).post(f"{REQUESTS}/{request.pk}/approve", {"amount": amount})

    assert_422(response, "amount")
    assert books(funds) == before


def test_approval_amount_above_the_request_names_the_limit(api, world, funds):
    request = funds.request(world, amount="1500.00")

    response = api(world.cm_a).post(f"{REQUESTS}/{request.pk}/approve", {"amount": "1500.01"})

    assert assert_422(response, "amount") == {"amount": ["Approve at most the EUR 1,500.00 requested."]}


def test_partner_managers_cannot_approve_their_own_requests(api, world, funds):
    request = funds.request(world)
    before = books(funds)

    response = api(world.pm_a).post(f"{REQUESTS}/{request.pk}/approve", {})

    assert response.status_code == 403
    assert books(funds) == before


@pytest.mark.parametrize("persona", ["cm_c", "pm_c", "pe_a"])
def test_deciding_a_request_out_of_scope_is_404(api, world, funds, persona):
    request = funds.request(world)
    before = books(funds)
    client = api(getattr(world, persona))

    assert client.post(f"{REQUESTS}/{request.pk}/approve", {}).status_code == 404
    assert client.post(f"{REQUESTS}/{request.pk}/reject", {"reason": "No"}).status_code == 404
    assert books(funds) == before


def test_deciding_a_decided_request_is_409(api, world, funds):
    request = funds.approved(world)
    client = api(world.cm_a)

    approve = client.post(f"{REQUESTS}/{request.pk}/approve", {})
    reject = client.post(f"{REQUESTS}/{request.pk}/reject", {"reason": "Too late"})

    assert (approve.status_code, reject.status_code) == (409, 409)
    assert "approved" in approve.json()["detail"]


def test_channel_manager_rejects_a_request_with_a_reason(api, world, funds):
    request = funds.request(world)
    client = api(world.cm_a)

    missing = client.post(f"{REQUESTS}/{request.pk}/reject", {})
    blank = client.post(f"{REQUESTS}/{request.pk}/reject", {"reason": "   "})
    response = client.post(f"{REQUESTS}/{request.pk}/reject", {"reason": " Not our products "})

    assert_422(missing, "reason")
    assert_422(blank, "reason")
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["reject_reason"]) == ("rejected", "Not our products")
    funds.alloc_a.refresh_from_db()
    assert funds.alloc_a.reserved == 0


# --- Claims: file ----------------------------------------------------------------------------------


def test_partner_manager_files_a_claim_with_a_pdf_and_a_png(api, world, funds):
    request = funds.approved(world, amount="1000.00")

    response = post_claim(
        api(world.pm_a),
        claim_form(request, amount="400.50", actual_leads="12", actual_revenue="30000", results="12 leads"),
        files=[pdf("invoice.pdf"), png("booth.png")],
    )

    assert response.status_code == 201, response.content
    body = response.json()
    claim = Claim.objects.get(pk=body["id"])
    assert (claim.request, claim.partner, claim.submitted_by) == (request, world.a, world.pm_a)
    assert (body["status"], body["amount"], body["approved_amount"], body["currency"]) == (
        "submitted",
        "400.50",
        None,
        "EUR",
    )
    assert (body["actual_leads"], body["actual_revenue"], body["results"]) == (12, "30000.00", "12 leads")
    assert [(f["name"], f["content_type"]) for f in body["files"]] == [
        ("invoice.pdf", "application/pdf"),
        ("booth.png", "image/png"),
    ]
    first = body["files"][0]
    assert first["download_url"] == f"http://testserver{CLAIMS}/{claim.pk}/files/{first['id']}"
    # Filing a claim moves no money: approval does.
    funds.alloc_a.refresh_from_db()
    assert (funds.alloc_a.reserved, funds.alloc_a.claimed) == (D("1000.00"), D("0.00"))


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile("invoice.pdf", b"<html><script>alert(1)</script></html>", "application/pdf"),
            "SVG, HTML",
        ),
        (
            SimpleUploadedFile("invoice.pdf", b"just some text pretending", "application/pdf"),
            "not a PDF, PNG or JPEG file",
        ),
        (SimpleUploadedFile("broken.pdf", b"%PDF-1.4 no end marker", "application/pdf"), "incomplete"),
        (SimpleUploadedFile("empty.pdf", b"", "application/pdf"), "empty"),
    ],
)
def test_a_file_that_is_not_a_real_pdf_png_or_jpeg_is_refused(api, world, funds, upload, message):
    request = funds.approved(world)
    before = books(funds)

    response = post_claim(api(world.pm_a), claim_form(request), files=[pdf("good.pdf"), upload])

    errors = assert_422(response, "files")
    assert message in " ".join(errors["files"])
    assert not Claim.objects.exists() and not ProofFile.objects.exists()
    assert books(funds) == before


def test_a_claim_without_files_is_refused(api, world, funds):
    request = funds.approved(world)

    response = post_claim(api(world.pm_a), claim_form(request))

    assert assert_422(response, "files") == {
        "files": ["Attach proof of performance: at least one PDF, PNG or JPEG file."]
    }
    assert not Claim.objects.exists()


def test_more_than_ten_files_are_refused(api, world, funds):
    request = funds.approved(world)

    response = post_claim(api(world.pm_a), claim_form(request), files=[pdf(f"p{n}.pdf") for n in range(11)])

    assert_422(response, "files")
    assert not ProofFile.objects.exists()


@pytest.mark.parametrize("amount", ["-1.00", "10.001", "0", "abc", "1000.01"])
def test_an_invalid_claim_amount_is_refused_and_nothing_is_saved(api, world, funds, amount):
    request = funds.approved(world, amount="1000.00")
    before = books(funds)

    response = post_claim(api(world.pm_a), claim_form(request, amount=amount), files=[pdf()])

    assert_422(response, "amount")
    assert not Claim.objects.exists()
    assert books(funds) == before


def test_a_claim_may_not_exceed_what_remains_after_waiting_claims(api, world, funds):
    request = funds.approved(world, amount="1000.00")
    funds.claim(world, request, amount="700.00")

    response = post_claim(api(world.pm_a), claim_form(request, amount="300.01"), files=[pdf()])

    errors = assert_422(response, "amount")
    assert errors["amount"] == ["At most EUR 300.00 remains of this request's approval."]
    assert Claim.objects.count() == 1


def test_claim_form_fields_are_required_and_unknown_ones_refused(api, world, funds):
    request = funds.approved(world)
    client = api(world.pm_a)

    missing = post_claim(client, {"request": request.pk}, files=[pdf()])
    unknown = post_claim(client, claim_form(request, colour="red"), files=[pdf()])
    misnamed = client.client.post(CLAIMS, claim_form(request) | {"file": pdf()}, headers=client._headers())

    assert_422(missing, "amount", "description")
    assert_422(unknown, "colour")
    assert assert_422(misnamed, "file") == {"file": ["Unknown field; send the proof files in `files`."]}
    assert not Claim.objects.exists()


@pytest.mark.parametrize("persona", ["pm_c", "pe_a", "pm_b"])
def test_a_request_the_caller_cannot_see_is_refused_on_its_field(api, world, funds, persona):
    request = funds.approved(world)

    response = post_claim(api(getattr(world, persona)), claim_form(request), files=[pdf()])

    assert assert_422(response, "request") == {
        "request": [f"No fund request with id {request.pk} that you can see."]
    }
    assert not Claim.objects.exists()


@pytest.mark.parametrize("persona", ["pm_a", "cm_a", "admin"])
def test_who_sees_a_request_but_may_not_claim_on_it_gets_403(api, world, funds, persona):
    request = funds.approved(world, allocation=funds.alloc_b, actor=world.pm_b)

    response = post_claim(api(getattr(world, persona)), claim_form(request), files=[pdf()])

    assert response.status_code == 403, response.content
    assert not Claim.objects.exists()


def test_claims_are_filed_against_approved_requests_only(api, world, funds):
    request = funds.request(world)

    response = post_claim(api(world.pm_a), claim_form(request), files=[pdf()])

    assert assert_422(response, "request") == {
        "request": ["Claims are filed against approved requests only."]
    }


# --- Claims: read and download ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "partners"),
    [
        ("admin", {"a", "b", "c"}),
        ("cm_a", {"a", "b"}),
        ("cm_c", {"c"}),
        ("pm_a", {"a", "b"}),
        ("pm_b", {"b"}),
        ("pm_c", {"c"}),
        ("pe_a", set()),
    ],
)
def test_claims_and_their_files_are_scoped_by_the_access_policy(api, world, funds, persona, partners):
    made = {
        "a": funds.claim(world, funds.approved(world)),
        "b": funds.claim(world, funds.approved(world, allocation=funds.alloc_b)),
        "c": funds.claim(world, funds.approved(world, allocation=funds.alloc_c)),
    }
    client = api(getattr(world, persona))

    items = client.get(CLAIMS).json()["items"]

    assert {i["id"] for i in items} == {made[p].pk for p in partners}
    for name, claim in made.items():
        expected = 200 if name in partners else 404
        proof = claim.proof_files.get()
        assert client.get(f"{CLAIMS}/{claim.pk}").status_code == expected, name
        assert client.get(f"{CLAIMS}/{claim.pk}/files/{proof.pk}").status_code == expected, name


def test_a_proof_file_downloads_as_an_attachment(api, world, funds):
    claim = funds.claim(world, funds.approved(world))
    proof = claim.proof_files.get()

    response = api(world.cm_a).get(f"{CLAIMS}/{claim.pk}/files/{proof.pk}")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="invoice.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_proof_file_of_another_claim_is_404_through_this_claim(api, world, funds):
    request = funds.approved(world)
    mine, other = funds.claim(world, request, amount="100.00"), funds.claim(world, request, amount="100.00")
    client = api(world.pm_a)

    response = client.get(f"{CLAIMS}/{mine.pk}/files/{other.proof_files.get().pk}")

    assert response.status_code == 404
    assert client.get(f"{CLAIMS}/{mine.pk}/files/{2**63}").status_code == 404


def test_claims_filter_by_status_and_request(api, world, funds):
    first, second = funds.approved(world), funds.approved(world, allocation=funds.alloc_c)
    waiting = funds.claim(world, first, amount="100.00")
    approved = services.claim_approve(claim=funds.claim(world, second, amount="100.00"), actor=world.admin)
    client = api(world.admin)

    def ids(**params) -> list[int]:
        return [i["id"] for i in client.get(CLAIMS, params).json()["items"]]

    assert ids(status="approved") == [approved.pk]
    assert ids(request=first.pk) == [waiting.pk]
    assert ids(partner=world.c.pk) == [approved.pk]
    assert ids(program=funds.program.pk) == [approved.pk, waiting.pk]


# --- Claims: decide and settle ---------------------------------------------------------------------


def test_channel_manager_approves_a_claim_in_part_and_the_money_becomes_payable(api, world, funds):
    request = funds.approved(world, amount="1000.00")
    claim = funds.claim(world, request, amount="400.00")

    response = api(world.cm_a).post(f"{CLAIMS}/{claim.pk}/approve", {"amount": "350.00"})

    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["approved_amount"]) == ("approved", "350.00")
    funds.alloc_a.refresh_from_db()
    assert (funds.alloc_a.reserved, funds.alloc_a.claimed) == (D("650.00"), D("350.00"))
    assert_books_balance(funds.program)


def test_a_claim_is_approved_in_full_without_a_body(api, world, funds):
    claim = funds.claim(world, funds.approved(world), amount="400.00")

    response = api(world.admin).post(f"{CLAIMS}/{claim.pk}/approve", raw="")

    assert (response.json()["status"], response.json()["approved_amount"]) == ("approved", "400.00")


@pytest.mark.parametrize("amount", ["-1", "0.001", 400.001, "400.01", "0"])
def test_an_invalid_claim_approval_amount_answers_422_and_changes_nothing(api, world, funds, amount):
    claim = funds.claim(world, funds.approved(world), amount="400.00")
    before = books(funds)

    response = api(world.cm_a).post(f"{CLAIMS}/{claim.pk}/approve", {"amount": amount})

    assert_422(response, "amount")
    assert books(funds) == before


def test_claims_are_decided_by_channel_staff_in_scope_only(api, world, funds):
    claim = funds.claim(world, funds.approved(world))
    before = books(funds)

    assert api(world.pm_a).post(f"{CLAIMS}/{claim.pk}/approve", {}).status_code == 403
    assert api(world.pm_a).post(f"{CLAIMS}/{claim.pk}/reject", {"reason": "x"}).status_code == 403
    assert api(world.cm_c).post(f"{CLAIMS}/{claim.pk}/approve", {}).status_code == 404
    assert api(world.cm_c).post(f"{CLAIMS}/{claim.pk}/pay", {"payment_reference": "X"}).status_code == 404
    assert books(funds) == before


def test_channel_manager_rejects_a_claim_and_the_reservation_stays(api, world, funds):
    claim = funds.claim(world, funds.approved(world, amount="1000.00"))
    client = api(world.cm_a)

    blank = client.post(f"{CLAIMS}/{claim.pk}/reject", {"reason": ""})
    response = client.post(f"{CLAIMS}/{claim.pk}/reject", {"reason": "No proof of the booth"})
    again = client.post(f"{CLAIMS}/{claim.pk}/approve", {})

    assert_422(blank, "reason")
    assert (response.json()["status"], response.json()["reject_reason"]) == (
        "rejected",
        "No proof of the booth",
    )
    assert again.status_code == 409
    funds.alloc_a.refresh_from_db()
    assert (funds.alloc_a.reserved, funds.alloc_a.claimed) == (D("1000.00"), D("0.00"))


def test_an_approved_claim_is_marked_paid_and_the_money_is_paid(api, world, funds):
    claim = funds.claim(world, funds.approved(world, amount="1000.00"), amount="400.00")
    services.claim_approve(claim=claim, actor=world.cm_a)

    response = api(world.cm_a).post(
        f"{CLAIMS}/{claim.pk}/pay", {"payment_reference": " BANK-2026-118 ", "paid_on": in_days(-1)}
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["payment_reference"], body["settlement_method"], body["paid_on"]) == (
        "paid",
        "BANK-2026-118",
        "payment",
        in_days(-1),
    )
    funds.alloc_a.refresh_from_db()
    assert (funds.alloc_a.claimed, funds.alloc_a.paid, funds.alloc_a.available) == (
        D("0.00"),
        D("400.00"),
        D("49000.00"),
    )
    line = JournalEntry.objects.get(claim=claim, movement="payment", account="paid")
    assert (line.debit, line.booked_on.isoformat()) == (D("400.00"), in_days(-1))
    assert_books_balance(funds.program)


def test_a_claim_is_settled_by_credit_note(api, world, funds):
    claim = funds.claim(world, funds.approved(world))
    services.claim_approve(claim=claim, actor=world.cm_a)

    response = api(world.admin).post(f"{CLAIMS}/{claim.pk}/pay", {"credit_note_number": "CN-77"})

    assert (response.json()["status"], response.json()["settlement_method"]) == ("paid", "credit_note")
    assert response.json()["credit_note_number"] == "CN-77"


def test_paying_needs_a_reference_an_approved_claim_and_no_future_date(api, world, funds):
    request = funds.approved(world)
    waiting = funds.claim(world, request, amount="100.00")
    approved = services.claim_approve(claim=funds.claim(world, request, amount="100.00"), actor=world.cm_a)
    client = api(world.cm_a)
    before = books(funds)

    no_reference = client.post(f"{CLAIMS}/{approved.pk}/pay", {})
    future = client.post(f"{CLAIMS}/{approved.pk}/pay", {"payment_reference": "X", "paid_on": in_days(1)})
    not_approved = client.post(f"{CLAIMS}/{waiting.pk}/pay", {"payment_reference": "X"})
    by_partner = api(world.pm_a).post(f"{CLAIMS}/{approved.pk}/pay", {"payment_reference": "X"})

    assert_422(no_reference, "payment_reference")
    assert_422(future, "paid_on")
    assert not_approved.status_code == 409
    assert by_partner.status_code == 403
    assert books(funds) == before


# --- Journal ---------------------------------------------------------------------------------------


def test_channel_admin_reads_the_balanced_journal_page_by_page(api, world, funds):
    claim = funds.claim(world, funds.approved(world, amount="1000.00"), amount="400.00")
    services.claim_approve(claim=claim, actor=world.cm_a)
    services.claim_pay(claim=claim, actor=world.cm_a, payment_reference="PAY-9")
    client = api(world.admin)

    lines, cursor = [], None
    while True:
        page = client.get(
            JOURNAL, {"program": funds.program.pk, "limit": 3, **({"cursor": cursor} if cursor else {})}
        ).json()
        lines += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    # 3 allocations, a reservation, a claim approval, a payment: two lines each.
    assert len(lines) == 12
    assert [line["id"] for line in lines] == sorted(line["id"] for line in lines)
    assert sum(D(line["debit"]) for line in lines) == sum(D(line["credit"]) for line in lines)
    payment = [line for line in lines if line["movement"] == "payment"]
    assert {(line["account"], line["debit"], line["credit"]) for line in payment} == {
        ("paid", "400.00", "0.00"),
        ("claims_payable", "0.00", "400.00"),
    }
    assert {(line["document"], line["currency"], line["partner_name"]) for line in payment} == {
        (f"CLM-{claim.pk}", "EUR", "Alpha Distribution")
    }


def test_journal_filters_by_programme(api, world, funds):
    other = open_programme(world)

    items = api(world.admin).get(JOURNAL, {"program": other.pk}).json()["items"]

    assert {i["program"] for i in items} == {other.pk}
    assert [(i["account"], i["debit"], i["credit"]) for i in items] == [
        ("available", "1000.00", "0.00"),
        ("budget", "0.00", "1000.00"),
    ]


@pytest.mark.parametrize("persona", ["cm_a", "cm_c", "pm_a", "pe_a"])
def test_only_channel_admins_read_the_journal(api, world, funds, persona):
    response = api(getattr(world, persona)).get(JOURNAL)

    assert response.status_code == 403
    assert response.json() == {"detail": "Only channel admins read the MDF journal."}


# --- Query counts ----------------------------------------------------------------------------------


# Every list: 1 token and user, 2 token last_used_at, 3 actor (role and partner), then the page.
AUTH_QUERIES = 3


@pytest.mark.parametrize("persona", ["admin", "cm_c", "pm_c"])
@pytest.mark.parametrize("rows", [1, 20])
def test_programme_list_query_count_is_flat(api, world, funds, django_assert_num_queries, persona, rows):
    for n in range(rows - 1):
        open_programme(world, name=f"Programme {n}")
    client = api(getattr(world, persona))

    # The page (for a partner manager the programmes of its allocations, as a subquery).
    with django_assert_num_queries(AUTH_QUERIES + 1):
        response = client.get(PROGRAMS, {"limit": 200})

    assert len(response.json()["items"]) == rows


@pytest.mark.parametrize("persona", ["admin", "cm_c", "pm_c"])
@pytest.mark.parametrize("rows", [1, 20])
def test_allocation_list_query_count_is_flat(api, world, funds, django_assert_num_queries, persona, rows):
    for n in range(rows - 1):
        open_programme(world, name=f"Programme {n}")
    client = api(getattr(world, persona))

    # The page, programme and partner joined; a channel manager's partner ids first.
    with django_assert_num_queries(AUTH_QUERIES + 1 + (persona == "cm_c")):
        response = client.get(ALLOCATIONS, {"partner": world.c.pk, "limit": 200})

    assert len(response.json()["items"]) == rows


@pytest.mark.parametrize("persona", ["admin", "cm_c", "pm_c"])
@pytest.mark.parametrize("rows", [1, 20])
def test_request_list_query_count_is_flat(api, world, funds, django_assert_num_queries, persona, rows):
    for n in range(rows):
        funds.request(world, allocation=funds.alloc_c, amount="10.00", title=f"Activity {n}")
    client = api(getattr(world, persona))

    # The page, programme, partner and the people joined; a channel manager's partner ids first.
    with django_assert_num_queries(AUTH_QUERIES + 1 + (persona == "cm_c")):
        response = client.get(REQUESTS, {"limit": 200})

    assert len(response.json()["items"]) == rows


@pytest.mark.parametrize("persona", ["admin", "cm_c", "pm_c"])
@pytest.mark.parametrize("rows", [1, 20])
def test_claim_list_query_count_is_flat(api, world, funds, django_assert_num_queries, persona, rows):
    request = funds.approved(world, allocation=funds.alloc_c, amount="1000.00")
    for _ in range(rows):
        funds.claim(world, request, amount="10.00", files=[pdf(), png()])
    client = api(getattr(world, persona))

    # The page (request, programme, partner and submitter joined), then the proof files of the page;
    # a channel manager's partner ids first.
    with django_assert_num_queries(AUTH_QUERIES + 2 + (persona == "cm_c")):
        response = client.get(CLAIMS, {"limit": 200})

    items = response.json()["items"]
    assert len(items) == rows
    assert all(len(i["files"]) == 2 for i in items)


@pytest.mark.parametrize("rows", [1, 20])
def test_journal_query_count_is_flat(api, world, funds, django_assert_num_queries, rows):
    for n in range(10):
        open_programme(world, name=f"Programme {n}")  # 2 lines each, beyond the fixture's 6
    client = api(world.admin)

    # The page of `rows` lines, the partner joined.
    with django_assert_num_queries(AUTH_QUERIES + 1):
        response = client.get(JOURNAL, {"limit": rows})

    assert len(response.json()["items"]) == rows


# --- OpenAPI ---------------------------------------------------------------------------------------


def test_openapi_document_describes_the_mdf_routes(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    paths = {p: set(ops) for p, ops in schema["paths"].items() if p.startswith(BASE)}

    assert paths == {
        f"{PROGRAMS}": {"get"},
        f"{PROGRAMS}/{{id}}": {"get"},
        f"{ALLOCATIONS}": {"get"},
        f"{ALLOCATIONS}/{{id}}": {"get"},
        f"{REQUESTS}": {"get", "post"},
        f"{REQUESTS}/{{id}}": {"get"},
        f"{REQUESTS}/{{id}}/approve": {"post"},
        f"{REQUESTS}/{{id}}/reject": {"post"},
        f"{CLAIMS}": {"get", "post"},
        f"{CLAIMS}/{{id}}": {"get"},
        f"{CLAIMS}/{{id}}/files/{{file_id}}": {"get"},
        f"{CLAIMS}/{{id}}/approve": {"post"},
        f"{CLAIMS}/{{id}}/reject": {"post"},
        f"{CLAIMS}/{{id}}/pay": {"post"},
        f"{JOURNAL}": {"get"},
    }
    claim_form_schema = schema["paths"][CLAIMS]["post"]["requestBody"]["content"]["multipart/form-data"]
    assert {"request", "amount", "description", "files"} <= set(claim_form_schema["schema"]["properties"])
    allocation = schema["components"]["schemas"]["AllocationOut"]["properties"]
    assert allocation["available"]["type"] == "string"
    assert {"403", "409", "422"} <= set(schema["paths"][f"{REQUESTS}/{{id}}/approve"]["post"]["responses"])
