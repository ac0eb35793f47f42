"""Deciding: the manager takes the task, approves or rejects with a comment."""

from __future__ import annotations

from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.status import STATUS

from workflows.approvals.models import ApprovalProcess, ApprovalRequest, ApprovalStatus
from workflows.approvals.services.common import (
    APPROVE_PERMISSION,
    ApprovalError,
    ApprovalForbidden,
    SelfApprovalRefused,
    _name,
)


def _check_may_decide(request: ApprovalRequest, actor) -> None:
    if actor is None or not actor.is_authenticated:
        raise ApprovalForbidden(_("Log in to decide."))
    if actor.pk == request.requested_by_id:
        raise SelfApprovalRefused(
            _(
                "You asked for this %(kind)s yourself (request #%(id)s); another manager must "
                "decide it."
            )
            % {"kind": request.get_kind_display(), "id": request.pk},
            case=request.case,
        )
    if not actor.has_perm(APPROVE_PERMISSION):
        raise ApprovalForbidden(_("Only managers decide approval requests."), case=request.case)


def decision_task(request: ApprovalRequest):
    """The open decision task of the request's process (viewflow ``Task``), or ``None``."""
    process = ApprovalProcess.objects.filter(request=request).first()
    if process is None:
        return None
    return (
        process.task_set.filter(flow_task_type="HUMAN", status__in=[STATUS.NEW, STATUS.ASSIGNED])
        .order_by("-id")
        .first()
    )


def _open_task(request: ApprovalRequest):
    task = decision_task(request)
    if task is None:
        raise ApprovalError(
            _("Request #%(id)s is not waiting for a decision (%(status)s).")
            % {"id": request.pk, "status": request.get_status_display()},
            case=request.case,
        )
    return task


@contextmanager
def _locked(task, request: ApprovalRequest):
    """The task's activation under the process lock, still open once the lock is held (a
    concurrent decision may have closed it while this one waited)."""
    try:
        with task.activation() as activation:
            if task.status not in (STATUS.NEW, STATUS.ASSIGNED):
                raise ApprovalError(
                    _("Request #%(id)s was decided meanwhile.") % {"id": request.pk},
                    case=request.case,
                )
            yield activation
    except FlowLockFailed as exc:
        raise ApprovalError(
            _("Someone else is deciding request #%(id)s right now; try again.")
            % {"id": request.pk},
            case=request.case,
        ) from exc


def approval_assign(request: ApprovalRequest, *, actor):
    """Take the request's decision task into ``actor``'s inbox (viewflow assign). Raises
    ``SelfApprovalRefused``/``ApprovalForbidden`` as deciding would, ``ApprovalError`` when
    another manager has it."""
    _check_may_decide(request, actor)
    task = _open_task(request)
    with _locked(task, request) as activation:
        if task.status == STATUS.ASSIGNED and task.owner_id == actor.pk:
            return task
        if not activation.flow_task.can_assign(actor, task):
            raise ApprovalError(
                _("Request #%(id)s is already with %(owner)s.")
                % {"id": request.pk, "owner": _name(task.owner)},
                case=request.case,
            )
        activation.assign(actor)
    return task


def approval_record_decision(
    request: ApprovalRequest,
    *,
    actor,
    approve: bool,
    comment: str = "",
    waive_remainder: bool = False,
) -> ApprovalRequest:
    """Record ``actor``'s decision on a pending request; the flow applies it next, in the
    same transaction. Raises ``SelfApprovalRefused`` for the requester, ``ApprovalForbidden``
    without ``approvals.can_approve``, ``ApprovalError`` when already decided,
    ``ValidationError`` for a rejection without a comment. ``waive_remainder`` (withdrawals):
    approve together with a waiver of whatever is still owed."""
    _check_may_decide(request, actor)
    if not approve and not comment.strip():
        raise ValidationError({"comment": _("Say why the request is rejected.")})
    with transaction.atomic():
        locked = ApprovalRequest.objects.select_for_update().get(pk=request.pk)
        if locked.status != ApprovalStatus.PENDING:
            raise ApprovalError(
                _("Request #%(id)s was already decided (%(status)s).")
                % {"id": locked.pk, "status": locked.get_status_display()},
                case=request.case,
            )
        locked.status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED
        locked.approved_by = actor
        locked.decided_at = timezone.now()
        locked.comment = comment.strip()
        locked.waive_remainder = bool(approve and waive_remainder)
        fields = ["status", "approved_by", "decided_at", "comment", "waive_remainder"]
        locked.save(update_fields=fields)
    for field in fields:
        setattr(request, field, getattr(locked, field))
    return request


def approval_decide(
    request: ApprovalRequest,
    *,
    actor,
    approve: bool,
    comment: str = "",
    waive_remainder: bool = False,
) -> ApprovalRequest:
    """Decide ``request`` as ``actor`` — what the decision form does, for code and tests.

    Takes the task when nobody has it, records the decision and runs the flow on (the
    transition, adjustment, plan, evidence entry, documents after commit) under the process
    lock in one transaction: when applying the decision fails, nothing is recorded and the
    error is raised. Refusals as ``approval_record_decision``."""
    _check_may_decide(request, actor)
    task = _open_task(request)
    with _locked(task, request) as activation:
        if task.status == STATUS.NEW:
            if not activation.flow_task.can_assign(actor, task):
                raise ApprovalForbidden(_("Only managers decide approval requests."))
            activation.assign(actor)
        elif task.owner_id != actor.pk:
            raise ApprovalError(
                _("Request #%(id)s is assigned to %(owner)s.")
                % {"id": request.pk, "owner": _name(task.owner)},
                case=request.case,
            )
        activation.start(None)
        approval_record_decision(
            request,
            actor=actor,
            approve=approve,
            comment=comment,
            waive_remainder=waive_remainder,
        )
        activation.execute()
    request.refresh_from_db()
    return request
