"""An uploaded template version is checked before anyone renders it: each refusal says why."""

from __future__ import annotations

import hashlib
import io
import os
import time
import zipfile

import docx
import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from legal_docs.validation import TemplateRejected, validate_template


@pytest.fixture(autouse=True)
def _english():
    """The messages below are the English source strings (the UI may translate them)."""
    with translation.override("en"):
        yield


def make_docx(*paragraphs: str, rows: list[list[str]] | None = None) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if rows:
        table = document.add_table(rows=len(rows), cols=max(len(r) for r in rows))
        for row, cells in zip(table.rows, rows, strict=True):
            for cell, text in zip(row.cells, cells, strict=False):
                cell.text = text
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


GOOD = make_docx(
    "律师函",
    "{{ owner.name }}：",
    "截至{{ arrears.as_of }}，您尚欠{{ arrears.total }}元（{{ arrears.total_capital }}）。",
    "请于{{ deadline }}前缴清。",
    "{{ law_firm.name }}　{{ lawyer.name }}",
    rows=[
        ["{%tr for row in arrears['items'] %}"],
        ["{{ row.item }}", "{{ row.months }}", "{{ row.amount }}"],
        ["{%tr endfor %}"],
    ],
)


def with_parts(base: bytes, **replace: bytes) -> bytes:
    """``base`` with some parts replaced or added (keys use __ for / and _dot_ for .)."""
    names = {k.replace("__", "/").replace("_dot_", "."): v for k, v in replace.items()}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            if info.filename not in names:
                dst.writestr(info, src.read(info))
        for name, data in names.items():
            dst.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def rejection(data: bytes, kind: str = "lawyer_letter") -> list[str]:
    with pytest.raises(TemplateRejected) as caught:
        validate_template(data, kind)
    return caught.value.errors


def test_good_template_is_accepted_with_its_hash_and_variables():
    report = validate_template(GOOD, "lawyer_letter")

    assert report.sha256 == hashlib.sha256(GOOD).hexdigest()
    assert report.variables == ("arrears", "deadline", "law_firm", "lawyer", "owner")
    assert "owner.name" in report.paths
    assert "arrears.items[].amount" in report.paths
    with zipfile.ZipFile(io.BytesIO(GOOD)) as archive:
        assert report.entry_count == len(archive.infolist())


def test_rejection_is_a_validation_error_listing_every_message():
    with pytest.raises(ValidationError) as caught:
        validate_template(make_docx("{{ owner.nickname }}", "{{ judge }}"), "lawyer_letter")

    assert caught.value.messages == [
        "uses {{ judge }}, which is not in the lawyer_letter context",
        "uses {{ owner.nickname }}, which is not in the lawyer_letter context",
    ]


def test_not_a_zip():
    assert rejection(b"%PDF-1.7 this is a PDF") == [
        "the file is not a .docx (it is not a zip archive)"
    ]


def test_a_zip_without_word_parts():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")

    assert rejection(out.getvalue()) == [
        "the file is not a Word .docx document (no [Content_Types].xml and no word/document.xml)"
    ]


XXE = (
    b'<?xml version="1.0"?>\n<!DOCTYPE w:document [\n'
    b'  <!ENTITY xxe SYSTEM "file:///etc/passwd">\n]>\n'
    b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    b"<w:body><w:p><w:r><w:t>&xxe;</w:t></w:r></w:p></w:body></w:document>"
)


def test_doctype_and_entity_declarations_are_refused():
    errors = rejection(with_parts(GOOD, word__document_dot_xml=XXE))

    assert errors == [
        "the part word/document.xml contains <!DOCTYPE …>, which templates may not have "
        "(XML external entities)",
        "the part word/document.xml contains <!ENTITY …>, which templates may not have "
        "(XML external entities)",
    ]


def test_doctype_in_utf16_part_is_found_too():
    errors = rejection(with_parts(GOOD, word__settings_dot_xml=XXE.decode().encode("utf-16")))

    assert any("word/settings.xml contains <!DOCTYPE" in e for e in errors)


def test_zip_bomb_is_refused_from_the_directory_alone():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as bomb:
        with zipfile.ZipFile(io.BytesIO(GOOD)) as good:
            for info in good.infolist():
                bomb.writestr(info, good.read(info))
        with bomb.open("word/media/zeros.bin", "w") as part:
            chunk = bytes(1024 * 1024)
            for _ in range(50):
                part.write(chunk)
    data = out.getvalue()
    assert len(data) < 1024 * 1024  # a small upload …

    started = time.perf_counter()
    errors = rejection(data)

    assert time.perf_counter() - started < 1  # … refused without unpacking 50 MB
    assert any(
        e.startswith("the archive unpacks to 50.")
        and e.endswith("MB; a template may unpack to at most 30 MB")
        for e in errors
    )
    assert any(
        e.startswith("the part word/media/zeros.bin is compressed ") and e.endswith("a zip bomb")
        for e in errors
    )


