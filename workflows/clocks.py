"""Services the periodic tasks run (DESIGN.md section 7: long waits are due dates in the
database, claimed by a periodic task — never long countdowns or ETAs).

- ``claim``: ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two workers running the
  same periodic task at once each take different rows; on SQLite (one writer at a time
  anyway) the plain selection.
- ``installments_check``: a signed plan whose installment is unpaid more than the
  estate's ``installment_default_days`` after its due date defaults (the case goes back to its
  earlier stage, with evidence); a plan whose own charges are paid up to its total is marked
  completed (with an evidence entry).
- ``deadlines_expire``: a served demand or lawyer letter whose deadline has passed makes its
  case eligible for the next step today, not at the next sweep.
- ``payment_orders_effective``: a payment order served more than 15 days ago with no
  objection becomes effective (judgment stage, enforcement may follow).
- ``evidence_verify_and_alert``: the nightly chain check; a broken chain is logged at ERROR,
  stored as an open ``SystemAlert`` and emailed to the managers.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connections, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Case, Delivery, InstallmentPlan, LitigationKind, Stage
from cases.models.case import TRANSITIONS
from cases.models.contact import SERVED_STATUSES, Letter
from cases.policy import guard_for
from cases.services.case import CaseError, case_transition, system_user
from cases.services.evidence import ChainProblem, evidence_verify
from cases.services.plan import plan_complete, plan_paid_towards
from cases.services.sweep import NEXT_STEP, priority_score
from workflows.approvals.models import SystemAlert
from workflows.approvals.notify import managers_notify

logger = logging.getLogger("workflows.clocks")


def claim(queryset: QuerySet) -> QuerySet:
    """Lock the selected rows for the rest of the transaction, skipping rows another
    transaction holds (PostgreSQL: ``FOR UPDATE SKIP LOCKED``, only the queryset's own table).
    SQLite has no row locks and serialises writers: the plain selection there."""
    features = connections[queryset.db].features
    if not features.has_select_for_update_skip_locked:
        return queryset
    of = ("self",) if features.has_select_for_update_of else ()
    return queryset.select_for_update(skip_locked=True, of=of)


# --- installment plans -------------------------------------------------------------------


@dataclass
class InstallmentReport:
    as_of: dt.date
    checked: int = 0
    defaulted: int = 0
    completed: int = 0
    errors: list[str] = field(default_factory=list)


def _first_defaulted(plan: InstallmentPlan, *, paid: Decimal, as_of: dt.date, grace: int):
    """The first installment more than ``grace`` days past due and not covered by ``paid``."""
    due_so_far = Decimal(0)
    for installment in plan.installments.order_by("number"):
        due_so_far += installment.amount
        if installment.due_date + dt.timedelta(days=grace) < as_of and paid < due_so_far:
            return installment, due_so_far
    return None, None


def _check_plan(plan: InstallmentPlan, *, as_of: dt.date, actor, report) -> None:
    case = plan.case
    paid = plan_paid_towards(plan, as_of=as_of)
    if paid >= plan.total:
        plan_complete(plan, as_of=as_of, paid=paid, actor=actor)
        report.completed += 1
        return
    if case.stage != Stage.PAYMENT_PLAN:
        return
    grace = case.unit.estate.installment_default_days
    installment, due_so_far = _first_defaulted(plan, paid=paid, as_of=as_of, grace=grace)
    if installment is None:
        return
    case_transition(
        case,
        "default_payment_plan",
        actor=actor,
        as_of=as_of,
        note=_(
            "Installment %(n)d (%(amount)s, due %(due)s) unpaid more than %(days)d days after "
            "its due date: %(paid)s paid of %(owed)s due so far."
        )
        % {
            "n": installment.number,
            "amount": installment.amount,
            "due": installment.due_date.isoformat(),
            "days": grace,
            "paid": paid,
            "owed": due_so_far,
        },
        plan=plan.pk,
        installment=installment.number,
        installment_due_date=installment.due_date.isoformat(),
        paid=paid,
        due_so_far=due_so_far,
    )
    InstallmentPlan.objects.filter(pk=plan.pk).update(
        status=InstallmentPlan.Status.DEFAULTED, ended_on=as_of
    )
    report.defaulted += 1


def installments_check(*, as_of: dt.date | None = None) -> InstallmentReport:
    """Check every signed installment plan as of ``as_of`` (today by default). Each plan
    is claimed (skip locked) in its own transaction, so concurrent checkers never handle
    the same plan and a refused default leaves the others unaffected. Running it twice on a
    day changes nothing the second time."""
    as_of = as_of or timezone.localdate()
    report = InstallmentReport(as_of=as_of)
    actor = system_user()
    ids = list(
        InstallmentPlan.objects.filter(status=InstallmentPlan.Status.SIGNED).values_list(
            "id", flat=True
        )
    )
    for plan_id in ids:
        try:
            with transaction.atomic():
                plan = (
                    claim(
                        InstallmentPlan.objects.filter(
                            pk=plan_id, status=InstallmentPlan.Status.SIGNED
                        )
                    )
                    .select_related("case__unit__estate")
                    .first()
                )
                if plan is None:  # another checker has it, or it changed meanwhile
                    continue
                report.checked += 1
                _check_plan(plan, as_of=as_of, actor=actor, report=report)
        except CaseError as exc:
            report.errors.append(f"plan {plan_id}: {exc.message}")
    return report


# --- deadlines of served letters ---------------------------------------------------------

LETTER_OF_STAGE = {
    Stage.DEMAND_LETTER: Letter.DEMAND_LETTER,
    Stage.LAWYER_LETTER: Letter.LAWYER_LETTER,
}


def deadlines_expire(*, as_of: dt.date | None = None) -> int:
    """Re-mark, as of ``as_of``, the next step of every case whose served demand letter (at
    the demand stage) or lawyer letter (at the lawyer-letter stage) has an expired deadline
    and that is not yet marked eligible. Same guard, reason and priority as the sweep's
    marking step; returns how many cases changed."""
    as_of = as_of or timezone.localdate()
    changed = 0
    for stage, letter in LETTER_OF_STAGE.items():
        expired = Delivery.objects.filter(
            case=OuterRef("pk"),
            letter=letter,
            status__in=SERVED_STATUSES,
            deadline__lt=as_of,
        )
        cases = (
            Case.objects.filter(stage=stage, next_step_eligible=False)
            .filter(Exists(expired))
            .select_related("unit__estate")
        )
        step = NEXT_STEP[stage]
        for case in cases:
            verdict = guard_for(step)(case, as_of=as_of)
            label = TRANSITIONS[step].label
            reason = f"{label}: {verdict.reason}" if verdict.reason else str(label)
            priority = priority_score(
                case.principal_snapshot, case.days_overdue_snapshot, case.unit.segment, verdict.ok
            )
            changed += Case.objects.filter(pk=case.pk, stage=stage).update(
                next_step=step,
                next_step_eligible=verdict.ok,
                next_step_reason=reason,
                priority=priority,
            )
    return changed


# --- payment orders: the 15-day objection period ----------------------------------------


@dataclass
class PaymentOrderReport:
    as_of: dt.date
    effective: int = 0
    errors: list[str] = field(default_factory=list)


def payment_orders_effective(*, as_of: dt.date | None = None) -> PaymentOrderReport:
    """Every payment order served more than 15 days ago without an objection becomes
    effective (the case moves to the judgment stage; enforcement may be applied for). Each
    case is claimed (skip locked) in its own transaction and moved by the case service (one
    evidence entry); running it twice on a day changes nothing the second time."""
    as_of = as_of or timezone.localdate()
    report = PaymentOrderReport(as_of=as_of)
    actor = system_user()
    due = Case.objects.filter(
        stage=Stage.LITIGATION,
        litigation_kind=LitigationKind.PAYMENT_ORDER,
        objected_on__isnull=True,
        objection_deadline__lt=as_of,
    )
    for case_id in list(due.values_list("id", flat=True)):
        try:
            with transaction.atomic():
                case = claim(due.filter(pk=case_id)).first()
                if case is None:  # another worker has it, or it changed meanwhile
                    continue
                case_transition(case, "payment_order_effective", actor=actor, as_of=as_of)
                report.effective += 1
        except CaseError as exc:
            report.errors.append(f"case {case_id}: {exc.message}")
    return report


# --- the evidence chain ------------------------------------------------------------------


def evidence_verify_and_alert() -> list[ChainProblem]:
    """Verify every evidence chain and file. Each broken chain is logged at ERROR and kept
    as an open ``SystemAlert`` (one per broken entry, its ``last_seen_at`` refreshed on every
    run); when anything is broken the managers get one email listing it all."""
    problems = evidence_verify()
    now = timezone.now()
    for problem in problems:
        logger.error("evidence chain broken: %s", problem)
        key = f"case-{problem.case_id}-seq-{problem.seq}"
        seen = SystemAlert.objects.filter(
            kind=SystemAlert.Kind.EVIDENCE_CHAIN_BROKEN, key=key, resolved_at__isnull=True
        ).update(last_seen_at=now)
        if not seen:
            SystemAlert.objects.create(
                kind=SystemAlert.Kind.EVIDENCE_CHAIN_BROKEN,
                key=key,
                case_id=problem.case_id,
                message=str(problem),
                details={"case": problem.case_id, "seq": problem.seq, "reason": problem.reason},
                last_seen_at=now,
            )
    if problems:
        managers_notify(
            _("Evidence chain broken on %(n)d case(s)") % {"n": len(problems)},
            "\n".join(
                [_("The nightly verification found these broken evidence chains:"), ""]
                + [f"- {problem}" for problem in problems]
            ),
        )
    return problems
