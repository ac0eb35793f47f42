"""The approval processes (viewflow, free edition).

Each flow reads top to bottom: how it starts, who decides (a task offered to every user
with ``approvals.can_approve`` — the manager group — except the requester), what happens on
yes and on no, and what happens when nobody decides within three days (the request is
flagged overdue and the managers are emailed; the task stays open). The nodes call the
services in ``workflows.approvals.services``; the rules live there.

Processes start from code (``StartHandle``): the services create the request and run
``<Flow>.start.run(request=…)``. Timers are rows in viewflow's task table, fired by the
``workflows.workflow_fire_timers`` Celery task every minute.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock

from workflows.approvals import services
from workflows.approvals.models import ApprovalKind, ApprovalProcess, ApprovalStatus
from workflows.approvals.views import DecisionView

DECISION_DEADLINE = timedelta(days=3)
APPROVE_PERMISSION = services.APPROVE_PERMISSION
DECISION_SUMMARY = _("{{ process.request.get_kind_display }} · case #{{ process.request.case_id }}")


class DecisionTask(flow.View):
    """The manager's decision: never offered to, nor done by, the person who asked."""

    @staticmethod
    def _is_requester(user, task) -> bool:
        return ApprovalProcess.objects.filter(
            pk=task.process_id, request__requested_by_id=getattr(user, "pk", None)
        ).exists()

    def can_assign(self, user, task):
        return super().can_assign(user, task) and not self._is_requester(user, task)

    def can_execute(self, user, task):
        return super().can_execute(user, task) and not self._is_requester(user, task)


class ApprovalFlowMixin:
    """What every approval flow shares: the process model, a real lock, the start, the
    yes/no test and the overdue flag."""

    process_class = ApprovalProcess
    lock_impl = lock.select_for_update_lock

    def start_request(self, activation, request):
        activation.process.request = request
        return activation.process

    def is_approved(self, activation) -> bool:
        return activation.process.request.status == ApprovalStatus.APPROVED

    def mark_overdue(self, activation):
        services.approval_flag_overdue(activation.process)

    def close_case(self, activation):
        services.approval_close_case(activation.process.request)

    def record_rejection(self, activation):
        services.approval_reject_apply(activation.process.request)


class WithdrawalFlow(ApprovalFlowMixin, flow.Flow):
    """Withdrawal (撤回): see ``process_description`` (translated; viewflow shows it)."""

    process_title = _("Withdrawal (撤回)")
    process_description = _(
        "A case paid in full after the lawyer letter, or one a legal officer asks to "
        "withdraw, waits in “withdrawal pending” until a manager approves (withdrawn, "
        "the withdrawal document, closed) or rejects it (back to its earlier stage)."
    )

    start = (
        flow.StartHandle(this.start_request)
        .Annotation(title=_("Withdrawal requested"))
        .Next(this.decide)
    )
    decide = (
        DecisionTask(DecisionView.as_view())
        .Annotation(
            title=_("Approve or reject the withdrawal"),
            description=_("Withdraw the lawyer letter or the lawsuit (撤销律师函 / 撤诉)."),
            summary_template=DECISION_SUMMARY,
        )
        .Permission(APPROVE_PERMISSION)
        .OnTimeout(DECISION_DEADLINE, this.flag_overdue, interrupting=False)
        .Next(this.approved)
    )
    approved = (
        flow.If(this.is_approved)
        .Annotation(title=_("Approved?"))
        .Then(this.withdraw)
        .Else(this.reject)
    )
    withdraw = (
        flow.Function(this.apply_withdrawal)
        .Annotation(title=_("Withdraw the case and generate the withdrawal document"))
        .Next(this.close)
    )
    close = flow.Function(this.close_case).Annotation(title=_("Close the case")).Next(this.end)
    reject = (
        flow.Function(this.reject_withdrawal)
        .Annotation(title=_("Return the case to its earlier stage"))
        .Next(this.end)
    )
    flag_overdue = (
        flow.Function(this.mark_overdue)
        .Annotation(title=_("Flag overdue and notify the managers"))
        .Next(this.overdue_noted)
    )
    overdue_noted = flow.End()
    end = flow.End()

    def apply_withdrawal(self, activation):
        services.withdrawal_apply(activation.process.request)

    def reject_withdrawal(self, activation):
        services.withdrawal_reject_apply(activation.process.request)


