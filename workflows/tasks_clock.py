"""Celery tasks of the clocks and the approvals: thin, idempotent wrappers that take ids,
call a service and return a small summary. Their schedules are in ``workflows.beat`` (stored
in django-celery-beat by a data migration). Every task is safe to deliver twice: the work
is claimed in the database (``SELECT … FOR UPDATE SKIP LOCKED``) or keyed by a unique
constraint, never by the broker delivering exactly once."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


@shared_task(name="workflows.reminders_dispatch", acks_late=True)
def reminders_dispatch() -> dict:
    """Hourly: schedule the next reminders and send the due ones (not in quiet hours)."""
    from workflows.reminders import reminders_dispatch as dispatch

    report = dispatch()
    return {
        "sent": report.sent,
        "failed": report.failed,
        "cancelled": report.cancelled,
        "deferred": report.deferred,
    }


@shared_task(name="workflows.reminder_send", acks_late=True)
def reminder_send(reminder_id: int) -> bool:
    """One reminder; a second delivery finds it sent (or claimed) and sends nothing."""
    from workflows.reminders import reminder_send as send

    return send(reminder_id)


@shared_task(name="workflows.promise_followups", acks_late=True)
def promise_followups(as_of: str | None = None) -> int:
    """Daily, after the sweep flagged broken promises: one follow-up each (SMS + collector)."""
    from workflows.reminders import promise_followups_schedule

    return promise_followups_schedule(as_of=_date(as_of))


@shared_task(name="workflows.sms_delivery_report", acks_late=True)
def sms_delivery_report(message_id: str, delivered: bool) -> bool:
    """A gateway's delivery report (from its callback view or a poll) becomes evidence."""
    from workflows.reminders import sms_delivery_report as report

    return report(message_id, delivered) is not None


@shared_task(name="workflows.installments_check", acks_late=True)
def installments_check(as_of: str | None = None) -> dict:
    """Daily: default plans with an installment unpaid past the estate's grace days."""
    from workflows.clocks import installments_check as check

    report = check(as_of=_date(as_of))
    return {
        "checked": report.checked,
        "defaulted": report.defaulted,
        "completed": report.completed,
        "errors": report.errors,
    }


@shared_task(name="workflows.deadlines_expire", acks_late=True)
def deadlines_expire(as_of: str | None = None) -> int:
    """Daily: cases whose served demand or lawyer letter deadline passed become eligible."""
    from workflows.clocks import deadlines_expire as expire

    return expire(as_of=_date(as_of))


@shared_task(name="workflows.payment_orders_effective", acks_late=True)
def payment_orders_effective(as_of: str | None = None) -> dict:
    """Daily: payment orders served more than 15 days ago with no objection become
    effective (the case moves to the judgment stage)."""
    from workflows.clocks import payment_orders_effective as make_effective

    report = make_effective(as_of=_date(as_of))
    return {"effective": report.effective, "errors": report.errors}


@shared_task(name="workflows.workflow_fire_timers", acks_late=True, expires=55)
def workflow_fire_timers() -> int:
    """Every minute: fire the due viewflow timers (the approvals' 3-day overdue flags)."""
    from viewflow.workflow.timers import fire_due_conditions, fire_due_timers

    return fire_due_timers() + fire_due_conditions()


@shared_task(name="workflows.verify_evidence", acks_late=True)
def verify_evidence() -> int:
    """Nightly: verify every evidence chain; a broken one raises an alert (log, row, email)."""
    from workflows.clocks import evidence_verify_and_alert

    return len(evidence_verify_and_alert())


@shared_task(name="workflows.approvals_reconcile", acks_late=True)
def approvals_reconcile() -> dict:
    """Daily safety net for withdrawal approvals lost between commit and start."""
    from workflows.approvals.services import approvals_reconcile as reconcile

    return reconcile()


@shared_task(
    name="workflows.approval_start_withdrawal",
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def approval_start_withdrawal(case_id: int, evidence_id: int, actor_id: int | None) -> int | None:
    """Start the withdrawal approval of a case that entered ``withdrawal_pending``."""
    from workflows.approvals.services import withdrawal_process_start

    request = withdrawal_process_start(case_id, trigger_id=evidence_id, actor_id=actor_id)
    return request.pk if request is not None else None


@shared_task(
    name="workflows.approval_waiver_document",
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def approval_waiver_document(request_id: int) -> int:
    """The 减免审批表 of an approved waiver; delivered twice, it still makes one document
    (keyed by the decision's evidence entry)."""
    from legal_docs.kinds import DocumentKind
    from legal_docs.services import legal_doc_generate
    from workflows.approvals.models import ApprovalRequest

    request = ApprovalRequest.objects.select_related(
        "case__unit__estate", "adjustment", "decision_evidence", "approved_by"
    ).get(pk=request_id)
    document = legal_doc_generate(
        DocumentKind.WAIVER_APPROVAL,
        unit=request.case.unit,
        case=request.case,
        trigger=request.decision_evidence,
        actor=request.approved_by,
        adjustment=request.adjustment,
        as_of=timezone.localtime(request.decided_at).date(),
    )
    return document.pk


@shared_task(name="workflows.limitation_snapshot", acks_late=True)
def limitation_snapshot(as_of: str | None = None) -> dict:
    """Nightly: each open case's earliest limitation expiry and amount at risk, for the
    dashboards (idempotent: figures are recomputed, not added)."""
    from cases.services.limitation import limitation_snapshot as snapshot

    report = snapshot(as_of=_date(as_of))
    return {"checked": report.checked, "changed": report.changed}


@shared_task(name="workflows.idempotency_keys_purge", acks_late=True)
def idempotency_keys_purge() -> int:
    """Nightly: forget the API's stored Idempotency-Key responses after IDEMPOTENCY_KEY_DAYS."""
    from workflows.api.idempotency import idempotency_keys_purge as purge

    return purge()