def test_too_many_entries():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive, zipfile.ZipFile(io.BytesIO(GOOD)) as good:
        for info in good.infolist():
            archive.writestr(info, good.read(info))
        for i in range(500):
            archive.writestr(f"word/media/dot{i}.txt", "")

    errors = rejection(out.getvalue())

    assert errors == ["the archive has 517 entries; a template may have at most 500"]


def test_upload_over_ten_megabytes():
    noise = os.urandom(11 * 1024 * 1024)  # incompressible: the upload itself is > 10 MB
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive, zipfile.ZipFile(io.BytesIO(GOOD)) as good:
        for info in good.infolist():
            archive.writestr(info, good.read(info))
        archive.writestr("word/media/photo.bin", noise, compress_type=zipfile.ZIP_STORED)

    errors = rejection(out.getvalue())

    assert errors == ["the upload is 11.0 MB; a template may be at most 10 MB"]


def test_macros_are_refused():
    errors = rejection(with_parts(GOOD, word__vbaProject_dot_bin=b"\xd0\xcf\x11\xe0"))

    assert errors == ["the document contains macros (vbaProject.bin); upload a plain .docx"]


def test_unknown_variable_is_listed_by_name():
    template = make_docx("{{ owner.name }}", "{{ owner.nickname }}")

    assert rejection(template) == [
        "uses {{ owner.nickname }}, which is not in the lawyer_letter context"
    ]


def test_every_unknown_variable_is_listed_even_in_a_branch_the_sample_does_not_take():
    template = make_docx(
        "{% if arrears.late_fee_in_contract %}{{ arrears.late_fee }}"
        "{% else %}{{ arrears.waived_late_fee }}{% endif %}",
        "{{ court.name }}",  # documented for a complaint, not for a lawyer letter
        rows=[
            ["{%tr for row in arrears['items'] %}"],
            ["{{ row.item }}", "{{ row.unit_price }}"],
            ["{%tr endfor %}"],
        ],
    )

    assert rejection(template) == [
        "uses {{ row.unit_price }} (arrears.items[].unit_price), which is not in the "
        "lawyer_letter context",
        "uses {{ arrears.waived_late_fee }}, which is not in the lawyer_letter context",
        "uses {{ court }}, which is not in the lawyer_letter context",
    ]


def test_same_variable_is_fine_for_the_kind_that_documents_it():
    report = validate_template(
        make_docx("{{ court.name }}", "{{ court_fee.payable }}"), "civil_complaint"
    )

    assert report.variables == ("court", "court_fee")


@pytest.mark.parametrize(
    ("expression", "attribute"),
    [
        ("{{ ''.__class__.__mro__ }}", "__class__"),
        ("{{ cycler.__init__.__globals__.os.system('id') }}", "__init__"),
        ("{{ ''|attr('__class__') }}", "__class__"),
        ("{{ range.__globals__ }}", "__globals__"),
    ],
)
def test_hostile_template_is_refused(expression, attribute):
    errors = rejection(make_docx("{{ owner.name }}", expression))

    assert any(f"tries to reach '{attribute}'" in e and "not allowed" in e for e in errors)


def test_a_template_that_would_change_its_context_is_refused():
    errors = rejection(make_docx("{% if false %}{{ owner.update({'name': '某某'}) }}{% endif %}"))

    assert errors == [
        "the template tries to reach 'update' of a dict value, which is not allowed "
        "(a document template may only read its context)"
    ]


def test_documented_items_may_be_read_as_an_attribute_or_a_key():
    template = make_docx(
        "{% for row in arrears.items %}{{ row.item }}{% endfor %}",
        "{% for row in arrears['items'] %}{{ row['amount'] }}{% endfor %}",
    )

    report = validate_template(template, "payment_notice")

    assert report.paths == ("arrears.items[].amount", "arrears.items[].item")


def test_hostile_code_in_a_branch_never_taken_is_refused_too():
    errors = rejection(make_docx("{% if false %}{{ owner.__class__ }}{% endif %}"))

    assert errors == [
        "the template tries to reach '__class__', which is not allowed "
        "(a document template may only read its context)"
    ]


def test_syntax_error_is_refused_with_its_line():
    errors = rejection(make_docx("第一段", "尊敬的{{ owner.name }："))

    assert len(errors) == 1
    assert errors[0].startswith("the template has a syntax error in word/document.xml at line ")
    assert "near “尊敬的{{ owner.name }：”" in errors[0]


def test_include_is_refused():
    errors = rejection(make_docx("{% include 'other.docx' %}"))

    assert "the template uses {% include %}, which document templates cannot" in errors


def test_unknown_kind():
    with pytest.raises(TemplateRejected, match="unknown document kind 'lawyer_poem'"):
        validate_template(GOOD, "lawyer_poem")
