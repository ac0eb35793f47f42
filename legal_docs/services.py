"""Writers of legal documents: template versions, generated documents, deliveries.

Rendering (the slow part) happens outside the database transaction; the record, its stored
file and its evidence entry are written in one short transaction with the case locked.
Generation is idempotent per (case, triggering evidence entry, kind) and per (notice run,
unit), both enforced by unique constraints."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Adjustment, Case, EvidenceEntry, InstallmentPlan, StoredFile, Unit
from cases.models.contact import Letter
from cases.models.evidence import EvidenceKind
from cases.roles import Role, user_has_role
from cases.services.case import case_lock, delivery_record
from cases.services.evidence import evidence_append
from cases.storage import DOCX_CONTENT_TYPE, blob_put, blob_read
from legal_docs.contexts import build_context
from legal_docs.kinds import DocumentKind
from legal_docs.models import DocumentTemplate, LegalDocument, NoticeRun
from legal_docs.rendering import render_docx
from legal_docs.validation import validate_template

BUILTIN_DIR = Path(__file__).resolve().parent / "templates" / "docx"

LETTER_OF_KIND = {
    DocumentKind.DEMAND_LETTER: Letter.DEMAND_LETTER,
    DocumentKind.LAWYER_LETTER: Letter.LAWYER_LETTER,
    DocumentKind.PAYMENT_ORDER_APPLICATION: Letter.PAYMENT_ORDER,
    DocumentKind.CIVIL_COMPLAINT: Letter.COMPLAINT,
}


def _stored(content: bytes, content_type: str) -> StoredFile:
    sha = blob_put(content)
    file, _created = StoredFile.objects.get_or_create(
        sha256=sha, defaults={"size": len(content), "content_type": content_type}
    )
    return file


def _new_version(kind: str, content: bytes, *, source: str, name: str, variables, actor=None):
    file = _stored(content, DOCX_CONTENT_TYPE)
    existing = DocumentTemplate.objects.filter(kind=kind, sha256=file.sha256).first()
    if existing is not None:
        return existing
    last = DocumentTemplate.objects.filter(kind=kind).aggregate(v=Max("version"))["v"] or 0
    return DocumentTemplate.objects.create(
        kind=kind,
        version=last + 1,
        file=file,
        sha256=file.sha256,
        source=source,
        original_name=name,
        variables=sorted(variables),
        uploaded_by=actor,
    )


def templates_sync_builtin() -> list[DocumentTemplate]:
    """Make the shipped .docx of every kind a template version (a new version when the
    shipped file changed; nothing when it is already there)."""
    created = []
    with transaction.atomic():
        for kind in DocumentKind.values:
            path = BUILTIN_DIR / f"{kind}.docx"
            if not path.exists():
                continue
            content = path.read_bytes()
            report = validate_template(content, kind)
            created.append(
                _new_version(
                    kind,
                    content,
                    source=DocumentTemplate.Source.BUILTIN,
                    name=path.name,
                    variables=report.variables,
                )
            )
    return created


def template_upload(kind: str, content: bytes, *, actor, name: str = "") -> DocumentTemplate:
    """A legal officer uploads a new version of ``kind``'s template. It is validated first
    (a real .docx, no DOCTYPE or external entities, no zip bomb, only documented variables,
    nothing the sandbox forbids); ``TemplateRejected`` lists everything wrong. Old versions
    stay for the documents made from them."""
    if not (user_has_role(actor, Role.LEGAL_OFFICER) or user_has_role(actor, Role.MANAGER)):
        raise PermissionDenied(_("Only legal officers upload document templates."))
    report = validate_template(content, kind)
    with transaction.atomic():
        return _new_version(
            kind,
            content,
            source=DocumentTemplate.Source.UPLOADED,
            name=name,
            variables=report.variables,
            actor=actor,
        )


def template_current(kind: str) -> DocumentTemplate:
    template = DocumentTemplate.objects.filter(kind=kind).order_by("-version").first()
    if template is None:
        templates_sync_builtin()
        template = DocumentTemplate.objects.filter(kind=kind).order_by("-version").first()
    if template is None:
        raise LookupError(f"no template for {kind}")
    return template


def next_version(unit: Unit, kind: str) -> int:
    """The version the next document of ``kind`` for ``unit`` gets (1, 2, …)."""
    last = LegalDocument.objects.filter(unit=unit, kind=kind).aggregate(v=Max("version"))["v"]
    return (last or 0) + 1


def legal_doc_generate(
    kind: str,
    *,
    unit: Unit,
    case: Case | None = None,
    trigger: EvidenceEntry | None = None,
    notice_run: NoticeRun | None = None,
    actor=None,
    as_of: dt.date | None = None,
    adjustment: Adjustment | None = None,
    plan: InstallmentPlan | None = None,
) -> LegalDocument:
    """Generate (or return the already generated) document of ``kind``.

    One document per (case, trigger, kind) and per (notice run, unit): a task delivered
    twice returns the first document. The document is an immutable record with its context
    snapshot, template version and content-addressed file; on a case it is also an evidence
    entry carrying the file's SHA-256."""
    existing = _existing(kind, case=case, trigger=trigger, notice_run=notice_run, unit=unit)
    if existing is not None:
        return existing
    as_of = as_of or timezone.localdate()
    template = template_current(kind)
    version = next_version(unit, kind)
    notice_count = (
        LegalDocument.objects.filter(unit=unit, kind=DocumentKind.PAYMENT_NOTICE).count() + 1
    )
    context = build_context(
        kind,
        unit=unit,
        case=case,
        as_of=as_of,
        version=version,
        notice_count=notice_count,
        adjustment=adjustment,
        plan=plan,
    )
    content = render_docx(blob_read(template.sha256), context)
    try:
        # transaction ensures the record and its evidence entry exist together or not at all.
        with transaction.atomic():
            locked = case_lock(case.pk) if case is not None else None
            file = _stored(content, DOCX_CONTENT_TYPE)
            document = LegalDocument.objects.create(
                kind=kind,
                unit=unit,
                case=case,
                version=version,
                number=context["doc_number"],
                template=template,
                context=context,
                file=file,
                sha256=file.sha256,
                trigger=trigger,
                notice_run=notice_run,
                generated_by=actor,
            )
            if locked is not None:
                evidence_append(
                    locked,
                    kind=EvidenceKind.DOCUMENT,
                    actor=actor,
                    summary=f"{document.get_kind_display()} {document.number}",
                    payload={
                        "document": document.pk,
                        "kind": kind,
                        "version": version,
                        "template": template.pk,
                        "template_sha256": template.sha256,
                        "trigger": trigger.pk if trigger else None,
                        # The date the document bears: no delivery of it can precede it.
                        "dated": as_of.isoformat(),
                    },
                    files=[file.sha256],
                )
    except IntegrityError:
        # A concurrent delivery of the same task won; its document is the one.
        found = _existing(kind, case=case, trigger=trigger, notice_run=notice_run, unit=unit)
        if found is None:
            raise
        return found
    return document


