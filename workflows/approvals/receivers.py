"""Starting the withdrawal approval when a case enters ``withdrawal_pending``.

``case_stage_changed`` is sent after the transition commits. The start goes through a Celery
task (eager in the embedded default) so a failure is retried rather than lost; the daily
``approvals_reconcile`` starts any that was lost all the same."""

from cases.models import Stage


def on_stage_changed(
    sender, *, case_id, transition, source, target, evidence_id, actor_id, **kwargs
):
    if target != Stage.WITHDRAWAL_PENDING:
        return
    from workflows.tasks_clock import approval_start_withdrawal

    approval_start_withdrawal.delay(case_id, evidence_id, actor_id)
