"""The sandboxed renderer: what an owner reads in the Word file, and what a hostile template
cannot do. Templates are built here with python-docx, as a legal officer would in Word."""

from __future__ import annotations

import io
import re

import docx
import pytest

from legal_docs.rendering import TemplateRenderError, docx_text, render_docx

NAME = "张三 & 李四 <联名> \"业主\" '甲'"


def make_docx(
    *paragraphs: str,
    rows: list[list[str]] | None = None,
    header: str | None = None,
    title: str | None = None,
) -> bytes:
    """A .docx with ``paragraphs``, then a table of ``rows`` (each cell one run)."""
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if rows:
        table = document.add_table(rows=len(rows), cols=max(len(r) for r in rows))
        for row, cells in zip(table.rows, rows, strict=True):
            for cell, text in zip(row.cells, cells, strict=False):
                cell.text = text
    if header is not None:
        document.sections[0].header.paragraphs[0].text = header
    if title is not None:
        document.core_properties.title = title
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


NOTICE = make_docx(
    "尊敬的{{ owner.name }}：",
    "您尚欠下列费用：",
    rows=[
        ["{%tr for i in items %}"],
        ["{{ i.item }}", "{{ i.amount }}"],
        ["{%tr endfor %}"],
    ],
)
CONTEXT = {
    "owner": {"name": NAME},
    "items": [
        {"item": "物业管理费 <2025年>", "amount": "2,685.00"},
        {"item": "水费 & 电费", "amount": "156.00"},
    ],
}


def test_names_with_xml_characters_come_out_intact():
    text = docx_text(render_docx(NOTICE, CONTEXT))

    assert f"尊敬的{NAME}：" in text.splitlines()


def test_table_row_loop_gives_one_row_per_item_in_order():
    lines = docx_text(render_docx(NOTICE, CONTEXT)).splitlines()

    assert lines[-2:] == ["物业管理费 <2025年>\t2,685.00", "水费 & 电费\t156.00"]
    assert not any("{%" in line or "{{" in line for line in lines)


def test_header_and_document_title_render_without_escaping_artefacts():
    template = make_docx("正文", header="{{ owner.name }}", title="{{ owner.name }}的催款单")

    out = render_docx(template, CONTEXT)

    assert NAME in docx_text(out, headers_footers=True).splitlines()
    assert docx.Document(io.BytesIO(out)).core_properties.title == f"{NAME}的催款单"


def test_a_value_that_looks_like_jinja_is_printed_not_evaluated():
    context = {"owner": {"name": "{{ 7 * 7 }}{% raw %}"}, "items": []}

    text = docx_text(render_docx(NOTICE, context))

    assert "尊敬的{{ 7 * 7 }}{% raw %}：" in text


def test_the_documented_arrears_items_is_the_list_not_the_dict_method():
    template = make_docx("{% for i in arrears.items %}{{ i.item }}；{% endfor %}")

    out = render_docx(template, {"arrears": {"items": [{"item": "水费"}, {"item": "电费"}]}})

    assert docx_text(out) == "水费；电费；"


def test_same_template_renders_each_context_on_its_own():
    first = docx_text(render_docx(NOTICE, CONTEXT))
    other = docx_text(render_docx(NOTICE, {"owner": {"name": "王五"}, "items": []}))

    assert "尊敬的王五：" in other
    assert NAME not in other
    assert docx_text(render_docx(NOTICE, CONTEXT)) == first


def test_render_does_not_change_the_context():
    context = {"owner": {"name": NAME}, "items": [{"item": "水费", "amount": "1.00"}]}
    before = repr(context)

    render_docx(NOTICE, context)

    assert repr(context) == before


HOSTILE = [
    "{{ ''.__class__.__mro__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ ''|attr('__class__') }}",
    "{{ range.__globals__ }}",
    "{{ ().__class__.__base__.__subclasses__() }}",
    "{{ joiner.__init__.__globals__['os'] }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ owner.name.__class__ }}",
    "{{ owner.update({'name': 'x'}) }}",
    "{% set x = items.append(1) %}",
    "{{ 'x' * 1000000000 }}",
]


