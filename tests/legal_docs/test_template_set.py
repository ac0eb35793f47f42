"""The shipped Word template set (legal_docs/templates/docx) against the documented contexts.

Every kind's template is rendered the way production renders it (docxtpl inside a sandboxed,
autoescaping Jinja environment) with ``StrictUndefined``, so a template that uses a variable not
documented in ``legal_docs.contexts_schema`` fails here rather than in front of a user.
"""

from __future__ import annotations

import copy
import io
import re
import zipfile
from pathlib import Path

import jinja2
import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docxtpl import DocxTemplate
from jinja2.sandbox import SandboxedEnvironment

from legal_docs.contexts_schema import SAMPLE_CONTEXTS, sample_context
from legal_docs.kinds import DocumentKind as K
from legal_docs.templates import build

KINDS = [str(kind) for kind in K]

# Paths into the sample context whose values must appear in the rendered document.
PARTIES = ("owner.name", "unit.label", "doc_date")
ARREARS = (
    "arrears.items.0.item",
    "arrears.items.0.months",
    "arrears.items.0.amount",
    "arrears.items.2.amount",
    "arrears.principal",
    "arrears.principal_capital",
    "arrears.late_fee",
    "arrears.late_fee_capital",
    "arrears.total",
    "arrears.total_capital",
)
CLAIMS = (
    "claims.0.text",
    "claims.0.amount",
    "claims.1.amount",
    "claim_total",
    "claim_total_capital",
    "facts.0",
    "facts.1",
    "court.name",
    "court_fee.payable",
    "court_fee.basis",
    "company.credit_code",
    "company.legal_representative",
    "owner.id_number",
)
EXPECTED: dict[str, tuple[str, ...]] = {
    K.PAYMENT_NOTICE: PARTIES
    + ARREARS
    + ("pay_by", "company.name", "company.office_address", "company.office_phone"),
    K.DEMAND_LETTER: PARTIES + ARREARS + ("deadline", "company.name", "doc_number"),
    K.LAWYER_LETTER: PARTIES
    + ARREARS
    + (
        "deadline",
        "company.name",
        "law_firm.name",
        "law_firm.address",
        "law_firm.phone",
        "lawyer.name",
        "lawyer.license_no",
        "legal_basis.0",
        "legal_basis.1",
        "demand_served_on",
    ),
    K.PAYMENT_ORDER_APPLICATION: PARTIES + CLAIMS + ("demand_served_on",),
    K.CIVIL_COMPLAINT: PARTIES
    + CLAIMS
    + ("reasons.0", "court_fee.full", "demand_served_on", "lawyer_letter_served_on"),
    K.EVIDENCE_LIST: (
        *PARTIES,
        "case.number",
        "court.name",
        "company.name",
        "items.0.date",
        "items.0.kind",
        "items.0.description",
        "items.0.proves",
        "items.0.sha256",
        "chain_status",
    ),
    K.LAWYER_LETTER_WITHDRAWAL: (
        *PARTIES,
        "law_firm.name",
        "law_firm.address",
        "lawyer.name",
        "lawyer.license_no",
        "company.name",
        "lawyer_letter_date",
        "settlement",
    ),
    K.LAWSUIT_WITHDRAWAL: (
        *PARTIES,
        "company.name",
        "court.name",
        "court_case_number",
        "filed_on",
        "reason",
        "court_fee.payable",
        "court_fee.basis",
    ),
    K.INSTALLMENT_AGREEMENT: (
        *PARTIES,
        "company.name",
        "owner.id_number",
        "plan_total",
        "plan_total_capital",
        "schedule.0.due_date",
        "schedule.0.amount",
        "schedule.2.amount_capital",
        "arrears.principal_capital",
    ),
    K.WAIVER_APPROVAL: (
        *PARTIES,
        "arrears.principal",
        "waiver.amount",
        "waiver.amount_capital",
        "waiver.late_fee_before",
        "waiver.late_fee_after",
        "waiver.reason_category",
        "waiver.reason",
        "waiver.requested_by",
        "waiver.requested_on",
        "waiver.approved_by",
        "waiver.approved_on",
    ),
}
FILING_FORM = ("doc_date", "doc_number", "cause", "company.name", "company.credit_code")
EXPECTED[K.SERVICE_ADDRESS_CONFIRMATION] = (
    *FILING_FORM,
    "company.legal_representative",
    "service.address",
    "service.recipient",
    "service.phone",
    "service.postal_code",
    "service.email",
)
EXPECTED[K.POWER_OF_ATTORNEY] = (
    *FILING_FORM,
    "company.address",
    "legal_representative_title",
    "lawyer.name",
    "lawyer.license_no",
    "lawyer.phone",
    "law_firm.name",
    "court.name",
    "authority.label",
    "authority.powers",
    "term",
)
# Phrases built from the context that prove the wording around a value, not just the value.
PHRASES: dict[str, tuple[str, ...]] = {
    K.PAYMENT_NOTICE: (
        "No.第{notice_count}次催款",
        "按日加收所欠费用{arrears[late_fee_rate]}的滞纳金",
    ),
    K.DEMAND_LETTER: ("{deadline_days}日内", "民法典》第九百四十四条", "（盖章）"),
    K.LAWYER_LETTER: ("受{company[name]}委托", "{deadline_days}日内", "（签字）"),
    K.PAYMENT_ORDER_APPLICATION: ("此致", "请求事项", "事实与理由"),
    K.CIVIL_COMPLAINT: ("此致", "诉讼请求", "事实与理由", "具状人"),
    K.EVIDENCE_LIST: ("序号", "证据类型", "证明目的", "SHA-256"),
    K.LAWYER_LETTER_WITHDRAWAL: ("撤销", "（签字）"),
    K.LAWSUIT_WITHDRAWAL: ("此致", "撤诉"),
    K.INSTALLMENT_AGREEMENT: ("甲方", "乙方", "逾期超过{default_days}日", "第{schedule[2][no]}期"),
    K.WAIVER_APPROVAL: ("审批",),
}
PHRASES[K.SERVICE_ADDRESS_CONFIRMATION] = ("是否接受电子送达", "即视为送达", "（盖章）")
PHRASES[K.POWER_OF_ATTORNEY] = (
    "受托人：{lawyer[name]}",
    "代理权限：{authority[label]}",
    "（盖章）",
)
# Documents that go to the owner must not threaten to cut utilities (Civil Code art. 944).
NO_UTILITY_THREATS = (K.PAYMENT_NOTICE, K.DEMAND_LETTER, K.LAWYER_LETTER)
THREAT_WORDS = ("停水", "停电", "停气", "暂停", "停止供", "断水", "断电", "停暖")

