"""Template versions: the shipped set, a legal officer's upload, and what an upload may not be.

Documents keep pointing at the template version they were made from; a new upload only
changes what new documents use."""

from __future__ import annotations

import hashlib
import io
import zipfile

import docx
import pytest
from django.core.exceptions import PermissionDenied

from cases.models import StoredFile
from cases.roles import Role
from cases.storage import blob_read
from legal_docs.kinds import DocumentKind as K
from legal_docs.models import DocumentTemplate
from legal_docs.services import (
    BUILTIN_DIR,
    legal_doc_generate,
    template_current,
    template_upload,
    templates_sync_builtin,
)
from legal_docs.validation import TemplateRejected
from tests.factories import user_in_role
from tests.legal_docs.conftest import document_text

SHIPPED = (BUILTIN_DIR / "demand_letter.docx").read_bytes()
EXTRA = "如需上门收费服务，请致电{{ company.office_phone }}（{{ estate.name }}管理处）。"


def with_paragraph(template: bytes, text: str) -> bytes:
    """``template`` opened in Word (python-docx) with one more paragraph, saved again."""
    document = docx.Document(io.BytesIO(template))
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def with_part(template: bytes, name: str, content: bytes, *, compress=zipfile.ZIP_DEFLATED):
    """``template`` with the zip entry ``name`` replaced (or added)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(template)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            if info.filename != name:
                target.writestr(info, source.read(info))
        target.writestr(name, content, compress_type=compress)
    return out.getvalue()


def with_doctype(template: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(template)) as source:
        xml = source.read("word/document.xml")
    declaration, rest = xml.split(b"?>", 1)
    hostile = (
        declaration
        + b'?><!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        + rest.replace(b"</w:body>", b"<w:p><w:r><w:t>&xxe;</w:t></w:r></w:p></w:body>", 1)
    )
    return with_part(template, "word/document.xml", hostile)


def plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hi")
    return out.getvalue()


HOSTILE = {
    "not a zip": (
        b"%PDF-1.4 this is not a Word file",
        "the file is not a .docx (it is not a zip archive)",
    ),
    "zip but not Word": (plain_zip(), "the file is not a Word .docx document"),
    "DOCTYPE": (with_doctype(SHIPPED), "contains <!DOCTYPE …>"),
    "ENTITY": (with_doctype(SHIPPED), "contains <!ENTITY …>"),
    "zip bomb": (
        with_part(SHIPPED, "word/media/image9.png", bytes(8 * 1024 * 1024)),
        "a zip bomb",
    ),
    "unknown variable": (
        with_paragraph(SHIPPED, "尊敬的{{ owner.nickname }}："),
        "uses {{ owner.nickname }}, which is not in the demand_letter context",
    ),
    "sandbox escape": (
        with_paragraph(SHIPPED, "{{ owner.name.__class__.__mro__ }}"),
        "which is not allowed",
    ),
    "syntax error": (
        with_paragraph(SHIPPED, "{{ owner.name "),
        "syntax error",
    ),
}


@pytest.fixture
def collector(db):
    return user_in_role(Role.COLLECTOR, username="collector_upload")


def test_sync_makes_version_1_of_every_kind_and_nothing_the_second_time(db):
    DocumentTemplate.objects.all().delete()  # as on a fresh database

    made = templates_sync_builtin()

    assert sorted(t.kind for t in made) == sorted(K.values)
    for template in made:
        shipped = (BUILTIN_DIR / f"{template.kind}.docx").read_bytes()
        assert template.version == 1
        assert template.source == DocumentTemplate.Source.BUILTIN
        assert template.sha256 == hashlib.sha256(shipped).hexdigest()
        assert blob_read(template.sha256) == shipped
        # the filing forms name the owner inside ``cause`` (…诉被告X物业服务合同纠纷)
        assert "owner" in template.variables or "cause" in template.variables
    again = templates_sync_builtin()
    assert {t.pk for t in again} == {t.pk for t in made}
    assert DocumentTemplate.objects.count() == len(K.values)


def test_uploaded_version_is_used_by_new_documents_only(story):
    story.open()
    story.remind()
    story.demand(deliver=False)
    old = story.document(K.DEMAND_LETTER)
    v1 = template_current(K.DEMAND_LETTER)
    assert (old.template, v1.version) == (v1, 1)

    v2 = template_upload(
        K.DEMAND_LETTER,
        with_paragraph(SHIPPED, EXTRA),
        actor=story.legal,
        name="催缴函（2026修订）.docx",
    )

    assert (v2.version, v2.source, v2.uploaded_by) == (2, "uploaded", story.legal)
    assert v2.original_name == "催缴函（2026修订）.docx"
    assert {"company", "estate", "owner"} <= set(v2.variables)
    assert template_current(K.DEMAND_LETTER) == v2
    new = legal_doc_generate(K.DEMAND_LETTER, unit=story.unit, case=story.fresh())
    assert new.template == v2
    assert "如需上门收费服务，请致电0571-88886667（翠湖花园管理处）。" in document_text(new)
    # the earlier document still points at version 1, whose file is still there
    old.refresh_from_db()
    assert old.template == v1
    assert blob_read(old.template.sha256) == SHIPPED
    assert "如需上门收费服务" not in document_text(old)


def test_uploading_the_same_file_again_adds_no_version(story):
    content = with_paragraph(SHIPPED, EXTRA)
    first = template_upload(K.DEMAND_LETTER, content, actor=story.legal)

    again = template_upload(K.DEMAND_LETTER, content, actor=story.legal)

    assert again == first
    assert DocumentTemplate.objects.filter(kind=K.DEMAND_LETTER).count() == 2


def test_a_collector_may_not_upload_a_template(collector):
    before = DocumentTemplate.objects.count()

    with pytest.raises(PermissionDenied):
        template_upload(K.DEMAND_LETTER, with_paragraph(SHIPPED, EXTRA), actor=collector)

    assert DocumentTemplate.objects.count() == before


@pytest.mark.parametrize("case", list(HOSTILE), ids=list(HOSTILE))
def test_hostile_or_malformed_upload_is_refused_and_makes_nothing(legal_officer, case):
    content, message = HOSTILE[case]
    templates = DocumentTemplate.objects.count()
    files = StoredFile.objects.count()

    with pytest.raises(TemplateRejected) as refused:
        template_upload(K.DEMAND_LETTER, content, actor=legal_officer, name=f"{case}.docx")

    assert any(message in error for error in refused.value.errors), refused.value.errors
    assert DocumentTemplate.objects.count() == templates
    assert StoredFile.objects.count() == files
    assert template_current(K.DEMAND_LETTER).version == 1
