"""The ledger import's optional record columns: 单价 (held to the estate's fee standard),
不动产权证号 / 购房合同编号 and the owner's 证件号码 (checksum checked) fill the record; a file
without them imports as before, a charge's basis derived where the amount agrees."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest

from cases.identity import resident_id_check_char
from cases.imports import ledger_import
from cases.models import Charge, ChargeItem, Party, ServiceContract, Unit, UnitParty
from cases.services.contract import fee_standard_record, service_contract_record
from tests.factories import EstateFactory, UnitFactory, user_in_role

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 31)
ID_BODY = "33010619850615031"
OWNER_ID = ID_BODY + resident_id_check_char(ID_BODY)
HEADERS = ["房号", "业主", "电话", "费用项目", "所属期间", "应收金额", "已收金额", "应缴日期",
           "面积", "类型", "单价", "不动产权证号", "证件号码"]  # fmt: skip


def _csv(rows, headers=HEADERS) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


@pytest.fixture
def estate():
    estate = EstateFactory()
    contract = service_contract_record(
        estate,
        kind=ServiceContract.Kind.PRELIMINARY,
        party_a_name="杭州翠湖置业有限公司",
        signed_on=dt.date(2020, 3, 1),
        valid_from=dt.date(2020, 6, 1),
        fee_clause="第五条第二款",
    )
    fee_standard_record(
        estate,
        contract=contract,
        item=ChargeItem.MANAGEMENT_FEE,
        segment=Unit.Segment.OCCUPIED,
        unit_price=Decimal("2.8000"),
        valid_from=dt.date(2020, 6, 1),
    )
    return estate


def _import(content, estate, **kwargs):
    from cases.roles import Role

    return ledger_import(
        content, estate=estate, actor=user_in_role(Role.FINANCE), today=TODAY, **kwargs
    )


def test_the_record_columns_fill_the_unit_the_owner_and_each_charges_basis(estate):
    title = "浙(2021)杭州市不动产权第0123456号"
    rows = [
        ["3-1201", "张伟", "13800138000", "物业费", "2026-01", "250.21", "0", "2026-01-15",
         "89.36", "已入住", "2.80", title, OWNER_ID],
        ["3-1201", "张伟", "13800138000", "物业费", "2026-02", "250.21", "0", "2026-02-15",
         "", "", "", "", ""],
    ]  # fmt: skip
    report = _import(_csv(rows), estate)
    assert report.errors == [] and report.charges_created == 2
    unit = Unit.objects.get(estate=estate)
    assert unit.title_certificate_no == title
    owner = UnitParty.objects.get(unit=unit, role=UnitParty.Role.OWNER).party
    assert (owner.id_number, owner.id_type) == (OWNER_ID, Party.IdType.RESIDENT_ID)
    for charge in Charge.objects.filter(unit=unit):
        assert charge.basis_text == "89.36㎡ × 2.8000元/㎡/月 × 1个月 = 250.21元"
    # a second import changes nothing
    again = _import(_csv(rows), estate)
    assert again.charges_created == 0 and again.errors == []


def test_a_stated_price_or_amount_that_disagrees_is_a_row_error_and_nothing_is_written(estate):
    rows = [
        ["3-1201", "张伟", "", "物业费", "2026-01", "250.21", "0", "2026-01-15", "89.36",
         "已入住", "3.00", "", ""],
        ["3-1202", "李芳", "", "物业费", "2026-01", "260.00", "0", "2026-01-15", "89.36",
         "已入住", "2.80", "", ""],
    ]  # fmt: skip
    report = _import(_csv(rows), estate)
    assert [(e.row, e.column) for e in report.errors] == [(2, "单价"), (3, "应收金额")]
    assert "2.8000元/㎡/月" in report.errors[0].message
    assert "= 250.21元" in report.errors[1].message
    assert not Charge.objects.exists() and not Unit.objects.exists()


def test_a_bad_id_checksum_is_a_row_error_naming_the_column(estate):
    bad = OWNER_ID[:-1] + ("1" if OWNER_ID[-1] != "1" else "2")
    rows = [["3-1201", "张伟", "", "物业费", "2026-01", "250.21", "0", "2026-01-15", "89.36",
             "已入住", "", "", bad]]  # fmt: skip
    report = _import(_csv(rows), estate)
    assert [(e.row, e.column) for e in report.errors] == [(2, "证件号码")]
    assert "GB 11643" in report.errors[0].message
    assert not Party.objects.exists()


def test_without_a_price_column_an_adjusted_amount_is_imported_as_billed_without_basis(estate):
    unit = UnitFactory(estate=estate, building="3", number="1201", area=Decimal("89.36"))
    headers = ["房号", "费用项目", "所属期间", "应收金额", "应缴日期", "序号"]
    rows = [
        ["3-1201", "物业费", "2026-01", "120.00", "2026-01-15", "1"],  # pro-rated move-in
        ["3-1201", "物业费", "2026-02", "250.21", "2026-02-15", "2"],
    ]
    report = _import(_csv(rows, headers), estate)
    assert report.errors == [] and report.charges_created == 2
    january, february = Charge.objects.filter(unit=unit).order_by("period_start")
    assert january.basis is None and "no fee standard recorded" in january.basis_text
    assert february.basis_text == "89.36㎡ × 2.8000元/㎡/月 × 1个月 = 250.21元"
