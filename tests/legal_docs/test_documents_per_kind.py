"""Every kind of document, generated from one realistic case and read back from the Word file.

The case (``litigation_story``: 翠湖花园 3幢-1201, 14 months of management fee and three water
bills unpaid, demand and lawyer letters signed for, a lawsuit filed) is built through the
services; each kind is then generated with ``legal_doc_generate`` as of today and read with
python-docx. Expected amounts are computed here from the charges, not taken from the context
builder: principal 11,424.95 and the late fee at 1‰ a day per charge.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from cases.legal_rules import court_fee
from cases.models import Adjustment, EvidenceEntry, EvidenceKind
from cases.selectors.ledger import money
from cases.services.evidence import evidence_append
from cases.services.ledger import adjustment_record
from cases.storage import blob_read
from legal_docs.formatting import amount_in_capitals, date_cn
from legal_docs.kinds import DocumentKind as K
from legal_docs.models import LegalDocument
from legal_docs.services import legal_doc_generate, template_current
from tests.legal_docs.conftest import (
    COURT,
    COURT_CASE_NUMBER,
    FEE_MONTHS,
    FEE_TOTAL,
    LATE_FEE_RATE,
    MONTHLY_FEE,
    OWNER_NAME,
    PRINCIPAL,
    WATER_BILLS,
    WATER_TOTAL,
    cn_date,
    document_text,
    entry_data,
    figures,
)

KINDS = [str(kind) for kind in K]
PRINCIPAL_CAPITALS = "人民币壹万壹仟肆佰贰拾肆元玖角伍分"
WAIVED = Decimal("500.00")
# The itemised statement: one row per fee item, its months, their number and the amount.
ITEM_ROWS = (
    f"1\t物业管理费\t2025年6月至2026年7月\t14\t{FEE_TOTAL:,.2f}",
    f"2\t水费\t2025年9月至2025年11月\t3\t{WATER_TOTAL:,.2f}",
)
WITH_ITEMS = {K.PAYMENT_NOTICE, K.DEMAND_LETTER, K.LAWYER_LETTER, K.CIVIL_COMPLAINT}
WITH_TOTALS = WITH_ITEMS | {K.INSTALLMENT_AGREEMENT, K.PAYMENT_ORDER_APPLICATION}
FILING_FORMS = {K.SERVICE_ADDRESS_CONFIRMATION, K.POWER_OF_ATTORNEY}
CUT_OFF_THREATS = re.compile(r"停水|停电|停气|停暖|断水|断电|断气|停止供")


def late_fee(as_of: dt.date) -> Decimal:
    """1‰ a day on every charge from its due date (no grace, nothing paid)."""
    due = [(first.replace(day=15), MONTHLY_FEE) for first in FEE_MONTHS]
    due += [(first.replace(day=25), amount) for first, amount in WATER_BILLS.items()]
    return money(
        sum(
            (amount * LATE_FEE_RATE * max(0, (as_of - day).days) for day, amount in due),
            Decimal(0),
        )
    )


def generate(story, kind: str, **extra) -> tuple[LegalDocument, str]:
    document = legal_doc_generate(
        kind,
        unit=story.unit,
        case=story.fresh(),
        actor=story.legal,
        as_of=story.today,
        **extra,
    )
    return document, document_text(document)


def waiver(story) -> Adjustment:
    return adjustment_record(
        story.unit,
        kind=Adjustment.Kind.LATE_FEE_WAIVER,
        amount=WAIVED,
        effective_on=story.today,
        reason_category=Adjustment.ReasonCategory.HARDSHIP,
        reason="业主失业 & 家庭困难 <低保户>，申请减免部分滞纳金",
        requested_by=story.legal,
        approved_by=story.manager,
    )


@pytest.fixture
def make(litigation_story):
    """Generate one kind from the litigation case, with what that kind needs."""

    def _make(kind: str) -> tuple[LegalDocument, str]:
        extra = {}
        if kind == K.WAIVER_APPROVAL:
            extra["adjustment"] = waiver(litigation_story)
        if kind == K.INSTALLMENT_AGREEMENT:
            extra["plan"] = litigation_story.approved_plan()
        if kind in UNPADDED:  # a withdrawal states a settled debt
            litigation_story.pay_in_full()
        return generate(litigation_story, kind, **extra)

    return _make


# The withdrawals write dates without zero padding (GB/T 9704: 2026年12月4日).
UNPADDED = (K.LAWYER_LETTER_WITHDRAWAL, K.LAWSUIT_WITHDRAWAL)
# Kinds already writing dates as 2026年12月4日 (issue 13 switches the rest).
UNPADDED_DATES = (*UNPADDED, K.CALCULATION_TABLE, *FILING_FORMS)


def _cn_date(kind: str, day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if kind in UNPADDED_DATES else cn_date(day)


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_renders_from_the_case(litigation_story, make, kind):
    story = litigation_story
    document, text = make(kind)

    assert OWNER_NAME in text  # & < > " ' survive the XML round trip
    if kind not in FILING_FORMS:  # the filing forms name the case, not the unit
        assert "3幢-1201" in text
    assert _cn_date(kind, story.today) in text
    assert "{{" not in text and "{%" not in text
    # Every full date is written 2026年11月05日 (the withdrawals 2026年11月5日), none 2026-11-05.
    assert not re.search(r"\d{4}[-/]\d{1,2}[-/]\d{1,2}", text)
    pattern = r"\d{4}年[1-9]\d?月[1-9]\d?日" if kind in UNPADDED_DATES else r"\d{4}年\d{2}月\d{2}日"
    assert all(re.fullmatch(pattern, d) for d in re.findall(r"\d{4}年\d+月\d+日", text))
    assert not CUT_OFF_THREATS.search(text), CUT_OFF_THREATS.search(text)
    # … and it is recorded: its file, template version, context snapshot and evidence entry.
    content = blob_read(document.sha256)
    assert hashlib.sha256(content).hexdigest() == document.sha256 == document.file_id
    assert document.template == template_current(kind)
    assert document.context["owner"]["name"] == OWNER_NAME
    entries = [
        e
        for e in EvidenceEntry.objects.filter(case=document.case, kind=EvidenceKind.DOCUMENT)
        if entry_data(e)["document"] == document.pk
    ]
    assert len(entries) == 1
    entry = entries[0]
    assert entry.file_sha256 == document.sha256
    assert entry_data(entry)["template_sha256"] == document.template.sha256


@pytest.mark.parametrize("kind", sorted(WITH_ITEMS))
def test_arrears_are_itemised(make, kind):
    _document, text = make(kind)

    lines = text.splitlines()
    for row in ITEM_ROWS:
        assert row in lines
    assert figures(PRINCIPAL) in text


@pytest.mark.parametrize("kind", sorted(WITH_TOTALS))
def test_totals_in_figures_and_in_capitals(litigation_story, make, kind):
    _document, text = make(kind)

    total = PRINCIPAL + late_fee(litigation_story.today)
    assert figures(total) in text
    assert amount_in_capitals(total) in text
    assert re.search(r"人民币[零壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分]+(整|分|角)", text)
    assert figures(PRINCIPAL) in text
    if kind != K.INSTALLMENT_AGREEMENT:  # the agreement states the plan's total
        assert PRINCIPAL_CAPITALS in text


@pytest.mark.parametrize(
    ("kind", "phrase"),
    [
        (K.DEMAND_LETTER, "自本函出具之日起15日内，即于{deadline}前"),
        (K.LAWYER_LETTER, "自本函出具之日起15日内，即于{deadline}前"),
        (K.PAYMENT_NOTICE, "请您在{deadline}前"),
    ],
)
def test_letters_give_a_deadline_fifteen_days_out(litigation_story, make, kind, phrase):
    _document, text = make(kind)

    deadline = cn_date(litigation_story.today + dt.timedelta(days=15))
    assert phrase.format(deadline=deadline) in text


def test_lawyer_letter_is_on_the_law_firms_letterhead_and_cites_the_served_demand(
    litigation_story, make
):
    _document, text = make(K.LAWYER_LETTER)

    assert text.splitlines()[0] == "浙江明法律师事务所"
    assert "陈明" in text and "13301200810012345" in text
    demand_signed = cn_date(litigation_story.days_ago(88))
    assert f"委托人已于{demand_signed}向您送达催缴函" in text
    assert not re.search(r"停水|停电|停气", text)
    assert "将继续依约为您提供物业服务" in text


def test_complaint_states_the_court_fee_of_its_claim(litigation_story, make):
    _document, text = make(K.CIVIL_COMPLAINT)

    claim = PRINCIPAL + late_fee(litigation_story.today)
    fee = court_fee(claim)
    assert claim > Decimal(10_000)  # in the 2.5 % band, not the flat 50
    assert f"本案诉讼标的额人民币{figures(claim)}元" in text
    assert f"案件受理费为人民币{figures(fee.full)}元，预交人民币{figures(fee.payable)}元" in text
    assert fee.basis in text
    assert f"判令被告支付拖欠的物业服务费等费用，金额为人民币{figures(PRINCIPAL)}元" in text
    late = late_fee(litigation_story.today)
    assert (
        "判令被告支付逾期付款违约金（滞纳金，按合同约定日千分之一计算，计至"
        f"{date_cn(litigation_story.today)}），金额为人民币{figures(late)}元"
    ) in text
    assert text.splitlines().count(COURT) == 1  # 此致 the court


def test_payment_order_application_pays_a_third_of_the_fee(litigation_story, make):
    _document, text = make(K.PAYMENT_ORDER_APPLICATION)

    claim = PRINCIPAL + late_fee(litigation_story.today)
    fee = court_fee(claim, procedure="payment_order")
    assert f"财产案件受理费为人民币{figures(fee.full)}元" in text
    assert f"本申请应交纳人民币{figures(fee.payable)}元" in text
    assert "被申请人：" + OWNER_NAME in text.splitlines()


def test_evidence_list_lists_the_sha256_of_every_entry_of_the_case(litigation_story, make):
    before = litigation_story.entries()
    _document, text = make(K.EVIDENCE_LIST)

    lines = text.splitlines()
    for entry in before:
        sha = entry.file_sha256 or entry.hash
        rows = [line for line in lines if line.endswith("\t" + sha)]
        assert len(rows) == 1, f"entry {entry.seq} ({entry.kind}) missing: {sha}"
        assert rows[0].startswith(f"{entry.seq}\t")
    assert f"证据链校验通过（共{len(before)}条）" in text
    assert f"受理法院：{COURT}" in lines


def test_evidence_list_lists_every_file_of_the_case(litigation_story, make):
    """A court checks each photo, recording and receipt against its hash; the home visit
    carries a photo and a recording in one entry, and both must be listed."""
    files = {
        sha: f"entry {entry.seq} ({entry.summary})"
        for entry in litigation_story.entries()
        for sha in json.loads(entry.body)["files"]
    }

    _document, text = make(K.EVIDENCE_LIST)

    assert len(files) >= 7  # recordings, photo, two letters, two receipts
    missing = [f"{where}: {sha}" for sha, where in files.items() if sha not in text]
    assert not missing, f"evidence files not in the list: {missing}"


def test_evidence_list_dates_entries_in_beijing_time(litigation_story, make):
    """The court reads Beijing time (Asia/Shanghai), the zone every other date is in."""
    _document, text = make(K.EVIDENCE_LIST)

    lines = text.splitlines()
    for entry in litigation_story.entries()[:-1]:
        local = timezone.localtime(entry.recorded_at)
        stamp = f"{cn_date(local.date())} {local:%H:%M}"
        row = next(line for line in lines if line.startswith(f"{entry.seq}\t"))
        assert row.split("\t")[1] == stamp, f"entry {entry.seq}: {row.split(chr(9))[1]!r}"


def test_unit_address_names_the_building_once(litigation_story, make):
    """Buildings are called 3幢 (as in the documented sample context), so the address is
    …翠湖花园3幢1201室, not …3幢幢1201室."""
    _document, text = make(K.EVIDENCE_LIST)

    assert "幢幢" not in text
    assert "翠湖花园3幢1201室" in text


def test_lawsuit_withdrawal_names_the_lawsuit_and_halves_the_fee(litigation_story, make):
    """The fee is the one prepaid on the claim as filed (the complaint generated on the filing
    day), not on what is owed at the withdrawal; its half is half of the printed figure."""
    _document, text = make(K.LAWSUIT_WITHDRAWAL)

    filed_on = litigation_story.days_ago(50)
    claim = PRINCIPAL + late_fee(filed_on)
    fee = court_fee(claim, procedure="withdrawn")
    assert f"请求贵院准许申请人撤回{COURT_CASE_NUMBER}" in text
    assert f"申请人于{_cn_date(K.LAWSUIT_WITHDRAWAL, filed_on)}" in text
    assert (
        f"申请人已预交本案案件受理费人民币{figures(fee.full)}元，撤诉后应交纳人民币{figures(fee.payable)}元"
        in (text)
    )
    assert fee.payable == money(fee.full / 2)
    # The story is frozen on 2026-12-04 and filed 50 days before (2026-10-15): the claim is
    # 11,424.95 + 3,320.93 = 14,745.88; 50 + 4,745.88 × 2.5% = 168.647, printed 168.65;
    # half of the printed 168.65 is 84.325, printed 84.33 (half of the unrounded: 84.32).
    assert litigation_story.today == dt.date(2026, 12, 4)
    assert "本案案件受理费人民币168.65元，撤诉后应交纳人民币84.33元" in text
    assert "缴清全部欠费" in text  # paid in full, nothing waived


def test_lawyer_letter_withdrawal_is_from_the_law_firm(litigation_story, make):
    _document, text = make(K.LAWYER_LETTER_WITHDRAWAL)

    assert text.splitlines()[0] == "浙江明法律师事务所"
    assert "撤销律师函通知" in text
    assert re.search(r"曾于\d{4}年\d{1,2}月\d{1,2}日就翠湖花园3幢-1201房屋", text)
    assert "承办律师：陈明" in text


def test_lawyer_letter_withdrawal_dates_the_letter_in_beijing_time(litigation_story):
    """A lawyer letter issued at 01:30 Beijing time on 2 September (17:30 UTC on the 1st) was
    issued on 2026年9月2日. The entry is appended with a fixed time so the check does not
    depend on the hour the test runs at."""
    story = litigation_story
    issued_at = dt.datetime(2026, 9, 1, 17, 30, tzinfo=dt.UTC)
    with story.capture(execute=True):
        evidence_append(
            story.fresh(),
            kind=EvidenceKind.TRANSITION,
            actor=story.legal,
            summary="催缴函 → 律师函",
            payload={
                "transition": "issue_lawyer_letter",
                "from": "demand_letter",
                "to": "lawyer_letter",
            },
            at=issued_at,
        )

    story.pay_in_full()
    _document, text = generate(story, K.LAWYER_LETTER_WITHDRAWAL)

    assert "曾于2026年9月2日就" in text


def test_installment_agreement_lists_the_schedule(litigation_story, make):
    _document, text = make(K.INSTALLMENT_AGREEMENT)

    plan = litigation_story.fresh().installment_plans.get()
    lines = text.splitlines()
    for part in plan.installments.order_by("number"):
        row = (
            f"第{part.number}期\t{cn_date(part.due_date)}前\t{figures(part.amount)}\t"
            f"{amount_in_capitals(part.amount)}"
        )
        assert row in lines
    assert f"乙方分{plan.installments.count()}期" in text
    assert f"合计\t{figures(plan.total)}\t{amount_in_capitals(plan.total)}" in lines
    assert "逾期超过10日" in text
    assert "业主失业，家庭生活困难 & 申请分期" in text


def test_waiver_approval_shows_the_late_fee_before_and_after(litigation_story, make):
    story = litigation_story
    _document, text = make(K.WAIVER_APPROVAL)

    before = late_fee(story.today)
    lines = text.splitlines()
    assert f"减免前滞纳金\t{figures(before)}元\t减免后滞纳金\t{figures(before - WAIVED)}元" in lines
    assert f"减免金额\t人民币{figures(WAIVED)}元（大写：人民币伍佰元整）" in lines
    assert "业主失业 & 家庭困难 <低保户>，申请减免部分滞纳金" in text
    assert f"审批人（签字）\t王经理\t审批日期\t{cn_date(story.today)}" in lines
    assert any(line.startswith("申请人（签字）\t李法务\t申请日期\t") for line in lines)


def test_waiver_approval_dates_the_request_in_beijing_time(litigation_story):
    """A waiver requested at 01:30 Beijing time on 21 November (17:30 UTC on the 20th) was
    requested on 2026年11月21日."""
    story = litigation_story
    adjustment = waiver(story)
    Adjustment.objects.filter(pk=adjustment.pk).update(
        created_at=dt.datetime(2026, 11, 20, 17, 30, tzinfo=dt.UTC)
    )
    adjustment.refresh_from_db()

    _document, text = generate(story, K.WAIVER_APPROVAL, adjustment=adjustment)

    assert "申请人（签字）\t李法务\t申请日期\t2026年11月21日" in text.splitlines()
