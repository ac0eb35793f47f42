"""Asking a manager: withdrawal, late-fee waiver, installment plan, write-off."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from cases.models import Case, EvidenceEntry, Installment, InstallmentPlan, Stage
from cases.models.case import ESCALATION_STAGES, TRANSITIONS
from cases.permissions import user_may_work_case
from cases.policy import court_case_number_refusal
from cases.roles import Role, user_has_role
from cases.selectors.ledger import arrears_for_unit, late_fee_payable, money
from cases.services.case import CaseForbidden, case_lock, case_transition, system_user
from cases.services.plan import plan_charges_owed
from workflows.approvals.models import (
    WAIVER_REASONS,
    ApprovalKind,
    ApprovalProcess,
    ApprovalRequest,
    ApprovalStatus,
)
from workflows.approvals.services.common import ApprovalError, ApprovalForbidden, _today

MAX_INSTALLMENTS = 36


def _start_process(request: ApprovalRequest) -> ApprovalProcess:
    from workflows.approvals.flows import FLOW_OF_KIND  # flows call services, not the reverse

    return FLOW_OF_KIND[request.kind].start.run(request=request)


def _request_create(case: Case, *, kind: str, actor, **fields) -> ApprovalRequest:
    # transaction ensures the request and its process (the managers' task) exist together.
    with transaction.atomic():
        locked = case_lock(case.pk)
        if not locked.is_open:
            raise ApprovalError(_("Case #%(id)s is closed.") % {"id": locked.pk}, case=locked)
        waiting = ApprovalRequest.objects.filter(
            case=locked, kind=kind, status=ApprovalStatus.PENDING
        ).first()
        if waiting is not None:
            raise ApprovalError(
                _("Case #%(id)s already has a %(kind)s request waiting for a manager (#%(req)s).")
                % {"id": locked.pk, "kind": ApprovalKind(kind).label, "req": waiting.pk},
                case=locked,
            )
        request = ApprovalRequest.objects.create(
            kind=kind, case=locked, requested_by=actor, **fields
        )
        _start_process(request)
    return request


def _require_worker(case: Case, actor) -> None:
    if not user_may_work_case(actor, case):
        raise CaseForbidden(_("You are not assigned to case #%(id)s.") % {"id": case.pk}, case=case)


def withdrawal_request(case: Case, *, actor, reason: str) -> Case:
    """A legal officer asks to withdraw the lawyer letter or lawsuit: the case moves to
    ``withdrawal_pending`` (its transition evidence entry holds the reason) and, after
    commit, the withdrawal process starts with ``actor`` as the requester — the same path a
    paid case takes. Raises ``ValidationError`` without a reason, or on a filed lawsuit or
    payment order whose court case number is not recorded, and whatever
    ``case_transition`` raises (role, stage, guard)."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the case should be withdrawn.")})
    refusal = court_case_number_refusal(case)
    if refusal:
        raise ValidationError({"court_case_number": refusal})
    return case_transition(case, "request_withdrawal", actor=actor, note=reason.strip())


def withdrawal_process_start(
    case_id: int, *, trigger_id: int, actor_id: int | None
) -> ApprovalRequest | None:
    """Start the withdrawal approval of a case that entered ``withdrawal_pending`` with
    evidence entry ``trigger_id``. Idempotent: a redelivered call returns the request of the
    first; a case that is no longer pending gets none. The requester is the user who moved
    the case (the system user for a payment)."""
    existing = ApprovalRequest.objects.filter(trigger_id=trigger_id).first()
    if existing is not None:
        return existing
    trigger = EvidenceEntry.objects.get(pk=trigger_id, case_id=case_id)
    requester = (
        get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    ) or system_user()
    note = json.loads(trigger.body).get("data", {}).get("note", "")
    try:
        # transaction ensures the request and its process exist together.
        with transaction.atomic():
            locked = case_lock(case_id)
            if locked.stage != Stage.WITHDRAWAL_PENDING:
                return None
            waiting = ApprovalRequest.objects.filter(
                case=locked, kind=ApprovalKind.WITHDRAWAL, status=ApprovalStatus.PENDING
            ).first()
            if waiting is not None:
                return waiting
            request = ApprovalRequest.objects.create(
                kind=ApprovalKind.WITHDRAWAL,
                case=locked,
                requested_by=requester,
                reason=note,
                trigger=trigger,
            )
            _start_process(request)
    except IntegrityError:  # a concurrent delivery of the same start won
        return ApprovalRequest.objects.filter(trigger_id=trigger_id).first()
    return request