# 欠费明细及滞纳金计算表 (issue 13 part 3).
EXPECTED[K.CALCULATION_TABLE] = (
    *PARTIES,
    "calc.rows.0.basis",
    "calc.rows.0.due_date",
    "calc.rows.0.outstanding",
    "calc.rows.0.days_late",
    "calc.rows.1.late_fee_claimed",
    "calc.principal",
    "calc.late_fee_claimed",
    "calc.total_capital",
    "calc.remarks.0",
    "table_date",
)
PHRASES[K.CALCULATION_TABLE] = ("请求金额合计人民币{calc[total]}元",)

# Kinds whose late-fee wording depends on arrears.late_fee_in_contract.
LATE_FEE_KINDS = (K.PAYMENT_NOTICE, K.DEMAND_LETTER, K.LAWYER_LETTER)

TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}")
A4 = (21.0, 29.7)
LANDSCAPE_KINDS = (K.CALCULATION_TABLE,)


def jinja_env() -> SandboxedEnvironment:
    return SandboxedEnvironment(autoescape=True, undefined=jinja2.StrictUndefined)


def template_file(kind: str) -> Path:
    return build.template_path(kind)


def render(kind: str, context: dict | None = None):
    template = DocxTemplate(template_file(kind))
    template.render(sample_context(kind) if context is None else context, jinja_env=jinja_env())
    buffer = io.BytesIO()
    template.save(buffer)
    buffer.seek(0)
    return Document(buffer)