def _existing(kind, *, case, trigger, notice_run, unit) -> LegalDocument | None:
    if trigger is not None:
        return LegalDocument.objects.filter(case=case, trigger=trigger, kind=kind).first()
    if notice_run is not None:
        return LegalDocument.objects.filter(notice_run=notice_run, unit=unit).first()
    return None


def legal_doc_record_delivery(
    document: LegalDocument,
    *,
    actor,
    status: str,
    delivered_on: dt.date,
    method: str,
    proof=None,
    proof_name: str = "",
    tracking_number: str = "",
    tracking_status: str = "",
):
    """Record that a generated letter was served, signed, refused or returned on
    ``delivered_on`` (with its proof: a file, or a tracking number and status): a delivery
    and one evidence entry on its case. ``delivery_record`` refuses a date before this
    document's generation, in the future or before the case opened."""
    if document.case is None:
        raise ValueError(_("This document belongs to no case."))
    return delivery_record(
        document.case,
        actor=actor,
        letter=LETTER_OF_KIND.get(document.kind, Letter.OTHER),
        status=status,
        delivered_on=delivered_on,
        method=method,
        proof=proof,
        proof_name=proof_name,
        document_ref=str(document.pk),
        tracking_number=tracking_number,
        tracking_status=tracking_status,
    )