class WaiverFlow(ApprovalFlowMixin, flow.Flow):
    """Late-fee waiver (减免): see ``process_description`` (translated; viewflow shows it)."""

    process_title = _("Late-fee waiver (减免)")
    process_description = _(
        "A collector or legal officer asks to waive all or part of a non-malicious "
        "debtor's accrued late fee; a manager approves (the adjustment, the evidence "
        "entry and the 减免审批表) or rejects it (the evidence entry)."
    )

    start = (
        flow.StartHandle(this.start_request)
        .Annotation(title=_("Waiver requested"))
        .Next(this.decide)
    )
    decide = (
        DecisionTask(DecisionView.as_view())
        .Annotation(
            title=_("Approve or reject the late-fee waiver"),
            summary_template=DECISION_SUMMARY,
        )
        .Permission(APPROVE_PERMISSION)
        .OnTimeout(DECISION_DEADLINE, this.flag_overdue, interrupting=False)
        .Next(this.approved)
    )
    approved = (
        flow.If(this.is_approved)
        .Annotation(title=_("Approved?"))
        .Then(this.waive)
        .Else(this.reject)
    )
    waive = (
        flow.Function(this.apply_waiver)
        .Annotation(title=_("Record the waiver and generate the approval form"))
        .Next(this.end)
    )
    reject = (
        flow.Function(this.record_rejection)
        .Annotation(title=_("Record the rejection"))
        .Next(this.end)
    )
    flag_overdue = (
        flow.Function(this.mark_overdue)
        .Annotation(title=_("Flag overdue and notify the managers"))
        .Next(this.overdue_noted)
    )
    overdue_noted = flow.End()
    end = flow.End()

    def apply_waiver(self, activation):
        services.waiver_apply(activation.process.request)


class InstallmentPlanFlow(ApprovalFlowMixin, flow.Flow):
    """Installment plan (分期付款): see ``process_description`` (translated; viewflow shows it)."""

    process_title = _("Installment plan (分期付款)")
    process_description = _(
        "A hardship household's schedule that pays the whole debt; a manager approves "
        "it (the agreement is generated; the plan starts once the owner's signature is "
        "recorded) or rejects it. "
        "The daily installment check puts a defaulted plan's case back where it was."
    )

    start = (
        flow.StartHandle(this.start_request)
        .Annotation(title=_("Installment plan proposed"))
        .Next(this.decide)
    )
    decide = (
        DecisionTask(DecisionView.as_view())
        .Annotation(
            title=_("Approve or reject the installment plan"),
            summary_template=DECISION_SUMMARY,
        )
        .Permission(APPROVE_PERMISSION)
        .OnTimeout(DECISION_DEADLINE, this.flag_overdue, interrupting=False)
        .Next(this.approved)
    )
    approved = (
        flow.If(this.is_approved)
        .Annotation(title=_("Approved?"))
        .Then(this.start_plan)
        .Else(this.reject)
    )
    start_plan = (
        flow.Function(this.apply_plan)
        .Annotation(title=_("Approve the plan and start it"))
        .Next(this.end)
    )
    reject = (
        flow.Function(this.record_rejection)
        .Annotation(title=_("Record the rejection"))
        .Next(this.end)
    )
    flag_overdue = (
        flow.Function(this.mark_overdue)
        .Annotation(title=_("Flag overdue and notify the managers"))
        .Next(this.overdue_noted)
    )
    overdue_noted = flow.End()
    end = flow.End()

    def apply_plan(self, activation):
        services.installment_plan_apply(activation.process.request)


class WriteOffFlow(ApprovalFlowMixin, flow.Flow):
    """Write-off (核销): see ``process_description`` (translated; viewflow shows it)."""

    process_title = _("Write-off (核销)")
    process_description = _(
        "A debt that cannot be recovered is written off and the case closed once a "
        "manager approves; a rejection is recorded and the case carries on."
    )

    start = (
        flow.StartHandle(this.start_request)
        .Annotation(title=_("Write-off requested"))
        .Next(this.decide)
    )
    decide = (
        DecisionTask(DecisionView.as_view())
        .Annotation(
            title=_("Approve or reject the write-off"),
            summary_template=DECISION_SUMMARY,
        )
        .Permission(APPROVE_PERMISSION)
        .OnTimeout(DECISION_DEADLINE, this.flag_overdue, interrupting=False)
        .Next(this.approved)
    )
    approved = (
        flow.If(this.is_approved)
        .Annotation(title=_("Approved?"))
        .Then(this.write_off)
        .Else(this.reject)
    )
    write_off = (
        flow.Function(this.apply_write_off)
        .Annotation(title=_("Write the case off"))
        .Next(this.close)
    )
    close = flow.Function(this.close_case).Annotation(title=_("Close the case")).Next(this.end)
    reject = (
        flow.Function(this.record_rejection)
        .Annotation(title=_("Record the rejection"))
        .Next(this.end)
    )
    flag_overdue = (
        flow.Function(this.mark_overdue)
        .Annotation(title=_("Flag overdue and notify the managers"))
        .Next(this.overdue_noted)
    )
    overdue_noted = flow.End()
    end = flow.End()

    def apply_write_off(self, activation):
        services.write_off_apply(activation.process.request)


FLOW_OF_KIND = {
    ApprovalKind.WITHDRAWAL: WithdrawalFlow,
    ApprovalKind.WAIVER: WaiverFlow,
    ApprovalKind.INSTALLMENT_PLAN: InstallmentPlanFlow,
    ApprovalKind.WRITE_OFF: WriteOffFlow,
}
APPROVAL_FLOWS = tuple(FLOW_OF_KIND.values())
