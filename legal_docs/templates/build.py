"""Build the shipped docxtpl template set: one Word template per document kind.

Run ``python -m legal_docs.templates.build`` (optionally with an output directory) to (re)write
``legal_docs/templates/docx/<kind>.docx``. The documents are written with python-docx so that the
layout lives in reviewable code: A4 with 2.5 cm margins, body 宋体 小四 (12 pt), titles 黑体 小二
(18 pt) bold and centred, Latin text in Times New Roman, page numbers in the footer.

Rules the templates follow (checked by ``tests/legal_docs/test_template_set.py``):

* They use only variables documented in ``legal_docs.contexts_schema.SAMPLE_CONTEXTS[kind]``
  (and loop variables over the lists in it); values arrive pre-formatted, so no custom filters.
* Every Jinja tag sits inside a single run: each paragraph that holds a tag is written with one
  ``add_run``.
* ``arrears['items']`` is subscripted, never ``arrears.items``: Jinja's attribute lookup would
  return the ``dict.items`` method instead of the list.
* No threat to cut water, power, gas or heating, or to suspend services (Civil Code art. 944).
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from legal_docs.kinds import DocumentKind as K

OUT_DIR = Path(__file__).resolve().parent / "docx"

SONG = "宋体"  # SimSun: body text
HEI = "黑体"  # SimHei: titles and headings
LATIN = "Times New Roman"
MONO = "Courier New"  # hashes

BODY_PT = 12  # 小四
TITLE_PT = 18  # 小二
LETTERHEAD_PT = 22  # 二号
SMALL_PT = 10.5  # 五号
FOOTER_PT = 9  # 小五
HASH_PT = 8

PAGE_W_CM, PAGE_H_CM, MARGIN_CM = 21.0, 29.7, 2.5
TEXT_W_CM = PAGE_W_CM - 2 * MARGIN_CM  # 16.0

# Fixed package metadata, so that a rebuild of unchanged code gives identical parts.
BUILD_TIME = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

LEFT, CENTER, RIGHT, JUSTIFY = (
    WD_ALIGN_PARAGRAPH.LEFT,
    WD_ALIGN_PARAGRAPH.CENTER,
    WD_ALIGN_PARAGRAPH.RIGHT,
    WD_ALIGN_PARAGRAPH.JUSTIFY,
)

HEI_STYLES = frozenset({"Doc Title", "Doc Heading", "Letterhead"})

# Jinja fragments used in several templates.
IF_LATE_FEE = "{% if arrears.late_fee_in_contract %}"
ENDIF = "{% endif %}"
OWNER_ID_LABEL = (
    '{% if owner.kind == "自然人" %}公民身份号码{% else %}统一社会信用代码{% endif %}：'
    "{{ owner.id_number }}"
)
CLAIM_LINE = (
    "{{ c.no }}. {{ c.text }}{% if c.amount %}，金额为人民币{{ c.amount }}元{% endif %}"
    "{% if loop.last %}。{% else %}；{% endif %}"
)


# --- low-level XML helpers -----------------------------------------------------------------


def _set_fonts(rpr, east: str, latin: str = LATIN) -> None:
    """Explicit fonts on an ``w:rPr``: Latin in ``latin``, East Asian text in ``east``."""
    rfonts = rpr.get_or_add_rFonts()
    for attr in list(rfonts.attrib):
        if attr.endswith("Theme") or attr.endswith("theme"):
            del rfonts.attrib[attr]  # theme fonts would override the explicit ones
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        rfonts.set(qn(attr), latin)
    rfonts.set(qn("w:eastAsia"), east)


def _border(side: str, val: str = "single", size: int = 6, space: int = 1) -> OxmlElement:
    el = OxmlElement(f"w:{side}")
    el.set(qn("w:val"), val)
    el.set(qn("w:sz"), str(size))
    el.set(qn("w:space"), str(space))
    el.set(qn("w:color"), "auto")
    return el


def _paragraph_border(paragraph: Paragraph, side: str, val: str, size: int = 6) -> None:
    ppr = paragraph._p.get_or_add_pPr()
    pbdr = OxmlElement("w:pBdr")
    pbdr.append(_border(side, val, size, space=4))
    ppr.insert_element_before(
        pbdr,
        "w:shd",
        "w:tabs",
        "w:suppressAutoHyphens",
        "w:kinsoku",
        "w:wordWrap",
        "w:overflowPunct",
        "w:topLinePunct",
        "w:autoSpaceDE",
        "w:autoSpaceDN",
        "w:bidi",
        "w:adjustRightInd",
        "w:snapToGrid",
        "w:spacing",
        "w:ind",
        "w:contextualSpacing",
        "w:mirrorIndents",
        "w:suppressOverlap",
        "w:jc",
        "w:textDirection",
        "w:textAlignment",
        "w:textboxTightWrap",
        "w:outlineLvl",
        "w:divId",
        "w:cnfStyle",
        "w:rPr",
        "w:sectPr",
        "w:pPrChange",
    )


def _shade(cell: _Cell, fill: str) -> None:
    tcpr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    tcpr.insert_element_before(
        shd, "w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark"
    )


def _row_flag(row, tag: str) -> None:
    """``w:cantSplit`` / ``w:tblHeader`` on a table row (trPr children keep schema order)."""
    trpr = row._tr.get_or_add_trPr()
    el = OxmlElement(tag)
    if tag == "w:cantSplit":
        trpr.insert_element_before(el, "w:trHeight", "w:tblHeader", "w:tblCellSpacing", "w:jc")
    else:
        trpr.insert_element_before(el, "w:tblCellSpacing", "w:jc", "w:hidden")


# --- the document builder ------------------------------------------------------------------


class Template:
    """A python-docx document with the house styles and helpers for a legal document."""

    def __init__(self, title: str) -> None:
        self.doc = Document()
        self._setup_package(title)
        self._setup_styles()
        self._setup_page()

    # set-up ----------------------------------------------------------------------------

    def _setup_package(self, title: str) -> None:
        props = self.doc.core_properties
        props.title = title
        props.subject = title
        props.author = "fee-recovery legal_docs"
        props.comments = "docxtpl 模板；可用变量见 legal_docs/contexts_schema.py"
        # Only Dublin Core properties: once docxtpl (docxcompose) is imported, python-docx writes
        # the cp: ones (keywords, revision, last printed…) under a wrong namespace, and the
        # build must not depend on what the process imported before it.
        props.language = "zh-CN"
        props.created = BUILD_TIME.replace(tzinfo=None)
        props.modified = BUILD_TIME.replace(tzinfo=None)
        package = self.doc.part.package
        for rid, rel in list(package.rels.items()):
            if rel.reltype == RT.THUMBNAIL:  # python-docx's stock preview image
                del package.rels[rid]
        # East Asian theme language: Chinese, not the stock template's Japanese.
        settings = self.doc.settings.element
        theme_lang = settings.find(qn("w:themeFontLang"))
        if theme_lang is not None:
            theme_lang.set(qn("w:eastAsia"), "zh-CN")

    def _setup_styles(self) -> None:
        styles = self.doc.styles
        # Document defaults: explicit fonts (no theme fonts), Chinese as the East Asian language.
        defaults = styles.element.find(qn("w:docDefaults"))
        rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
        _set_fonts(rpr, SONG)
        lang = rpr.find(qn("w:lang"))
        lang.set(qn("w:eastAsia"), "zh-CN")

        normal = styles["Normal"]
        normal.font.size = Pt(BODY_PT)
        _set_fonts(normal.element.get_or_add_rPr(), SONG)
        pf = normal.paragraph_format
        pf.space_before = Pt(0)
        pf.space_after = Pt(0)
        pf.line_spacing = 1.5
        pf.alignment = JUSTIFY
        pf.widow_control = True

        def add(name: str, *, east: str = SONG, size: float = BODY_PT, bold: bool = False):
            style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
            style.base_style = normal
            style.quick_style = True
            style.font.size = Pt(size)
            style.font.bold = bold
            _set_fonts(style.element.get_or_add_rPr(), east)
            return style

        body = add("Doc Body")
        body.paragraph_format.first_line_indent = Pt(2 * BODY_PT)  # 首行缩进2字符

        title = add("Doc Title", east=HEI, size=TITLE_PT, bold=True)
        title.paragraph_format.alignment = CENTER
        title.paragraph_format.space_before = Pt(6)
        title.paragraph_format.space_after = Pt(12)
        title.paragraph_format.keep_with_next = True

        heading = add("Doc Heading", east=HEI)
        heading.paragraph_format.space_before = Pt(6)
        heading.paragraph_format.keep_with_next = True

        sign = add("Doc Sign")
        sign.paragraph_format.alignment = RIGHT
        sign.paragraph_format.right_indent = Pt(2 * BODY_PT)
        sign.paragraph_format.keep_with_next = True

        table_text = add("Table Text", size=SMALL_PT)
        table_text.paragraph_format.line_spacing = 1.0
        table_text.paragraph_format.space_before = Pt(2)
        table_text.paragraph_format.space_after = Pt(2)

        letterhead = add("Letterhead", east=HEI, size=LETTERHEAD_PT, bold=True)
        letterhead.paragraph_format.alignment = CENTER
        letterhead.paragraph_format.line_spacing = 1.0

        footer = add("Doc Footer", size=FOOTER_PT)
        footer.paragraph_format.alignment = CENTER
        footer.paragraph_format.line_spacing = 1.0

    def _setup_page(self) -> None:
        section = self.doc.sections[0]
        section.page_width = Cm(PAGE_W_CM)
        section.page_height = Cm(PAGE_H_CM)
        for side in ("top_margin", "bottom_margin", "left_margin", "right_margin"):
            setattr(section, side, Cm(MARGIN_CM))
        section.header_distance = Cm(1.5)
        section.footer_distance = Cm(1.5)
        # Footer: 第 X 页 共 Y 页
        paragraph = section.footer.paragraphs[0]
        paragraph.style = self.doc.styles["Doc Footer"]
        self.run(paragraph, "第 ")
        self._field(paragraph, "PAGE")
        self.run(paragraph, " 页 共 ")
        self._field(paragraph, "NUMPAGES")
        self.run(paragraph, " 页")

    def _field(self, paragraph: Paragraph, instr: str) -> None:
        run = self.run(paragraph, "1")
        field = OxmlElement("w:fldSimple")
        field.set(qn("w:instr"), f" {instr} \\* MERGEFORMAT ")
        run._r.addprevious(field)
        field.append(run._r)

    # runs and paragraphs -----------------------------------------------------------------

    def run(
        self,
        paragraph: Paragraph,
        text: str,
        *,
        east: str | None = None,
        latin: str = LATIN,
        bold: bool | None = None,
        size: float | None = None,
        underline: bool = False,
    ) -> Run:
        """One run; a run holding a Jinja tag must hold the whole tag (docxtpl rule)."""
        run = paragraph.add_run(text)
        if east is None:
            east = HEI if paragraph.style.name in HEI_STYLES else SONG
        _set_fonts(run._r.get_or_add_rPr(), east, latin)
        if bold is not None:
            run.bold = bold
        if size is not None:
            run.font.size = Pt(size)
        if underline:
            run.underline = True
        return run

    def para(
        self,
        text: str = "",
        style: str = "Normal",
        *,
        align: WD_ALIGN_PARAGRAPH | None = None,
        bold: bool | None = None,
        size: float | None = None,
        east: str | None = None,
        keep_with_next: bool | None = None,
        space_before: float | None = None,
    ) -> Paragraph:
        paragraph = self.doc.add_paragraph(style=self.doc.styles[style])
        if align is not None:
            paragraph.alignment = align
        if keep_with_next is not None:
            paragraph.paragraph_format.keep_with_next = keep_with_next
        if space_before is not None:
            paragraph.paragraph_format.space_before = Pt(space_before)
        if text:
            self.run(paragraph, text, bold=bold, size=size, east=east)
        return paragraph

    def title(self, text: str) -> Paragraph:
        return self.para(text, "Doc Title")

    def heading(self, text: str) -> Paragraph:
        return self.para(text, "Doc Heading")

    def body(self, text: str) -> Paragraph:
        """A body paragraph, first line indented by two characters."""
        return self.para(text, "Doc Body")

    def line(self, text: str = "", **kwargs) -> Paragraph:
        """A paragraph without indent (addressee lines, party blocks)."""
        return self.para(text, "Normal", **kwargs)

    def tag(self, text: str) -> Paragraph:
        """A paragraph holding only a ``{%p … %}`` tag; docxtpl drops the paragraph itself."""
        return self.para(text, "Normal")

    def sign(self, *lines: str) -> None:
        """Right-aligned signature block: signer, seal placeholder, date."""
        for i, text in enumerate(lines):
            paragraph = self.para(text, "Doc Sign")
            if i == 0:
                paragraph.paragraph_format.space_before = Pt(BODY_PT * 2)

    def tabbed(self, left: str, right: str) -> Paragraph:
        """One line, ``left`` at the margin and ``right`` flush with the right margin."""
        paragraph = self.para("", "Normal")
        paragraph.paragraph_format.tab_stops.add_tab_stop(Cm(TEXT_W_CM), WD_TAB_ALIGNMENT.RIGHT)
        self.run(paragraph, f"{left}\t{right}")
        return paragraph

    def letterhead(self, name: str, contact: str) -> None:
        self.para(name, "Letterhead")
        paragraph = self.para(contact, "Normal", align=CENTER, size=SMALL_PT)
        paragraph.paragraph_format.space_after = Pt(12)
        _paragraph_border(paragraph, "bottom", "thinThickSmallGap", size=18)

    def addressed_to(self, *lines: str) -> None:
        for text in lines:
            self.line(text)

    def court_closing(self, court: str = "{{ court.name }}") -> None:
        """此致 + the court, in the customary layout (此致 indented, the court at the margin)."""
        self.para("此致", "Doc Body", space_before=6)
        self.line(court)

    def attachments(self, *items: str) -> None:
        self.line("附：", space_before=BODY_PT)
        for i, text in enumerate(items, start=1):
            paragraph = self.line(f"{i}. {text}")
            paragraph.paragraph_format.left_indent = Pt(2 * BODY_PT)

    def receipt(self, document_name: str) -> None:
        """A tear-off acknowledgement of receipt: proof that the demand arrived."""
        cut = self.para("（沿此线剪下）", "Normal", align=CENTER, size=FOOTER_PT, space_before=18)
        _paragraph_border(cut, "top", "dashed", size=6)
        cut.paragraph_format.keep_with_next = True
        self.para("回  执", "Doc Heading", align=CENTER)
        self.body(
            f"本人已收到{{{{ company.name }}}}于{{{{ doc_date }}}}出具的《{document_name}》"
            "（编号：{{ doc_number }}，房屋：{{ estate.name }}{{ unit.label }}）。"
        ).paragraph_format.keep_with_next = True
        self.line("签收人（签字）：____________　　签收日期：______年____月____日", space_before=6)

    # tables ------------------------------------------------------------------------------

    def table(
        self, widths_cm: Sequence[float], *, grid: bool = True, text_w_cm: float = TEXT_W_CM
    ) -> Table:
        assert abs(sum(widths_cm) - text_w_cm) < 0.01, widths_cm
        table = self.doc.add_table(rows=0, cols=len(widths_cm))
        if grid:
            table.style = self.doc.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        for column, width in zip(table.columns, widths_cm, strict=True):
            column.width = Cm(width)
        self._widths = list(widths_cm)
        return table

    def cell(
        self,
        cell: _Cell,
        text: str,
        *,
        align: WD_ALIGN_PARAGRAPH = CENTER,
        bold: bool | None = None,
        size: float | None = None,
        east: str | None = None,
        latin: str = LATIN,
    ) -> None:
        paragraph = cell.paragraphs[0]
        paragraph.style = self.doc.styles["Table Text"]
        paragraph.alignment = align
        if text:
            self.run(paragraph, text, bold=bold, size=size, east=east, latin=latin)
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER

    def row(
        self,
        table: Table,
        texts: Sequence[str],
        *,
        aligns: Sequence[WD_ALIGN_PARAGRAPH] | None = None,
        spans: Sequence[int] | None = None,
        header: bool = False,
        bold_cols: Sequence[int] = (),
        height_cm: float | None = None,
        cell_kwargs: dict[int, dict] | None = None,
    ):
        """Add a row. ``spans`` gives how many grid columns each text occupies."""
        row = table.add_row()
        for cell, width in zip(row.cells, self._widths, strict=True):
            cell.width = Cm(width)
        spans = spans or [1] * len(texts)
        assert sum(spans) == len(self._widths), (texts, spans)
        aligns = aligns or [CENTER] * len(texts)
        col = 0
        for i, (text, span) in enumerate(zip(texts, spans, strict=True)):
            cell = row.cells[col]
            if span > 1:
                cell = cell.merge(row.cells[col + span - 1])
            kwargs = (cell_kwargs or {}).get(i, {})
            self.cell(cell, text, align=aligns[i], bold=header or i in bold_cols or None, **kwargs)
            if header:
                _shade(cell, "E7E6E6")
            col += span
        if header:
            _row_flag(row, "w:tblHeader")  # repeat on every page
        else:
            _row_flag(row, "w:cantSplit")
        if height_cm is not None:
            row.height = Cm(height_cm)
        return row

    def loop_row(self, table: Table, tag: str) -> None:
        """A row holding only a ``{%tr … %}`` tag; docxtpl replaces the whole row by the tag."""
        self.row(table, [tag], spans=[len(self._widths)], aligns=[LEFT])

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.doc.save(str(path))


# --- shared blocks -------------------------------------------------------------------------


def arrears_table(t: Template, *, late_fee_rows: bool = True) -> None:
    """Itemised arrears (seed: 催款单样式) and the principal total; with ``late_fee_rows`` also
    the late fee and the total due, when the contract provides a late fee."""
    table = t.table([1.2, 3.6, 5.6, 1.8, 3.8])
    t.row(table, ["序号", "费用项目", "欠费期间", "月数", "金额（元）"], header=True)
    t.loop_row(table, "{%tr for row in arrears['items'] %}")
    t.row(
        table,
        [
            "{{ loop.index }}",
            "{{ row.item }}",
            "{{ row.months }}",
            "{{ row.month_count }}",
            "{{ row.amount }}",
        ],
        aligns=[CENTER, CENTER, CENTER, CENTER, RIGHT],
    )
    t.loop_row(table, "{%tr endfor %}")
    t.row(table, ["欠费本金合计", "{{ arrears.principal }}"], spans=[4, 1], aligns=[CENTER, RIGHT])
    if not late_fee_rows:
        return
    t.loop_row(table, "{%tr if arrears.late_fee_in_contract %}")
    t.row(
        table,
        [
            "合同约定滞纳金（按日{{ arrears.late_fee_rate }}，计至{{ arrears.as_of }}）",
            "{{ arrears.late_fee_contractual }}",
        ],
        spans=[4, 1],
        aligns=[CENTER, RIGHT],
    )
    # the claimed late fee, when the estate's claim policy caps it below the contract's
    t.loop_row(table, "{%tr if arrears.late_fee_capped %}")
    t.row(
        table,
        ["主张的滞纳金（{{ arrears.late_fee_basis }}）", "{{ arrears.late_fee }}"],
        spans=[4, 1],
        aligns=[CENTER, RIGHT],
    )
    t.loop_row(table, "{%tr endif %}")
    t.row(
        table,
        ["应缴合计", "{{ arrears.total }}"],
        spans=[4, 1],
        aligns=[CENTER, RIGHT],
        bold_cols=(0, 1),
    )
    t.loop_row(table, "{%tr endif %}")


# After the contractual late fee: what is claimed when the claim policy caps it.
LATE_FEE_CAPPED = (
    "{% if arrears.late_fee_capped %}；现{{ arrears.late_fee_basis }}，主张滞纳金人民币"
    "{{ arrears.late_fee }}元（大写：{{ arrears.late_fee_capital }}）{% endif %}"
)


ARREARS_SUMMARY = (
    "上述欠费本金合计人民币{{ arrears.principal }}元（大写：{{ arrears.principal_capital }}）"
    + IF_LATE_FEE
    + "；依照物业服务合同关于逾期付款按日{{ arrears.late_fee_rate }}计收滞纳金的约定，"
    "截至{{ arrears.as_of }}，滞纳金为人民币{{ arrears.late_fee_contractual }}元"
    "（大写：{{ arrears.late_fee_contractual_capital }}）"
    + LATE_FEE_CAPPED
    + "，本金与滞纳金合计人民币{{ arrears.total }}元"
    "（大写：{{ arrears.total_capital }}）" + ENDIF + "。"
)


def company_party(t: Template, role: str) -> None:
    t.line(f"{role}：{{{{ company.name }}}}", bold=True)
    t.line("统一社会信用代码：{{ company.credit_code }}")
    t.line("住所地：{{ company.address }}")
    t.line("法定代表人：{{ company.legal_representative }}")
    t.line("联系电话：{{ company.phone }}")


def owner_party(t: Template, role: str) -> None:
    t.line(f"{role}：{{{{ owner.name }}}}", bold=True, space_before=6)
    t.line(OWNER_ID_LABEL)
    t.line("住址：{{ owner.address }}")
    t.line("联系电话：{{ owner.phone }}")


def law_firm_letterhead(t: Template) -> None:
    t.letterhead(
        "{{ law_firm.name }}",
        "地址：{{ law_firm.address }}　　电话：{{ law_firm.phone }}",
    )


def lawyer_signature(t: Template) -> None:
    t.sign(
        "{{ law_firm.name }}（盖章）",
        "承办律师：{{ lawyer.name }}（签字）",
        "律师执业证号：{{ lawyer.license_no }}",
        "{{ doc_date }}",
    )


def company_signature(t: Template, role: str) -> None:
    t.sign(
        f"{role}：{{{{ company.name }}}}（盖章）",
        "法定代表人：{{ company.legal_representative }}（签字）",
        "{{ doc_date }}",
    )


# --- the kinds -----------------------------------------------------------------------------


def payment_notice() -> Template:
    t = Template("催款通知单")
    t.title("催款通知单")
    t.tabbed("No.第{{ notice_count }}次催款", "编号：{{ doc_number }}")
    t.line("尊敬的{{ owner.name }}（{{ estate.name }}{{ unit.label }}单元业主）：", space_before=6)
    t.body("经核对，截至{{ arrears.as_of }}，贵单元尚欠下列费用：")
    arrears_table(t)
    t.body("合计欠费人民币{{ arrears.principal }}元（大写：{{ arrears.principal_capital }}）。")
    t.tag("{%p if arrears.late_fee_in_contract %}")
    t.body(
        "截至{{ arrears.as_of }}，按合同约定已产生滞纳金人民币{{ arrears.late_fee_contractual }}元"
        "（大写：{{ arrears.late_fee_contractual_capital }}）"
        + LATE_FEE_CAPPED
        + "，连同欠费应缴合计人民币{{ arrears.total }}元（大写：{{ arrears.total_capital }}）。"
    )
    t.tag("{%p endif %}")
    t.body(
        "请您在{{ pay_by }}前到管理处缴交"
        + IF_LATE_FEE
        + "，否则将按《管理规约》及《物业服务合同》的有关约定"
        "按日加收所欠费用{{ arrears.late_fee_rate }}的滞纳金" + ENDIF + "。"
        "如您已缴清，请忽略本通知；如对欠费金额有异议，或确有困难需要协商缴费方式，"
        "欢迎到管理处或来电咨询。"
    )
    t.body("管理处地址：{{ company.office_address }}；联系电话：{{ company.office_phone }}。")
    t.body("谢谢合作！")
    t.sign("{{ company.name }}（盖章）", "{{ doc_date }}")
    t.receipt("催款通知单")
    return t


def demand_letter() -> Template:
    t = Template("物业服务费催缴函")
    t.letterhead("{{ company.name }}", "地址：{{ company.address }}　　电话：{{ company.phone }}")
    t.title("物业服务费催缴函")
    t.para("{{ doc_number }}", "Normal", align=RIGHT)
    t.line("{{ owner.name }}（{{ estate.name }}{{ unit.label }}房屋业主）：", space_before=6)
    t.body(
        "我公司系{{ estate.name }}的物业服务人，依据物业服务合同为该小区提供物业服务。"
        "您系{{ unit.address }}房屋（建筑面积{{ unit.area }}平方米）的业主，"
        "依法负有按约缴纳物业服务费等费用的义务。经核对，您自{{ arrears.oldest_due_date }}起"
        "未按约缴纳相关费用，截至{{ arrears.as_of }}，尚欠费用明细如下："
    )
    arrears_table(t)
    t.body(ARREARS_SUMMARY)
    t.body(
        "根据《中华人民共和国民法典》第九百四十四条第二款的规定，业主违反约定逾期不支付物业费的，"
        "物业服务人可以催告其在合理期限内支付；合理期限届满仍不支付的，物业服务人可以提起诉讼"
        "或者申请仲裁。为此，我公司特函催告：请您自本函出具之日起{{ deadline_days }}日内，"
        "即于{{ deadline }}前，到{{ company.office_address }}或通过我公司提供的其他缴费方式"
        "缴清上述费用。"
    )
    t.body(
        "如您逾期仍未缴纳，我公司将依法委托律师处理，并通过申请支付令或提起民事诉讼等法律途径"
        "追索欠费" + IF_LATE_FEE + "及滞纳金" + ENDIF + "，由此产生的诉讼费用依法由您承担。"
    )
    t.body(
        "如您对上述欠费有异议，或确有经济困难需要协商分期缴纳，请在上述期限内与我公司联系"
        "（联系地址：{{ company.office_address }}；联系电话：{{ company.office_phone }}）。"
        "我公司将继续依约为您提供物业服务。"
    )
    t.body("特此函告。")
    t.sign("{{ company.name }}（盖章）", "{{ doc_date }}")
    t.receipt("物业服务费催缴函")
    return t


def lawyer_letter() -> Template:
    t = Template("律师函")
    law_firm_letterhead(t)
    t.title("律 师 函")
    t.para("{{ doc_number }}", "Normal", align=RIGHT)
    t.addressed_to("致：{{ owner.name }}", "地址：{{ owner.address }}")
    t.body(
        "{{ law_firm.name }}（以下简称“本所”）受{{ company.name }}委托，"
        "指派本所律师{{ lawyer.name }}，就您拖欠{{ estate.name }}{{ unit.label }}房屋物业服务费等"
        "费用一事，郑重致函如下："
    )
    t.heading("一、基本事实")
    t.body(
        "{{ company.name }}（以下简称“委托人”）系{{ estate.name }}的物业服务人，"
        "依据物业服务合同为该小区提供物业服务。您系{{ unit.address }}房屋"
        "（建筑面积{{ unit.area }}平方米）的业主，依法负有按约缴纳物业服务费等费用的义务。"
    )
    t.body(
        "根据委托人提供的资料，您自{{ arrears.oldest_due_date }}起未按约缴纳相关费用。"
        "委托人已于{{ demand_served_on }}向您送达催缴函，催告您在合理期限内支付，"
        "但您至今仍未缴纳。截至{{ arrears.as_of }}，您尚欠费用明细如下："
    )
    arrears_table(t)
    t.body(ARREARS_SUMMARY)
    t.heading("二、法律依据")
    t.tag("{%p for b in legal_basis %}")
    t.body("{{ loop.index }}. {{ b }}")
    t.tag("{%p endfor %}")
    t.heading("三、律师意见")
    t.body(
        "本律师认为，您作为业主，接受委托人提供的物业服务，应当按约支付物业服务费；经委托人催告"
        "后仍未支付，已构成违约。为维护委托人的合法权益，本所特此函告：请您自本函出具之日起"
        "{{ deadline_days }}日内，即于{{ deadline }}前，向委托人缴清上述全部欠费"
        + IF_LATE_FEE
        + "及滞纳金"
        + ENDIF
        + "（缴费地点：{{ company.office_address }}；联系电话：{{ company.office_phone }}）。"
    )
    t.body(
        "如您逾期仍未履行，本所将根据委托人的授权，依法向有管辖权的人民法院申请支付令或提起"
        "民事诉讼，届时您除应支付上述欠费外，还将依法承担诉讼费用等相应的法律后果。"
    )
    t.body(
        "委托人将继续依约为您提供物业服务。如您对欠费金额有异议，或确有经济困难需要协商缴费方式，"
        "请于上述期限内与委托人或本律师联系（承办律师电话：{{ lawyer.phone }}）。"
    )
    t.body("特此函告。")
    lawyer_signature(t)
    return t


def payment_order_application() -> Template:
    t = Template("支付令申请书")
    t.title("支付令申请书")
    company_party(t, "申请人")
    owner_party(t, "被申请人")
    t.heading("请求事项：")
    t.tag("{%p for c in claims %}")
    t.body(CLAIM_LINE)
    t.tag("{%p endfor %}")
    t.body("以上请求金额合计人民币{{ claim_total }}元（大写：{{ claim_total_capital }}）。")
    t.heading("事实与理由：")
    t.tag("{%p for f in facts %}")
    t.body("{{ f }}")
    t.tag("{%p endfor %}")
    t.body(
        "申请人已于{{ demand_served_on }}向被申请人送达催缴函，催告其在合理期限内支付，"
        "合理期限届满后被申请人仍未支付。截至{{ arrears.as_of }}，被申请人尚欠"
        "{{ estate.name }}{{ unit.label }}房屋物业服务费等费用人民币{{ arrears.principal }}元。"
    )
    t.body(
        "申请人与被申请人之间没有其他债务纠纷，被申请人住所明确，支付令能够送达被申请人。"
        "为维护申请人的合法权益，依照《中华人民共和国民事诉讼法》关于督促程序的规定，"
        "特向贵院提出申请，请求依法向被申请人发出支付令。"
    )
    t.body(
        "申请费：按请求金额人民币{{ court_fee.claim }}元计算，财产案件受理费为人民币"
        "{{ court_fee.full }}元，本申请应交纳人民币{{ court_fee.payable }}元"
        "（{{ court_fee.basis }}）。"
    )
    t.court_closing()
    company_signature(t, "申请人")
    t.attachments(
        "本申请书副本一份；",
        "证据材料（详见证据目录）；",
        "申请人营业执照副本复印件、法定代表人身份证明书。",
    )
    return t


def civil_complaint() -> Template:
    t = Template("民事起诉状")
    t.title("民事起诉状")
    company_party(t, "原告")
    owner_party(t, "被告")
    t.heading("诉讼请求：")
    t.tag("{%p for c in claims %}")
    t.body(CLAIM_LINE)
    t.tag("{%p endfor %}")
    t.body("以上诉讼请求金额合计人民币{{ claim_total }}元（大写：{{ claim_total_capital }}）。")
    t.heading("事实与理由：")
    t.tag("{%p for f in facts %}")
    t.body("{{ f }}")
    t.tag("{%p endfor %}")
    t.body(
        "原告已于{{ demand_served_on }}向被告送达催缴函，并于{{ lawyer_letter_served_on }}"
        "委托律师向被告送达律师函，催告其在合理期限内支付，但被告至今仍未支付。"
        "截至{{ arrears.as_of }}，被告就{{ estate.name }}{{ unit.label }}房屋尚欠费用明细如下："
    )
    arrears_table(t, late_fee_rows=False)  # late fees are claimed only through ``claims``
    t.tag("{%p for r in reasons %}")
    t.body("{{ r }}")
    t.tag("{%p endfor %}")
    t.body(
        "综上，被告拖欠物业服务费等费用，已构成违约，损害了原告的合法权益。为此，原告依照"
        "《中华人民共和国民事诉讼法》的有关规定，特向贵院提起诉讼，请求依法判如所请。"
    )
    t.body(
        "诉讼费用：本案诉讼标的额人民币{{ court_fee.claim }}元，案件受理费为人民币"
        "{{ court_fee.full }}元，预交人民币{{ court_fee.payable }}元（{{ court_fee.basis }}）。"
    )
    t.court_closing()
    company_signature(t, "具状人")
    t.attachments(
        "本起诉状副本一份；",
        "证据目录及证据材料一套；",
        "原告营业执照副本复印件、法定代表人身份证明书。",
    )
    return t


def evidence_list() -> Template:
    t = Template("证据目录")
    t.title("证据目录")
    t.line("案件编号：{{ case.number }}")
    t.line("受理法院：{{ court.name }}")
    t.line("提交人：{{ company.name }}")
    t.line("对方当事人：{{ owner.name }}")
    t.line("涉案房屋：{{ estate.name }}{{ unit.label }}（{{ unit.address }}）")
    t.line("", space_before=0)
    table = t.table([1.1, 2.2, 1.9, 3.3, 3.3, 4.2])
    t.row(table, ["序号", "日期", "证据类型", "证据内容", "证明目的", "SHA-256"], header=True)
    t.loop_row(table, "{%tr for e in items %}")
    t.row(
        table,
        [
            "{{ e.no }}",
            "{{ e.date }}",
            "{{ e.kind }}",
            "{{ e.description }}",
            "{{ e.proves }}",
            "{{ e.sha256 }}",
        ],
        aligns=[CENTER, CENTER, CENTER, LEFT, LEFT, LEFT],
        cell_kwargs={5: {"size": HASH_PT, "latin": MONO}},
    )
    t.loop_row(table, "{%tr endfor %}")
    t.line("证据链校验：{{ chain_status }}", space_before=6)
    t.para(
        "说明：SHA-256为各证据文件的哈希值，用于核验证据文件自收集后未被改动；"
        "证据原件及电子数据可供庭审核对。",
        "Normal",
        size=SMALL_PT,
    )
    t.sign("提交人：{{ company.name }}（盖章）", "{{ doc_date }}")
    return t


def lawyer_letter_withdrawal() -> Template:
    t = Template("撤销律师函通知")
    law_firm_letterhead(t)
    t.title("撤销律师函通知")
    t.para("{{ doc_number }}", "Normal", align=RIGHT)
    t.addressed_to("致：{{ owner.name }}", "地址：{{ owner.address }}")
    t.body(
        "本所受{{ company.name }}（以下简称“委托人”）委托，曾于{{ lawyer_letter_date }}就"
        "{{ estate.name }}{{ unit.label }}房屋拖欠物业服务费等费用一事向您发出律师函。"
    )
    t.body("经委托人核实确认，您{{ settlement }}。")
    t.body(
        "据此，本所受委托人指示，现正式撤销本所于{{ lawyer_letter_date }}向您发出的上述律师函。"
        "该律师函自本通知出具之日起不再具有效力，委托人不再依据该律师函向您主张权利。"
    )
    t.body("感谢您对物业服务工作的理解与支持。")
    t.body("特此通知。")
    lawyer_signature(t)
    return t


def lawsuit_withdrawal() -> Template:
    """撤诉申请书, or 撤回支付令申请书 when the case is a payment order (``procedure``)."""
    po = "{% if procedure == 'payment_order' %}"
    t = Template("撤诉申请书")
    t.title(po + "撤回支付令申请书{% else %}撤诉申请书{% endif %}")
    company_party(t, po + "申请人{% else %}申请人（原告）{% endif %}")
    owner_party(t, po + "被申请人{% else %}被申请人（被告）{% endif %}")
    t.heading("请求事项：")
    t.body(
        po + "请求贵院准许申请人撤回{{ court_case_number }}申请人申请向被申请人发出支付令一案的"
        "支付令申请。{% else %}请求贵院准许申请人撤回{{ court_case_number }}申请人诉被申请人"
        "物业服务合同纠纷一案的起诉。{% endif %}"
    )
    t.heading("事实与理由：")
    t.body(
        po + "申请人于{{ filed_on }}依督促程序向贵院申请支付令，请求贵院督促被申请人支付"
        "{{ estate.name }}{{ unit.label }}房屋拖欠的物业服务费等费用，贵院已受理，"
        "案号为{{ court_case_number }}。{% else %}申请人于{{ filed_on }}以物业服务合同纠纷为由"
        "向贵院提起诉讼，请求判令被申请人支付{{ estate.name }}{{ unit.label }}房屋拖欠的"
        "物业服务费等费用，贵院已立案受理，案号为{{ court_case_number }}。{% endif %}"
    )
    t.body(po + "撤回理由：{% else %}撤诉理由：{% endif %}{{ reason }}。")
    t.body(
        po + "申请人撤回支付令申请系真实意思表示。依照《中华人民共和国民事诉讼法》关于督促程序的"
        "有关规定，特向贵院申请撤回，请予准许。{% else %}申请人撤回起诉系真实意思表示。"
        "依照《中华人民共和国民事诉讼法》的有关规定，特向贵院申请撤诉，请予准许。{% endif %}"
    )
    t.body(
        po + "申请人已交纳本案申请费人民币{{ court_fee.payable }}元（{{ court_fee.basis }}）。"
        "{% else %}申请人已预交本案案件受理费人民币{{ court_fee.full }}元，撤诉后应交纳人民币"
        "{{ court_fee.payable }}元（{{ court_fee.basis }}），请贵院依法退还申请人多预交的部分。"
        "{% endif %}"
    )
    t.court_closing()
    company_signature(t, "申请人")
    return t


def installment_agreement() -> Template:
    t = Template("物业服务费分期付款协议")
    t.title("物业服务费分期付款协议")
    t.para("协议编号：{{ doc_number }}", "Normal", align=RIGHT)
    company_party(t, "甲方（物业服务人）")
    owner_party(t, "乙方（业主）")
    t.body(
        "乙方系{{ estate.name }}{{ unit.label }}房屋（{{ unit.address }}，建筑面积"
        "{{ unit.area }}平方米）的业主，甲方为该小区的物业服务人。乙方因{{ reason }}，"
        "未能按时缴纳物业服务费等费用，现申请分期缴纳。甲乙双方本着平等自愿、诚实信用的原则，"
        "经协商一致，达成如下协议："
    ).paragraph_format.space_before = Pt(6)
    t.heading("第一条　欠费确认")
    t.body("乙方确认，截至{{ arrears.as_of }}，乙方尚欠甲方下列费用：")
    arrears_table(t)
    t.body(
        ARREARS_SUMMARY[:-1] + "。经双方协商，乙方应向甲方支付的款项总额为人民币"
        "{{ plan_total }}元（大写：{{ plan_total_capital }}）。"
    )
    t.heading("第二条　分期付款安排")
    t.body("乙方分{{ installment_count }}期向甲方支付上述款项，具体如下：")
    table = t.table([1.6, 4.0, 3.2, 7.2])
    t.row(table, ["期数", "付款期限", "金额（元）", "大写金额"], header=True)
    t.loop_row(table, "{%tr for s in schedule %}")
    t.row(
        table,
        ["第{{ s.no }}期", "{{ s.due_date }}前", "{{ s.amount }}", "{{ s.amount_capital }}"],
        aligns=[CENTER, CENTER, RIGHT, LEFT],
    )
    t.loop_row(table, "{%tr endfor %}")
    t.row(
        table,
        ["合计", "{{ plan_total }}", "{{ plan_total_capital }}"],
        spans=[2, 1, 1],
        aligns=[CENTER, RIGHT, LEFT],
        bold_cols=(0, 1, 2),
    )
    t.body(
        "乙方应于每期付款期限届满前，到{{ company.office_address }}或通过甲方认可的其他方式"
        "足额支付当期款项；甲方收款后向乙方出具收款凭证。"
    )
    t.heading("第三条　违约责任")
    t.body(
        "乙方任何一期款项逾期超过{{ default_days }}日未足额支付的，视为乙方违约，"
        "本协议项下尚未支付的全部剩余款项立即到期，甲方有权要求乙方一次性付清全部剩余款项，"
        "并有权恢复采取发送律师函、申请支付令或提起诉讼等法律措施。"
    )
    t.heading("第四条　其他约定")
    t.body("1. 乙方按本协议按期履行期间，甲方不就本协议所涉欠费申请支付令或提起诉讼。")
    t.body("2. 本协议履行期间，乙方应按时缴纳新产生的物业服务费等费用；甲方继续依约提供物业服务。")
    t.body(
        "3. {% if late_fee_accrues_during_plan %}本协议履行期间，本协议所涉欠费继续按约定"
        "计收滞纳金，乙方按期足额履行完毕的，甲方可视情况予以减免。{% else %}"
        "自本协议签订之日起至履行完毕（或乙方违约）之日止，本协议所涉欠费不再计收滞纳金。"
        "{% endif %}"
    )
    t.body(
        "4. 乙方签署本协议即构成对上述债务的确认，本协议所涉欠费的诉讼时效自本协议签订之日起"
        "重新计算。"
    )
    t.body(
        "5. 因本协议发生争议的，双方应协商解决；协商不成的，任何一方均可向房屋所在地有管辖权的"
        "人民法院提起诉讼。"
    )
    t.body("6. 本协议一式两份，甲乙双方各执一份，自双方签字（盖章）之日起生效。")
    t.line("", space_before=BODY_PT)
    signatures = t.table([8.0, 8.0], grid=False)
    for left, right in (
        ("甲方（盖章）：{{ company.name }}", "乙方（签字）：____________"),
        ("法定代表人或授权代表（签字）：________", "乙方姓名：{{ owner.name }}"),
        ("日期：{{ doc_date }}", "日期：{{ doc_date }}"),
    ):
        t.row(signatures, [left, right], aligns=[LEFT, LEFT], height_cm=1.2)
    return t


def waiver_approval() -> Template:
    t = Template("滞纳金减免审批表")
    t.title("滞纳金减免审批表")
    t.tabbed("案件编号：{{ case.number }}", "编号：{{ doc_number }}")
    table = t.table([3.2, 4.8, 3.2, 4.8])
    # label | value | label | value rows, and label | wide value rows
    pair = {"aligns": [CENTER, LEFT, CENTER, LEFT], "bold_cols": (0, 2), "height_cm": 0.9}
    wide = {"spans": [1, 3], "aligns": [CENTER, LEFT], "bold_cols": (0,), "height_cm": 0.9}
    t.row(table, ["小区", "{{ estate.name }}", "房屋", "{{ unit.label }}"], **pair)
    t.row(table, ["业主", "{{ owner.name }}", "联系电话", "{{ owner.phone }}"], **pair)
    t.row(table, ["房屋地址", "{{ unit.address }}"], **wide)
    principal = "人民币{{ arrears.principal }}元（大写：{{ arrears.principal_capital }}）"
    t.row(table, ["欠费本金", principal], **wide)
    t.row(
        table,
        ["最早欠费日", "{{ arrears.oldest_due_date }}", "逾期天数", "{{ arrears.days_overdue }}天"],
        **pair,
    )
    t.row(
        table,
        [
            "减免前滞纳金",
            "{{ waiver.late_fee_before }}元",
            "减免后滞纳金",
            "{{ waiver.late_fee_after }}元",
        ],
        **pair,
    )
    t.loop_row(table, "{%tr if arrears.late_fee_capped %}")
    t.row(
        table,
        ["可主张滞纳金", "人民币{{ arrears.late_fee }}元（{{ arrears.late_fee_basis }}）"],
        **wide,
    )
    t.loop_row(table, "{%tr endif %}")
    amount = "人民币{{ waiver.amount }}元（大写：{{ waiver.amount_capital }}）"
    t.row(table, ["减免金额", amount], **wide)
    t.row(table, ["减免原因类别", "{{ waiver.reason_category }}"], **wide)
    t.row(table, ["减免原因说明", "{{ waiver.reason }}"], **(wide | {"height_cm": 2.5}))
    signed = pair | {"height_cm": 1.2}
    t.row(
        table,
        ["申请人（签字）", "{{ waiver.requested_by }}", "申请日期", "{{ waiver.requested_on }}"],
        **signed,
    )
    opinion = "{% if waiver.approved_by %}同意减免滞纳金人民币{{ waiver.amount }}元。{% endif %}"
    t.row(table, ["审批意见", opinion], **(wide | {"height_cm": 2.5}))
    t.row(
        table,
        ["审批人（签字）", "{{ waiver.approved_by }}", "审批日期", "{{ waiver.approved_on }}"],
        **signed,
    )
    note = "减免经审批后生效，审批记录存入案件证据链；减免滞纳金不影响业主缴纳欠费本金的义务。"
    t.row(table, ["备注", note], **(wide | {"height_cm": 1.2}))
    t.sign("{{ company.name }}", "{{ doc_date }}")
    return t


# --- 欠费明细及滞纳金计算表 (landscape A4: thirteen columns) ------------------------------

LANDSCAPE_MARGIN_CM = 2.0
LANDSCAPE_TEXT_W_CM = PAGE_H_CM - 2 * LANDSCAPE_MARGIN_CM  # 25.7


def _landscape(t: Template) -> None:
    section = t.doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width = Cm(PAGE_H_CM)
    section.page_height = Cm(PAGE_W_CM)
    for side in ("top_margin", "bottom_margin", "left_margin", "right_margin"):
        setattr(section, side, Cm(LANDSCAPE_MARGIN_CM))


def calculation_table() -> Template:
    t = Template("欠费明细及滞纳金计算表")
    _landscape(t)
    t.title("欠费明细及滞纳金计算表")
    t.line("申请人/原告：{{ company.name }}　　被申请人/被告：{{ owner.name }}")
    t.line(
        "物业：{{ estate.name }}{{ unit.label }}（{{ unit.address }}）　　"
        "计算截止日：{{ calc.as_of }}　　单位：元"
    )
    widths = [0.9, 2.4, 2.5, 2.7, 1.9, 2.7, 1.8, 1.7, 1.9, 1.1, 2.3, 1.9, 1.9]
    table = t.table(widths, text_w_cm=LANDSCAPE_TEXT_W_CM)
    t.row(
        table,
        [
            "序号",
            "收费项目",
            "计费期间",
            "面积×单价",
            "应收金额",
            "应缴日期",
            "已缴本金",
            "减免本金",
            "欠费本金",
            "逾期天数",
            "滞纳金标准",
            "约定滞纳金",
            "主张滞纳金",
        ],
        header=True,
    )
    t.loop_row(table, "{%tr for r in calc.rows %}")
    t.row(
        table,
        [
            "{{ r.no }}",
            "{{ r.item }}",
            "{{ r.period }}",
            "{{ r.basis }}",
            "{{ r.amount }}",
            "{{ r.due_date }}",
            "{{ r.paid }}",
            "{{ r.waived }}",
            "{{ r.outstanding }}",
            "{{ r.days_late }}",
            "{{ r.rate }}",
            "{{ r.late_fee_contractual }}",
            "{{ r.late_fee_claimed }}",
        ],
        aligns=[*[CENTER] * 3, LEFT, RIGHT, CENTER, *[RIGHT] * 3, CENTER, CENTER, RIGHT, RIGHT],
    )
    t.loop_row(table, "{%tr endfor %}")
    t.row(
        table,
        [
            "合计",
            "{{ calc.principal }}",
            "",
            "{{ calc.late_fee_contractual }}",
            "{{ calc.late_fee_claimed }}",
        ],
        spans=[8, 1, 2, 1, 1],
        aligns=[CENTER, RIGHT, CENTER, RIGHT, RIGHT],
        header=False,
        bold_cols=(0, 1, 3, 4),
    )
    t.line(
        "欠费本金合计人民币{{ calc.principal }}元，"
        "主张滞纳金合计人民币{{ calc.late_fee_claimed }}元，"
        "请求金额合计人民币{{ calc.total }}元（大写：{{ calc.total_capital }}）。",
        space_before=6,
        keep_with_next=True,
    )
    t.line("滞纳金计算依据：{{ calc.basis }}。", keep_with_next=True)
    t.para(
        "说明：逾期天数自应缴日期（宽限期满）次日起算至计算截止日；部分缴纳的，已缴部分的滞纳金"
        "计至缴纳之日，表中天数为未缴部分的天数，滞纳金为该笔费用的实际计算结果。",
        "Normal",
        size=SMALL_PT,
        keep_with_next=True,
    )
    t.tag("{%p for m in calc.remarks %}")
    t.para("{{ m }}", "Normal", size=SMALL_PT, keep_with_next=True)
    t.tag("{%p endfor %}")
    t.sign("{{ company.name }}（盖章）", "{{ table_date }}")
    return t


# --- 送达地址确认书 and 授权委托书 (issue 13) ----------------------------------------------


def _keep_last(paragraph: Paragraph) -> None:
    """The paragraph before a signature block stays on its page (with Doc Sign's own
    keep-with-next, the block never stands alone)."""
    paragraph.paragraph_format.keep_with_next = True


def _cell_lines(t: Template, cell: _Cell, lines: Sequence[str]) -> None:
    """Justified paragraphs in ``cell`` (its first, empty paragraph takes the first line)."""
    for i, line in enumerate(lines):
        paragraph = cell.paragraphs[0] if i == 0 else cell.add_paragraph()
        paragraph.style = t.doc.styles["Table Text"]
        paragraph.alignment = JUSTIFY
        t.run(paragraph, line)


def service_address_confirmation() -> Template:
    t = Template("送达地址确认书")
    t.title("送达地址确认书")
    t.para("{{ doc_number }}", "Normal", align=RIGHT)
    table = t.table([3.6, 12.4])
    wide = {"aligns": [CENTER, LEFT], "bold_cols": (0,), "height_cm": 0.9}
    t.row(table, ["案由", "{{ cause }}"], **wide)
    t.row(table, ["受送达人", "{{ company.name }}（{{ role }}）"], **wide)
    t.row(table, ["统一社会信用代码", "{{ company.credit_code }}"], **wide)
    t.row(table, ["法定代表人", "{{ company.legal_representative }}"], **wide)
    t.row(
        table,
        [
            "送达地址",
            "{{ service.address }}{% if service.via_lawyer %}（委托诉讼代理人"
            "{{ lawyer.name }}所在律师事务所）{% endif %}",
        ],
        **wide,
    )
    t.row(table, ["收件人", "{{ service.recipient }}"], **wide)
    t.row(table, ["联系电话", "{{ service.phone }}"], **wide)
    t.row(
        table,
        ["邮政编码", "{% if service.postal_code %}{{ service.postal_code }}{% else %}—{% endif %}"],
        **wide,
    )
    t.row(
        table,
        [
            "是否接受电子送达",
            "{% if service.electronic %}是。电子邮箱：{% if service.email %}{{ service.email }}"
            "{% else %}—{% endif %}；手机号码（短信）：{% if service.mobile %}{{ service.mobile }}"
            "{% else %}—{% endif %}{% else %}否{% endif %}",
        ],
        **wide,
    )
    notice = t.row(table, ["告知事项", ""], **wide).cells[1]
    _cell_lines(
        t,
        notice,
        [
            "1. 为便于当事人及时收到人民法院诉讼文书，保证诉讼程序顺利进行，当事人应当如实"
            "提供确切的送达地址。",
            "2. 确认的送达地址适用于一审、二审和执行程序。送达地址需要变更的，应当及时以书面"
            "方式告知人民法院；未书面变更的，以本确认书确认的地址为送达地址。",
            "3. 因提供的送达地址不准确、送达地址变更未及时告知人民法院、受送达人本人或者指定的"
            "代收人拒绝签收，导致诉讼文书未能被受送达人实际接收的，文书退回之日视为送达之日。",
            "4. 同意电子送达的，人民法院向上述电子邮箱或手机号码发送诉讼文书，以送达信息到达"
            "受送达人特定系统的日期为送达日期。",
        ],
    )
    # The confirmation and its signature share one row that cannot split across pages.
    confirm = t.row(table, ["受送达人确认", ""], **wide).cells[1]
    _cell_lines(
        t,
        confirm,
        [
            "本人（单位）已阅读上述告知事项，确认上列送达地址及电子送达方式真实、有效；人民法院"
            "按上述地址或方式送达诉讼文书的，即视为送达。送达地址变更时，将及时书面告知贵院。",
        ],
    )
    for i, line in enumerate(
        (
            "受送达人：{{ company.name }}（盖章）",
            "法定代表人：{{ company.legal_representative }}（签字）",
            "{{ doc_date }}",
        )
    ):
        paragraph = confirm.add_paragraph(style=t.doc.styles["Table Text"])
        paragraph.alignment = RIGHT
        if i == 0:
            paragraph.paragraph_format.space_before = Pt(BODY_PT)
        t.run(paragraph, line)
    return t


def power_of_attorney() -> Template:
    t = Template("授权委托书")
    t.title("授权委托书")
    t.para("{{ doc_number }}", "Normal", align=RIGHT)
    t.line("委托人：{{ company.name }}", bold=True)
    t.line("统一社会信用代码：{{ company.credit_code }}")
    t.line("住所地：{{ company.address }}")
    t.line(
        "法定代表人：{{ company.legal_representative }}　　职务：{{ legal_representative_title }}"
    )
    t.line("受托人：{{ lawyer.name }}", bold=True, space_before=6)
    t.line("工作单位：{{ law_firm.name }}　　职务：律师")
    t.line("律师执业证号：{{ lawyer.license_no }}")
    t.line("联系电话：{{ lawyer.phone }}")
    t.body(
        "现委托上列受托人在{{ court.name }}审理的{{ cause }}一案中，作为委托人的"
        "{% if procedure == 'payment_order' %}代理人{% else %}委托诉讼代理人{% endif %}。"
    )
    t.body(
        "代理权限：{{ authority.label }}。{% if authority.special %}受托人有权代为起诉、应诉，"
        "代为提交、签收诉讼文书，参加庭审，举证、质证、辩论，{{ authority.powers }}。"
        "{% else %}受托人有权代为起诉、应诉，代为提交、签收诉讼文书，参加庭审，举证、质证、"
        "辩论；无权代为承认、放弃、变更诉讼请求，进行和解，提起反诉或者上诉。{% endif %}"
    )
    _keep_last(t.body("委托期限：{{ term }}。"))
    t.sign(
        "委托人：{{ company.name }}（盖章）",
        "法定代表人：{{ company.legal_representative }}（签字）",
        "受托人：{{ lawyer.name }}（签字）",
        "{{ doc_date }}",
    )
    return t


BUILDERS: dict[str, Callable[[], Template]] = {
    K.PAYMENT_NOTICE: payment_notice,
    K.DEMAND_LETTER: demand_letter,
    K.LAWYER_LETTER: lawyer_letter,
    K.PAYMENT_ORDER_APPLICATION: payment_order_application,
    K.CIVIL_COMPLAINT: civil_complaint,
    K.EVIDENCE_LIST: evidence_list,
    K.LAWYER_LETTER_WITHDRAWAL: lawyer_letter_withdrawal,
    K.LAWSUIT_WITHDRAWAL: lawsuit_withdrawal,
    K.INSTALLMENT_AGREEMENT: installment_agreement,
    K.WAIVER_APPROVAL: waiver_approval,
    K.SERVICE_ADDRESS_CONFIRMATION: service_address_confirmation,
    K.POWER_OF_ATTORNEY: power_of_attorney,
}
BUILDERS[K.CALCULATION_TABLE] = calculation_table


def template_path(kind: str, out_dir: Path = OUT_DIR) -> Path:
    return out_dir / f"{kind}.docx"


def build(out_dir: Path = OUT_DIR) -> list[Path]:
    """Write every kind's template into ``out_dir``; returns the paths written."""
    missing = set(K.values) - set(BUILDERS)
    assert not missing, f"no template builder for {sorted(missing)}"
    written = []
    for kind, builder in BUILDERS.items():
        path = template_path(str(kind), out_dir)
        builder().save(path)
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    out_dir = Path(args[0]) if args else OUT_DIR
    for path in build(out_dir):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
