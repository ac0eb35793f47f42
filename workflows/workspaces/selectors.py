"""What the workspace pages show, read in a fixed number of queries whatever the data size
(tests/workflows/test_workspace_queries.py holds every page to that). Scoped to the user by
``cases.selectors.case.case_list_for``/``case_for_user``; nothing here writes."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.claims import Claim
from cases.enforcement import EnforcementClock
from cases.models import (
    Case,
    ContactAttempt,
    Delivery,
    EvidenceEntry,
    EvidenceKind,
    InstallmentPlan,
    PromiseStatus,
    ProofGrade,
    Stage,
    Unit,
    UnitParty,
)
from cases.models.case import TRANSITIONS
from cases.policy import Condition, payment_order_eligibility
from cases.selectors.case import (
    PartyContact,
    call_scripts_for,
    case_list_for,
    party_contacts_for,
    transitions_open_to,
)
from cases.selectors.claims import claim_for_case
from cases.selectors.enforcement import enforcement_clock_for
from cases.selectors.ledger import (
    FEN,
    PaymentLine,
    UnitArrears,
    arrears_for_unit,
    charge_balances,
    charge_late_fee_owed,
    money,
    payment_lines,
)
from cases.selectors.legal import CourtFeeSummary, court_fee_summary
from cases.selectors.limitation import ChargeClock, charge_clocks, earliest_expiry_by_case
from cases.services.evidence import ChainProblem, evidence_status
from legal_docs.models import LegalDocument
from workflows.approvals.models import ApprovalRequest, ApprovalStatus

WORKLIST_PAGE_SIZE = 50
TIMELINE_PAGE_SIZE = 100
OPEN_STAGES = [s for s in Stage.values if s != Stage.CLOSED]


def _liable_party_name() -> Subquery:
    return Subquery(
        UnitParty.objects.filter(unit_id=OuterRef("unit_id"), liable=True)
        .order_by("role", "id")
        .values("party__name")[:1]
    )


def worklist_for(user, *, filters: dict | None = None) -> QuerySet[Case]:
    """The open cases ``user`` works (a collector: their own; others: all), highest priority
    first, each annotated with ``owner_name`` and ``has_broken_promise``."""
    filters = filters or {}
    cases = (
        case_list_for(user)
        .filter(stage__in=OPEN_STAGES)
        .annotate(
            owner_name=_liable_party_name(),
            has_broken_promise=Exists(
                ContactAttempt.objects.filter(
                    case_id=OuterRef("pk"), promise_status=PromiseStatus.BROKEN
                )
            ),
        )
    )
    if filters.get("estate"):
        cases = cases.filter(unit__estate_id=filters["estate"])
    if filters.get("stage"):
        cases = cases.filter(stage=filters["stage"])
    if filters.get("min_days") is not None:
        cases = cases.filter(days_overdue_snapshot__gte=filters["min_days"])
    if filters.get("min_amount") is not None:
        cases = cases.filter(principal_snapshot__gte=filters["min_amount"])
    if filters.get("broken_promises"):
        cases = cases.filter(has_broken_promise=True)
    return cases


def paginate(queryset, page_number, per_page: int) -> Page:
    return Paginator(queryset, per_page).get_page(page_number)


@dataclass(frozen=True)
class ArrearsRow:
    """One charge still owing principal or late fee: the case page's arrears table."""

    charge_id: int
    item: str
    period_start: dt.date
    due_date: dt.date
    amount: Decimal
    outstanding: Decimal
    late_fee: Decimal
    clock: ChargeClock | None = None  # the charge's limitation period, if it owes principal

    @property
    def total(self) -> Decimal:
        return self.outstanding + self.late_fee