def _waiver_amount(raw, *, late_fee: Decimal, as_of: dt.date, case: Case) -> Decimal:
    if late_fee <= 0:
        raise ValidationError(
            {
                "amount": _("Case #%(id)s owes no late fee on %(date)s: there is nothing to waive.")
                % {"id": case.pk, "date": as_of.isoformat()}
            }
        )
    if raw is None or raw == "":
        return late_fee
    try:
        amount = Decimal(str(raw))
    except InvalidOperation as exc:
        raise ValidationError({"amount": _("“%(v)s” is not an amount.") % {"v": raw}}) from exc
    if amount <= 0:
        raise ValidationError({"amount": _("A waiver must be greater than zero.")})
    if amount != money(amount):
        raise ValidationError({"amount": _("An amount has at most two decimals (fen).")})
    if amount > late_fee:
        raise ValidationError(
            {
                "amount": _("%(amount)s exceeds the accrued late fee owed on %(date)s (%(owed)s).")
                % {"amount": amount, "date": as_of.isoformat(), "owed": late_fee}
            }
        )
    return amount


def waiver_request(
    case: Case,
    *,
    actor,
    reason_category: str,
    reason: str,
    good_faith: bool,
    amount: Decimal | str | None = None,
    as_of: dt.date | None = None,
) -> ApprovalRequest:
    """Ask a manager to waive all (``amount=None``) or part of the accrued late fee of a
    debtor who is not refusing in bad faith (``good_faith`` confirmed by the requester).

    Raises ``ValidationError`` naming the field for a reason category other than theft,
    quality defect, hardship, dispute settled or other, an empty reason, no good-faith
    confirmation, or an amount ≤ 0 or above the late fee owed today; ``CaseForbidden`` when
    ``actor`` does not work the case; ``ApprovalError`` when a waiver is already waiting.
    Starts the waiver process (the managers' task)."""
    as_of = as_of or _today()
    _require_worker(case, actor)
    errors: dict[str, str] = {}
    if reason_category not in dict(WAIVER_REASONS):
        errors["reason_category"] = _("Choose one of: %(choices)s.") % {
            "choices": ", ".join(str(label) for _v, label in WAIVER_REASONS)
        }
    if not reason.strip():
        errors["reason"] = _("Say why the late fee should be waived.")
    if not good_faith:
        errors["good_faith"] = _(
            "A late-fee waiver is only for a debtor who is not refusing to pay in bad faith "
            "(恶意欠费); confirm it, or do not ask for a waiver."
        )
    if errors:
        raise ValidationError(errors)
    late_fee = late_fee_payable(case.unit, as_of=as_of)
    waived = _waiver_amount(amount, late_fee=late_fee, as_of=as_of, case=case)
    return _request_create(
        case,
        kind=ApprovalKind.WAIVER,
        actor=actor,
        reason=reason.strip(),
        reason_category=reason_category,
        amount=waived,
        good_faith=True,
    )


def _installment_rows(installments: Iterable) -> list[tuple[int, dt.date, Decimal]]:
    rows = []
    for position, item in enumerate(installments, start=1):
        if isinstance(item, Mapping):
            number, due_date, amount = (
                item.get("number", position),
                item["due_date"],
                item["amount"],
            )
        elif len(item) == 3:
            number, due_date, amount = item
        else:
            (due_date, amount), number = item, position
        if isinstance(due_date, str):
            due_date = dt.date.fromisoformat(due_date)
        rows.append((int(number), due_date, Decimal(str(amount))))
    return rows