def lookup(context: dict, path: str) -> str:
    value = context
    for part in path.split("."):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return str(value)


def _table_text(table) -> list[str]:
    texts = []
    for row in table.rows:
        for cell in row.cells:
            texts.extend(p.text for p in cell.paragraphs)
            for nested in cell.tables:
                texts.extend(_table_text(nested))
    return texts


def document_text(document) -> str:
    """Body paragraphs, table cells, headers and footers."""
    texts = [p.text for p in document.paragraphs]
    for table in document.tables:
        texts.extend(_table_text(table))
    for section in document.sections:
        for part in (section.header, section.footer):
            texts.extend(p.text for p in part.paragraphs)
    return "\n".join(texts)


@pytest.fixture(scope="module")
def rendered() -> dict[str, object]:
    return {kind: render(kind) for kind in KINDS}


def test_every_kind_has_a_template_file():
    assert set(KINDS) == {str(kind) for kind in SAMPLE_CONTEXTS}
    for kind in KINDS:
        assert template_file(kind).is_file(), f"missing {template_file(kind)}: run the build"


@pytest.mark.parametrize("kind", KINDS)
def test_renders_the_documented_values(kind, rendered):
    context = sample_context(kind)
    text = document_text(rendered[kind])
    for path in EXPECTED[kind]:
        value = lookup(context, path)
        assert value in text, f"{kind}: {path} = {value!r} not in the document"
    for phrase in PHRASES[kind]:
        expected = phrase.format(**context)
        assert expected in text, f"{kind}: {expected!r} not in the document"
    assert "{{" not in text
    assert "{%" not in text
    assert "&amp;" not in text  # escaped once by the renderer, not twice


@pytest.mark.parametrize("kind", KINDS)
def test_owner_name_with_markup_characters_survives(kind, rendered):
    name = sample_context(kind)["owner"]["name"]
    assert all(ch in name for ch in '&<>"'), "the sample should exercise escaping"
    assert name in document_text(rendered[kind])


@pytest.mark.parametrize("kind", KINDS)
def test_page_is_a4_with_sensible_margins(kind, rendered):
    for section in rendered[kind].sections:
        size = (section.page_width.cm, section.page_height.cm)
        if kind in LANDSCAPE_KINDS:  # a wide table: A4 turned
            size = size[::-1]
        assert size[0] == pytest.approx(A4[0], abs=0.05)
        assert size[1] == pytest.approx(A4[1], abs=0.05)
        for margin in (
            section.top_margin,
            section.bottom_margin,
            section.left_margin,
            section.right_margin,
        ):
            assert 2.0 <= margin.cm <= 3.2


@pytest.mark.parametrize("kind", KINDS)
def test_east_asian_fonts_are_set(kind, rendered):
    document = rendered[kind]
    normal = document.styles["Normal"].element.rPr.rFonts
    assert normal.get(qn("w:eastAsia")) == "宋体"
    assert normal.get(qn("w:ascii")) == "Times New Roman"
    runs = [r for r in document.element.body.iter(qn("w:r")) if r.find(qn("w:t")) is not None]
    assert runs
    for run in runs:
        rfonts = run.find(qn("w:rPr")).find(qn("w:rFonts"))
        assert rfonts is not None and rfonts.get(qn("w:eastAsia")), run.xpath("string(.)")
    titles = [p for p in document.paragraphs if p.style.name == "Doc Title"]
    assert titles, "every document has a title"
    style = titles[0].style
    assert style.element.rPr.rFonts.get(qn("w:eastAsia")) == "黑体"
    assert style.font.size.pt == 18
    assert style.font.bold
    assert style.paragraph_format.alignment == WD_ALIGN_PARAGRAPH.CENTER


