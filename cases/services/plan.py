"""Installment plans after the manager's approval: the owner's signature, and the plan's
progress (what was paid towards the plan's own charges)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Allocation, Case, InstallmentPlan, Unit
from cases.models.case import ESCALATION_STAGES
from cases.models.evidence import EvidenceKind
from cases.roles import Role
from cases.selectors.ledger import charge_balances, charge_late_fee_owed
from cases.services.case import (
    CaseError,
    CaseForbidden,
    _apply_transition,
    _store_attachments,
    case_lock,
    system_user,
)
from cases.services.evidence import evidence_append


def plan_charges_owed(case: Case, *, as_of: dt.date) -> list[int]:
    """The charges a plan proposed on ``as_of`` pays: those past due with principal or late
    fee still owed."""
    balances = charge_balances(Unit.objects.filter(pk=case.unit_id), as_of=as_of).filter(
        due_date__lt=as_of
    )
    return [c.pk for c in balances if c.outstanding_fen > 0 or charge_late_fee_owed(c) > Decimal(0)]


def plan_paid_towards(plan: InstallmentPlan, *, as_of: dt.date) -> Decimal:
    """The plan's progress on ``as_of``: payments made from the day it was proposed that
    went to the plan's own charges (their principal and late fee). A new monthly fee paid
    meanwhile does not count."""
    start = timezone.localtime(plan.requested_at).date()
    return Allocation.objects.filter(
        charge__in=plan.charges.all(),
        payment__isnull=False,
        payment__paid_on__gte=start,
        payment__paid_on__lte=as_of,
    ).aggregate(s=Sum("amount"))["s"] or Decimal(0)


def plan_complete(plan: InstallmentPlan, *, as_of: dt.date, paid: Decimal, actor=None) -> None:
    """Mark ``plan`` completed on ``as_of`` (its end, for the late-fee window) with one
    evidence entry on its case. The caller holds the plan row."""
    InstallmentPlan.objects.filter(pk=plan.pk).update(
        status=InstallmentPlan.Status.COMPLETED, ended_on=as_of
    )
    evidence_append(
        case_lock(plan.case_id),
        kind=EvidenceKind.APPROVAL,
        actor=actor or system_user(),
        summary=_("Installment plan #%(id)s completed: %(paid)s paid of %(total)s")
        % {"id": plan.pk, "paid": paid, "total": plan.total},
        payload={
            "plan": plan.pk,
            "plan_status": InstallmentPlan.Status.COMPLETED,
            "completed_on": as_of.isoformat(),
            "paid": str(paid),
            "total": str(plan.total),
        },
    )


def _may_record_signature(actor) -> bool:
    return bool(actor and actor.is_authenticated) and (
        actor.is_superuser
        or actor.groups.filter(name__in=[Role.LEGAL_OFFICER, Role.MANAGER]).exists()
    )


@transaction.atomic
def plan_sign(
    plan: InstallmentPlan,
    *,
    actor,
    signed_on: dt.date | None,
    scan,
    scan_name: str = "",
) -> InstallmentPlan:
    """Record that the owner signed the approved installment agreement on ``signed_on``,
    with the signed scan (a PDF or photo, stored by its hash).

    Rule: an approved plan binds the owner only once signed. The signing date is not before
    the manager's approval and not in the future; the scan is required. The plan becomes
    ``signed`` (in force) and the case moves to ``payment_plan`` (one transition entry
    carrying the date and the scan); the limitation period restarts from ``signed_on``.
    Raises ``CaseForbidden`` unless the actor is a legal officer or manager, ``CaseError``
    when the plan is not awaiting its signature or the case left the escalation stages,
    ``ValidationError`` naming ``signed_on`` or ``signed_scan``. Writes nothing then."""
    if not _may_record_signature(actor):
        raise CaseForbidden(_("Only legal officers and managers record a signed agreement."))
    locked = case_lock(plan.case_id)
    plan = InstallmentPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status != InstallmentPlan.Status.APPROVED:
        raise CaseError(
            _("Plan #%(id)s is “%(status)s”, not awaiting its signature.")
            % {"id": plan.pk, "status": plan.get_status_display()},
            case=locked,
        )
    approved_on = timezone.localtime(plan.decided_at).date()
    today = timezone.localdate()
    if signed_on is None:
        raise ValidationError({"signed_on": _("Enter the day the owner signed.")})
    if signed_on < approved_on:
        raise ValidationError(
            {
                "signed_on": _("The signing date %(d)s is before the plan was approved on %(a)s.")
                % {"d": signed_on.isoformat(), "a": approved_on.isoformat()}
            }
        )
    if signed_on > today:
        raise ValidationError(
            {
                "signed_on": _("The signing date %(d)s is in the future (today is %(t)s).")
                % {"d": signed_on.isoformat(), "t": today.isoformat()}
            }
        )
    if not scan:
        raise ValidationError({"signed_scan": _("Attach the scan of the signed agreement.")})
    if locked.stage not in ESCALATION_STAGES:
        raise CaseError(
            _("Case #%(id)s is at “%(stage)s”: an installment plan can no longer start.")
            % {"id": locked.pk, "stage": locked.get_stage_display()},
            case=locked,
        )
    try:
        [(_kind, stored, name)] = _store_attachments([("document", scan, scan_name)])
    except ValidationError as exc:
        raise ValidationError({"signed_scan": exc.messages}) from exc
    plan.status = InstallmentPlan.Status.SIGNED
    plan.signed_on = signed_on
    plan.signed_scan = stored
    plan.signature_recorded_by = actor
    plan.save(update_fields=["status", "signed_on", "signed_scan", "signature_recorded_by"])
    _apply_transition(
        locked,
        "start_payment_plan",
        actor=actor,
        evidence_actor=actor,
        as_of=today,
        note=_("Installment agreement signed by the owner on %(d)s") % {"d": signed_on},
        payload={
            "plan": plan.pk,
            "plan_total": str(plan.total),
            "installments": plan.installments.count(),
            "signed_on": signed_on.isoformat(),
            "signed_scan": stored.sha256,
            "scan_name": name,
        },
        files=(stored.sha256,),
    )
    return plan