def arrears_rows(
    case: Case, *, as_of: dt.date, clocks: dict[int, ChargeClock] | None = None
) -> list[ArrearsRow]:
    """The unit's charges past due with something owed, by due date then item, each with
    its limitation clock when ``clocks`` (by charge id) has one."""
    clocks = clocks or {}
    charges = (
        charge_balances(Unit.objects.filter(pk=case.unit_id), as_of=as_of)
        .filter(due_date__lt=as_of)
        .order_by("due_date", "item", "id")
    )
    rows = []
    for charge in charges:
        outstanding = money(Decimal(charge.outstanding_fen) / FEN)
        late_fee = charge_late_fee_owed(charge)
        if outstanding or late_fee:
            rows.append(
                ArrearsRow(
                    charge_id=charge.pk,
                    item=charge.get_item_display(),
                    period_start=charge.period_start,
                    due_date=charge.due_date,
                    amount=charge.amount,
                    outstanding=outstanding,
                    late_fee=late_fee,
                    clock=clocks.get(charge.pk),
                )
            )
    return rows


@dataclass(frozen=True)
class DocumentRow:
    document: LegalDocument
    deliveries: list[Delivery]


@dataclass(frozen=True)
class Action:
    name: str
    label: str


@dataclass(frozen=True)
class Settlement:
    """The payments on a case's unit and what remains to settle (the one definition:
    ``UnitArrears.remainder``): the case page and the manager's withdrawal decision."""

    arrears: UnitArrears
    payments: list[PaymentLine]

    @property
    def principal(self) -> Decimal:
        return money(self.arrears.principal)

    @property
    def late_fee(self) -> Decimal:
        return self.arrears.late_fee_payable

    @property
    def remainder(self) -> Decimal:
        return self.arrears.remainder

    @property
    def paid_in_full(self) -> bool:
        return self.arrears.paid_in_full


def settlement_for(case: Case, *, as_of: dt.date | None = None) -> Settlement:
    as_of = as_of or timezone.localdate()
    return Settlement(
        arrears=arrears_for_unit(case.unit, as_of=as_of), payments=payment_lines(case.unit)
    )


@dataclass(frozen=True)
class CasePage:
    case: Case
    as_of: dt.date
    arrears: UnitArrears
    rows: list[ArrearsRow]
    parties: list[PartyContact]
    call_scripts: list
    timeline: Page
    documents: list[DocumentRow]
    approvals: list[ApprovalRequest]
    pending_approval: ApprovalRequest | None
    chain_problem: ChainProblem | None
    actions: list[Action]
    evidence_count: int
    earliest_clock: ChargeClock | None
    fees: CourtFeeSummary | None
    payment_order: list[Condition]
    enforcement: EnforcementClock | None = None  # the period to apply for enforcement
    settlement: Settlement | None = None
    plans: list[InstallmentPlan] = field(default_factory=list)
    claim: Claim | None = None  # the late-fee claim (cases.claims); None with claim_problem
    claim_problem: str = ""


PROVEN_LABEL = _("Proven (有凭证)")


def _with_proof(entries: list[EvidenceEntry], deliveries: dict[str, list[Delivery]]):
    """Each contact and delivery entry of a timeline page gets what its stored proof shows
    (``proof_label``, ``proven``) and the day the event happened (``happened_on``), beside
    the time it was recorded: one query for the page's contacts."""
    data = {entry.pk: json.loads(entry.body).get("data", {}) for entry in entries}
    by_id = {d.pk: d for rows in deliveries.values() for d in rows}
    contact_ids = {
        d["contact"]
        for e in entries
        if e.kind == EvidenceKind.CONTACT and isinstance(d := data[e.pk], dict) and "contact" in d
    }
    contacts = ContactAttempt.objects.in_bulk(list(contact_ids)) if contact_ids else {}
    for entry in entries:
        d = data[entry.pk]
        entry.proof_label, entry.proven, entry.happened_on = "", None, None
        if entry.kind == EvidenceKind.DELIVERY and d.get("delivery") in by_id:
            delivery = by_id[d["delivery"]]
            entry.proven = delivery.proven_served
            entry.proof_label = PROVEN_LABEL if entry.proven else ProofGrade.CLAIMED_UNPROVEN.label
            entry.happened_on = delivery.delivered_on
        elif entry.kind == EvidenceKind.CONTACT and d.get("contact") in contacts:
            contact = contacts[d["contact"]]
            entry.proven = contact.proof_grade not in (
                ProofGrade.CLAIMED_UNPROVEN,
                ProofGrade.NOTE_ONLY,
            )
            entry.proof_label = contact.get_proof_grade_display()
            entry.happened_on = timezone.localtime(contact.occurred_at).date()
    return entries


