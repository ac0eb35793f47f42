"""The daily sweep: open cases, move paid ones, flag broken promises, and mark which cases
may take their next step and why. Figures come from set-based queries; only the cases that
actually change are locked and written, each with its own evidence entry. Running it twice
on the same day changes nothing the second time."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.db import bulk_update_rows
from cases.models import Case, ContactAttempt, Delivery, Estate, Payment, Unit
from cases.models.case import (
    LEGAL_STAGES,
    PAUSED_STAGES,
    PRE_LEGAL_STAGES,
    TRANSITIONS,
    LitigationKind,
    Stage,
)
from cases.models.contact import Letter, PromiseStatus
from cases.models.evidence import GENESIS_HASH, EvidenceEntry, EvidenceKind
from cases.policy import (
    DOCUMENTED_CONTACT,
    GUARDS,
    CaseFacts,
    always,
    payment_step,
    proven_deadlines,
)
from cases.selectors.ledger import UnitArrears, arrears_as_of
from cases.services.case import CaseError, _apply_transition, case_lock, system_user
from cases.services.evidence import build_entry, evidence_append

# The step each stage looks forward to.
NEXT_STEP = {
    Stage.NEW: "start_reminding",
    Stage.REMINDING: "issue_demand",
    Stage.DEMAND_LETTER: "issue_lawyer_letter",
    Stage.LAWYER_LETTER: "file_litigation",
    Stage.JUDGMENT: "apply_enforcement",
}
SEGMENT_WEIGHT = {"shop": 100, "villa": 80, "vacant": 60, "occupied": 40}
OPEN_BATCH = 2000


@dataclass
class SweepReport:
    as_of: dt.date
    opened: int = 0
    settled: int = 0
    withdrawal_requested: int = 0
    closed: int = 0
    promises_kept: int = 0
    promises_broken: int = 0
    marked: int = 0
    eligible: int = 0
    open_cases: int = 0
    errors: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def changed(self) -> int:
        return (
            self.opened
            + self.settled
            + self.withdrawal_requested
            + self.closed
            + self.promises_kept
            + self.promises_broken
            + self.marked
        )

    def lines(self) -> list[str]:
        return [
            _("Sweep as of %(d)s") % {"d": self.as_of.isoformat()},
            _("cases opened: %(n)d") % {"n": self.opened},
            _("settled (paid before a lawyer letter): %(n)d") % {"n": self.settled},
            _("withdrawal requested (paid after a lawyer letter): %(n)d")
            % {"n": self.withdrawal_requested},
            _("closed: %(n)d") % {"n": self.closed},
            _("promises kept / broken: %(k)d / %(b)d")
            % {"k": self.promises_kept, "b": self.promises_broken},
            _("open cases: %(n)d, eligible for their next step: %(e)d, re-marked: %(m)d")
            % {"n": self.open_cases, "e": self.eligible, "m": self.marked},
        ]


def priority_score(principal: Decimal, days_overdue: int, segment: str, eligible: bool) -> int:
    """Higher first: amount (1 point per 100 CNY, at most 400), age (1 per 3 days, at most
    365), segment (shops and villas first), and 100 when the next step is possible."""
    amount = min(int(principal // 100), 400)
    age = min(days_overdue, 1095) // 3
    return amount + age + SEGMENT_WEIGHT.get(segment, 40) + (100 if eligible else 0)


def _open_new_cases(arrears: dict[int, UnitArrears], *, as_of, actor, report) -> None:
    grace = dict(Unit.objects.values_list("id", "estate__grace_days"))
    has_open = set(Case.objects.exclude(stage=Stage.CLOSED).values_list("unit_id", flat=True))
    to_open = sorted(
        uid
        for uid, a in arrears.items()
        if a.principal > 0 and uid not in has_open and a.days_overdue > grace.get(uid, 0)
    )
    for start in range(0, len(to_open), OPEN_BATCH):
        batch = to_open[start : start + OPEN_BATCH]
        # transaction ensures each new case has its first evidence entry or does not exist.
        with transaction.atomic():
            cases = Case.objects.bulk_create(Case(unit_id=uid, opened_on=as_of) for uid in batch)
            now = timezone.now()
            EvidenceEntry.objects.bulk_create(
                build_entry(
                    case_id=case.pk,
                    seq=1,
                    prev_hash=GENESIS_HASH,
                    kind=EvidenceKind.OPENED,
                    actor=actor,
                    at=now,
                    summary=_("Case opened by the daily sweep"),
                    payload={
                        "unit": case.unit_id,
                        "principal": str(arrears[case.unit_id].principal),
                        "oldest_due_date": arrears[case.unit_id].oldest_due_date.isoformat(),
                        "as_of": as_of.isoformat(),
                    },
                )
                for case in cases
            )
        report.opened += len(cases)


def _move_paid_cases(arrears, *, as_of, actor, report) -> None:
    # A manager who rejected a withdrawal is not asked again by the sweep; a new payment does.
    candidates = (
        Case.objects.filter(stage__in=PRE_LEGAL_STAGES + LEGAL_STAGES + PAUSED_STAGES)
        .exclude(withdrawal_rejected=True)
        .values_list("id", "unit_id", "stage", "return_stage")
    )
    for case_id, unit_id, stage, return_stage in candidates:
        step = payment_step(stage, return_stage, arrears.get(unit_id))
        if step is None:
            continue
        try:
            with transaction.atomic():
                locked = case_lock(case_id)
                step = payment_step(locked.stage, locked.return_stage, arrears.get(unit_id))
                if step is None:
                    continue
                _apply_transition(
                    locked,
                    step,
                    actor=actor,
                    evidence_actor=actor,
                    as_of=as_of,
                    note=_("Paid in full (daily sweep)")
                    if step == "settle"
                    else _("Principal paid (daily sweep)"),
                )
        except CaseError as exc:
            report.errors.append(f"case {case_id}: {exc.message}")
            continue
        if step == "settle":
            report.settled += 1
        else:
            report.withdrawal_requested += 1


def _close_settled(*, as_of, actor, report) -> None:
    for case_id in Case.objects.filter(stage=Stage.SETTLED).values_list("id", flat=True):
        try:
            with transaction.atomic():
                _apply_transition(
                    case_lock(case_id),
                    "close",
                    actor=actor,
                    evidence_actor=actor,
                    as_of=as_of,
                    note=_("Settled case closed by the daily sweep"),
                )
        except CaseError as exc:  # e.g. new arrears arrived since it settled
            report.errors.append(f"case {case_id}: {exc.message}")
            continue
        report.closed += 1


def _settle_promises(*, as_of, actor, report) -> None:
    paid_since = (
        Payment.objects.filter(
            unit_id=OuterRef("case__unit_id"),
            paid_on__gte=OuterRef("occurred_at__date"),
            paid_on__lte=OuterRef("promised_on"),
        )
        .order_by()
        .values("unit_id")
        .annotate(s=Sum("amount"))
        .values("s")
    )
    due = (
        ContactAttempt.objects.filter(promise_status=PromiseStatus.OPEN, promised_on__lt=as_of)
        .annotate(paid=Coalesce(Subquery(paid_since), Decimal(0)))
        .values_list("id", "case_id", "promised_on", "promised_amount", "paid")
    )
    for contact_id, case_id, promised_on, promised_amount, paid in due:
        kept = paid >= promised_amount
        with transaction.atomic():
            locked = case_lock(case_id)
            updated = ContactAttempt.objects.filter(
                pk=contact_id, promise_status=PromiseStatus.OPEN
            ).update(promise_status=PromiseStatus.KEPT if kept else PromiseStatus.BROKEN)
            if not updated:
                continue
            evidence_append(
                locked,
                kind=EvidenceKind.PROMISE_KEPT if kept else EvidenceKind.PROMISE_BROKEN,
                actor=actor,
                summary=(
                    _("Promise to pay %(a)s by %(d)s kept")
                    if kept
                    else _("Promise to pay %(a)s by %(d)s broken")
                )
                % {"a": promised_amount, "d": promised_on.isoformat()},
                payload={
                    "contact": contact_id,
                    "promised_on": promised_on.isoformat(),
                    "promised_amount": str(promised_amount),
                    "paid": str(paid),
                },
            )
        if kept:
            report.promises_kept += 1
        else:
            report.promises_broken += 1


def _litigation_step(case: Case) -> str:
    """The next step inside litigation: a payment order is served, then becomes effective
    unless the debtor objects (then it is a lawsuit: summons, judgment)."""
    if case.litigation_kind == LitigationKind.PAYMENT_ORDER and case.objected_on is None:
        if case.payment_order_served_on is None:
            return "record_payment_order_service"
        return "payment_order_effective"
    return "record_summons" if case.summons_served_on is None else "record_judgment"


def _mark_eligibility(arrears, *, as_of, report) -> None:
    estates = {e.pk: e for e in Estate.objects.all()}
    contacts = {
        row["case_id"]: row
        for row in ContactAttempt.objects.filter(DOCUMENTED_CONTACT)
        .values("case_id")
        .annotate(n=Count("id"), channels=Count("channel", distinct=True))
    }
    deadlines = {
        case_id: {
            "demand": served.get(Letter.DEMAND_LETTER),
            "lawyer": served.get(Letter.LAWYER_LETTER),
        }
        for case_id, served in proven_deadlines(Delivery.objects.all()).items()
    }
    fields = [
        "swept_on",
        "principal_snapshot",
        "days_overdue_snapshot",
        "next_step",
        "next_step_eligible",
        "next_step_reason",
        "priority",
    ]
    changed: list[Case] = []
    cases = (
        Case.objects.exclude(stage=Stage.CLOSED)
        .select_related("unit")
        .only(
            "id",
            "stage",
            "return_stage",
            "filed_on",
            "summons_served_on",
            "litigation_kind",
            "payment_order_served_on",
            "objection_deadline",
            "objected_on",
            "unit__segment",
            "unit__estate_id",
            *fields,
        )
    )
    for case in cases.iterator(chunk_size=5000):
        report.open_cases += 1
        owed = arrears.get(case.unit_id)
        principal = owed.principal if owed else Decimal(0)
        days = owed.days_overdue if owed else 0
        step = NEXT_STEP.get(case.stage, "")
        if case.stage == Stage.LITIGATION:
            step = _litigation_step(case)
        eligible, reason = False, ""
        if step:
            c = contacts.get(case.pk, {})
            d = deadlines.get(case.pk, {})
            facts = CaseFacts(
                as_of=as_of,
                stage=case.stage,
                return_stage=case.return_stage,
                segment=case.unit.segment,
                principal=principal,
                days_overdue=days,
                remainder=owed.remainder if owed else Decimal(0),
                late_fee_owed=owed.late_fee_payable if owed else Decimal(0),
                contacts_while_reminding=c.get("n", 0),
                channels_while_reminding=c.get("channels", 0),
                demand_deadline=d.get("demand"),
                lawyer_letter_deadline=d.get("lawyer"),
                filed_on=case.filed_on,
                summons_served_on=case.summons_served_on,
                litigation_kind=case.litigation_kind,
                payment_order_served_on=case.payment_order_served_on,
                objection_deadline=case.objection_deadline,
                objected_on=case.objected_on,
            )
            verdict = GUARDS.get(step, always)(facts, estates[case.unit.estate_id])
            eligible = verdict.ok
            reason = (
                f"{TRANSITIONS[step].label}: {verdict.reason}"
                if verdict.reason
                else str(TRANSITIONS[step].label)
            )
        values = {
            "swept_on": as_of,
            "principal_snapshot": principal.quantize(Decimal("0.01")),
            "days_overdue_snapshot": days,
            "next_step": step,
            "next_step_eligible": eligible,
            "next_step_reason": reason,
            "priority": priority_score(principal, days, case.unit.segment, eligible),
        }
        report.eligible += eligible
        if any(getattr(case, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(case, k, v)
            changed.append(case)
    bulk_update_rows(changed, fields)
    report.marked = len(changed)


def sweep_run(
    *,
    as_of: dt.date | None = None,
    actor=None,
    progress: Callable[[str], None] | None = None,
) -> SweepReport:
    """Run the daily sweep for every estate as of ``as_of`` (today by default)."""
    as_of = as_of or timezone.localdate()
    actor = actor or system_user()
    report = SweepReport(as_of=as_of)
    say = progress or (lambda _msg: None)
    clock = time.perf_counter()

    def phase(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        report.seconds[name] = round(now - clock, 3)
        clock = now

    say(_("computing arrears…"))
    arrears = arrears_as_of(None, as_of=as_of, breakdown=False)
    phase("arrears")
    say(_("moving paid cases…"))
    _move_paid_cases(arrears, as_of=as_of, actor=actor, report=report)
    _close_settled(as_of=as_of, actor=actor, report=report)
    phase("paid")
    say(_("opening cases…"))  # after closing, so new arrears of a settled unit get a case
    _open_new_cases(arrears, as_of=as_of, actor=actor, report=report)
    phase("open")
    say(_("checking promises to pay…"))
    _settle_promises(as_of=as_of, actor=actor, report=report)
    phase("promises")
    say(_("marking next steps…"))
    _mark_eligibility(arrears, as_of=as_of, report=report)
    phase("mark")
    return report