@pytest.mark.parametrize("expression", HOSTILE)
def test_hostile_template_is_refused_with_a_clear_message(expression):
    with pytest.raises(TemplateRenderError, match="which is not allowed"):
        render_docx(make_docx("前文", expression, "后文"), CONTEXT)


@pytest.mark.parametrize(
    "expression",
    [
        "{{ cycler.__init__.__globals__.os.system('touch TARGET') }}",
        "{{ joiner.__init__.__globals__['os'].popen('touch TARGET').read() }}",
        "{{ self.__init__.__globals__.__builtins__.__import__('os').system('touch TARGET') }}",
        "{% for c in [].__class__.__base__.__subclasses__() %}"
        "{% if c.__name__ == 'Popen' %}{{ c(['touch', 'TARGET']) }}{% endif %}{% endfor %}",
    ],
)
def test_hostile_template_executes_nothing(tmp_path, expression):
    target = tmp_path / "pwned_x"

    with pytest.raises(TemplateRenderError, match="not allowed"):
        render_docx(make_docx(expression.replace("TARGET", str(target))), CONTEXT)

    assert not target.exists()


def test_security_message_names_what_was_reached():
    with pytest.raises(TemplateRenderError) as caught:
        render_docx(make_docx("{{ ''.__class__.__mro__ }}"), CONTEXT)

    assert "tries to reach '__class__'" in str(caught.value)


def test_missing_value_is_named_with_its_full_path():
    template = make_docx("尊敬的{{ owner.nickname }}：")

    with pytest.raises(TemplateRenderError) as caught:
        render_docx(template, CONTEXT)

    assert str(caught.value) == (
        "the template uses {{ owner.nickname }}, which is not part of the document context"
    )


def test_every_missing_value_is_named():
    template = make_docx("{{ judge }}", "{{ owner.nickname }}", "{{ owner.name }}")

    with pytest.raises(
        TemplateRenderError, match=r"uses \{\{ judge \}\}, \{\{ owner.nickname \}\}, which are not"
    ):
        render_docx(template, CONTEXT)


def test_missing_value_inside_a_loop_is_named_by_its_list():
    template = make_docx("{% for i in items %}{{ i.unit_price }}{% endfor %}")

    with pytest.raises(
        TemplateRenderError, match=r"\{\{ i\.unit_price \}\} \(items\[\]\.unit_price\)"
    ):
        render_docx(template, CONTEXT)


@pytest.mark.parametrize(
    ("template_text", "message"),
    [
        ("尊敬的{{ owner.name }：", "unexpected '}'"),
        ("{% if owner.name %}没有结束", "Unexpected end of template"),
        ("{{ owner.name|no_such_filter }}", "No filter named 'no_such_filter'"),
    ],
)
def test_syntax_error_names_part_line_and_text(template_text, message):
    with pytest.raises(TemplateRenderError) as caught:
        render_docx(make_docx("第一段", template_text), CONTEXT)

    text = str(caught.value)
    assert text.startswith("the template has a syntax error in word/document.xml at line ")
    assert message in text


def test_syntax_error_quotes_the_paragraph():
    with pytest.raises(TemplateRenderError, match=re.escape("near “尊敬的{{ owner.name }：”")):
        render_docx(make_docx("第一段", "尊敬的{{ owner.name }："), CONTEXT)


def test_runtime_error_in_an_expression_is_a_render_error():
    with pytest.raises(TemplateRenderError, match="could not be rendered: TypeError"):
        render_docx(make_docx("{{ owner.name + 1 }}"), CONTEXT)


def test_render_error_is_a_value_error():
    assert issubclass(TemplateRenderError, ValueError)


def test_not_a_docx_is_a_clear_render_error():
    with pytest.raises(TemplateRenderError, match=r"not a readable \.docx"):
        render_docx(b"PK\x03\x04 definitely not a document", CONTEXT)


def test_docx_text_reads_paragraphs_and_tables_in_order():
    template = make_docx("甲", rows=[["乙", "丙"]])
    document = docx.Document(io.BytesIO(template))
    document.add_paragraph("丁")
    out = io.BytesIO()
    document.save(out)

    assert docx_text(out.getvalue()) == "甲\n乙\t丙\n丁"
