"""Applying a decision (called by the flows' nodes), the overdue flag and the daily
safety net."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Adjustment, Case, EvidenceEntry, EvidenceKind, InstallmentPlan, Stage
from cases.policy import court_case_number_refusal, remainder_text
from cases.selectors.ledger import arrears_for_unit, money
from cases.services.case import TransitionRefused, case_lock, case_transition, system_user
from cases.services.evidence import evidence_append
from cases.services.ledger import adjustment_record
from workflows.approvals.models import (
    ApprovalKind,
    ApprovalProcess,
    ApprovalRequest,
    ApprovalStatus,
)
from workflows.approvals.notify import managers_notify
from workflows.approvals.services.asking import withdrawal_process_start
from workflows.approvals.services.common import ApprovalError, _name, _today, logger


def _decision_params(request: ApprovalRequest) -> dict:
    return {
        "decision": request.status,
        "approval_request": request.pk,
        "approval_kind": request.kind,
        "approver": _name(request.approved_by),
        "requested_by": _name(request.requested_by),
        "comment": request.comment,
    }


def _decide_by_transition(request: ApprovalRequest, name: str, **extra) -> Case:
    """The decision moves the case: its transition entry is the decision's evidence."""
    case = case_transition(
        request.case,
        name,
        actor=request.approved_by,
        note=request.comment,
        **_decision_params(request),
        **extra,
    )
    request.decision_evidence = (
        EvidenceEntry.objects.filter(case=case, kind=EvidenceKind.TRANSITION)
        .order_by("-seq")
        .first()
    )
    request.save(update_fields=["decision_evidence"])
    return case


def _decide_by_entry(request: ApprovalRequest, *, summary: str, payload: dict | None = None):
    """The decision leaves the stage alone: one ``approval`` evidence entry records it."""
    locked = case_lock(request.case_id)
    entry = evidence_append(
        locked,
        kind=EvidenceKind.APPROVAL,
        actor=request.approved_by,
        summary=summary,
        payload={
            **_decision_params(request),
            "requested_at": timezone.localtime(request.requested_at).isoformat(),
            "reason": request.reason,
            **(payload or {}),
        },
    )
    request.decision_evidence = entry
    request.save(update_fields=["decision_evidence"])
    return entry


def _waive(request: ApprovalRequest, *, kind: str, amount, on) -> Adjustment:
    """One waiver of what remains, requested by the requester and approved by the manager,
    with its own ``adjustment`` evidence entry."""
    adjustment = adjustment_record(
        request.case.unit,
        kind=kind,
        amount=amount,
        effective_on=on,
        reason_category=Adjustment.ReasonCategory.DISPUTE_SETTLED,
        reason=_("Remainder waived with the withdrawal (request #%(id)s). %(comment)s")
        % {"id": request.pk, "comment": request.comment},
        requested_by=request.requested_by,
        approved_by=request.approved_by,
    )
    evidence_append(
        case_lock(request.case_id),
        kind=EvidenceKind.ADJUSTMENT,
        actor=request.approved_by,
        summary=_("%(kind)s of %(amount)s approved with the withdrawal")
        % {"kind": adjustment.get_kind_display(), "amount": amount},
        payload={
            "adjustment": adjustment.pk,
            "kind": kind,
            "amount": str(amount),
            "effective_on": on.isoformat(),
            "approval_request": request.pk,
            "requested_by": _name(request.requested_by),
            "approver": _name(request.approved_by),
        },
    )
    return adjustment


