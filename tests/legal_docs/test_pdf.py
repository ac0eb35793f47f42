"""PDF through LibreOffice, when it is installed (the .docx is always the record)."""

from __future__ import annotations

import shutil

import pytest

from cases.storage import blob_read
from legal_docs.kinds import DocumentKind as K
from legal_docs.notices import convert_to_pdf

pytestmark = pytest.mark.skipif(
    not (shutil.which("soffice") or shutil.which("libreoffice")),
    reason="LibreOffice (soffice) is not installed",
)


def test_a_generated_document_converts_to_pdf(story, tmp_path):
    story.open()
    story.remind()
    story.demand(deliver=False)
    document = story.document(K.DEMAND_LETTER)
    path = tmp_path / document.filename
    path.write_bytes(blob_read(document.sha256))

    pdf = convert_to_pdf(path, timeout=180)

    assert pdf == path.with_suffix(".pdf")
    content = pdf.read_bytes()
    assert content.startswith(b"%PDF")
    assert len(content) > 1000