def case_page_for(user, case: Case, *, timeline_page=1, as_of: dt.date | None = None) -> CasePage:
    """Everything the case page shows. ``case`` must already be one ``user`` may see
    (``workflows.workspaces.access.case_or_404``)."""
    as_of = as_of or timezone.localdate()
    entries = EvidenceEntry.objects.filter(case=case).select_related("actor").order_by("-seq")
    deliveries: dict[str, list[Delivery]] = {}
    for delivery in Delivery.objects.filter(case=case).order_by("delivered_on", "id"):
        deliveries.setdefault(delivery.document_ref, []).append(delivery)
    documents = [
        DocumentRow(document=d, deliveries=deliveries.get(str(d.pk), []))
        for d in LegalDocument.objects.filter(case=case).order_by("-generated_at", "-id")
    ]
    approvals = list(
        ApprovalRequest.objects.filter(case=case)
        .select_related("requested_by", "approved_by")
        .order_by("-requested_at", "-id")[:20]
    )
    timeline = paginate(entries, timeline_page, TIMELINE_PAGE_SIZE)
    timeline.object_list = _with_proof(list(timeline.object_list), deliveries)
    clocks = {clock.charge_id: clock for clock in charge_clocks(case, as_of=as_of)}
    arrears = arrears_for_unit(case.unit, as_of=as_of)
    claim, claim_problem = None, ""
    try:
        claim = claim_for_case(case, as_of=as_of)
    except ValidationError as exc:  # e.g. the LPR cap with no LPR row in force
        claim_problem = " ".join(m for ms in exc.message_dict.values() for m in ms)
    return CasePage(
        case=case,
        as_of=as_of,
        arrears=arrears,
        settlement=Settlement(arrears=arrears, payments=payment_lines(case.unit)),
        plans=list(
            InstallmentPlan.objects.filter(case=case)
            .exclude(status__in=[InstallmentPlan.Status.PROPOSED, InstallmentPlan.Status.REJECTED])
            .prefetch_related("installments")
            .order_by("-requested_at", "-id")
        ),
        rows=arrears_rows(case, as_of=as_of, clocks=clocks),
        parties=party_contacts_for(user, case),
        call_scripts=call_scripts_for(case),
        timeline=timeline,
        documents=documents,
        approvals=approvals,
        pending_approval=next((a for a in approvals if a.status == ApprovalStatus.PENDING), None),
        chain_problem=evidence_status(case),
        actions=[Action(name, TRANSITIONS[name].label) for name in transitions_open_to(user, case)],
        evidence_count=timeline.paginator.count,
        earliest_clock=min(clocks.values(), key=lambda c: c.expires_on, default=None),
        fees=court_fee_summary(case, as_of=as_of) if claim else None,
        payment_order=payment_order_eligibility(case, as_of=as_of),
        enforcement=enforcement_clock_for(case, as_of=as_of),
        claim=claim,
        claim_problem=claim_problem,
    )


def case_file_visible(case: Case, sha256: str) -> bool:
    """Whether a stored file belongs to this case's evidence (a photo, recording, receipt,
    delivery proof or generated document named by one of its entries)."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        return False
    return EvidenceEntry.objects.filter(
        Q(file_sha256=sha256) | Q(body__contains=sha256), case=case
    ).exists()


def with_limitation(cases, *, as_of: dt.date | None = None) -> list[Case]:
    """The cases of a page, each with ``clock``: the earliest limitation expiry of its unit's
    unpaid charges (``cases.selectors.limitation.CaseClock``) or None."""
    cases = list(cases)
    clocks = earliest_expiry_by_case([c.pk for c in cases], as_of=as_of)
    for case in cases:
        case.clock = clocks.get(case.pk)
    return cases