def withdrawal_apply(request: ApprovalRequest) -> None:
    """Approved withdrawal: ``withdrawal_pending → withdrawn`` as the deciding manager; after
    commit the existing receiver generates 撤诉申请书 (a lawsuit was filed) or 撤销律师函通知.

    When something remains today (``UnitArrears.paid_in_full`` is false), the manager must
    have chosen to waive it (``request.waive_remainder``): the remaining principal and late
    fee are waived (``adjustment_record``, requester and manager named, one ``adjustment``
    entry each) before the case moves, so it is paid in full and can close. Without that
    choice ``ValidationError`` names the remainder and nothing is written; a filed lawsuit or
    payment order without its court case number is refused the same way."""
    refusal = court_case_number_refusal(request.case)
    if refusal:
        raise ValidationError({"court_case_number": refusal})
    today = _today()
    arrears = arrears_for_unit(request.case.unit, as_of=today)
    waived = {}
    if not arrears.paid_in_full:
        if not request.waive_remainder:
            raise ValidationError(
                {
                    "waive_remainder": _(
                        "Not paid in full: %(what)s. Approve together with a waiver of it, "
                        "or reject to keep the case open."
                    )
                    % {"what": remainder_text(arrears.principal, arrears.late_fee_payable)}
                }
            )
        principal = money(arrears.principal)
        if principal > 0:
            waived["principal"] = _waive(
                request, kind=Adjustment.Kind.PRINCIPAL_WAIVER, amount=principal, on=today
            )
        if arrears.late_fee_payable > 0:
            waived["late_fee"] = _waive(
                request,
                kind=Adjustment.Kind.LATE_FEE_WAIVER,
                amount=arrears.late_fee_payable,
                on=today,
            )
    _decide_by_transition(
        request,
        "approve_withdrawal",
        waived={k: str(a.amount) for k, a in waived.items()},
        adjustments=[a.pk for a in waived.values()],
    )


def withdrawal_reject_apply(request: ApprovalRequest) -> None:
    """Rejected withdrawal: the case goes back to the stage it came from."""
    _decide_by_transition(request, "reject_withdrawal")


def approval_close_case(request: ApprovalRequest) -> bool:
    """After an approved withdrawal or write-off the system closes the case. When the close
    guard refuses (a withdrawal approved while money is still owed) the case stays where it
    is and the reason is logged; returns whether it closed."""
    try:
        case_transition(
            Case.objects.get(pk=request.case_id),
            "close",
            actor=system_user(),
            note=_("Closed after the approved %(kind)s (request #%(id)s)")
            % {"kind": request.get_kind_display(), "id": request.pk},
        )
    except TransitionRefused as exc:
        logger.info("case %s not closed after request %s: %s", request.case_id, request.pk, exc)
        return False
    return True


def waiver_apply(request: ApprovalRequest) -> Adjustment:
    """Approved waiver: ``adjustment_record`` (late-fee waiver, requester and approver
    named), one ``approval`` evidence entry, and after commit the 减免审批表 generated from the
    adjustment. Raises ``ValidationError`` when the late fee owed today is now smaller."""
    case = request.case
    adjustment = adjustment_record(
        case.unit,
        kind=Adjustment.Kind.LATE_FEE_WAIVER,
        amount=request.amount,
        effective_on=_today(),
        reason_category=request.reason_category,
        reason=request.reason,
        requested_by=request.requested_by,
        approved_by=request.approved_by,
    )
    request.adjustment = adjustment
    request.save(update_fields=["adjustment"])
    _decide_by_entry(
        request,
        summary=_("Late-fee waiver of %(amount)s approved") % {"amount": request.amount},
        payload={
            "amount": str(request.amount),
            "reason_category": request.reason_category,
            "adjustment": adjustment.pk,
            "good_faith": request.good_faith,
        },
    )
    from workflows.tasks_clock import approval_waiver_document

    request_id = request.pk
    transaction.on_commit(lambda: approval_waiver_document.delay(request_id))
    return adjustment


def installment_plan_apply(request: ApprovalRequest):
    """Approved plan: the plan is approved (decider and time) and now awaits the owner's
    signature — one ``approval`` evidence entry; after commit the 分期付款协议 is generated
    from the approved plan, for the owner to sign. The case stays where it is: only the
    signed agreement (``cases.services.plan.plan_sign``) starts the plan, moves the case to
    ``payment_plan`` and restarts the limitation period."""
    plan = InstallmentPlan.objects.select_for_update().get(pk=request.plan_id)
    if plan.status != InstallmentPlan.Status.PROPOSED:
        raise ApprovalError(
            _("Plan #%(id)s is %(status)s, not proposed.")
            % {"id": plan.pk, "status": plan.get_status_display()},
            case=request.case,
        )
    plan.status = InstallmentPlan.Status.APPROVED
    plan.approved_by = request.approved_by
    plan.decided_at = request.decided_at
    plan.save(update_fields=["status", "approved_by", "decided_at"])
    entry = _decide_by_entry(
        request,
        summary=_("Installment plan #%(id)s (%(total)s) approved, awaiting the owner's signature")
        % {"id": plan.pk, "total": plan.total},
        payload={
            "plan": plan.pk,
            "plan_total": str(plan.total),
            "installments": plan.installments.count(),
            "plan_status": plan.status,
        },
    )
    from legal_docs.kinds import DocumentKind
    from workflows.tasks import generate_document

    case_id, entry_id, actor_id = request.case_id, entry.pk, request.approved_by_id
    transaction.on_commit(
        lambda: generate_document.delay(
            case_id, entry_id, DocumentKind.INSTALLMENT_AGREEMENT, actor_id
        ),
        robust=True,
    )
    return entry