def _check_schedule(rows, *, as_of: dt.date) -> None:
    if not rows:
        raise ValidationError({"installments": _("A plan needs at least one installment.")})
    if len(rows) > MAX_INSTALLMENTS:
        raise ValidationError(
            {"installments": _("A plan has at most %(n)d installments.") % {"n": MAX_INSTALLMENTS}}
        )
    previous = None
    for index, (number, due_date, amount) in enumerate(rows, start=1):
        where = _("installment %(n)d") % {"n": index}
        if number != index:
            raise ValidationError(
                {
                    "installments": _("%(where)s is numbered %(got)d; number them 1, 2, 3 …")
                    % {"where": where, "got": number}
                }
            )
        if amount <= 0 or amount != money(amount):
            raise ValidationError(
                {
                    "installments": _("%(where)s: %(amount)s is not an amount > 0 in fen.")
                    % {"where": where, "amount": amount}
                }
            )
        if due_date < as_of:
            raise ValidationError(
                {
                    "installments": _("%(where)s is due on %(d)s, which is in the past.")
                    % {"where": where, "d": due_date.isoformat()}
                }
            )
        if previous is not None and due_date <= previous:
            raise ValidationError(
                {
                    "installments": _("%(where)s is due on %(d)s, not after the one before it.")
                    % {"where": where, "d": due_date.isoformat()}
                }
            )
        previous = due_date


def installment_plan_propose(
    case: Case, *, actor, installments: Iterable, reason: str, as_of: dt.date | None = None
) -> ApprovalRequest:
    """Propose an installment plan (分期付款) for a hardship household and ask a manager.

    ``installments``: (number, due date, amount) triples, ``{"number", "due_date",
    "amount"}`` mappings, or (due date, amount) pairs numbered in order. Together they must
    pay the whole debt — principal plus the late fee owed on ``as_of`` — to the cent,
    otherwise ``ValidationError`` says by how much they differ. Numbers run 1, 2, 3 …, due
    dates rise and none is in the past; ``reason`` (the hardship) is required. The plan is
    saved as proposed together with the request and its process."""
    as_of = as_of or _today()
    _require_worker(case, actor)
    if not reason.strip():
        raise ValidationError({"reason": _("Describe the household's hardship.")})
    if case.stage not in ESCALATION_STAGES:
        raise ApprovalError(
            _(
                "An installment plan can start only while the case is being escalated; "
                "case #%(id)s is at “%(stage)s”."
            )
            % {"id": case.pk, "stage": case.get_stage_display()},
            case=case,
        )
    rows = _installment_rows(installments)
    _check_schedule(rows, as_of=as_of)
    owed = arrears_for_unit(case.unit, as_of=as_of)
    principal, late_fee = money(owed.principal), money(owed.late_fee)
    debt = principal + late_fee
    total = sum((amount for _n, _d, amount in rows), Decimal(0))
    if total != debt:
        raise ValidationError(
            {
                "installments": _(
                    "The installments add up to %(total)s but the debt on %(date)s is %(debt)s "
                    "(principal %(principal)s + late fee %(late)s): they must be equal to the "
                    "cent (difference %(diff)s)."
                )
                % {
                    "total": total,
                    "date": as_of.isoformat(),
                    "debt": debt,
                    "principal": principal,
                    "late": late_fee,
                    "diff": debt - total,
                }
            }
        )
    # transaction ensures the plan, its schedule, the request and its process come together.
    with transaction.atomic():
        plan = InstallmentPlan.objects.create(
            case=case, total=total, reason=reason.strip(), requested_by=actor
        )
        Installment.objects.bulk_create(
            Installment(plan=plan, number=n, due_date=d, amount=a) for n, d, a in rows
        )
        plan.charges.set(plan_charges_owed(case, as_of=as_of))
        return _request_create(
            case,
            kind=ApprovalKind.INSTALLMENT_PLAN,
            actor=actor,
            reason=reason.strip(),
            amount=total,
            plan=plan,
        )


def write_off_request(case: Case, *, actor, reason: str) -> ApprovalRequest:
    """A legal officer or manager asks to write the case off (核销). Raises
    ``ApprovalForbidden`` for other roles, ``ValidationError`` without a reason,
    ``ApprovalError`` when the case cannot be written off from its stage."""
    if not (user_has_role(actor, Role.LEGAL_OFFICER) or user_has_role(actor, Role.MANAGER)):
        raise ApprovalForbidden(_("Only legal officers and managers ask for a write-off."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the debt cannot be recovered.")})
    if case.stage not in TRANSITIONS["write_off"].sources:
        raise ApprovalError(
            _("Case #%(id)s cannot be written off while at “%(stage)s”.")
            % {"id": case.pk, "stage": case.get_stage_display()},
            case=case,
        )
    return _request_create(case, kind=ApprovalKind.WRITE_OFF, actor=actor, reason=reason.strip())
