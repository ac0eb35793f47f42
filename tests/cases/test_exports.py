"""Excel and CSV exports: the monthly arrears list (units, amounts by month, late fee, case,
collector), collector performance, formula injection, and a query count that does not grow
with the number of units."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.exports import arrears_export, arrears_sheet, collectors_sheet, csv_safe
from cases.imports import ledger_import
from cases.models import Channel, ContactAttempt, Outcome, PromiseStatus, Stage
from cases.roles import Role
from cases.services.case import case_open, contact_log, system_user
from cases.services.ledger import payment_record
from tests.factories import (
    EstateFactory,
    PartyFactory,
    UnitFactory,
    UnitPartyFactory,
    charge_for,
    user_in_role,
)

pytestmark = pytest.mark.django_db

D = dt.date
MARCH = D(2025, 3, 1)  # the list speaks as of 2025-03-31
PAYLOADS = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3"]


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=timezone.get_current_timezone())


@pytest.fixture
def ledger(evidence_store):
    """Estate (1‰ a day, no grace) with four units:

    1-101  Jan 1000 (due 01-31) and Feb 1000 (due 02-28); 500 paid 02-10 → Jan 500 + Feb 1000
           owed; late fee (1000×59 − 500×49 + 1000×31) × 0.001 = 65.50; open case, collector.
    1-102  Mar 200 due 03-15 → late fee 16 days × 0.2 = 3.20.
    1-103  paid in full: absent from the list.
    1-104  2023-06 charge of 100 due 2023-06-30 → "earlier" column; 640 days → 64.00.
    """
    estate = EstateFactory(late_fee_daily_rate=Decimal("0.001"), grace_days=0)
    collector = user_in_role(Role.COLLECTOR, first_name="小催", last_name="王")
    units = {
        label: UnitFactory(estate=estate, building="1", number=label.split("-")[1])
        for label in ("1-101", "1-102", "1-103", "1-104")
    }
    UnitPartyFactory(unit=units["1-101"], party=PartyFactory(name="张三", phone="13800138000"))
    UnitPartyFactory(unit=units["1-102"], party=PartyFactory(name="李四", phone=""))
    charge_for(units["1-101"], "1000.00", due_date=D(2025, 1, 31))
    charge_for(units["1-101"], "1000.00", due_date=D(2025, 2, 28))
    payment_record(units["1-101"], amount=Decimal("500"), paid_on=D(2025, 2, 10))
    charge_for(units["1-102"], "200.00", due_date=D(2025, 3, 15))
    charge_for(units["1-103"], "300.00", due_date=D(2025, 3, 15))
    payment_record(units["1-103"], amount=Decimal("300"), paid_on=D(2025, 3, 10))
    charge_for(units["1-104"], "100.00", due_date=D(2023, 6, 30))
    case = case_open(units["1-101"], actor=system_user(), on=D(2025, 3, 1), collector=collector)
    return estate, units, collector, case


def sheet_rows(content: bytes, index: int = 0) -> tuple[list, dict[str, list]]:
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    rows = [list(r) for r in workbook.worksheets[index].iter_rows(values_only=True)]
    return rows[0], {row[0]: row for row in rows[1:]}


def test_arrears_xlsx_has_the_units_and_amounts(ledger):
    estate, _units, _collector, _case = ledger

    headers, rows = sheet_rows(arrears_export(estate, month=MARCH))

    col = {h: i for i, h in enumerate(headers)}
    assert list(rows) == ["1-101", "1-102", "1-104", "Total (合计)"]
    a = rows["1-101"]
    assert (a[col["Owner (业主)"]], a[col["Phone (电话)"]]) == ("张三", "13800138000")
    assert a[col["2025-01"]] == 500 and a[col["2025-02"]] == 1000 and a[col["2025-03"]] is None
    assert a[col["Principal (本金)"]] == 1500
    assert a[col["Late fee (滞纳金)"]] == pytest.approx(65.50)
    assert a[col["Total (合计)"]] == pytest.approx(1565.50)
    assert a[col["Oldest due date (最早应缴日)"]].date() == D(2025, 1, 31)
    assert a[col["Days overdue (逾期天数)"]] == 59
    assert a[col["Case stage (案件阶段)"]] == str(Stage.NEW.label)
    assert a[col["Collector (催收员)"]] == "王小催"
    assert a[col["Items owed (欠费项目)"]] == "Property management fee (物业管理费)"
    b = rows["1-102"]
    assert (b[col["2025-03"]], b[col["Late fee (滞纳金)"]]) == (200, pytest.approx(3.20))
    assert b[col["Case stage (案件阶段)"]] is None
    d = rows["1-104"]
    assert d[col["Earlier (更早)"]] == 100 and d[col["Late fee (滞纳金)"]] == 64
    assert "2024-04" in col and "2024-03" not in col  # twelve month columns
    total = rows["Total (合计)"]
    assert total[col["Principal (本金)"]] == 1800
    assert total[col["Total (合计)"]] == pytest.approx(1800 + 65.50 + 3.20 + 64)


def test_arrears_csv_has_the_same_figures(ledger):
    estate, *_ = ledger

    content = arrears_export(estate, month=MARCH, fmt="csv")

    assert content.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    col = {h: i for i, h in enumerate(rows[0])}
    a = next(r for r in rows if r[0] == "1-101")
    assert (a[col["Principal (本金)"]], a[col["Late fee (滞纳金)"]]) == ("1500.00", "65.50")
    assert a[col["Oldest due date (最早应缴日)"]] == "2025-01-31"


def test_the_list_reads_the_same_number_of_queries_for_more_units(ledger):
    estate, *_ = ledger

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            arrears_sheet(estate, month=MARCH)
        return len(captured)

    few = queries()
    for n in range(10):
        unit = UnitFactory(estate=estate, building="9", number=f"{n}")
        UnitPartyFactory(unit=unit)
        charge_for(unit, "10.00", due_date=D(2025, 2, 15))
    assert queries() == few


def test_formula_like_owner_names_come_out_as_text(evidence_store):
    estate = EstateFactory()
    for n, payload in enumerate(PAYLOADS):
        unit = UnitFactory(estate=estate, building="2", number=f"{n + 1}")
        UnitPartyFactory(unit=unit, party=PartyFactory(name=payload, phone="+8613800138000"))
        charge_for(unit, "100.00", due_date=D(2025, 1, 31))

    xlsx = arrears_export(estate, month=MARCH)
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx))
    sheet = workbook.worksheets[0]
    owners = [sheet.cell(row=r, column=2) for r in range(2, 2 + len(PAYLOADS))]
    assert [c.value for c in owners] == PAYLOADS
    assert all(c.data_type == "s" and c.quotePrefix for c in owners)
    phone = sheet.cell(row=2, column=3)
    assert phone.value == "+8613800138000" and phone.quotePrefix
    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
        assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()

    rows = list(csv.reader(io.StringIO(arrears_export(estate, month=MARCH, fmt="csv").decode())))
    assert [row[1] for row in rows[1 : 1 + len(PAYLOADS)]] == ["'" + p for p in PAYLOADS]
    assert rows[1][2] == "'+8613800138000"


def test_an_imported_formula_name_is_exported_as_text(finance, evidence_store):
    """End to end: the name arrives through the import and leaves through the export."""
    estate = EstateFactory()
    content = (
        "房号,业主,费用项目,所属期间,应收金额,应缴日期,面积\n"
        '6-601,"=HYPERLINK(""http://x"",""y"")",物业费,2025-01,100,2025-01-31,80\n'
    ).encode()
    assert ledger_import(content, estate=estate, actor=finance).errors == []

    _headers, rows = sheet_rows(arrears_export(estate, month=MARCH))

    assert rows["6-601"][1] == PAYLOADS[0]
    assert csv_safe(PAYLOADS[0]) == "'" + PAYLOADS[0]
    assert csv_safe("张三") == "张三" and csv_safe(Decimal("-1")) == Decimal("-1")


def test_collector_performance(ledger):
    estate, units, collector, case = ledger
    other = user_in_role(Role.COLLECTOR, username="idle")
    contact_log(case, actor=collector, channel=Channel.PHONE, outcome=Outcome.NO_ANSWER,
                occurred_at=at(D(2025, 3, 3)))  # fmt: skip
    for day, status in ((4, PromiseStatus.KEPT), (5, PromiseStatus.BROKEN), (6, None)):
        promise = contact_log(
            case,
            actor=collector,
            channel=Channel.PHONE,
            outcome=Outcome.PROMISED,
            occurred_at=at(D(2025, 3, day)),
            promised_on=D(2025, 3, 20),
            promised_amount=Decimal("100"),
        )
        if status:  # what the daily sweep records when the date passes
            ContactAttempt.objects.filter(pk=promise.pk).update(promise_status=status)
    contact_log(
        case,
        actor=collector,
        channel=Channel.SMS,
        outcome=Outcome.REACHED,
        occurred_at=at(D(2025, 2, 27)),
    )  # fmt: skip  (February: not counted)
    payment_record(units["1-101"], amount=Decimal("400"), paid_on=D(2025, 3, 12))
    payment_record(units["1-102"], amount=Decimal("50"), paid_on=D(2025, 3, 12))  # no case

    sheet = collectors_sheet(estate, month=MARCH)

    rows = {row[0]: row for row in sheet.rows}
    assert rows["王小催"] == ["王小催", 1, 4, 3, 1, 1, Decimal("400.00")]
    assert rows["idle"] == ["idle", 0, 0, 0, 0, 0, Decimal("0.00")]
    assert sheet.rows[-1][0] == "Total (合计)" and sheet.rows[-1][-1] == Decimal("400.00")
    assert other.username == "idle"


def test_export_command_writes_xlsx_with_both_sheets_and_csv(ledger, tmp_path):
    estate, *_ = ledger
    out = tmp_path / "arrears.xlsx"
    stdout = io.StringIO()

    call_command(
        "export_arrears",
        estate=estate.code,
        month="2025-03",
        out=str(out),
        collectors=True,
        stdout=stdout,
    )

    workbook = openpyxl.load_workbook(out)
    assert [ws.title for ws in workbook.worksheets] == ["Arrears 2025-03", "Collectors 2025-03"]
    assert "3 units in arrears" in stdout.getvalue()

    csv_out = tmp_path / "arrears.csv"
    call_command(
        "export_arrears",
        estate=estate.code,
        month="2025-03",
        out=str(csv_out),
        csv=True,
        collectors=True,
        stdout=io.StringIO(),
    )
    assert csv_out.read_bytes().decode("utf-8-sig").splitlines()[1].startswith("1-101,张三")
    collectors = (tmp_path / "arrears-collectors.csv").read_bytes().decode("utf-8-sig")
    assert "王小催,1,0,0,0,0,0.00" in collectors