def write_off_apply(request: ApprovalRequest) -> Case:
    """Approved write-off: the case is written off as the deciding manager (then closed)."""
    return _decide_by_transition(request, "write_off")


def approval_reject_apply(request: ApprovalRequest) -> None:
    """Rejected waiver, plan or write-off: one ``approval`` evidence entry; a proposed plan
    is marked rejected."""
    if request.plan_id is not None:
        InstallmentPlan.objects.filter(
            pk=request.plan_id, status=InstallmentPlan.Status.PROPOSED
        ).update(
            status=InstallmentPlan.Status.REJECTED,
            approved_by=request.approved_by,
            decided_at=request.decided_at,
        )
    _decide_by_entry(
        request,
        summary=_("%(kind)s rejected: %(comment)s")
        % {"kind": request.get_kind_display(), "comment": request.comment},
    )


def approval_flag_overdue(process: ApprovalProcess) -> bool:
    """The decision has waited longer than the deadline: mark the process overdue, log a
    warning and email the whole manager group. Returns False when it already was overdue
    or was decided meanwhile."""
    request = process.request
    updated = ApprovalProcess.objects.filter(pk=process.pk, overdue=False).update(
        overdue=True, overdue_since=timezone.now()
    )
    if not updated or request.status != ApprovalStatus.PENDING:
        return False
    process.overdue = True
    waited = timezone.now() - request.requested_at
    subject = _("Overdue approval: %(kind)s for case #%(case)s") % {
        "kind": request.get_kind_display(),
        "case": request.case_id,
    }
    body = _(
        "Request #%(id)s (%(kind)s) for case #%(case)s, asked by %(who)s on %(when)s, has "
        "waited %(days)d days for a manager's decision."
    ) % {
        "id": request.pk,
        "kind": request.get_kind_display(),
        "case": request.case_id,
        "who": _name(request.requested_by),
        "when": timezone.localtime(request.requested_at).strftime("%Y-%m-%d %H:%M"),
        "days": waited.days,
    }
    logger.warning(body)
    managers_notify(subject, body)
    return True


def approvals_reconcile() -> dict[str, int]:
    """Daily safety net: start the withdrawal approval of any case left in
    ``withdrawal_pending`` without one (a lost message), and cancel pending withdrawal
    processes whose case left that stage by another path."""
    started = cancelled = 0
    waiting = ApprovalRequest.objects.filter(
        case=OuterRef("pk"), kind=ApprovalKind.WITHDRAWAL, status=ApprovalStatus.PENDING
    )
    pending_cases = Case.objects.filter(stage=Stage.WITHDRAWAL_PENDING).exclude(Exists(waiting))
    for case in pending_cases:
        entry = (
            EvidenceEntry.objects.filter(case=case, kind=EvidenceKind.TRANSITION)
            .order_by("-seq")
            .first()
        )
        if entry is None:
            continue
        request = withdrawal_process_start(case.pk, trigger_id=entry.pk, actor_id=entry.actor_id)
        if request is not None and request.is_pending:
            started += 1
    stale = ApprovalRequest.objects.filter(
        kind=ApprovalKind.WITHDRAWAL, status=ApprovalStatus.PENDING
    ).exclude(case__stage=Stage.WITHDRAWAL_PENDING)
    for request in stale:
        approval_cancel(request, reason=_("The case left “withdrawal pending” by another path."))
        cancelled += 1
    return {"started": started, "cancelled": cancelled}


def approval_cancel(request: ApprovalRequest, *, reason: str) -> None:
    """Cancel a pending request and its process (no decision, no evidence entry)."""
    process = ApprovalProcess.objects.filter(request=request).first()
    with transaction.atomic():
        updated = ApprovalRequest.objects.filter(
            pk=request.pk, status=ApprovalStatus.PENDING
        ).update(status=ApprovalStatus.CANCELLED, comment=reason)
        if updated and process is not None:
            process.flow_class.instance.cancel(process)
    logger.info("approval request %s cancelled: %s", request.pk, reason)
