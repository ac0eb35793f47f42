"""欠费明细及滞纳金计算表 (.xlsx): per-charge figures computed by hand, totals equal to the
claim and to the complaint to the fen, time-barred charges out unless included, the case-page
download, and the litigation package.

The story (tests/legal_docs/conftest.py): 翠湖花园 3幢-1201, management fee 795.90 a month
due on the 15th from June 2025, water bills due on the 25th, late fee 0.1% a day, no grace
days; the clock is frozen on 2026-12-04.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from cases.models import Adjustment, Charge, ChargeItem
from cases.selectors.claims import claim_for_case
from cases.services.claims import claim_include_time_barred
from cases.services.ledger import adjustment_record, payment_record
from legal_docs.calculation_table import HEADERS, calculation_table_xlsx
from legal_docs.kinds import DocumentKind
from legal_docs.package import litigation_package_build
from legal_docs.services import legal_doc_generate
from tests.legal_docs.conftest import document_text, issue_monthly

AS_OF = dt.date(2026, 12, 4)
JUNE_2025 = dt.date(2025, 6, 1)
OCT_2025 = dt.date(2025, 10, 1)
OLD_MONTH = dt.date(2022, 1, 1)  # due 2022-01-15: time-barred by 2026-12-04


def _charge(story, item, first) -> Charge:
    return Charge.objects.get(unit=story.unit, item=item, period_start=first)


@pytest.fixture
def calc_story(litigation_story):
    """The litigation story with 300.00 paid on 2025-07-15 against June 2025's fee, a
    principal waiver of 50.00 on the October 2025 water bill, and a time-barred fee of
    January 2022."""
    story = litigation_story
    june = _charge(story, ChargeItem.MANAGEMENT_FEE, JUNE_2025)
    with story.capture(execute=True):
        payment_record(
            story.unit,
            amount=Decimal("300.00"),
            paid_on=dt.date(2025, 7, 15),
            actor=story.finance,
            reference="BANK-20250715",
            designated_charges=[june],
        )
        adjustment_record(
            story.unit,
            kind=Adjustment.Kind.PRINCIPAL_WAIVER,
            amount=Decimal("50.00"),
            effective_on=AS_OF,
            reason_category=Adjustment.ReasonCategory.QUALITY_DEFECT,
            reason="水表故障，核减",
            requested_by=story.legal,
            approved_by=story.manager,
            charge=_charge(story, ChargeItem.WATER, OCT_2025),
        )
    issue_monthly(story.unit, OLD_MONTH, Decimal("795.90"))
    return story


def _sheet(story):
    content, filename = calculation_table_xlsx(story.fresh(), as_of=AS_OF)
    return load_workbook(io.BytesIO(content)).active, content, filename


def _rows(sheet) -> dict[str, list]:
    """Data rows keyed by "item period"."""
    rows = {}
    for values in sheet.iter_rows(min_row=3, values_only=True):
        if isinstance(values[0], int):
            rows[f"{values[1]} {values[2]}"] = list(values)
    return rows


def _totals(sheet) -> tuple[int, list]:
    for row in sheet.iter_rows(min_row=3):
        if row[0].value == "合计":
            return row[0].row, [c.value for c in row]
    raise AssertionError("no totals row")


def test_per_charge_figures_by_hand(calc_story):
    sheet, _content, filename = _sheet(calc_story)
    assert filename.endswith(".xlsx")
    title = sheet["A1"].value
    assert "翠湖花园" in title and "3幢-1201" in title and "张三" in title
    assert "2026年12月4日" in title
    assert [c.value for c in sheet[2]] == list(HEADERS)
    assert sheet.freeze_panes == "A3"
    rows = _rows(sheet)

    # June 2025 fee: 795.90 due 2025-06-15; 537 days to 2026-12-04; 300.00 paid on
    # 2025-07-15 stopped accruing after 30 days (507 days short of the 537).
    june = rows["物业管理费 2025年6月"]
    assert june[4] == pytest.approx(795.90) and june[5] == "2025年6月15日"
    assert june[6] == pytest.approx(300.00) and june[7] == pytest.approx(0)
    assert june[8] == pytest.approx(495.90)
    assert june[9] == 537  # days of the outstanding part
    late = (Decimal("795.90") * 537 - Decimal("300.00") * 507) * Decimal("0.001")
    assert late == Decimal("275.2983")
    assert june[11] == pytest.approx(275.30) and june[12] == pytest.approx(275.30)
    assert june[10] == "日千分之一"

    # October 2025 water: 102.15 due 2025-10-25; 50.00 waived today (no days saved);
    # 405 days × 102.15 × 0.1% = 41.37075 → 41.37.
    water = rows["水费 2025年10月"]
    assert water[5] == "2025年10月25日"
    assert water[6] == pytest.approx(0) and water[7] == pytest.approx(50.00)
    assert water[8] == pytest.approx(52.15)
    assert water[9] == 405
    assert water[12] == pytest.approx(41.37)
    assert sheet.cell(row=3, column=5).number_format == "0.00"


def test_totals_equal_the_claim_and_the_complaint(calc_story):
    sheet, content, _ = _sheet(calc_story)
    claim = claim_for_case(calc_story.fresh(), as_of=AS_OF)
    row, totals = _totals(sheet)
    assert totals[8] == f"=SUM(I3:I{row - 1})"
    cached = load_workbook(io.BytesIO(content), data_only=True).active
    assert Decimal(str(cached.cell(row=row, column=9).value)) == claim.principal
    assert Decimal(str(cached.cell(row=row, column=13).value)) == claim.late_fee_claimed
    summary = {
        cached.cell(row=r, column=1).value: Decimal(str(cached.cell(row=r, column=5).value))
        for r in range(row + 1, row + 6)
        if cached.cell(row=r, column=5).value is not None
    }
    assert summary["请求金额合计（元）"] == claim.total
    # The per-row figures add up to the claim too.
    rows = _rows(sheet).values()
    assert sum(Decimal(str(r[8])) for r in rows) == claim.principal

    complaint = legal_doc_generate(
        DocumentKind.CIVIL_COMPLAINT,
        unit=calc_story.unit,
        case=calc_story.fresh(),
        actor=calc_story.legal,
        as_of=AS_OF,
    )
    found = re.search(r"合计人民币([\d,]+\.\d\d)元", document_text(complaint))
    assert found, "the complaint states no claimed total"
    assert Decimal(found.group(1).replace(",", "")) == claim.total == summary["请求金额合计（元）"]


def test_time_barred_charge_absent_unless_included(calc_story):
    sheet, _, _ = _sheet(calc_story)
    assert "物业管理费 2022年1月" not in _rows(sheet)
    claim_include_time_barred(
        calc_story.fresh(),
        charge=_charge(calc_story, ChargeItem.MANAGEMENT_FEE, OLD_MONTH),
        actor=calc_story.legal,
        reason="业主曾书面承认该笔欠费",
        as_of=AS_OF,
    )
    sheet, _, _ = _sheet(calc_story)
    old = _rows(sheet)["物业管理费 2022年1月"]
    assert "业主曾书面承认该笔欠费" in old[13]
    claim = claim_for_case(calc_story.fresh(), as_of=AS_OF)
    row, _ = _totals(sheet)
    cached = load_workbook(io.BytesIO(_sheet(calc_story)[1]), data_only=True).active
    assert Decimal(str(cached.cell(row=row, column=9).value)) == claim.principal


def test_case_page_download(calc_story, client):
    from django.urls import reverse

    from cases.roles import Role
    from tests.factories import user_in_role

    url = reverse("workspaces:case:calculation_table", kwargs={"pk": calc_story.case.pk})
    client.force_login(calc_story.legal)
    page = client.get(reverse("workspaces:case:detail", kwargs={"pk": calc_story.case.pk}))
    assert url in page.content.decode()
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert "翠湖花园" in sheet["A1"].value
    stranger = user_in_role(Role.COLLECTOR, username="qian_cs")
    client.force_login(stranger)
    assert client.get(url).status_code == 404


def test_package_holds_the_table_and_stays_identical(calc_story):
    first = litigation_package_build(calc_story.fresh(), actor=calc_story.legal, as_of=AS_OF)
    second = litigation_package_build(calc_story.fresh(), actor=calc_story.legal, as_of=AS_OF)
    assert first.zip_bytes == second.zip_bytes
    names = zipfile.ZipFile(io.BytesIO(first.zip_bytes)).namelist()
    paths = [f["path"] for f in first.manifest["files"]]
    assert "03-calculation_table.docx" in names and "03-calculation_table.docx" in paths
    table = [p for p in paths if p.endswith(".xlsx")]
    assert table and table[0] in names
    content = zipfile.ZipFile(io.BytesIO(first.zip_bytes)).read(table[0])
    assert "翠湖花园" in load_workbook(io.BytesIO(content)).active["A1"].value


def test_workbook_bytes_do_not_depend_on_the_clock(calc_story):
    import time_machine

    first, _ = calculation_table_xlsx(calc_story.fresh(), as_of=AS_OF)
    with time_machine.travel(dt.datetime(2027, 3, 1, 9, tzinfo=dt.UTC), tick=False):
        second, _ = calculation_table_xlsx(calc_story.fresh(), as_of=AS_OF)
    assert first == second


def test_docx_table_prints_the_claim(calc_story):
    from docx import Document

    from cases.storage import blob_read

    document = legal_doc_generate(
        DocumentKind.CALCULATION_TABLE,
        unit=calc_story.unit,
        case=calc_story.fresh(),
        actor=calc_story.legal,
        as_of=AS_OF,
    )
    docx = Document(io.BytesIO(blob_read(document.sha256)))
    table = docx.tables[0]
    cells = {
        row.cells[1].text + " " + row.cells[2].text: [c.text for c in row.cells]
        for row in table.rows
    }
    june = cells["物业管理费 2025年6月"]
    assert june[5] == "2025年6月15日"
    assert june[6:10] == ["300.00", "0.00", "495.90", "537"]
    assert june[12] == "275.30"
    water = cells["水费 2025年10月"]
    assert water[7:10] == ["50.00", "52.15", "405"]
    assert water[12] == "41.37"
    claim = claim_for_case(calc_story.fresh(), as_of=AS_OF)
    totals = [c.text for c in table.rows[-1].cells]
    assert totals[0] == "合计"
    assert Decimal(totals[8].replace(",", "")) == claim.principal
    assert Decimal(totals[-1].replace(",", "")) == claim.late_fee_claimed
    text = document_text(document)
    assert f"请求金额合计人民币{claim.total:,.2f}元" in text
    assert "2026年12月4日" in text
    assert "物业管理费 2022年1月" not in cells
