"""欠费明细及滞纳金计算表: the case's claim, charge by charge, as a spreadsheet.

``calculation_rows`` (ORM) reads the claim (``cases.selectors.claims.claim_for_case``) and the
ledger; ``calculation_workbook`` (pure, no ORM) turns the rows into .xlsx bytes. The late
fees are the claim's per-charge figures, never recomputed here; the totals are the claim's
(principal in claim, late fee claimed, total), so they equal the complaint to the fen.
Time-barred charges the claim leaves out are left out here too.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal

from cases.claims import CAP_LPR, CAP_PRINCIPAL, Claim, rate_per_mille
from cases.models import Allocation, Case, Charge, Unit
from cases.policy import liable_party
from cases.selectors.claims import claim_for_case
from cases.selectors.ledger import FEN, RATE_SCALE, charge_balances
from legal_docs.contexts import ITEM_ZH

NO_STANDARD = "按实际用量/账单"
HEADERS = (
    "序号",
    "收费项目",
    "计费期间",
    "面积×单价",
    "应收金额（元）",
    "应缴日期",
    "已缴本金（元）",
    "减免本金（元）",
    "欠费本金（元）",
    "逾期天数",
    "滞纳金标准",
    "约定滞纳金（元）",
    "主张滞纳金（元）",
    "备注",
)
MONEY_COLUMNS = (5, 7, 8, 9, 12, 13)  # 1-based columns holding amounts
MONEY_FORMAT = "0.00"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def date_zh(day: dt.date) -> str:
    """2026年12月4日 (no zero padding, as GB/T 9704 writes dates)."""
    return f"{day.year}年{day.month}月{day.day}日"


def period_zh(start: dt.date, end: dt.date) -> str:
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.year}年{start.month}月"
    return f"{date_zh(start)}至{date_zh(end)}"


@dataclass(frozen=True)
class CalcRow:
    item: str
    period: str
    basis: str
    amount: Decimal
    due_date: str
    paid: Decimal
    waived: Decimal
    outstanding: Decimal
    days_late: int | None
    rate: str
    late_fee_contractual: Decimal
    late_fee_claimed: Decimal
    remarks: str = ""


@dataclass(frozen=True)
class CalcTable:
    estate: str
    unit: str
    owner: str
    as_of: str
    basis: str
    rows: list[CalcRow] = field(default_factory=list)
    principal: Decimal = Decimal(0)
    late_fee_contractual: Decimal = Decimal(0)
    late_fee_claimed: Decimal = Decimal(0)

    @property
    def total(self) -> Decimal:
        return self.principal + self.late_fee_claimed

    @property
    def title(self) -> str:
        return (
            f"欠费明细及滞纳金计算表（{self.estate} {self.unit} 业主：{self.owner}，"
            f"计算至{self.as_of}）"
        )


def _rate_text(claim: Claim) -> str:
    policy = claim.policy
    if not policy.accrues:
        return "不主张"
    daily = f"日{rate_per_mille(policy.daily_rate)}"
    if policy.kind == CAP_PRINCIPAL:
        return f"{daily}（以本金为限）"
    if policy.kind == CAP_LPR and policy.lpr_capped:
        annual = policy.cap_annual_percent
        return f"年利率{annual.normalize():f}%（LPR×{policy.lpr_multiple.normalize():f}）"
    return daily


def calculation_rows(case: Case, *, as_of: dt.date) -> CalcTable:
    """The case's calculation table on ``as_of``: one row per charge in the claim, with the
    claim's late fees and totals. Read-only; raises what ``claim_for_case`` raises."""
    case = Case.objects.select_related("unit__estate").get(pk=case.pk)
    unit, estate = case.unit, case.unit.estate
    claim = claim_for_case(case, as_of=as_of)
    claimed = claim.claimed
    ids = [c.charge_id for c in claimed]
    charges = Charge.objects.select_related("fee_standard").in_bulk(ids)
    ledger = {
        row["id"]: row
        for row in charge_balances(Unit.objects.filter(pk=unit.pk), as_of=as_of)
        .filter(pk__in=ids)
        .values("id", "amount", "outstanding_fen", "credited_fen_days", "late_fee_e8")
    }
    principal = {"paid": {}, "waived": {}}
    for charge_id, amount, by_payment in Allocation.objects.filter(
        charge_id__in=ids, target=Allocation.Target.PRINCIPAL, allocated_on__lte=as_of
    ).values_list("charge_id", "amount", "payment_id"):
        bucket = principal["paid" if by_payment else "waived"]
        bucket[charge_id] = bucket.get(charge_id, Decimal(0)) + amount
    rate_ppm = int((estate.late_fee_daily_rate * RATE_SCALE).to_integral_value())
    rate = _rate_text(claim)
    rows = []
    for c in claimed:
        charge = charges[c.charge_id]
        basis = charge.basis
        led = ledger[c.charge_id]
        amount_fen = int(led["amount"] * FEN)
        days = None
        if rate_ppm and claim.policy.accrues:
            principal_days = int(led["late_fee_e8"]) // rate_ppm
            if led["outstanding_fen"] > 0:
                # The outstanding part accrues every day the ledger counts.
                days = (principal_days + int(led["credited_fen_days"])) // amount_fen
            else:
                days = principal_days // amount_fen
        remarks = f"超过诉讼时效，纳入理由：{c.included_reason}" if c.included_reason else ""
        rows.append(
            CalcRow(
                item=ITEM_ZH.get(c.item, c.item),
                period=period_zh(charge.period_start, charge.period_end),
                basis=basis.text if basis is not None else NO_STANDARD,
                amount=charge.amount,
                due_date=date_zh(charge.due_date),
                paid=principal["paid"].get(c.charge_id, Decimal("0.00")),
                waived=principal["waived"].get(c.charge_id, Decimal("0.00")),
                outstanding=c.outstanding,
                days_late=days,
                rate=rate,
                late_fee_contractual=c.late_fee_contractual,
                late_fee_claimed=c.late_fee_claimed,
                remarks=remarks,
            )
        )
    party = liable_party(unit)
    return CalcTable(
        estate=estate.name,
        unit=unit.label,
        owner=party.name if party else "",
        as_of=date_zh(as_of),
        basis=claim.basis,
        rows=rows,
        principal=claim.principal,
        late_fee_contractual=claim.late_fee_contractual,
        late_fee_claimed=claim.late_fee_claimed,
    )


