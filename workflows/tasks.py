"""Celery tasks: thin wrappers that take ids, call a service, and are idempotent."""

import datetime as dt

from celery import shared_task
from django.contrib.auth import get_user_model
from django.utils import timezone

from cases.models import Case, EvidenceEntry
from cases.services.sweep import sweep_run
from legal_docs.services import legal_doc_generate
from workflows import tasks_clock  # noqa: F401 - registers the clock and approval tasks


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


@shared_task(
    name="workflows.generate_document",
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def generate_document(case_id: int, evidence_id: int, kind: str, actor_id: int | None) -> int:
    """The document of one transition; delivered twice, it still makes one document."""
    case = Case.objects.select_related("unit__estate").get(pk=case_id)
    trigger = EvidenceEntry.objects.get(pk=evidence_id)
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    document = legal_doc_generate(
        kind,
        unit=case.unit,
        case=case,
        trigger=trigger,
        actor=actor,
        as_of=timezone.localtime(trigger.recorded_at).date(),
    )
    return document.pk


@shared_task(name="workflows.notices_chunk", acks_late=True)
def notices_chunk(run_id: int, unit_ids: list[int], actor_id: int | None = None) -> int:
    """Notices for a chunk of units; re-running a chunk makes nothing twice."""
    from legal_docs.notices import notice_generate

    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    return sum(notice_generate(run_id, uid, actor=actor) is not None for uid in unit_ids)
