"""Import of a billing system's arrears list: encodings, file types, headers, every kind of
bad row (with its row and column, and nothing written), --valid-only, re-import, grown
已收金额, credit, and the upload page."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum

from cases.imports import ledger_import, parsing, payment_reference
from cases.imports.parsing import CellError
from cases.models import (
    Allocation,
    Case,
    Charge,
    ChargeItem,
    Party,
    Payment,
    Stage,
    Unit,
    UnitParty,
)
from cases.services.case import case_open, system_user
from cases.services.ledger import payment_record
from tests.factories import PartyFactory, UnitFactory, UnitPartyFactory, charge_for

pytestmark = pytest.mark.django_db

# The upload page as config/urls.py wires it (with the login page it redirects to).
URLS = pytest.mark.urls("config.urls")

TODAY = dt.date(2025, 6, 30)
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures_data"

ZH = ["房号", "业主", "电话", "费用项目", "所属期间", "应收金额", "已收金额", "应缴日期",
      "缴费日期", "面积", "类型"]  # fmt: skip
EN = ["unit", "owner", "phone", "item", "period", "amount_due", "amount_paid", "due_date",
      "paid_on", "area", "segment"]  # fmt: skip

# Rows 2-5 of the sample file: a new unit with two months, a new vacant unit, and a row for
# the existing unit 5-0301 (made by the ``existing`` fixture).
ROWS = [
    ["3-1201", "张三", "13800138000", "物业管理费", "2025-01", "300.00", "0", "2025-01-15", "",
     "89.50", "已入住"],
    ["3-1201", "张三", "13800138000", "物业费", "2025年2月", "300.00", "300.00", "2025/2/15",
     "2025-02-10", "", ""],
    ["3-1202", "李四", "", "水费", "202501", "45.50", "0", "2025年1月15日", "", "", "空置"],
    ["5-0301", "王五", "13900000000", "停车费", "2025-01", "150", "50", "2025-01-20", "", "", ""],
]  # fmt: skip


def csv_bytes(rows, headers=ZH, encoding="utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows, headers=ZH, *, title: str | None = None) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    if title:
        sheet.append([title])
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def ledger_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Unit, Party, UnitParty, Charge, Payment, Allocation)
    }


@pytest.fixture
def existing(estate):
    """Unit 5-0301 of the estate, with its owner."""
    unit = UnitFactory(estate=estate, building="5", number="0301")
    UnitPartyFactory(unit=unit, party=PartyFactory(name="王五", phone="13900000000"))
    return unit


@pytest.fixture
def importer(estate, existing, finance):
    def run(content: bytes, **kwargs):
        kwargs.setdefault("today", TODAY)
        kwargs.setdefault("filename", "list.csv")
        return ledger_import(content, estate=estate, actor=finance, **kwargs)

    return run


def unit(estate, label: str) -> Unit:
    building, number = label.split("-")
    return Unit.objects.get(estate=estate, building=building, number=number)


def assert_sample_imported(estate, report) -> None:
    assert report.errors == []
    assert report.written
    assert (report.rows, report.charges_created, report.payments_recorded) == (4, 4, 2)
    assert (report.units_created, report.parties_created) == (2, 2)
    new = unit(estate, "3-1201")
    assert new.area == Decimal("89.50") and new.segment == Unit.Segment.OCCUPIED
    assert unit(estate, "3-1202").segment == Unit.Segment.VACANT
    assert unit(estate, "3-1202").area == Decimal(0)
    charges = Charge.objects.filter(unit=new).order_by("period_start")
    assert [(c.item, c.period_start, c.period_end, c.amount, c.due_date) for c in charges] == [
        ("management_fee", dt.date(2025, 1, 1), dt.date(2025, 1, 31), Decimal("300.00"),
         dt.date(2025, 1, 15)),
        ("management_fee", dt.date(2025, 2, 1), dt.date(2025, 2, 28), Decimal("300.00"),
         dt.date(2025, 2, 15)),
    ]  # fmt: skip
    water = Charge.objects.get(unit__building="3", unit__number="1202")
    assert (water.item, water.amount, water.due_date) == (
        "water",
        Decimal("45.50"),
        dt.date(2025, 1, 15),
    )
    payment = Payment.objects.get(unit=new)
    # Recorded through payment_record: dated paid_on, allocated oldest period first.
    assert (payment.amount, payment.paid_on) == (Decimal("300.00"), dt.date(2025, 2, 10))
    assert payment.reference == payment_reference("management_fee", dt.date(2025, 2, 1))
    assert Allocation.objects.get(payment=payment).charge == charges[0]
    owner = UnitParty.objects.get(unit=new, role=UnitParty.Role.OWNER).party
    assert (owner.name, owner.phone) == ("张三", "13800138000")
    parking = Payment.objects.get(unit__building="5")
    assert (parking.amount, parking.paid_on) == (Decimal("50.00"), dt.date(2025, 1, 20))
    # The existing unit already has an owner: no second one.
    assert UnitParty.objects.filter(unit__building="5").count() == 1


# --- happy paths ------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
@pytest.mark.parametrize("headers", [ZH, EN], ids=["zh", "en"])
def test_csv_in_every_encoding_and_either_header_language_imports(
    estate, importer, encoding, headers
):
    report = importer(csv_bytes(ROWS, headers, encoding))

    assert report.kind == "csv"
    assert (
        report.encoding == {"utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "gbk": "gb18030"}[encoding]
    )
    assert_sample_imported(estate, report)


@pytest.mark.parametrize("headers", [ZH, EN], ids=["zh", "en"])
def test_xlsx_with_either_header_language_imports(estate, importer, headers):
    report = importer(xlsx_bytes(ROWS, headers), filename="list.xlsx")

    assert report.kind == "xlsx"
    assert_sample_imported(estate, report)


def test_xlsx_typed_cells_title_row_and_separate_building_column(estate, importer):
    """Excel dates and numbers, an Excel serial day, a title line above the header, and the
    building in its own column (楼栋 + 房号)."""
    headers = ["楼栋", "房号", "业主", "费用项目", "所属期间", "应收金额(元)", "已收金额(元)",
               "应缴日期", "面积(㎡)"]  # fmt: skip
    rows = [
        ["3栋", 1201, "张三", "管理费", dt.datetime(2025, 1, 1), 300.5, 0,
         dt.datetime(2025, 1, 15), 89.5],
        ["3", "1201", "张三", "维修基金", 202501, 1200, 1200.0, 45672, None],
        [None, None, None, None, None, None, None, None, None],
        ["合计", None, None, None, None, 1500.5, 1200, None, None],
    ]  # fmt: skip
    report = importer(xlsx_bytes(rows, headers, title="2025年1月业主欠费清单"))

    assert report.errors == []
    assert (report.rows, report.rows_ignored, report.charges_created) == (2, 2, 2)
    charges = {c.item: c for c in Charge.objects.filter(unit=unit(estate, "3-1201"))}
    assert charges["management_fee"].amount == Decimal("300.50")
    assert charges["maintenance_fund"].due_date == dt.date(2025, 1, 15)  # serial 45672
    assert Payment.objects.get().amount == Decimal("1200.00")


def test_committed_sample_file_imports(estate, importer):
    """tests/fixtures_data holds a GBK CSV as a billing system writes it."""
    report = importer((FIXTURES / "arrears_gbk.csv").read_bytes())

    assert report.encoding == "gb18030"
    assert report.errors == []
    assert report.charges_created == 3


def test_dry_run_counts_and_writes_nothing(importer):
    before = ledger_counts()

    report = importer(csv_bytes(ROWS), dry_run=True)

    assert ledger_counts() == before
    assert not report.written
    assert (report.charges_created, report.payments_recorded, report.units_created) == (4, 2, 2)
    assert report.payments_amount == Decimal("350.00")


# --- bad rows ---------------------------------------------------------------------------

# A row that would be valid: electricity of 3-1201 in January (no clash with ROWS).
GOOD = ["3-1201", "张三", "13800138000", "电费", "2025-01", "88.00", "0", "2025-01-15", "", "", ""]
BAD_ROWS = {
    # name: (column to change, value, column reported, message fragment)
    "unknown item": ("费用项目", "卫生费", "费用项目", "unknown item “卫生费” (未知费用项目)"),
    "negative amount": ("应收金额", "-20.00", "应收金额", "must be greater than zero"),
    "zero amount": ("应收金额", "0", "应收金额", "must be greater than zero"),
    "non-numeric amount": ("应收金额", "三百", "应收金额", "“三百” is not an amount"),
    "bad date": ("应缴日期", "2025-02-30", "应缴日期", "“2025-02-30” is not a date"),
    "bad period": ("所属期间", "2025-13", "所属期间", "“2025-13” is not a billing month"),
    "period after the due date": (
        "所属期间", "2025-03", "应缴日期", "the due date 2025-01-15 is before its period 2025-03"
    ),
    "paid more than due": ("已收金额", "500", "已收金额", "paid 500.00 is more than the 88.00"),
    "missing unit without area": (
        "房号", "9-0909", "房号",
        "unit 9-0909 does not exist and the row has no area (or type) to create it",
    ),
    "duplicate row": ("费用项目", "物业管理费", "房号", "duplicate of row 2"),
}  # fmt: skip


@pytest.mark.parametrize("kind", list(BAD_ROWS))
def test_a_bad_row_is_reported_with_row_and_column_and_nothing_is_written(importer, kind):
    column, value, reported, message = BAD_ROWS[kind]
    bad = list(GOOD)
    bad[ZH.index(column)] = value
    before = ledger_counts()

    report = importer(csv_bytes([*ROWS, bad]))  # the bad row is row 6

    assert ledger_counts() == before
    assert report.refused and not report.written
    assert [(e.row, e.column) for e in report.errors] == [(6, reported)], report.errors
    assert message in report.errors[0].message
    assert report.errors[0].value == (value if column == reported else bad[ZH.index(reported)])


def test_the_good_row_of_those_tests_is_good(importer):
    report = importer(csv_bytes([*ROWS, GOOD]))

    assert report.errors == [] and report.charges_created == 5


def test_all_problems_of_a_row_are_reported_in_english_headers_too(importer):
    bad = ["5-0301", "", "", "toilet", "2025-01", "abc", "", "not a date", "", "", ""]

    report = importer(csv_bytes([bad], EN))

    assert [(e.row, e.column) for e in report.errors] == [
        (2, "item"),
        (2, "amount_due"),
        (2, "due_date"),
    ]


def test_missing_column_is_reported_on_the_header_row(importer):
    headers = [h for h in ZH if h != "应缴日期"]
    rows = [[c for h, c in zip(ZH, row, strict=True) if h != "应缴日期"] for row in ROWS]

    report = importer(csv_bytes(rows, headers))

    assert [(e.row, e.column) for e in report.errors] == [(1, "应缴日期/due_date")]
    assert "missing column" in report.errors[0].message


def test_not_a_spreadsheet_is_refused(importer):
    report = importer(b"\x89PNG\r\n\x1a\n" + bytes(64))

    assert report.errors[0].row == 1 and "neither CSV nor XLSX" in report.errors[0].message


def test_a_unit_with_its_area_on_another_row_can_be_created(estate, importer):
    rows = [list(ROWS[1]), list(ROWS[0])]  # the row with the area comes second

    report = importer(csv_bytes(rows))

    assert report.errors == [] and unit(estate, "3-1201").area == Decimal("89.50")


# --- re-import, growth, conflicts ----------------------------------------------------


def test_reimporting_the_same_file_changes_nothing(importer):
    content = csv_bytes(ROWS)
    importer(content)
    before = ledger_counts()

    again = importer(content)

    assert ledger_counts() == before
    assert again.errors == []
    assert (again.charges_created, again.payments_recorded, again.units_created) == (0, 0, 0)
    assert (again.charges_existing, again.rows_unchanged) == (4, 4)


def test_grown_paid_amount_records_only_the_difference(estate, importer):
    rows = [list(ROWS[0])]
    rows[0][ZH.index("已收金额")] = "100"
    rows[0][ZH.index("缴费日期")] = "2025-01-20"
    importer(csv_bytes(rows))
    rows[0][ZH.index("已收金额")] = "250.00"
    rows[0][ZH.index("缴费日期")] = "2025-03-05"

    report = importer(csv_bytes(rows))

    assert (report.charges_created, report.payments_recorded) == (0, 1)
    payments = Payment.objects.filter(unit=unit(estate, "3-1201")).order_by("paid_on")
    assert [(p.amount, p.paid_on) for p in payments] == [
        (Decimal("100.00"), dt.date(2025, 1, 20)),
        (Decimal("150.00"), dt.date(2025, 3, 5)),
    ]


def test_paid_amount_without_a_date_is_dated_on_the_due_date(estate, importer):
    rows = [list(ROWS[0])]
    rows[0][ZH.index("已收金额")] = "300"

    importer(csv_bytes(rows))

    assert Payment.objects.get().paid_on == dt.date(2025, 1, 15)


def test_an_issued_charge_with_another_amount_is_refused(importer):
    importer(csv_bytes(ROWS))
    changed = [list(row) for row in ROWS]
    changed[2][ZH.index("应收金额")] = "55.00"
    before = ledger_counts()

    report = importer(csv_bytes(changed))

    assert ledger_counts() == before
    assert [(e.row, e.column) for e in report.errors] == [(4, "应收金额")]
    assert "charge already issued with amount 45.50; corrections are adjustments" in (
        report.errors[0].message
    )


def test_a_paid_amount_lower_than_already_imported_is_refused(importer):
    importer(csv_bytes(ROWS))
    changed = [list(row) for row in ROWS]
    changed[1][ZH.index("已收金额")] = "200"

    report = importer(csv_bytes(changed))

    assert [(e.row, e.column) for e in report.errors] == [(3, "已收金额")]


def test_new_charges_take_the_credit_a_unit_holds(estate, existing, importer, finance):
    """A unit with an unallocated payment gets its charge through charge_issue, which
    applies the credit; the others go in bulk."""
    prepaid = payment_record(existing, amount=Decimal("100"), paid_on=dt.date(2024, 12, 1))

    importer(csv_bytes(ROWS))

    parking = Charge.objects.get(unit=existing)
    assert Allocation.objects.get(payment=prepaid).charge == parking
    assert Allocation.objects.filter(charge=parking).aggregate(s=Sum("amount"))["s"] == Decimal(
        "150.00"
    )  # 100 of credit + the 50 the row says was paid


def test_a_payment_in_full_settles_the_open_case(estate, existing, importer, evidence_store):
    # Paid in full is principal and late fee: on an estate charging none, 已收金额 = 应收金额.
    estate.late_fee_daily_rate = 0
    estate.save()
    rows = [list(ROWS[3])]
    importer(csv_bytes(rows))
    case = case_open(existing, actor=system_user(), on=dt.date(2025, 3, 1))
    rows[0][ZH.index("已收金额")] = "150"
    rows[0][ZH.index("缴费日期")] = "2025-03-10"

    importer(csv_bytes(rows))

    assert Case.objects.get(pk=case.pk).stage == Stage.SETTLED


def test_a_charge_issued_between_check_and_write_stops_the_batch(
    estate, existing, importer, monkeypatch
):
    """Another writer issues the same charge with another amount after the rows were checked:
    the batch is re-checked under the unit locks, rolled back and reported."""
    from cases.imports import service

    planned = service.plan_units

    def plan_then_someone_else_writes(*args, **kwargs):
        plan = planned(*args, **kwargs)
        charge_for(existing, "999.00", due_date=dt.date(2025, 1, 20), item="parking")
        return plan

    monkeypatch.setattr(service, "plan_units", plan_then_someone_else_writes)
    before = ledger_counts()

    report = importer(csv_bytes(ROWS))

    assert report.interrupted and not report.written
    assert [(e.row, e.column) for e in report.errors] == [(5, "应收金额")]
    assert "changed while importing" in report.errors[0].message
    after = ledger_counts()
    assert (after["Charge"], after["Unit"], after["Payment"]) == (
        before["Charge"] + 1,  # only the other writer's charge
        before["Unit"],
        before["Payment"],
    )


def test_small_batches_import_everything(estate, importer):
    report = importer(csv_bytes(ROWS), batch_rows=1)

    assert report.errors == [] and report.written
    assert (report.charges_created, report.payments_recorded, report.units_created) == (4, 2, 2)
    assert Charge.objects.count() == 4


# --- --valid-only and the command ------------------------------------------------------


def test_valid_only_imports_the_valid_rows_only(estate, importer):
    bad = list(GOOD)
    bad[ZH.index("费用项目")] = "卫生费"
    bad[ZH.index("所属期间")] = "2025-03"

    report = importer(csv_bytes([*ROWS, bad]), valid_only=True)

    assert report.written and report.error_rows == 1
    assert report.charges_created == 4
    assert Charge.objects.count() == 4


def test_command_refuses_a_file_with_errors_and_writes_the_error_file(estate, existing, tmp_path):
    bad = list(GOOD)
    bad[ZH.index("应收金额")] = "-5"
    source = tmp_path / "list.csv"
    source.write_bytes(csv_bytes([*ROWS, bad], encoding="gbk"))
    errors_out = tmp_path / "errors.csv"
    stderr = io.StringIO()
    before = ledger_counts()

    with pytest.raises(CommandError, match="nothing was imported"):
        call_command(
            "import_ledger",
            str(source),
            estate=estate.code,
            errors_out=str(errors_out),
            stderr=stderr,
            stdout=io.StringIO(),
        )

    assert ledger_counts() == before
    assert "row 6, 应收金额 [-5]" in stderr.getvalue()
    written = list(csv.reader(io.StringIO(errors_out.read_bytes().decode("utf-8-sig"))))
    assert written[0] == ["row", "column", "value", "message"]
    assert written[1][:3] == ["6", "应收金额", "'-5"]  # a leading - is quoted for Excel


def test_command_valid_only_and_summary(estate, existing, tmp_path):
    bad = list(GOOD)
    bad[ZH.index("应缴日期")] = "soon"
    source = tmp_path / "list.xlsx"
    source.write_bytes(xlsx_bytes([*ROWS, bad]))
    stdout = io.StringIO()

    call_command(
        "import_ledger",
        str(source),
        estate=estate.name,
        valid_only=True,
        stdout=stdout,
        stderr=io.StringIO(),
    )

    assert Charge.objects.count() == 4
    out = stdout.getvalue()
    assert "rows read: 5" in out and "rows with errors: 1" in out
    assert "created: 4 charges, 2 units, 2 parties" in out
    assert "payments recorded: 2, total 350.00" in out


def test_command_dry_run(estate, existing, tmp_path):
    source = tmp_path / "list.csv"
    source.write_bytes(csv_bytes(ROWS))
    stdout = io.StringIO()

    call_command("import_ledger", str(source), estate=estate.code, dry_run=True, stdout=stdout)

    assert Charge.objects.count() == 0
    assert "would be created: 4 charges" in stdout.getvalue()


# --- cell parsing -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["2025-01", "2025年1月", "202501", "2025/01", "2025.1", "2025-01-01", 202501,
     dt.datetime(2025, 1, 1)],
)  # fmt: skip
def test_period_formats(value):
    assert parsing.period(value) == (dt.date(2025, 1, 1), dt.date(2025, 1, 31))


@pytest.mark.parametrize(
    "value",
    ["2025-01-15", "2025/1/15", "2025年1月15日", "2025.1.15", "20250115", 45672, "45672",
     dt.datetime(2025, 1, 15), dt.date(2025, 1, 15), "2025-01-15 00:00:00"],
)  # fmt: skip
def test_date_formats(value):
    assert parsing.date(value) == dt.date(2025, 1, 15)


@pytest.mark.parametrize(
    ("value", "item"),
    [("物业管理费", "management_fee"), ("物业费", "management_fee"), ("管理费", "management_fee"),
     ("公共维修金", "maintenance_fund"), ("维修基金", "maintenance_fund"), ("水费", "water"),
     ("电费", "electricity"), ("燃气费", "gas"), ("煤气费", "gas"), ("停车费", "parking"),
     ("车位费", "parking"), ("其他", "other"), ("management_fee", "management_fee"),
     (" Parking ", "parking")],
)  # fmt: skip
def test_item_words(value, item):
    assert parsing.item(value) == item
    assert item in ChargeItem.values


@pytest.mark.parametrize(
    ("value", "expected"),
    [("3-1201", ("3", "1201")), ("3栋1201", ("3", "1201")), ("3#1201室", ("3", "1201")),
     ("A座0101", ("A", "0101")), ("12-1-301", ("12", "1-301"))],
)  # fmt: skip
def test_unit_labels(value, expected):
    assert parsing.unit_label(value) == expected


@pytest.mark.parametrize("value", ["1.234", "NaN", "Infinity", "1e400", ""])
def test_bad_amounts(value):
    with pytest.raises(CellError):
        parsing.positive_amount(value)


def test_amount_forms():
    assert parsing.positive_amount("¥1,234.5元") == Decimal("1234.50")
    assert parsing.positive_amount(0.1 + 0.2) == Decimal("0.30")
    assert parsing.paid_amount("") == Decimal(0)


# --- the upload page ----------------------------------------------------------------------


def upload(client, content: bytes, *, estate, name="list.csv", **fields):
    file = io.BytesIO(content)
    file.name = name
    data = {"estate": estate.pk, "file": file, **fields}
    return client.post("/imports/ledger/", data)


@URLS
def test_upload_page_refuses_a_collector_and_redirects_anonymous(client, collector):
    assert client.get("/imports/ledger/").status_code == 302  # to the login page
    client.force_login(collector)
    assert client.get("/imports/ledger/").status_code == 403


@URLS
def test_finance_dry_run_shows_the_errors_and_offers_the_error_file(
    client, finance, estate, existing, settings, tmp_path
):
    settings.IMPORT_ERRORS_ROOT = tmp_path
    bad = list(GOOD)
    bad[ZH.index("费用项目")] = "卫生费"
    client.force_login(finance)
    before = ledger_counts()

    response = upload(client, csv_bytes([*ROWS, bad]), estate=estate, dry_run="on")

    assert response.status_code == 200
    page = response.content.decode()
    assert "unknown item “卫生费”" in page and "<td>6</td>" in page
    assert ledger_counts() == before
    errors_url = response.context["errors_url"]
    download = client.get(errors_url)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    body = b"".join(download.streaming_content).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(body)))[1][:3] == ["6", "费用项目", "卫生费"]
    # Another user's session cannot fetch it.
    client.logout()
    client.force_login(finance)
    assert client.get(errors_url).status_code == 404


@URLS
def test_finance_upload_imports(client, finance, estate, existing):
    client.force_login(finance)

    response = upload(client, xlsx_bytes(ROWS), estate=estate, name="list.xlsx")

    assert response.status_code == 200
    assert Charge.objects.count() == 4
    assert Payment.objects.filter(recorded_by=finance).count() == 2
    assert "Imported." in response.content.decode()


@URLS
def test_manager_may_upload_and_a_non_spreadsheet_is_refused(client, manager, estate):
    client.force_login(manager)

    response = upload(client, b"%PDF-1.7\n" + bytes(100), estate=estate, name="list.csv")

    assert response.status_code == 200
    assert "neither CSV nor XLSX" in response.content.decode()
    assert Charge.objects.count() == 0


@URLS
def test_upload_larger_than_the_cap_is_refused(client, finance, estate, monkeypatch):
    monkeypatch.setattr("workflows.imports_views.MAX_IMPORT_BYTES", 100)
    client.force_login(finance)

    response = upload(client, csv_bytes(ROWS), estate=estate)

    assert "larger than" in response.content.decode()
    assert Charge.objects.count() == 0


@URLS
def test_upload_needs_the_csrf_token(finance, estate):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(finance)

    response = upload(client, csv_bytes(ROWS), estate=estate)

    assert response.status_code == 403
    assert Charge.objects.count() == 0
