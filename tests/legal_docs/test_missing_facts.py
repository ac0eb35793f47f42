"""A document whose subject is not in the record is not printed: generation stops with a
message naming what is missing, and nothing is stored (DESIGN.md 5a: "A missing fact stops
generation with a message naming it")."""

from __future__ import annotations

import pytest

from legal_docs.contexts import MissingFact
from legal_docs.kinds import DocumentKind as K
from legal_docs.models import LegalDocument
from legal_docs.services import legal_doc_generate


@pytest.mark.parametrize(
    ("kind", "missing"),
    [
        (K.INSTALLMENT_AGREEMENT, "installment plan"),
        (K.WAIVER_APPROVAL, "waiver"),
    ],
)
def test_a_document_about_a_decision_not_taken_is_refused(litigation_story, kind, missing):
    """The story has neither an approved plan nor a waiver: an agreement printing "0 期，
    总额0.00元" or a waiver form with blanks would be false, so nothing is generated."""
    story = litigation_story
    before = LegalDocument.objects.count()

    with pytest.raises(MissingFact) as refused:
        legal_doc_generate(
            kind, unit=story.unit, case=story.fresh(), actor=story.legal, as_of=story.today
        )

    assert missing in " ".join(refused.value.messages)
    assert LegalDocument.objects.count() == before
