"""The clocks: the beat schedule installed by the migrations, installment defaults, expired
letter deadlines, the nightly evidence check and its alert, and the approvals safety net."""

from __future__ import annotations

import datetime as dt
import logging
import struct
import zlib
from decimal import Decimal

import pytest
from django.core import mail

from cases.models import (
    Channel,
    ContactAttachment,
    DeliveryStatus,
    EvidenceKind,
    InstallmentPlan,
    Letter,
    Outcome,
    Stage,
)
from cases.services.case import case_transition, contact_log
from cases.services.ledger import payment_record
from tests.factories import deliver_with_proof

pytestmark = pytest.mark.usefixtures("system_actor_may_log_contacts")

PERIODIC_TASKS = {
    "workflows.daily_sweep",
    "workflows.reminders_dispatch",
    "workflows.promise_followups",
    "workflows.installments_check",
    "workflows.deadlines_expire",
    "workflows.workflow_fire_timers",
    "workflows.verify_evidence",
    "workflows.approvals_reconcile",
    "workflows.payment_orders_effective",
    "workflows.limitation_snapshot",
    "workflows.idempotency_keys_purge",
}


# --- the beat schedule -----------------------------------------------------------------------


def test_beat_schedule_holds_every_periodic_task_after_migrate(staff):
    from django_celery_beat.models import PeriodicTask
    from django_celery_beat.schedulers import DatabaseScheduler

    import workflows.tasks
    import workflows.tasks_clock  # noqa: F401
    from config.celery import app
    from workflows.beat import SCHEDULES

    stored = {task.name: task for task in PeriodicTask.objects.select_related("crontab")}
    assert {stored[spec.name].task for spec in SCHEDULES} == PERIODIC_TASKS
    for spec in SCHEDULES:
        task = stored[spec.name]
        assert task.enabled and task.task in app.tasks, spec.name
        assert (task.crontab.minute, task.crontab.hour) == (spec.minute, spec.hour)
        assert str(task.crontab.timezone) == "Asia/Shanghai"
    assert stored["fee-recovery: viewflow timers"].crontab.minute == "*"  # every minute
    assert stored["fee-recovery: reminder dispatch"].crontab.hour == "*"  # every hour
    # What celery beat's database scheduler makes of each row: a crontab in Shanghai time.
    for spec in SCHEDULES:
        entry = DatabaseScheduler.Entry(stored[spec.name], app=app)
        assert entry.task == stored[spec.name].task
        assert str(entry.schedule.tz) == "Asia/Shanghai"


def test_installing_the_schedule_again_keeps_an_operators_edits(staff):
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    from workflows.beat import install_schedules

    sweep = PeriodicTask.objects.get(name="fee-recovery: daily sweep")
    sweep.enabled = False
    sweep.crontab = CrontabSchedule.objects.create(minute="45", hour="0", timezone="Asia/Shanghai")
    sweep.save()
    count = PeriodicTask.objects.count()

    assert install_schedules() == []

    sweep.refresh_from_db()
    assert (sweep.enabled, sweep.crontab.minute) == (False, "45")
    assert PeriodicTask.objects.count() == count
    PeriodicTask.objects.filter(name="fee-recovery: verify evidence").delete()
    assert install_schedules() == ["fee-recovery: verify evidence"]


# --- installment plans -----------------------------------------------------------------------


def _approved_plan(desk, staff, capture, *, first_due_days_ago: int, parts=("600.00", "600.00")):
    """A plan proposed 45 days ago (two monthly parts, the first due ``first_due_days_ago``
    days ago), approved by a manager and signed by the owner today: the case is in
    payment_plan."""
    from cases.services.plan import plan_sign
    from tests.cases.conftest import png_image
    from workflows.approvals.services import approval_decide, installment_plan_propose

    proposed_on = desk.days_ago(45)
    case = desk.case(stage=Stage.DEMAND_LETTER, owing="1200.00", due_date=desk.days_ago(46))
    first = desk.today - dt.timedelta(days=first_due_days_ago)
    owed_total = sum(Decimal(p) for p in parts)
    late_fee = Decimal("1.20")  # 1,200 × 1‰ × 1 day, on the day it was proposed
    rows = [(1, first, Decimal(parts[0])), (2, first + dt.timedelta(days=30), Decimal(parts[1]))]
    rows[-1] = (2, rows[-1][1], rows[-1][2] + late_fee)
    request = installment_plan_propose(
        case, actor=staff.collector, installments=rows, reason="家庭困难", as_of=proposed_on
    )
    with capture(execute=True):
        approval_decide(request, actor=staff.manager, approve=True)
    with capture(execute=True):
        plan_sign(request.plan, actor=staff.legal, signed_on=desk.today, scan=png_image(7))
    assert desk.stage(case) == Stage.PAYMENT_PLAN
    assert request.plan.total == owed_total + late_fee
    return case, InstallmentPlan.objects.get(pk=request.plan_id)


