"""What each stage change produces: the documents of the step (DESIGN.md section 3).

The case services send ``case_stage_changed`` after commit; this schedules one Celery task
per document, keyed by the transition's evidence entry so a redelivered task makes nothing
twice."""

from __future__ import annotations

import logging

from cases.models import Case, Stage
from legal_docs.contexts import litigation_document_kind
from legal_docs.kinds import DocumentKind as K

# Generated with the complaint or application: the company's 送达地址确认书 and the lawyer's
# 授权委托书.
FILING_FORMS = (K.SERVICE_ADDRESS_CONFIRMATION, K.POWER_OF_ATTORNEY)

logger = logging.getLogger(__name__)


def documents_for(case: Case, target: str, source: str) -> list[str]:
    """The document kinds that entering ``target`` (from ``source``) generates."""
    if target == Stage.DEMAND_LETTER:
        return [K.DEMAND_LETTER]
    if target == Stage.LAWYER_LETTER and source == Stage.DEMAND_LETTER:
        return [K.LAWYER_LETTER]
    if target == Stage.LITIGATION and source == Stage.LAWYER_LETTER:
        # the evidence list last: it lists the documents made before it
        return [litigation_document_kind(case), *FILING_FORMS, K.EVIDENCE_LIST]
    if target == Stage.WITHDRAWN:
        return [K.LAWSUIT_WITHDRAWAL if case.filed_on else K.LAWYER_LETTER_WITHDRAWAL]
    # The 分期付款协议 is generated when the plan is approved (for the owner to sign);
    # entering payment_plan is its signing, which produces nothing new.
    return []


def on_stage_changed(
    sender, *, case_id, transition, source, target, evidence_id, actor_id, **kwargs
):
    from workflows.tasks import generate_document

    case = Case.objects.select_related("unit").get(pk=case_id)
    for kind in documents_for(case, target, source):
        # each document on its own: one the record cannot support yet (a form whose facts are
        # missing) must not keep the others from being made (eager mode raises here)
        try:
            generate_document.delay(case_id, evidence_id, kind, actor_id)
        except Exception:
            logger.exception("case %s: the %s of %s was not generated", case_id, kind, target)
