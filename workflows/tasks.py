"""Celery tasks: thin wrappers that take ids or dates, call a service, and are idempotent."""

import datetime as dt

from celery import shared_task

from cases.services.sweep import sweep_run


@shared_task(name="workflows.daily_sweep", acks_late=True)
def daily_sweep(as_of: str | None = None) -> dict:
    """The daily sweep; running it twice on a day changes nothing the second time."""
    report = sweep_run(as_of=dt.date.fromisoformat(as_of) if as_of else None)
    return {
        "as_of": report.as_of.isoformat(),
        "changed": report.changed,
        "opened": report.opened,
        "errors": report.errors,
    }