def calculation_workbook(table: CalcTable) -> bytes:
    """The table as .xlsx bytes (pure): a title row naming the estate, unit, owner and date,
    Chinese headers (frozen), amounts as numbers in 0.00, a totals row holding SUM formulas
    with their values cached, and the claim's totals below. Byte-identical for equal input."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "计算表"
    last_col = len(HEADERS)
    sheet.cell(row=1, column=1, value=table.title).font = Font(bold=True, size=14)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=last_col)
    for col, header in enumerate(HEADERS, start=1):
        cell = sheet.cell(row=2, column=col, value=header)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    sheet.freeze_panes = "A3"
    first = 3
    for n, row in enumerate(table.rows, start=1):
        values = (
            n,
            row.item,
            row.period,
            row.basis,
            row.amount,
            row.due_date,
            row.paid,
            row.waived,
            row.outstanding,
            row.days_late,
            row.rate,
            row.late_fee_contractual,
            row.late_fee_claimed,
            row.remarks,
        )
        for col, value in enumerate(values, start=1):
            cell = sheet.cell(row=first + n - 1, column=col, value=value)
            if col in MONEY_COLUMNS:
                cell.number_format = MONEY_FORMAT
    last = first + len(table.rows) - 1
    totals_row = last + 1
    sheet.cell(row=totals_row, column=1, value="合计").font = Font(bold=True)
    sums = {
        9: table.principal,
        12: table.late_fee_contractual,
        13: table.late_fee_claimed,
    }
    for col in sums:
        letter = sheet.cell(row=first, column=col).column_letter
        cell = sheet.cell(row=totals_row, column=col, value=f"=SUM({letter}{first}:{letter}{last})")
        cell.number_format = MONEY_FORMAT
        cell.font = Font(bold=True)
    summary = [
        ("欠费本金合计（元）", table.principal),
        ("主张滞纳金合计（元）", table.late_fee_claimed),
        ("请求金额合计（元）", table.total),
    ]
    for offset, (label, value) in enumerate(summary, start=2):
        sheet.cell(row=totals_row + offset, column=1, value=label).font = Font(bold=True)
        sheet.merge_cells(
            start_row=totals_row + offset,
            start_column=1,
            end_row=totals_row + offset,
            end_column=4,
        )
        cell = sheet.cell(row=totals_row + offset, column=5, value=value)
        cell.number_format = MONEY_FORMAT
    sheet.cell(row=totals_row + 6, column=1, value=f"滞纳金计算依据：{table.basis}")
    widths = (6, 12, 16, 34, 12, 14, 12, 12, 12, 9, 22, 14, 14, 30)
    for col, width in enumerate(widths, start=1):
        sheet.column_dimensions[sheet.cell(row=2, column=col).column_letter].width = width
    # Fixed document properties: the same table gives the same bytes.
    stamp = dt.datetime(2000, 1, 1)
    workbook.properties.created = stamp
    workbook.properties.modified = stamp
    workbook.properties.creator = "fee-recovery"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _with_cached_totals(buffer.getvalue(), sums, totals_row)


def _with_cached_totals(data: bytes, sums: dict[int, Decimal], row: int) -> bytes:
    """openpyxl writes a formula without its value: add the value (``<v>``) to each SUM cell
    so a reader that does not calculate (or ``data_only=True``) sees the total. Zip entries
    are rewritten with a fixed timestamp, and the "modified" property fixed, so equal input
    gives equal bytes."""
    import re
    import zipfile

    from openpyxl.utils import get_column_letter

    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info in sorted(source.infolist(), key=lambda i: i.filename):
            content = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = content.decode()
                for col, value in sums.items():
                    ref = f"{get_column_letter(col)}{row}"
                    text = re.sub(
                        rf'(<c r="{ref}"[^>]*>)(<f>[^<]*</f>)(<v\s*/>|<v></v>)?',
                        lambda m, v=value: f"{m.group(1)}{m.group(2)}<v>{v}</v>",
                        text,
                    )
                content = text.encode()
            elif info.filename == "docProps/core.xml":
                # openpyxl stamps "modified" with the time of saving: fix it.
                content = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>2000-01-01T00:00:00Z\g<2>",
                    content,
                )
            entry = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, content)
    return out.getvalue()


def calculation_table_xlsx(case: Case, *, as_of: dt.date) -> tuple[bytes, str]:
    """The case's calculation table as (.xlsx bytes, file name)."""
    return (
        calculation_workbook(calculation_rows(case, as_of=as_of)),
        f"欠费明细及滞纳金计算表-CS-{case.pk:06d}.xlsx",
    )