def test_installment_unpaid_past_the_grace_days_defaults_the_plan(
    desk, staff, django_capture_on_commit_callbacks
):
    from workflows.tasks_clock import installments_check

    case, plan = _approved_plan(
        desk, staff, django_capture_on_commit_callbacks, first_due_days_ago=11
    )
    assert case.unit.estate.installment_default_days == 10

    result = installments_check.apply().get()

    assert result["defaulted"] == 1 and result["errors"] == []
    plan.refresh_from_db()
    assert plan.status == InstallmentPlan.Status.DEFAULTED
    assert desk.stage(case) == Stage.DEMAND_LETTER  # back where it came from
    entry = desk.entries(case, EvidenceKind.TRANSITION)[-1]
    data = desk.data(entry)
    assert (data["transition"], data["from"], data["to"]) == (
        "default_payment_plan",
        Stage.PAYMENT_PLAN,
        Stage.DEMAND_LETTER,
    )
    assert data["params"]["plan"] == str(plan.pk) and data["params"]["installment"] == "1"
    assert entry.actor.username == "system"
    # A second run the same day changes nothing.
    assert installments_check.apply().get()["checked"] == 0


def test_installment_within_grace_or_paid_keeps_the_plan(
    desk, staff, django_capture_on_commit_callbacks
):
    from workflows.clocks import installments_check

    late, late_plan = _approved_plan(
        desk, staff, django_capture_on_commit_callbacks, first_due_days_ago=10
    )
    paid, paid_plan = _approved_plan(
        desk, staff, django_capture_on_commit_callbacks, first_due_days_ago=30
    )
    payment_record(paid.unit, amount=Decimal("600.00"), paid_on=desk.today, actor=staff.manager)

    report = installments_check()

    assert (report.checked, report.defaulted) == (2, 0)
    assert {late_plan.status, paid_plan.status} == {InstallmentPlan.Status.SIGNED}
    assert desk.stage(late) == desk.stage(paid) == Stage.PAYMENT_PLAN


def test_plan_paid_in_full_is_completed_and_the_case_settles_through_payments(
    desk, staff, django_capture_on_commit_callbacks
):
    from workflows.clocks import installments_check

    case, plan = _approved_plan(
        desk, staff, django_capture_on_commit_callbacks, first_due_days_ago=40
    )
    desk.pay_in_full(case, capture=django_capture_on_commit_callbacks)
    assert desk.stage(case) in (Stage.SETTLED, Stage.CLOSED)

    assert installments_check().completed == 1
    plan.refresh_from_db()
    assert (plan.status, plan.ended_on) == (InstallmentPlan.Status.COMPLETED, desk.today)
    completed = desk.entries(case, EvidenceKind.APPROVAL)[-1]
    assert desk.data(completed)["plan_status"] == InstallmentPlan.Status.COMPLETED


# --- deadlines of served letters ---------------------------------------------------------------


def test_expired_demand_deadline_makes_the_case_eligible_for_the_lawyer_letter(desk, staff):
    from workflows.tasks_clock import deadlines_expire

    expired = desk.case(stage=Stage.DEMAND_LETTER, owing="6000.00", days_overdue=120)
    running = desk.case(stage=Stage.DEMAND_LETTER, owing="6000.00", days_overdue=120)
    for case, days_ago in ((expired, 20), (running, 10)):
        deliver_with_proof(
            case,
            actor=staff.legal,
            letter=Letter.DEMAND_LETTER,
            status=DeliveryStatus.SIGNED,
            delivered_on=desk.days_ago(days_ago),
        )

    assert deadlines_expire.apply().get() == 1

    expired, running = desk.fresh(expired), desk.fresh(running)
    assert expired.next_step == "issue_lawyer_letter" and expired.next_step_eligible
    assert "deadline" in expired.next_step_reason and "passed" in expired.next_step_reason
    assert not running.next_step_eligible
    assert expired.priority > running.priority
    assert deadlines_expire.apply().get() == 0  # nothing new today
    # Six days later the other deadline has passed too.
    later = (desk.today + dt.timedelta(days=6)).isoformat()
    assert deadlines_expire.apply(args=[later]).get() == 1
    assert desk.fresh(running).next_step_eligible


