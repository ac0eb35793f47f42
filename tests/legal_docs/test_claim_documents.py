"""Documents state the late fee as the contract accrues it and as claimed, with the basis;
time-barred charges are listed apart and left out of the claim unless a legal officer
included them (issue 12 part 6). Read back from the generated .docx."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cases.models import ChargeItem, EvidenceEntry, Party, Unit, UnitParty
from cases.roles import Role
from cases.services.case import case_open
from cases.services.claims import claim_include_time_barred
from legal_docs.kinds import DocumentKind as K
from legal_docs.services import legal_doc_generate
from tests.factories import user_in_role
from tests.legal_docs.conftest import (
    cn_date,
    document_text,
    ensure_builtin_templates,
    issue_monthly,
    make_estate,
)

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 30)
LPR_BASIS = "按一年期贷款市场报价利率3.00%的1.3倍（年利率3.90%）计算"


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(
        dt.datetime(2026, 6, 30, 10, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False
    ):
        yield


@pytest.fixture
def capped(db):
    """An estate whose contract says 1‰ a day and whose policy caps the claim at 1.3 × the
    one-year LPR; a unit owing 10,000.00 due 365 days ago and 800.00 of water due on
    2022-01-25 (time-barred: nothing ever interrupted its period)."""
    ensure_builtin_templates()
    estate = make_estate()
    estate.late_fee_daily_rate = Decimal("0.001")
    estate.grace_days = 0
    estate.late_fee_claim_policy = "cap_lpr"
    estate.late_fee_lpr_multiple = Decimal("1.30")
    estate.save()
    unit = Unit.objects.create(estate=estate, building="3幢", number="1201", area=Decimal("90"))
    owner = Party.objects.create(
        name="张三", phone="13812345678", address="杭州市翠湖花园3幢1201室"
    )
    UnitParty.objects.create(unit=unit, party=owner, role=UnitParty.Role.OWNER)
    issue_monthly(unit, dt.date(2025, 6, 1), Decimal("10000.00"))  # due 2025-06-15
    issue_monthly(unit, dt.date(2022, 1, 1), Decimal("800.00"), item=ChargeItem.WATER)
    legal = user_in_role(Role.LEGAL_OFFICER, username="li_fw")
    case = case_open(unit, actor=legal, on=TODAY)
    return unit, case, legal


def test_complaint_claims_the_capped_late_fee_and_leaves_the_time_barred_charge_out(capped):
    unit, case, legal = capped
    document = legal_doc_generate(K.CIVIL_COMPLAINT, unit=unit, case=case, actor=legal, as_of=TODAY)
    text = document_text(document)

    # Due 2025-06-15, 380 days to 2026-06-30.
    # Contract: 10,000 × 0.001 × 380 = 3,800.00
    # Cap: LPR in force on 2026-06-30 is 3.00% (2025-05-20); 1.3 × 3.00% = 3.90% a year:
    #      10,000 × 380 × 0.039 ÷ 365 = 148,200 ÷ 365 = 406.0273… → 406.03
    assert "判令被告支付拖欠的物业服务费等费用，金额为人民币10,000.00元" in text
    assert (
        f"判令被告支付逾期付款违约金（滞纳金，{LPR_BASIS}，计至{cn_date(TODAY)}），"
        "金额为人民币406.03元"
    ) in text
    assert "以上诉讼请求金额合计人民币10,406.03元" in text
    assert "本案诉讼标的额人民币10,406.03元" in text
    # both figures and the basis, in the facts
    assert (
        f"依照物业服务合同的约定，按合同约定日千分之一计算，截至{cn_date(TODAY)}，"
        f"滞纳金为3,800.00元；原告{LPR_BASIS}，主张滞纳金406.03元。"
    ) in text
    # the time-barred water bill is in no amount claimed, and the complaint does not plead
    # the limitation for the defendant (a court does not apply it of its own motion): the
    # charge is listed apart on the case page only
    assert "10,800.00" not in text
    assert "水费" not in text
    assert "诉讼时效" not in text
    # "unpaid since" speaks of the charges claimed, not of the time-barred one
    assert f"被告自{cn_date(dt.date(2025, 6, 15))}起未按约缴纳" in text


def test_included_with_a_reason_the_time_barred_charge_is_claimed(capped):
    unit, case, legal = capped
    water = unit.charges.get(item=ChargeItem.WATER)

    claim_include_time_barred(
        case, charge=water, actor=legal, reason="业主2025年书面确认欠费", as_of=TODAY
    )
    document = legal_doc_generate(
        K.PAYMENT_ORDER_APPLICATION, unit=unit, case=case, actor=legal, as_of=TODAY
    )
    text = document_text(document)

    # Water due 2022-01-25 → 2026-06-30: 1,617 days (2024 is a leap year).
    # Contract: 800 × 0.001 × 1,617 = 1,293.60; cap: 800 × 1,617 × 0.039 ÷ 365
    # = 50,450.4 ÷ 365 = 138.2202… → 138.22. With the 10,000.00 charge (406.0273…):
    # late fee claimed = 406.0273… + 138.2202… = 544.2475… → 544.25
    assert (dt.date(2026, 6, 30) - dt.date(2022, 1, 25)).days == 1617
    assert (
        "请求法院向被申请人发出支付令，督促被申请人支付拖欠的物业服务费等费用，金额为人民币10,800.00元"
        in text
    )
    assert (
        f"支付逾期付款违约金（滞纳金，{LPR_BASIS}，计至{cn_date(TODAY)}），金额为人民币544.25元"
        in text
    )
    assert "以上请求金额合计人民币11,344.25元" in text
    assert "已超过诉讼时效期间" not in text
    entry = EvidenceEntry.objects.filter(case=case, kind="claim_inclusion").get()
    assert "业主2025年书面确认欠费" in entry.body


def test_lawyer_letter_shows_both_figures_and_the_basis(capped):
    unit, case, legal = capped
    document = legal_doc_generate(K.LAWYER_LETTER, unit=unit, case=case, actor=legal, as_of=TODAY)
    text = document_text(document)

    assert "合同约定滞纳金（按日千分之一，计至" in text
    assert f"主张的滞纳金（{LPR_BASIS}）\t406.03" in text
    assert "应缴合计\t10,406.03" in text
    assert (
        "滞纳金为人民币3,800.00元（大写：人民币叁仟捌佰元整）；"
        f"现{LPR_BASIS}，主张滞纳金人民币406.03元（大写：人民币肆佰零陆元零叁分）"
        "，本金与滞纳金合计人民币10,406.03元"
    ) in text
    # owner-facing letters never tell the debtor which charges are time-barred
    assert "诉讼时效" not in text


def test_an_uncapped_claim_prints_one_late_fee(capped):
    unit, case, legal = capped
    unit.estate.late_fee_claim_policy = "contract"
    unit.estate.save()
    document = legal_doc_generate(K.DEMAND_LETTER, unit=unit, case=case, actor=legal, as_of=TODAY)
    text = document_text(document)

    assert "合同约定滞纳金（按日千分之一，计至" in text
    assert "主张的滞纳金" not in text
    assert "滞纳金为人民币3,800.00元" in text
    assert "应缴合计\t13,800.00" in text
