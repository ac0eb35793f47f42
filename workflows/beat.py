"""The periodic tasks, as django-celery-beat rows (``celery -A config beat`` with the
``DatabaseScheduler`` reads them; managers can change times or disable one in the admin).

``install_schedules`` is run by the approvals app's data migration and may be run again at
any time: it creates what is missing and leaves what exists — including an operator's edits
— alone. Times are Asia/Shanghai. The order within the night matters: the sweep first
(it opens cases, flags broken promises, marks eligibility), then what builds on it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

TIME_ZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class Schedule:
    name: str
    task: str
    minute: str = "0"
    hour: str = "*"
    description: str = ""
    expire_seconds: int | None = None


SCHEDULES: tuple[Schedule, ...] = (
    Schedule(
        "fee-recovery: daily sweep",
        "workflows.daily_sweep",
        minute="30",
        hour="1",
        description="Open cases, move paid ones, flag broken promises, mark next steps.",
    ),
    Schedule(
        "fee-recovery: deadline expiry",
        "workflows.deadlines_expire",
        minute="10",
        hour="2",
        description="Served demand and lawyer letters whose deadline passed: cases eligible.",
    ),
    Schedule(
        "fee-recovery: forget old idempotency keys",
        "workflows.idempotency_keys_purge",
        minute="55",
        hour="2",
        description="API Idempotency-Key responses older than IDEMPOTENCY_KEY_DAYS (7).",
    ),
    Schedule(
        "fee-recovery: limitation check",
        "workflows.limitation_snapshot",
        minute="50",
        hour="2",
        description="Each open case's earliest limitation expiry and amount at risk.",
    ),
    Schedule(
        "fee-recovery: payment orders effective",
        "workflows.payment_orders_effective",
        minute="15",
        hour="2",
        description="Payment orders served over 15 days ago with no objection: effective.",
    ),
    Schedule(
        "fee-recovery: promise follow-ups",
        "workflows.promise_followups",
        minute="20",
        hour="2",
        description="A follow-up (SMS at 08:00, email to the collector) per broken promise.",
    ),
    Schedule(
        "fee-recovery: installment checks",
        "workflows.installments_check",
        minute="30",
        hour="2",
        description="Default installment plans with an installment unpaid past grace days.",
    ),
    Schedule(
        "fee-recovery: approvals reconcile",
        "workflows.approvals_reconcile",
        minute="40",
        hour="2",
        description="Start any withdrawal approval that was lost; cancel stale ones.",
    ),
    Schedule(
        "fee-recovery: verify evidence",
        "workflows.verify_evidence",
        minute="0",
        hour="3",
        description="Re-hash every evidence chain and file; alert the managers on a break.",
    ),
    Schedule(
        "fee-recovery: reminder dispatch",
        "workflows.reminders_dispatch",
        minute="5",
        hour="*",
        description="Schedule and send due SMS reminders (never 21:00–08:00).",
        expire_seconds=3300,
    ),
    Schedule(
        "fee-recovery: viewflow timers",
        "workflows.workflow_fire_timers",
        minute="*",
        hour="*",
        description="Fire due viewflow timers (overdue approvals).",
        expire_seconds=55,
    ),
)


def install_schedules(apps=None) -> list[str]:
    """Create the missing periodic tasks (and their crontabs); returns the names created.
    ``apps`` is a migration's app registry (historical models) or None for the live ones."""
    if apps is None:
        from django.apps import apps as live_apps

        apps = live_apps
    from django.utils import timezone

    crontabs = apps.get_model("django_celery_beat", "CrontabSchedule")
    periodic = apps.get_model("django_celery_beat", "PeriodicTask")
    changes = apps.get_model("django_celery_beat", "PeriodicTasks")
    created = []
    for spec in SCHEDULES:
        if periodic.objects.filter(name=spec.name).exists():
            continue
        crontab = crontabs.objects.filter(
            minute=spec.minute,
            hour=spec.hour,
            day_of_week="*",
            day_of_month="*",
            month_of_year="*",
            timezone=TIME_ZONE,
        ).first() or crontabs.objects.create(
            minute=spec.minute,
            hour=spec.hour,
            day_of_week="*",
            day_of_month="*",
            month_of_year="*",
            timezone=TIME_ZONE,
        )
        periodic.objects.create(
            name=spec.name,
            task=spec.task,
            crontab=crontab,
            args=json.dumps([]),
            kwargs=json.dumps({}),
            description=spec.description,
            expire_seconds=spec.expire_seconds,
            enabled=True,
        )
        created.append(spec.name)
    if created:
        # Tell a running beat to reload (what PeriodicTask's signals do outside migrations).
        changes.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})
    return created


def uninstall_schedules(apps=None) -> None:
    """Remove the periodic tasks of ``SCHEDULES`` (the migration's reverse)."""
    if apps is None:
        from django.apps import apps as live_apps

        apps = live_apps
    periodic = apps.get_model("django_celery_beat", "PeriodicTask")
    periodic.objects.filter(name__in=[spec.name for spec in SCHEDULES]).delete()