# --- the nightly evidence check ----------------------------------------------------------------


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_broken_chain_raises_an_alert_logged_stored_and_emailed(
    desk, staff, caplog, django_capture_on_commit_callbacks, frozen_clock
):
    from cases.storage import blob_path
    from workflows.approvals.models import SystemAlert
    from workflows.tasks_clock import verify_evidence

    staff.manager.email, staff.other_manager.email = "chen@example.com", "wu@example.com"
    staff.manager.save(), staff.other_manager.save()
    whole = desk.case()
    broken = desk.case()
    contact = contact_log(
        broken,
        actor=staff.collector,
        channel=Channel.NOTICE_POSTED,
        outcome=Outcome.NO_ANSWER,
        attachments=[("photo", _png(), "门口张贴.png")],
    )
    assert verify_evidence.apply().get() == 0
    assert not SystemAlert.objects.exists() and not mail.outbox

    sha = ContactAttachment.objects.get(contact=contact).file_id
    path = blob_path(sha)
    path.chmod(0o644)
    path.write_bytes(_png() + b"tampered")

    with (
        caplog.at_level(logging.ERROR, logger="workflows.clocks"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert verify_evidence.apply().get() == 1
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert f"case {broken.pk}" in record.getMessage()
    alert = SystemAlert.objects.get()
    assert (alert.kind, alert.case_id) == (SystemAlert.Kind.EVIDENCE_CHAIN_BROKEN, broken.pk)
    assert alert.resolved_at is None
    (message,) = mail.outbox
    assert sorted(message.to) == ["chen@example.com", "wu@example.com"]
    assert f"case {broken.pk}" in message.body
    assert f"case {whole.pk}" not in message.body

    # Still broken the next night: the same open alert, seen again.
    first_seen = alert.last_seen_at
    frozen_clock.shift(dt.timedelta(days=1))
    verify_evidence.apply()
    alert.refresh_from_db()
    assert SystemAlert.objects.count() == 1 and alert.last_seen_at > first_seen


# --- the approvals safety net ------------------------------------------------------------------


def test_reconcile_starts_a_lost_withdrawal_approval_and_cancels_a_stale_one(desk, staff):
    from viewflow.workflow.status import PROCESS

    from workflows.approvals.models import ApprovalRequest
    from workflows.tasks_clock import approvals_reconcile

    case = desk.case(stage=Stage.LAWYER_LETTER)
    # The after-commit start never ran (no capture): the case waits with no approval.
    case_transition(case, "request_withdrawal", actor=staff.legal, note="已和解")
    assert not ApprovalRequest.objects.exists()

    assert approvals_reconcile.apply().get() == {"started": 1, "cancelled": 0}
    request = ApprovalRequest.objects.get()
    assert (request.case_id, request.requested_by) == (case.pk, staff.legal)
    assert approvals_reconcile.apply().get() == {"started": 0, "cancelled": 0}

    # Someone moved the case out of withdrawal_pending without the flow.
    type(case).objects.filter(pk=case.pk).update(stage=Stage.LAWYER_LETTER)
    assert approvals_reconcile.apply().get() == {"started": 0, "cancelled": 1}
    request.refresh_from_db()
    assert request.status == "cancelled"
    assert request.process.status == PROCESS.CANCELED


def test_claim_skips_rows_locked_elsewhere_only_where_the_database_can(staff):
    from django.db import connection

    from workflows.approvals.models import Reminder
    from workflows.clocks import claim

    sql = str(claim(Reminder.objects.all()).query)
    if connection.vendor == "postgresql":
        assert "SKIP LOCKED" in sql.upper()
    else:
        assert "FOR UPDATE" not in sql.upper()


def test_admin_lists_requests_reminders_and_alerts_and_resolves_an_alert(staff, admin_client):
    from django.urls import reverse

    from workflows.approvals.models import SystemAlert

    alert = SystemAlert.objects.create(
        kind=SystemAlert.Kind.EVIDENCE_CHAIN_BROKEN,
        key="case-1-seq-2",
        message="case 1 seq 2: hash does not match",
        last_seen_at=dt.datetime(2026, 3, 2, tzinfo=dt.UTC),
    )
    for model in ("approvalrequest", "reminder", "systemalert"):
        assert admin_client.get(reverse(f"admin:approvals_{model}_changelist")).status_code == 200
    answer = admin_client.post(
        reverse("admin:approvals_systemalert_changelist"),
        {"action": "mark_resolved", "_selected_action": [alert.pk]},
    )
    assert answer.status_code == 302
    alert.refresh_from_db()
    assert alert.resolved_at is not None
