"""Reads of generated documents, scoped to what the user may see."""

from __future__ import annotations

from django.utils import timezone

from cases.permissions import user_may_view_case, user_sees_all_cases
from cases.storage import blob_read
from legal_docs.contexts import build_context
from legal_docs.models import LegalDocument
from legal_docs.rendering import docx_text, render_docx
from legal_docs.services import next_version, template_current


def document_for_user(user, pk: int) -> tuple[LegalDocument, bytes]:
    """A generated document and its bytes, re-hashed (``blob_read`` raises if the stored
    file changed or is gone). ``LegalDocument.DoesNotExist`` when ``user`` may not see the
    document's case (or, for a document on no case, may not see every case)."""
    document = LegalDocument.objects.select_related("unit", "case").get(pk=pk)
    visible = (
        user_may_view_case(user, document.case)
        if document.case is not None
        else user_sees_all_cases(user)
    )
    if not visible:
        raise LegalDocument.DoesNotExist(f"document {pk} not visible to {user}")
    return document, blob_read(document.sha256)


def legal_doc_preview(kind: str, *, case, as_of=None) -> str:
    """The text of the document of ``kind`` that generating it now would produce for
    ``case`` (current template, current figures); nothing is stored. For the "advance"
    page's preview."""
    as_of = as_of or timezone.localdate()
    version = next_version(case.unit, kind)
    context = build_context(kind, unit=case.unit, case=case, as_of=as_of, version=version)
    return docx_text(render_docx(blob_read(template_current(kind).sha256), context))
