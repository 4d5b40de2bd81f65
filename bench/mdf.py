"""Issue 5's benchmark (`python -m bench --claims N`): marketing development funds at scale.

On top of the partner data set (bench.dataset, 10,000 partners by default), MDF_PARTNERS partners take
part in MDF: every eligible partner (active, a tier with an MDF share) of the channel-manager persona,
the partner-manager persona's own partner, and eligible partners drawn from the rest of the channel.
Four yearly programmes (three closed, the current one open since 1 October), an allocation per
partner and programme, and N claims over fund requests (about four claims a request), in every
status, with a proof-file row per claim, a few comments, campaign leads for the return on investment,
and the double-entry journal every one of those money movements posts (2 lines per movement, about
4.4 lines per claim at 1,000,000 claims). The figures are consistent: each allocation's reserved,
claimed, paid and expired amounts are what its journal lines say, every programme's journal sums to
zero, and every CHECK constraint of mdf.models holds; the build checks the foreign keys and the
journal against the allocations at the end.

The rows are generated in Python (a seeded random generator) into tab-separated temporary files, one
per table, and loaded with `COPY ... FROM STDIN`. The scale is recorded as an activity-trail line
(`bench.mdf`) and reused.

Then, as bench.scenarios does for the other pages (django.test.Client, every middleware and the
session, DEBUG off), it measures with constant queries and p95 (target under 50 ms):
- the approval queues `/channel/funds/` as the channel-manager persona and as the channel admin
  (first page, the next page of each list through its own cursor, the admin's second approvals);
- the settlement page `/channel/funds/settlement/` (approved claims waiting for payment);
- the partner manager's funds overview `/partner/funds/` (first page, next pages);
and the journal CSV export for the ERP: `mdf.exports.journal_csv_rows` over the whole journal, in
lines/s (target at least 50,000), and the same through the export view's streamed response."""

from __future__ import annotations

import os
import random
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from django.db import connection, transaction

from bench import dataset as ds

MDF_MARKER = "bench.mdf"
MDF_VERSION = 1
MDF_PARTNERS = 340
PERSONA_CLAIM_SHARE = 0.02  # of all claims, to the partner-manager persona's partner
CLAIMS_PER_REQUEST = (1, 2, 3, 3, 4, 4, 5, 5, 6, 7)  # drawn per request that got money: 4 on average
THRESHOLD_CENTS = 2_000_000  # EUR 20,000: above it a channel admin approves as well
# (fiscal year, share of the claims); the last one is the open programme, since 1 October.
PROGRAMS = [(2024, 0.22), (2025, 0.29), (2026, 0.37), (2027, 0.12)]
NOW = datetime(2026, 11, 27, 18, 0, tzinfo=UTC)  # the data set's "now" (the open programme's day)
P95_TARGET_MS = 50.0
EXPORT_TARGET_LINES_PER_S = 50_000
ACTIVITIES = ["event", "digital_campaign", "trade_show", "print", "training", "co_op_advertising", "other"]
TITLES = {
    "event": ["Customer evening", "Open house", "Roadshow stop", "Partner breakfast"],
    "digital_campaign": ["LinkedIn campaign", "Search ads", "Webinar series", "E-mail campaign"],
    "trade_show": ["Trade fair stand", "Regional fair", "Industry congress booth"],
    "print": ["Product catalogue", "Mailing", "Trade magazine ad"],
    "training": ["Installer training", "Sales training day", "Certification course"],
    "co_op_advertising": ["Co-op newspaper ad", "Co-op radio spot", "Co-op billboard"],
    "other": ["Demo kit", "Showroom refresh", "Customer survey"],
}


# --- The data set ---------------------------------------------------------------------------------


@dataclass
class MdfDataset:
    claims: int
    requests: int
    journal_lines: int
    partners: int
    persona_partner_claims: int
    reused: bool
    build_seconds: float
    counts: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {
            "mdf_claims": self.claims,
            "mdf_requests": self.requests,
            "mdf_journal_lines": self.journal_lines,
            "mdf_partners": self.partners,
            "mdf_claims_of_partner_manager_persona": self.persona_partner_claims,
            "mdf_rows": self.counts,
            "mdf_version": MDF_VERSION,
            "mdf_reused": self.reused,
            "mdf_build_seconds": round(self.build_seconds, 1),
        }


def _text(value: Any) -> str:
    """A value in COPY's text format (\\N is NULL); the generator writes no tabs, newlines or backslashes."""
    return value if value.__class__ is str else ("\\N" if value is None else str(value))


def _cents(value: int) -> str:
    return f"{value // 100}.{value % 100:02d}"


class _Table:
    """Rows of one table in COPY's text format, in a temporary file."""

    def __init__(self, directory: str, name: str, columns: list[str]) -> None:
        self.name, self.columns = name, columns
        self.path = Path(directory) / f"{name}.tsv"
        self.file: TextIO = self.path.open("w", encoding="utf-8")
        self.rows = 0

    def add(self, *values: Any) -> None:
        self.file.write("\t".join([_text(v) for v in values]) + "\n")
        self.rows += 1

    def load(self, cursor: Any) -> None:
        """COPY the rows in. The table's plain indexes are dropped first and built again after (the
        same definitions; a sorted build is far quicker than millions of single inserts); those behind
        constraints (primary key, unique) stay. All in the caller's transaction."""
        self.file.close()
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
            [self.name, self.name],
        )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        sql = f"COPY {self.name} ({', '.join(self.columns)}) FROM STDIN"
        with self.path.open("rb") as source, cursor.copy(sql) as copy:
            while block := source.read(1 << 20):
                copy.write(block)
        self.path.unlink()
        for _, definition in indexes:
            cursor.execute(definition)


@dataclass
class _Ids:
    program: int = 0
    allocation: int = 0
    request: int = 0
    claim: int = 0
    proof: int = 0
    comment: int = 0
    journal: int = 0

    def next(self, name: str) -> int:
        value = getattr(self, name) + 1
        setattr(self, name, value)
        return value


def _start_ids(cursor: Any) -> _Ids:
    ids = _Ids()
    for name, table in [
        ("program", "mdf_fundprogram"), ("allocation", "mdf_fundallocation"), ("request", "mdf_fundrequest"),
        ("claim", "mdf_claim"), ("proof", "mdf_prooffile"), ("comment", "mdf_fundcomment"),
        ("journal", "mdf_journalentry"),
    ]:  # fmt: skip
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")
        setattr(ids, name, cursor.fetchone()[0])
    return ids