@pytest.mark.parametrize("kind", NO_UTILITY_THREATS)
def test_no_threat_to_cut_utilities(kind, rendered):
    text = document_text(rendered[kind])
    for word in THREAT_WORDS:
        assert word not in text, f"{kind} contains {word!r}"


@pytest.mark.parametrize("kind", LATE_FEE_KINDS)
def test_late_fee_wording_only_when_the_contract_has_one(kind):
    context = sample_context(kind)
    context["arrears"]["late_fee_in_contract"] = False
    text = document_text(render(kind, context))
    assert "滞纳金" not in text
    assert context["arrears"]["late_fee_rate"] not in text
    assert context["arrears"]["principal_capital"] in text


@pytest.mark.parametrize("kind", (K.PAYMENT_ORDER_APPLICATION, K.CIVIL_COMPLAINT))
def test_court_filings_claim_late_fees_only_through_claims(kind):
    context = sample_context(kind)
    context["claims"] = [c for c in context["claims"] if "滞纳金" not in c["text"]]
    text = document_text(render(kind, context))
    assert "滞纳金" not in text
    assert context["arrears"]["late_fee"] not in text


def test_arrears_table_has_one_row_per_item():
    context = sample_context(K.PAYMENT_NOTICE)
    context["arrears"]["items"] = copy.deepcopy(context["arrears"]["items"]) * 2
    document = render(K.PAYMENT_NOTICE, context)
    table = document.tables[0]
    item_rows = [r for r in table.rows if r.cells[1].text == context["arrears"]["items"][0]["item"]]
    assert len(item_rows) == 2
    assert [c.text for c in table.rows[0].cells] == [
        "序号",
        "费用项目",
        "欠费期间",
        "月数",
        "金额（元）",
    ]


def test_evidence_list_columns_and_small_hash(rendered):
    table = rendered[K.EVIDENCE_LIST].tables[0]
    assert [c.text for c in table.rows[0].cells] == [
        "序号",
        "日期",
        "证据类型",
        "证据内容",
        "证明目的",
        "SHA-256",
    ]
    hash_cell = table.rows[1].cells[5]
    assert hash_cell.text == "a" * 64
    assert all(run.font.size.pt <= 8 for run in hash_cell.paragraphs[0].runs)


@pytest.mark.parametrize("kind", KINDS)
def test_variables_are_documented(kind):
    """Top-level names in every branch (not only the rendered ones) are in the sample."""
    template = DocxTemplate(template_file(kind))
    used = template.get_undeclared_template_variables(jinja_env())
    assert used <= set(SAMPLE_CONTEXTS[kind]), used - set(SAMPLE_CONTEXTS[kind])


@pytest.mark.parametrize("kind", KINDS)
def test_each_tag_is_inside_one_run(kind):
    document = Document(template_file(kind))
    paragraphs = list(document.paragraphs)
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                paragraphs.extend(cell.paragraphs)
    for paragraph in paragraphs:
        runs = [run.text for run in paragraph.runs]
        for tag in TAG.findall(paragraph.text):
            assert any(tag in run for run in runs), f"{kind}: {tag!r} is split across runs"


def test_build_output_is_current(tmp_path):
    """The committed .docx files are what build.py produces (rebuild after editing it)."""
    for path in build.build(tmp_path):
        committed = template_file(path.stem)
        with zipfile.ZipFile(path) as fresh, zipfile.ZipFile(committed) as shipped:
            assert sorted(fresh.namelist()) == sorted(shipped.namelist()), path.name
            for name in fresh.namelist():
                assert fresh.read(name) == shipped.read(name), f"{path.name}:{name} is stale"