@dataclass
class _Partner:
    id: int
    name: str
    weight: float
    manager_id: int  # the partner's partner manager (created for the benchmark)
    decider_id: int  # its channel manager, or the admin


class _Generator:
    """Writes programmes, allocations, requests, claims, proof files, comments and journal lines whose
    figures agree (see the module's docstring)."""

    def __init__(
        self,
        directory: str,
        ids: _Ids,
        partners: list[_Partner],
        admin_id: int,
        persona_partner_id: int,
        seed: int,
    ) -> None:
        self.rng = random.Random(seed)
        self.persona_partner_id = persona_partner_id
        self.ids = ids
        self.partners = partners
        self.admin_id = admin_id
        t = lambda name, cols: _Table(directory, name, cols.split())  # noqa: E731
        self.programs = t("mdf_fundprogram", "id name description starts_on ends_on claim_deadline currency "
                          "budget allocated_total approval_threshold allocation_rule status created_by_id created_at closed_at")  # fmt: skip
        self.allocations = t("mdf_fundallocation", "id program_id partner_id amount reserved claimed paid expired "
                             "reminded_30_on reminded_7_on created_at updated_at")  # fmt: skip
        self.requests = t("mdf_fundrequest", "id allocation_id program_id partner_id title activity_type description "
                          "starts_on ends_on amount approved_amount consumed released expected_leads expected_revenue "
                          "campaign_code status info_requested copied_from_id created_by_id submitted_at "
                          "first_approved_by_id first_approved_amount first_approved_at decided_by_id decided_at "
                          "reject_reason created_at updated_at")  # fmt: skip
        self.claims = t("mdf_claim", "id request_id allocation_id program_id partner_id amount approved_amount "
                        "description actual_leads actual_revenue results status info_requested submitted_by_id "
                        "first_approved_by_id first_approved_amount first_approved_at decided_by_id decided_at "
                        "reject_reason settlement_method payment_reference credit_note_number paid_on paid_by_id "
                        "created_at updated_at")  # fmt: skip
        self.proofs = t("mdf_prooffile", "id claim_id file name content_type size uploaded_by_id uploaded_at")
        self.comments = t(
            "mdf_fundcomment", "id request_id claim_id partner_id author_id kind body created_at"
        )
        self.journal = t("mdf_journalentry", "id posting program_id allocation_id partner_id request_id claim_id "
                         "booked_on posted_at movement account debit credit currency document memo actor_id")  # fmt: skip
        self.persona_claims = 0

    def tables(self) -> list[_Table]:
        # Parents before children (foreign keys are checked at commit, but keep it readable).
        return [self.programs, self.allocations, self.requests, self.claims, self.proofs, self.comments,
                self.journal]  # fmt: skip

    # Journal ---------------------------------------------------------------------------------------
    def post(self, *, program: int, allocation: int, partner: int | None, movement: str, source: str, target: str,
             cents: int, when: datetime, document: str, actor: int | None, request: int | None = None,
             claim: int | None = None, memo: str = "") -> None:  # fmt: skip
        """One movement: `cents` leave `source` (credit) for `target` (debit), two lines."""
        if cents <= 0:
            return
        posting = f"{self.rng.getrandbits(128):032x}"
        amount = _cents(cents)
        head = f"\t{posting}\t{program}\t{allocation}\t{_text(partner)}\t{_text(request)}\t{_text(claim)}"
        middle = f"\t{when.date().isoformat()}\t{when.isoformat()}\t{movement}\t"
        tail = f"\tEUR\t{document}\t{memo}\t{_text(actor)}\n"
        first = self.ids.journal + 1
        self.journal.file.write(
            f"{first}{head}{middle}{target}\t{amount}\t0.00{tail}{first + 1}{head}{middle}{source}\t0.00\t{amount}{tail}"
        )
        self.ids.journal += 2
        self.journal.rows += 2

    # Programmes ------------------------------------------------------------------------------------
    def build(self, claims: int) -> None:
        total_weight = sum(p.weight for p in self.partners)
        for year, share in PROGRAMS:
            self.program(year, share, claims, total_weight)

    def program(self, year: int, share: float, claims: int, total_weight: float) -> None:
        starts, ends, deadline = date(year - 1, 10, 1), date(year, 9, 30), date(year, 10, 31)
        is_open = deadline >= NOW.date()
        program_id = self.ids.next("program")
        opened = datetime(year - 1, 9, 15, 9, 0, tzinfo=UTC)
        allocated_total = 0
        for partner in self.partners:
            quota = max(1, round(claims * share * partner.weight / total_weight))
            allocated_total += self.allocation(
                program_id, partner, quota, starts, ends, deadline, is_open, opened
            )
        budget = (allocated_total * 115 // 100 // 100_000 + 1) * 100_000  # some left unallocated
        closed_at = None if is_open else datetime(year, 11, 1, 2, 0, tzinfo=UTC).isoformat()
        self.programs.add(
            program_id, f"FY{year} Partner Marketing (bench)", "Benchmark programme", starts.isoformat(),
            ends.isoformat(), deadline.isoformat(), "EUR", _cents(budget), _cents(allocated_total),
            _cents(THRESHOLD_CENTS), "tier_share", "open" if is_open else "closed", self.admin_id,
            opened.isoformat(), closed_at,
        )  # fmt: skip

    def allocation(self, program_id: int, partner: _Partner, quota: int, starts: date, ends: date, deadline: date,
                   is_open: bool, opened: datetime) -> int:  # fmt: skip
        """An allocation with its requests and claims; returns its final allocated amount (cents)."""
        rng = self.rng
        allocation_id = self.ids.next("allocation")
        reserved = claimed = paid = 0
        committed_max = 0  # what the approved requests took at most: the allocation must cover it
        postings: list[dict[str, Any]] = []  # the allocation's journal, posted after the allocation line
        made = 0
        period_end = min(datetime.combine(ends, datetime.min.time(), UTC), NOW - timedelta(days=1))
        period_start = datetime.combine(starts, datetime.min.time(), UTC)
        span = (period_end - period_start).total_seconds()
        while made < quota:
            request_id = self.ids.next("request")
            activity = rng.choice(ACTIVITIES)
            title = f"{rng.choice(TITLES[activity])} {request_id}"
            # Amounts: mostly a few thousand, a long tail up to 60,000 (above the threshold).
            amount = int(min(6_000_000, max(30_000, rng.lognormvariate(12.3, 0.9)))) // 100 * 100
            created = period_start + timedelta(seconds=span * rng.random())
            act_start = created.date() + timedelta(days=rng.randrange(7, 45))
            act_end = min(act_start + timedelta(days=rng.randrange(0, 20)), deadline)
            act_start = min(act_start, act_end)
            if is_open:
                status = rng.choices(
                    ["draft", "submitted", "approved", "rejected", "cancelled", "closed"],
                    [3, 7, 58, 7, 5, 20],
                )[0]
            else:
                status = rng.choices(["closed", "rejected", "cancelled"], [82, 10, 8])[0]
            submitted_at: datetime | None = created + timedelta(minutes=rng.randrange(5, 600))
            if status == "draft":
                submitted_at = None
            decided = (submitted_at or created) + timedelta(hours=rng.randrange(2, 240))
            if is_open and status == "submitted":
                # Waiting now: submitted in the last weeks.
                submitted_at = NOW - timedelta(seconds=rng.randrange(600, 30 * 86400))
                created = submitted_at - timedelta(minutes=rng.randrange(5, 600))
            decided = min(decided, NOW - timedelta(minutes=30))
            cancelled_before_approval = status == "cancelled" and rng.random() < 0.5
            gets_money = status in ("approved", "closed") or (
                status == "cancelled" and not cancelled_before_approval
            )
            was_decided = gets_money or status == "rejected"
            approved = None
            if gets_money:
                approved = amount if rng.random() < 0.85 else max(100, amount * 8 // 10 // 100 * 100)
            first_by = first_amount = first_at = None
            if status == "submitted" and amount > THRESHOLD_CENTS and rng.random() < 0.6:
                first_by, first_amount = partner.decider_id, _cents(amount)
                first_at = (submitted_at or created) + timedelta(hours=rng.randrange(1, 48))
                first_at = min(first_at, NOW - timedelta(minutes=10))
            consumed = released = 0
            request_claims: list[tuple[Any, ...]] = []
            if approved is not None:
                committed_max += approved
                postings.append({"movement": "reservation", "source": "available", "target": "reserved",
                                 "cents": approved, "when": decided, "document": f"REQ-{request_id}",
                                 "request": request_id, "actor": partner.decider_id})  # fmt: skip
                n = rng.choice(CLAIMS_PER_REQUEST)
                weights = [rng.random() + 0.2 for _ in range(n)]
                usable = approved * rng.choice([100, 100, 95, 90, 80]) // 100
                parts = [max(100, int(usable * w / sum(weights)) // 100 * 100) for w in weights]
                while sum(parts) > approved and len(parts) > 1:
                    parts.pop()
                claim_time = datetime.combine(act_end, datetime.min.time(), UTC) + timedelta(
                    hours=rng.randrange(8, 400)
                )
                for part in parts:
                    claim_time = min(
                        claim_time + timedelta(hours=rng.randrange(1, 200)), NOW - timedelta(minutes=20)
                    )
                    if is_open and status == "approved":
                        cstatus = rng.choices(["paid", "approved", "rejected", "submitted"], [52, 15, 8, 25])[
                            0
                        ]
                    else:
                        cstatus = rng.choices(["paid", "rejected"], [88, 12])[0]
                    capproved = None
                    if cstatus in ("approved", "paid"):
                        capproved = part if rng.random() < 0.9 else max(100, part * 9 // 10 // 100 * 100)
                        consumed += capproved
                    request_claims.append((part, cstatus, capproved, claim_time))
                if status in ("closed", "cancelled"):
                    released = approved - consumed
                else:
                    reserved += approved - consumed
            requested_by = partner.manager_id
            self.requests.add(
                request_id, allocation_id, program_id, partner.id, title, activity,
                f"{activity.replace('_', ' ').capitalize()} for our customers", act_start.isoformat(),
                act_end.isoformat(), _cents(amount), None if approved is None else _cents(approved),
                _cents(consumed), _cents(released), rng.randrange(5, 120), _cents(amount * rng.randrange(3, 12)),
                f"BMDF-{request_id}", status, "f", None, requested_by,
                None if submitted_at is None else submitted_at.isoformat(), first_by, first_amount,
                None if first_at is None else first_at.isoformat(),
                partner.decider_id if was_decided else None, decided.isoformat() if was_decided else None,
                "Outside the programme's guidelines" if status == "rejected" else "",
                created.isoformat(), max(created, decided).isoformat(),
            )  # fmt: skip
            if status == "submitted" and rng.random() < 0.05:
                self.comment(request_id, None, partner, created)
            for part, cstatus, capproved, claim_time in request_claims:
                claim_id = self.ids.next("claim")
                made += 1
                decided_at = None if cstatus == "submitted" else min(
                    claim_time + timedelta(hours=rng.randrange(2, 300)), NOW - timedelta(minutes=10)
                )  # fmt: skip
                paid_on = paid_when = None
                reference = credit_note = method = ""
                if cstatus == "paid":
                    assert decided_at is not None
                    paid_day = min(decided_at + timedelta(days=rng.randrange(1, 30)), NOW)
                    paid_on, paid_when = paid_day.date().isoformat(), paid_day
                    if rng.random() < 0.8:
                        method, reference = "payment", f"SEPA-{claim_id}"
                    else:
                        method, credit_note = "credit_note", f"CN-{claim_id}"
                cfirst_by = cfirst_amount = cfirst_at = None
                if cstatus == "submitted" and part > THRESHOLD_CENTS and rng.random() < 0.5:
                    cfirst_by, cfirst_amount = partner.decider_id, _cents(part)
                    cfirst_at = min(claim_time + timedelta(hours=4), NOW - timedelta(minutes=5)).isoformat()
                self.claims.add(
                    claim_id, request_id, allocation_id, program_id, partner.id, _cents(part),
                    None if capproved is None else _cents(capproved), f"Costs of {title}", rng.randrange(0, 60),
                    None, "", cstatus, "t" if cstatus == "submitted" and rng.random() < 0.03 else "f",
                    partner.manager_id, cfirst_by, cfirst_amount, cfirst_at,
                    None if decided_at is None else partner.decider_id,
                    None if decided_at is None else decided_at.isoformat(),
                    "The invoice does not show the activity" if cstatus == "rejected" else "", method, reference,
                    credit_note, paid_on, partner.decider_id if paid_on else None, claim_time.isoformat(),
                    (decided_at or claim_time).isoformat(),
                )  # fmt: skip
                self.proofs.add(
                    self.ids.next("proof"), claim_id, f"mdf-proof/bench-{claim_id}", f"invoice-{claim_id}.pdf",
                    "application/pdf", 40_000 + claim_id % 500_000, partner.manager_id, claim_time.isoformat(),
                )  # fmt: skip
                if partner.id == self.persona_partner_id:
                    self.persona_claims += 1
                if capproved is not None:
                    assert decided_at is not None
                    postings.append({"movement": "claim_approval", "source": "reserved", "target": "claims_payable",
                                     "cents": capproved, "when": decided_at, "document": f"CLM-{claim_id}",
                                     "request": request_id, "claim": claim_id, "actor": partner.decider_id})  # fmt: skip
                    if cstatus == "paid":
                        paid += capproved
                        postings.append({"movement": "payment", "source": "claims_payable", "target": "paid",
                                         "cents": capproved, "when": paid_when,
                                         "document": f"CLM-{claim_id}", "request": request_id, "claim": claim_id,
                                         "actor": partner.decider_id})  # fmt: skip
                    else:
                        claimed += capproved
            if released:
                last = max([c[3] for c in request_claims], default=decided)
                postings.append({"movement": "release", "source": "reserved", "target": "available",
                                 "cents": released, "when": min(last + timedelta(days=3), NOW - timedelta(minutes=1)),
                                 "document": f"REQ-{request_id}", "request": request_id,
                                 "actor": partner.manager_id})  # fmt: skip
        # The allocation covers what its requests took, with some left (the open programme) or lapsed.
        initial = (committed_max * rng.randrange(105, 140) // 100 // 100_000 + 1) * 100_000
        expired = 0
        amount = initial
        if not is_open:
            expired = initial - paid  # at the close, everything not paid lapses (no claim was left open)
            amount = paid
            assert reserved == 0 and claimed == 0
        assert amount >= reserved + claimed + paid
        self.allocations.add(
            allocation_id, program_id, partner.id, _cents(amount), _cents(reserved), _cents(claimed), _cents(paid),
            _cents(expired), None, None, opened.isoformat(), opened.isoformat(),
        )  # fmt: skip
        common: dict[str, Any] = {"program": program_id, "allocation": allocation_id, "partner": partner.id}
        self.post(**common, movement="allocation", source="budget", target="available", cents=initial,
                  when=opened, document=f"ALLOC-{allocation_id}", actor=self.admin_id,
                  memo=f"Allocation to {partner.name}")  # fmt: skip
        for entry in postings:
            self.post(**common, **entry)
        if expired:
            self.post(**common, movement="expiry", source="available", target="expired", cents=expired,
                      when=datetime.combine(deadline + timedelta(days=1), datetime.min.time(), UTC),
                      document=f"ALLOC-{allocation_id}", actor=None, memo="Unused at the close")  # fmt: skip
        return amount

    def comment(self, request_id: int, claim_id: int | None, partner: _Partner, when: datetime) -> None:
        self.comments.add(self.ids.next("comment"), request_id, claim_id, partner.id, partner.decider_id,
                          "info_request", "Please add the agenda and the expected number of visitors.",
                          min(when + timedelta(hours=5), NOW).isoformat())  # fmt: skip
        self.comments.add(self.ids.next("comment"), request_id, claim_id, partner.id, partner.manager_id,
                          "answer", "Agenda attached; we expect about 80 visitors.",
                          min(when + timedelta(hours=30), NOW).isoformat())  # fmt: skip


def _choose_partners(data: ds.Dataset, rng: random.Random) -> list[_Partner]:
    """MDF_PARTNERS partners: the channel-manager persona's eligible partners, the partner-manager
    persona's partner, and eligible partners from the rest of the channel; each with a partner manager
    (created here) and its channel manager (or the admin) as the decider."""
    from partners import access
    from partners.choices import PartnerStatus
    from partners.models import Membership, Partner

    eligible = Partner.objects.filter(status=PartnerStatus.ACTIVE, tier__mdf_share__gt=0)
    persona_partner = Membership.objects.get(user=data.partner_manager).partner_id
    mine = list(
        access.scope_partners(data.channel_manager, eligible).order_by("id").values_list("id", flat=True)
    )
    chosen = list(dict.fromkeys([persona_partner, *mine]))[:MDF_PARTNERS]
    rest = list(eligible.exclude(id__in=chosen).order_by("id").values_list("id", flat=True))
    chosen += rng.sample(rest, min(len(rest), MDF_PARTNERS - len(chosen)))
    managers = _partner_managers(chosen, persona_partner, data)
    owners: dict[int, int] = {}
    through = Partner.managers.through
    for partner_id, user_id in (
        through.objects.filter(partner_id__in=chosen).order_by("user_id").values_list("partner_id", "user_id")
    ):
        owners.setdefault(partner_id, user_id)
    parents = dict(Partner.objects.filter(id__in=chosen).values_list("id", "parent_id"))
    for partner_id, parent_id in parents.items():
        if partner_id not in owners and parent_id:
            parent_owner = (
                through.objects.filter(partner_id=parent_id).values_list("user_id", flat=True).first()
            )
            if parent_owner:
                owners[partner_id] = parent_owner
    names = dict(Partner.objects.filter(id__in=chosen).values_list("id", "name"))
    partners = []
    for partner_id in chosen:
        weight = rng.lognormvariate(0, 0.8)
        partners.append(
            _Partner(
                partner_id,
                names[partner_id],
                weight,
                managers[partner_id],
                owners.get(partner_id, data.admin.pk),
            )
        )
    # The persona's partner holds PERSONA_CLAIM_SHARE of all claims (its overview is a busy one).
    others = sum(p.weight for p in partners if p.id != persona_partner)
    for p in partners:
        if p.id == persona_partner:
            p.weight = others * PERSONA_CLAIM_SHARE / (1 - PERSONA_CLAIM_SHARE)
    return partners


def _partner_managers(partner_ids: list[int], persona_partner: int, data: ds.Dataset) -> dict[int, int]:
    """A partner manager per MDF partner (the persona for its own partner), created when missing."""
    from django.contrib.auth.models import Group

    from core.models import User
    from partners.choices import Role
    from partners.models import Membership

    emails = {pid: f"mdf-pm-{pid}@{ds.EMAIL_DOMAIN}" for pid in partner_ids if pid != persona_partner}
    existing = set(User.objects.filter(email__in=emails.values()).values_list("email", flat=True))
    new = [
        User(email=e, full_name=f"MDF Manager {pid}", password="!")
        for pid, e in emails.items()
        if e not in existing
    ]
    User.objects.bulk_create(new, batch_size=ds.BATCH_SIZE)
    users = dict(User.objects.filter(email__in=emails.values()).values_list("email", "id"))
    if new:
        group = Group.objects.get(name=Role.PARTNER_MANAGER)
        created = [users[u.email] for u in new]
        User.groups.through.objects.bulk_create(
            [User.groups.through(user_id=uid, group_id=group.pk) for uid in created]
        )
        by_email = {e: pid for pid, e in emails.items()}
        Membership.objects.bulk_create(
            [Membership(user_id=users[u.email], partner_id=by_email[u.email]) for u in new]
        )
    out = {pid: users[e] for pid, e in emails.items()}
    out[persona_partner] = data.partner_manager.pk
    return out


def wipe_mdf() -> None:
    """Every MDF row (TRUNCATE: the journal refuses row deletes) and the benchmark's campaign leads."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE mdf_fundprogram CASCADE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute("DELETE FROM leads_lead WHERE campaign_code LIKE 'BMDF-%'")
    from core.models import ActivityEvent

    ActivityEvent.objects.filter(verb=MDF_MARKER).delete()


def _insert_campaign_leads(cursor: Any) -> None:
    """Leads carrying the campaign codes of a third of the requests that got money (1 to 4 each; about
    a third won), as ROI reads them."""
    cursor.execute(
        """
        INSERT INTO leads_lead (
            company, normalised_company, contact_name, email, phone, country, region, postal_code, city,
            latitude, longitude, products_of_interest, estimated_value, currency, source, campaign_code,
            external_id, status, accept_by, budget, authority, need, timeline, qualification_notes,
            won_value, lost_reason, dispatch_reason, created_at, updated_at, dispatched_at, accepted_at,
            closed_at, partner_id
        )
        SELECT 'Campaign lead ' || r.id || '-' || g, 'campaign lead ' || r.id || '-' || g, 'Contact ' || g,
               'lead' || r.id || '-' || g || '@campaign.example', '', p.country, p.region, p.postal_code,
               p.city, p.latitude, p.longitude, '', 20000, 'EUR', 'channel', r.campaign_code, '',
               CASE WHEN (r.id + g) % 3 = 0 THEN 'won' WHEN (r.id + g) % 3 = 1 THEN 'lost' ELSE 'qualified' END,
               NULL, '', '', '', '', '',
               CASE WHEN (r.id + g) % 3 = 0 THEN 5000 + (r.id % 40) * 1000 END,
               CASE WHEN (r.id + g) % 3 = 1 THEN 'No budget' ELSE '' END, 'Campaign lead',
               r.created_at + interval '20 days', r.created_at + interval '20 days',
               r.created_at + interval '20 days', r.created_at + interval '21 days',
               CASE WHEN (r.id + g) % 3 < 2 THEN r.created_at + interval '60 days' END, r.partner_id
        FROM mdf_fundrequest r
        JOIN partners_partner p ON p.id = r.partner_id
        CROSS JOIN LATERAL generate_series(1, 1 + r.id % 4) AS g
        WHERE r.approved_amount IS NOT NULL AND r.id % 3 = 0
        """
    )


# (table, column, referenced table): every foreign key the generator fills.
REFERENCES = [
    ("mdf_fundallocation", "program_id", "mdf_fundprogram"), ("mdf_fundallocation", "partner_id", "partners_partner"),
    ("mdf_fundrequest", "allocation_id", "mdf_fundallocation"), ("mdf_fundrequest", "program_id", "mdf_fundprogram"),
    ("mdf_fundrequest", "partner_id", "partners_partner"), ("mdf_fundrequest", "created_by_id", "core_user"),
    ("mdf_fundrequest", "decided_by_id", "core_user"), ("mdf_fundrequest", "first_approved_by_id", "core_user"),
    ("mdf_claim", "request_id", "mdf_fundrequest"), ("mdf_claim", "allocation_id", "mdf_fundallocation"),
    ("mdf_claim", "program_id", "mdf_fundprogram"), ("mdf_claim", "partner_id", "partners_partner"),
    ("mdf_claim", "submitted_by_id", "core_user"), ("mdf_claim", "decided_by_id", "core_user"),
    ("mdf_claim", "paid_by_id", "core_user"), ("mdf_prooffile", "claim_id", "mdf_claim"),
    ("mdf_fundcomment", "request_id", "mdf_fundrequest"), ("mdf_fundcomment", "author_id", "core_user"),
    ("mdf_journalentry", "program_id", "mdf_fundprogram"), ("mdf_journalentry", "allocation_id", "mdf_fundallocation"),
    ("mdf_journalentry", "partner_id", "partners_partner"), ("mdf_journalentry", "request_id", "mdf_fundrequest"),
    ("mdf_journalentry", "claim_id", "mdf_claim"), ("mdf_journalentry", "actor_id", "core_user"),
]  # fmt: skip


def check_references(cursor: Any) -> list[str]:
    """The foreign keys the bulk load did not check (session_replication_role), checked now: the
    columns that point at a missing row."""
    broken = []
    for table, column, target in REFERENCES:
        cursor.execute(
            f"SELECT EXISTS (SELECT 1 FROM {table} t WHERE t.{column} IS NOT NULL "
            f"AND NOT EXISTS (SELECT 1 FROM {target} r WHERE r.id = t.{column}))"
        )
        if cursor.fetchone()[0]:
            broken.append(f"{table}.{column}")
    return broken


def check_books(cursor: Any) -> dict[str, Any]:
    """The journal against the stored figures: per allocation (one pass over the journal) and per
    programme. Returns the mismatches found (none expected)."""
    cursor.execute(
        """
        WITH j AS (
            SELECT allocation_id,
                   sum(CASE WHEN account = 'reserved' THEN debit - credit ELSE 0 END) AS reserved,
                   sum(CASE WHEN account = 'claims_payable' THEN debit - credit ELSE 0 END) AS claimed,
                   sum(CASE WHEN account = 'paid' THEN debit - credit ELSE 0 END) AS paid,
                   sum(CASE WHEN account = 'expired' THEN debit - credit ELSE 0 END) AS expired,
                   sum(CASE WHEN account IN ('available', 'reserved', 'claims_payable', 'paid')
                            THEN debit - credit ELSE 0 END) AS allocated
            FROM mdf_journalentry GROUP BY allocation_id
        )
        SELECT count(*) FROM mdf_fundallocation a JOIN j ON j.allocation_id = a.id
        WHERE (a.reserved, a.claimed, a.paid, a.expired, a.amount)
              IS DISTINCT FROM (j.reserved, j.claimed, j.paid, j.expired, j.allocated)
        """
    )
    (allocations_off,) = cursor.fetchone()
    cursor.execute(
        "SELECT count(*) FROM (SELECT program_id FROM mdf_journalentry GROUP BY program_id "
        "HAVING sum(debit) <> sum(credit)) s"
    )
    (programs_off,) = cursor.fetchone()
    cursor.execute(
        "SELECT count(*) FROM mdf_fundprogram p WHERE allocated_total <> "
        "(SELECT coalesce(sum(amount), 0) FROM mdf_fundallocation a WHERE a.program_id = p.id)"
    )
    (totals_off,) = cursor.fetchone()
    return {"allocations_off": allocations_off, "programs_off": programs_off, "totals_off": totals_off}


def build_mdf(data: ds.Dataset, *, claims: int, rebuild: bool = False, log: Any = None) -> MdfDataset:
    """The MDF data set at `claims` claims over the partner data set: reused when built at that scale."""
    from core.models import ActivityEvent
    from mdf.models import (
        Claim,
        FundAllocation,
        FundComment,
        FundProgram,
        FundRequest,
        JournalEntry,
        ProofFile,
    )

    if connection.vendor != "postgresql":
        raise ValueError("The MDF data set is loaded with PostgreSQL's COPY.")
    say = log or (lambda message: None)
    marker = ActivityEvent.objects.filter(verb=MDF_MARKER).order_by("-id").first()
    if (
        not rebuild
        and marker is not None
        and marker.data.get("claims") == claims
        and marker.data.get("version") == MDF_VERSION
        and marker.data.get("partners") == data.partners
        and Claim.objects.exists()
    ):
        say(f"Reusing the MDF data set of {claims:,} claims (--rebuild builds it again).")
        return MdfDataset(
            claims=marker.data["claims_made"], requests=marker.data["requests"],
            journal_lines=marker.data["journal_lines"], partners=marker.data["mdf_partners"],
            persona_partner_claims=marker.data["persona_partner_claims"], reused=True, build_seconds=0.0,
            counts=marker.data["counts"],
        )  # fmt: skip
    say(f"Building the MDF data set: {claims:,} claims over {MDF_PARTNERS} partners, 4 programmes ...")
    started = time.perf_counter()
    rng = random.Random(ds.SEED + claims)
    with transaction.atomic():
        wipe_mdf()
        partners = _choose_partners(data, rng)
        persona_partner = partners[0].id
        with tempfile.TemporaryDirectory(prefix="bench-mdf-") as directory, connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
            # A bulk load: the foreign-key triggers are off for this transaction (millions of queued
            # deferred checks otherwise); integrity is checked below with one anti-join per key.
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            generator = _Generator(
                directory,
                _start_ids(cursor),
                partners,
                data.admin.pk,
                persona_partner,
                seed=rng.randrange(2**31),
            )
            generator.build(claims)
            say(f"  generated in {time.perf_counter() - started:.0f} s; loading with COPY ...")
            for table in generator.tables():
                loaded = time.perf_counter()
                table.load(cursor)
                say(f"  {table.name}: {table.rows:,} rows in {time.perf_counter() - loaded:.1f} s")
            for table in generator.tables():
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"(SELECT coalesce(max(id), 1) FROM {table.name}))"
                )
            _insert_campaign_leads(cursor)
            counts = {t.name: t.rows for t in generator.tables()}
            cursor.execute("SELECT count(*) FROM leads_lead WHERE campaign_code LIKE 'BMDF-%'")
            counts["leads_lead (campaign)"] = cursor.fetchone()[0]
            cursor.execute("SET LOCAL session_replication_role = origin")
            broken = check_references(cursor)
            if broken:
                raise AssertionError(f"Rows point at missing rows: {', '.join(broken)}")
            books = check_books(cursor)
            if any(books.values()):
                raise AssertionError(f"The generated journal disagrees with the figures: {books}")
            say(
                "  checked: every foreign key holds; each allocation's figures equal its journal; every programme's "
                "journal sums to zero"
            )
        ActivityEvent.objects.create(
            actor=data.admin, verb=MDF_MARKER, message=f"Benchmark MDF data set: {claims} claims",
            target_type=MDF_MARKER, target_id=claims,
            data={"claims": claims, "version": MDF_VERSION, "partners": data.partners,
                  "claims_made": generator.claims.rows, "requests": generator.requests.rows,
                  "journal_lines": generator.journal.rows, "mdf_partners": len(partners),
                  "persona_partner_claims": generator.persona_claims, "counts": counts},
        )  # fmt: skip
    with connection.cursor() as cursor:
        # As autovacuum would leave a live system (VACUUM cannot run inside a test's transaction).
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        for model in (FundProgram, FundAllocation, FundRequest, Claim, ProofFile, FundComment, JournalEntry):
            cursor.execute(f"{command} {model._meta.db_table}")
        cursor.execute(f"{command} leads_lead")
    elapsed = time.perf_counter() - started
    say(f"Built in {elapsed:.0f} s.")
    return MdfDataset(
        claims=generator.claims.rows, requests=generator.requests.rows, journal_lines=generator.journal.rows,
        partners=len(partners), persona_partner_claims=generator.persona_claims, reused=False,
        build_seconds=elapsed, counts=counts,
    )  # fmt: skip


# --- Pages ----------------------------------------------------------------------------------------


def _next_link(body: str, parameter: str) -> str | None:
    """The first href on the page that carries `parameter=` (a list's "next" cursor)."""
    import html
    import re

    for href in re.findall(r'href="([^"]*)"', body):
        target = html.unescape(href)
        if re.search(rf"[?&]{parameter}=", target):
            return target
    return None


def _page_variants(client: Any, base: str, cursors: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The first page, and for each (label, cursor parameter) the page its own next link leads to."""
    response = client.get(base)
    if response.status_code != 200:
        raise RuntimeError(f"GET {base} answered {response.status_code}")
    body = response.content.decode()
    variants = [("first page", base)]
    for label, parameter in cursors:
        href = _next_link(body, parameter)
        if href:
            variants.append((label, base + href if href.startswith("?") else href))
    return variants


def _timed(client: Any, paths: list[tuple[str, str]], requests: int, warmup: int) -> list[dict[str, Any]]:
    from django.test.utils import CaptureQueriesContext

    from bench.report import percentile

    out = []
    for label, path in paths:
        for _ in range(warmup):
            client.get(path)
        timings: list[float] = []
        db_ms: list[float] = []
        cpu_ms: list[float] = []  # this process's CPU time: what other work on the machine does not inflate
        queries: set[int] = set()
        size = 0
        for _ in range(requests):
            with CaptureQueriesContext(connection) as captured:
                started, cpu = time.perf_counter(), time.process_time()
                response = client.get(path)
                timings.append((time.perf_counter() - started) * 1000)
                cpu_ms.append((time.process_time() - cpu) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"GET {path} answered {response.status_code}")
            queries.add(len(captured.captured_queries))
            db_ms.append(sum(float(q["time"]) for q in captured.captured_queries) * 1000)
            size = len(response.content)
        out.append(
            {
                "variant": label, "path": path, "requests": requests,
                "median_ms": round(percentile(timings, 50), 1), "p95_ms": round(percentile(timings, 95), 1),
                "max_ms": round(max(timings), 1), "db_median_ms": round(percentile(db_ms, 50), 1),
                "python_cpu_median_ms": round(percentile(cpu_ms, 50), 1),
                "queries": sorted(queries), "response_bytes": size,
            }
        )  # fmt: skip
    return out


def explain_queries(client: Any, path: str, min_ms: float) -> list[dict[str, Any]]:
    """EXPLAIN (ANALYZE, BUFFERS) of each SELECT of one request that took at least `min_ms`."""
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(path)
    slow = []
    for query in captured.captured_queries:
        ms = float(query["time"]) * 1000
        if ms < min_ms or not query["sql"].lstrip().upper().startswith("SELECT"):
            continue
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            plan = "\n".join(row[0] for row in cursor.fetchall())
        slow.append({"path": path, "ms": round(ms, 1), "sql": query["sql"], "plan": plan})
    return slow


def run_pages(data: ds.Dataset, *, requests: int, warmup: int, explain_ms: float | None = None,
              log: Any = None) -> list[dict[str, Any]]:  # fmt: skip
    """The queues, the settlement page and the partner overview, each persona logged in once."""
    from django.test import Client
    from django.urls import reverse

    say = log or (lambda message: None)
    queue = reverse("channel:fund_queue")
    settlement = reverse("channel:fund_settlement")
    overview = reverse("partner:funds")
    plan = [
        ("channel_fund_queue_manager", data.channel_manager, [
            (queue, [("requests: next page", "requests_after"), ("claims: next page", "claims_after")]),
            (settlement, [("settlement: next page", "after")]),
        ]),
        ("channel_fund_queue_admin", data.admin, [
            (queue, [("requests: next page", "requests_after"), ("claims: next page", "claims_after")]),
            (queue + "?show=second", []),
            (settlement, [("settlement: next page", "after")]),
        ]),
        ("partner_funds_overview", data.partner_manager, [
            (overview, [("requests: next page", "after"), ("claims: next page", "claims_after")]),
        ]),
    ]  # fmt: skip
    results = []
    for name, user, pages in plan:
        client = Client()
        client.force_login(user)
        paths: list[tuple[str, str]] = []
        for base, cursors in pages:
            found = _page_variants(client, base, cursors)
            if base == settlement:
                found = [
                    (f"settlement: {label}" if not label.startswith("settlement") else label, p)
                    for label, p in found
                ]
            elif "?show=second" in base:
                found = [("second approvals only", base)]
            paths += found
        say(f"Running {name}: {len(paths)} variants x ({warmup} warm-up + {requests} measured) ...")
        load = [round(x, 2) for x in os.getloadavg()]
        variants = _timed(client, paths, requests, warmup)
        slow: list[dict[str, Any]] = []
        if explain_ms is not None:
            for _, path in paths:
                slow += explain_queries(client, path, explain_ms)
        query_counts = {q for v in variants for q in v["queries"]}
        results.append(
            {
                "scenario": name, "persona": user.email, "load_average_before": load, "variants": variants,
                "p95_ms": max(v["p95_ms"] for v in variants), "queries": sorted(query_counts),
                "target_p95_ms": P95_TARGET_MS,
                "meets_targets": all(v["p95_ms"] < P95_TARGET_MS and len(v["queries"]) == 1 for v in variants),
                "slow_queries": slow,
            }
        )  # fmt: skip
        client.logout()
    return results


# --- Journal export -------------------------------------------------------------------------------


def _count_lines(chunks: Iterator[str]) -> tuple[int, int]:
    lines = size = 0
    with tempfile.TemporaryFile("w", encoding="utf-8", newline="") as out:
        for chunk in chunks:
            out.write(chunk)
            lines += chunk.count("\n")
        size = out.tell()
    return lines, size


def run_journal_export(data: ds.Dataset, *, log: Any = None) -> dict[str, Any]:
    """The whole journal as CSV: `mdf.exports.journal_csv_rows` (header + one line per journal line)
    written to a temporary file, and the channel portal's export view (the streamed response, read to
    the end by django.test.Client)."""
    from django.test import Client
    from django.urls import reverse

    from mdf import selectors
    from mdf.exports import journal_csv_rows

    say = log or (lambda message: None)
    load = [round(x, 2) for x in os.getloadavg()]
    say("Journal export: mdf.exports.journal_csv_rows over the whole journal ...")
    started = time.perf_counter()
    with transaction.atomic():
        lines, size = _count_lines(journal_csv_rows(selectors.visible_journal(data.admin)))
    seconds = time.perf_counter() - started
    rate = (lines - 1) / seconds if seconds else 0.0
    say(f"  {lines - 1:,} lines in {seconds:.1f} s = {rate:,.0f} lines/s")
    say("Journal export: GET /channel/funds/journal/export.csv (the streamed response) ...")
    client = Client()
    client.force_login(data.admin)
    started = time.perf_counter()
    response = client.get(reverse("channel:fund_journal_export"))
    if response.status_code != 200:
        raise RuntimeError(f"The journal export answered {response.status_code}")
    content = getattr(response, "streaming_content", None) or iter([response.content])
    view_lines, view_size = _count_lines(
        chunk.decode() if isinstance(chunk, bytes) else chunk for chunk in content
    )
    view_seconds = time.perf_counter() - started
    view_rate = (view_lines - 1) / view_seconds if view_seconds else 0.0
    say(f"  {view_lines - 1:,} lines in {view_seconds:.1f} s = {view_rate:,.0f} lines/s")
    client.logout()
    return {
        "scenario": "mdf_journal_export",
        "load_average_before": load,
        "lines": lines - 1,
        "seconds": round(seconds, 2),
        "lines_per_s": round(rate),
        "bytes": size,
        "view_lines": view_lines - 1,
        "view_seconds": round(view_seconds, 2),
        "view_lines_per_s": round(view_rate),
        "view_streaming": bool(response.streaming),
        "target_lines_per_s": EXPORT_TARGET_LINES_PER_S,
        "meets_targets": rate >= EXPORT_TARGET_LINES_PER_S,
    }


# --- Selector queries (EXPLAIN ANALYZE), without the pages ----------------------------------------


def explain_selectors(data: ds.Dataset) -> list[dict[str, Any]]:
    """EXPLAIN (ANALYZE, BUFFERS) of the queues' and the overview's main selector queries, one page
    each (what the pages run; useful before the pages exist and to find a missing index)."""
    from mdf import selectors

    pages = [
        ("request_queue (channel manager)", selectors.request_queue(data.channel_manager).order_by("submitted_at", "id")),
        ("request_queue (admin)", selectors.request_queue(data.admin).order_by("submitted_at", "id")),
        ("claim_queue (channel manager)", selectors.claim_queue(data.channel_manager).order_by("created_at", "id")),
        ("claim_queue (admin)", selectors.claim_queue(data.admin).order_by("created_at", "id")),
        ("claims_to_pay (channel manager)", selectors.claims_to_pay(data.channel_manager)),
        ("claims_to_pay (admin)", selectors.claims_to_pay(data.admin)),
        ("visible_requests (partner manager)", selectors.visible_requests(data.partner_manager).order_by("-created_at", "-id")),
        ("visible_claims (partner manager)", selectors.visible_claims(data.partner_manager).order_by("-created_at", "-id")),
        ("visible_allocations (partner manager)", selectors.visible_allocations(data.partner_manager)),
    ]  # fmt: skip
    out = []
    for label, queryset in pages:
        page = queryset[:26]
        # A partner user's page is read branch by branch (partners.access.BranchedPages): explain that.
        branched = getattr(page, "_branched_page", None)
        page = (branched() if branched else None) or page
        sql, params = page.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        times = [
            line.strip()
            for line in plan.splitlines()
            if line.strip().startswith(("Planning Time", "Execution Time"))
        ]
        out.append({"query": label, "execution": "; ".join(times), "plan": plan})
    return out


# --- The command ----------------------------------------------------------------------------------


def run_claims(args: Any, data: ds.Dataset, *, log: Any = print) -> dict[str, Any]:
    """--claims N: build (or reuse) the MDF data set, measure the pages and the export."""
    from core.services import emails_suppressed

    built = build_mdf(data, claims=args.claims, rebuild=args.rebuild, log=log)
    log(
        f"MDF: {built.claims:,} claims, {built.requests:,} requests, {built.journal_lines:,} journal lines over "
        f"{built.partners} partners; the partner-manager persona's partner holds {built.persona_partner_claims:,} claims."
    )
    report: dict[str, Any] = {"mdf": built.summary()}
    report["selector_plans"] = explain_selectors(data)
    with emails_suppressed():
        report["pages"] = run_pages(
            data, requests=args.requests, warmup=args.warmup, explain_ms=args.explain, log=log
        )
        report["journal_export"] = run_journal_export(data, log=log)
    report["meets_targets"] = (
        all(p["meets_targets"] for p in report["pages"]) and report["journal_export"]["meets_targets"]
    )
    return report


def format_mdf(report: dict[str, Any]) -> str:
    lines = []
    for page in report["pages"]:
        lines.append(f"{page['scenario']} as {page['persona']} (load before {page['load_average_before']}):")
        for v in page["variants"]:
            lines.append(
                f"  {v['variant']:<34} median {v['median_ms']:6.1f} ms  p95 {v['p95_ms']:6.1f} ms  "
                f"db {v['db_median_ms']:5.1f} ms  cpu {v['python_cpu_median_ms']:5.1f} ms  "
                f"queries {','.join(map(str, v['queries']))}"
            )
        lines.append(f"  target p95 < {page['target_p95_ms']:g} ms, constant queries: "
                     + ("met" if page["meets_targets"] else "MISSED"))  # fmt: skip
    e = report["journal_export"]
    lines.append(
        f"mdf_journal_export: journal_csv_rows {e['lines']:,} lines in {e['seconds']:.1f} s = {e['lines_per_s']:,} "
        f"lines/s (target {e['target_lines_per_s']:,}: {'met' if e['meets_targets'] else 'MISSED'}); "
        f"through the view {e['view_lines']:,} lines in {e['view_seconds']:.1f} s = {e['view_lines_per_s']:,} lines/s"
    )
    for plan in report.get("selector_plans", []):
        lines.append(f"  selector {plan['query']}: {plan['execution']}")
    return "\n".join(lines)
