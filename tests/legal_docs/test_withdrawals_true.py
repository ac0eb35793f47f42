"""Withdrawals state only what the record proves (issue 13, part 5).

The 撤销律师函通知, 撤诉申请书 and 撤回支付令申请书 name the payments received during the case
(date, amount, receipt number) and the approved waiver; they say "缴清全部欠费" only when the
ledger shows nothing due and nothing was waived; a filed case without its court case number
cannot be withdrawn; the payment-order application fee is not halved. The story's clock is
frozen on 2026-12-04 (``frozen_clock``)."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.exceptions import ValidationError

from cases.legal_rules import court_fee
from cases.models import Adjustment, Case, LitigationKind, Stage
from cases.selectors.ledger import arrears_for_unit, money
from cases.services.case import TransitionRefused
from cases.services.ledger import payment_record
from legal_docs.contexts import MissingFact
from legal_docs.kinds import DocumentKind as K
from legal_docs.services import legal_doc_generate
from tests.legal_docs.conftest import OWNER_NAME, document_text, entry_data
from workflows.approvals.models import ApprovalKind, ApprovalRequest
from workflows.approvals.services import approval_decide

TODAY = dt.date(2026, 12, 4)
FEN = Decimal("0.01")  # fees are printed to the fen, half up


def _pay(story, amount: Decimal, *, days_ago: int, reference: str):
    with story.capture(execute=True):
        return payment_record(
            story.unit,
            amount=amount,
            paid_on=story.days_ago(days_ago),
            actor=story.finance,
            reference=reference,
            payer_name=OWNER_NAME,
        )


def _approve(story, *, waive_remainder: bool):
    request = ApprovalRequest.objects.get(case=story.fresh(), kind=ApprovalKind.WITHDRAWAL)
    with story.capture(execute=True):
        approval_decide(request, actor=story.manager, approve=True, waive_remainder=waive_remainder)


def _text(story, kind) -> str:
    return document_text(story.document(kind))


def _partly_paid(story) -> tuple[Decimal, Decimal]:
    """The owner pays the principal in two parts; the manager waives the late fee at the
    approval. Returns the two payments' amounts."""
    owed = arrears_for_unit(story.unit, as_of=story.days_ago(3))
    first = money(owed.principal / 2)
    _pay(story, first, days_ago=3, reference="POS-0001")
    second = money(arrears_for_unit(story.unit, as_of=story.today).principal)
    _pay(story, second, days_ago=0, reference="POS-0002")
    assert story.fresh().stage == Stage.WITHDRAWAL_PENDING  # principal paid, late fee owed
    _approve(story, waive_remainder=True)
    return first, second


def test_a_partly_paid_lawyer_letter_withdrawal_names_the_payments_and_the_waiver(story):
    story.open()
    story.remind()
    story.demand()
    story.lawyer_letter()
    first, second = _partly_paid(story)

    text = _text(story, K.LAWYER_LETTER_WITHDRAWAL)
    (waiver,) = Adjustment.objects.filter(unit=story.unit)
    assert waiver.kind == Adjustment.Kind.LATE_FEE_WAIVER and waiver.approved_by == story.manager
    assert (
        f"您已于2026年12月1日缴纳人民币{first:,.2f}元（收据号POS-0001）、"
        f"2026年12月4日缴纳人民币{second:,.2f}元（收据号POS-0002）；"
        f"其余滞纳金人民币{waiver.amount:,.2f}元经委托人于2026年12月4日同意予以减免"
    ) in text
    assert "缴清全部" not in text
    assert "2026年12月04日" not in text  # no zero padding


@pytest.mark.parametrize(
    ("litigation", "role"),
    [(LitigationKind.LAWSUIT, "被告"), (LitigationKind.PAYMENT_ORDER, "被申请人")],
)
def test_a_partly_paid_court_withdrawal_never_says_paid_in_full(story, litigation, role):
    story.walk_to_litigation(litigation)
    first, second = _partly_paid(story)

    text = _text(story, K.LAWSUIT_WITHDRAWAL)
    (waiver,) = Adjustment.objects.filter(unit=story.unit)
    assert f"{role}已于2026年12月1日缴纳人民币{first:,.2f}元（收据号POS-0001）" in text
    assert f"2026年12月4日缴纳人民币{second:,.2f}元" in text
    assert f"其余滞纳金人民币{waiver.amount:,.2f}元经申请人于2026年12月4日同意予以减免" in text
    assert "缴清全部" not in text
    assert "案号为（2026）浙0106民初1234号。" in text
    assert "2026年10月15日" in text  # filed 50 days before, unpadded


def test_a_fully_paid_withdrawal_says_paid_in_full_on_the_last_payment_day(story):
    story.walk_to_litigation(LitigationKind.LAWSUIT)
    owed = arrears_for_unit(story.unit, as_of=story.days_ago(2))
    _pay(story, owed.remainder, days_ago=2, reference="POS-0009")
    assert arrears_for_unit(story.unit, as_of=story.today).paid_in_full
    _approve(story, waive_remainder=False)

    text = _text(story, K.LAWSUIT_WITHDRAWAL)
    assert "被告已于2026年12月2日缴清全部欠费，原告申请撤回起诉" in text
    assert not Adjustment.objects.filter(unit=story.unit).exists()


def test_nothing_is_generated_while_something_remains_unwaived(story):
    story.walk_to_litigation(LitigationKind.LAWSUIT)
    owed = arrears_for_unit(story.unit, as_of=story.today)

    with pytest.raises(MissingFact) as missing:
        legal_doc_generate(
            K.LAWSUIT_WITHDRAWAL,
            unit=story.unit,
            case=story.fresh(),
            actor=story.legal,
            as_of=story.today,
        )
    assert f"{money(owed.remainder):,.2f} yuan still due" in str(missing.value)


def test_a_filed_case_without_its_court_case_number_is_not_withdrawn(story):
    story.walk_to_litigation(LitigationKind.PAYMENT_ORDER)
    Case.objects.filter(pk=story.fresh().pk).update(court_case_number="")
    owed = arrears_for_unit(story.unit, as_of=story.today)
    _pay(story, owed.remainder, days_ago=0, reference="POS-0010")

    request = ApprovalRequest.objects.get(case=story.fresh(), kind=ApprovalKind.WITHDRAWAL)
    with pytest.raises(ValidationError) as refused:
        approval_decide(request, actor=story.manager, approve=True)
    assert "court's case number is not recorded" in str(
        refused.value.message_dict["court_case_number"]
    )
    assert story.fresh().stage == Stage.WITHDRAWAL_PENDING
    with pytest.raises(MissingFact, match="case number"):
        legal_doc_generate(
            K.LAWSUIT_WITHDRAWAL,
            unit=story.unit,
            case=story.fresh(),
            actor=story.legal,
            as_of=story.today,
        )


def _claim_filed(story, kind) -> Decimal:
    return Decimal(story.document(kind).context["claim_total"].replace(",", ""))


def test_the_payment_order_withdrawal_states_the_fee_paid_unhalved(story):
    story.walk_to_litigation(LitigationKind.PAYMENT_ORDER)
    claim = _claim_filed(story, K.PAYMENT_ORDER_APPLICATION)
    story.pay_in_full()
    _approve(story, waive_remainder=False)

    text = _text(story, K.LAWSUIT_WITHDRAWAL)
    # By hand: art. 13 on the claim, 50 + 2.5 % above 10,000, printed to the fen; a third of
    # the printed fee, printed to the fen (art. 14); withdrawal does not halve it.
    full = (Decimal(50) + (claim - Decimal(10000)) * Decimal("0.025")).quantize(FEN, ROUND_HALF_UP)
    third = (full / 3).quantize(FEN, ROUND_HALF_UP)
    assert Decimal(10000) < claim <= Decimal(100000)
    assert court_fee(claim, procedure="payment_order").payable == third
    assert f"申请人已交纳本案申请费人民币{third:,.2f}元" in text
    assert "减半" not in text and "退还" not in text
    assert f"{(third / 2).quantize(FEN, ROUND_HALF_UP):,.2f}元" not in text


def test_the_lawsuit_withdrawal_halves_the_printed_fee(story):
    story.walk_to_litigation(LitigationKind.LAWSUIT)
    claim = _claim_filed(story, K.CIVIL_COMPLAINT)
    story.pay_in_full()
    _approve(story, waive_remainder=False)

    text = _text(story, K.LAWSUIT_WITHDRAWAL)
    full = (Decimal(50) + (claim - Decimal(10000)) * Decimal("0.025")).quantize(FEN, ROUND_HALF_UP)
    half = full / 2  # 168.65 / 2 = 84.325, printed 84.33
    half = (full / 2).quantize(FEN, ROUND_HALF_UP)
    assert f"申请人已预交本案案件受理费人民币{full:,.2f}元，撤诉后应交纳人民币{half:,.2f}元" in text
    assert "请贵院依法退还申请人多预交的部分" in text


def test_the_story_clock(story):
    assert story.today == TODAY


def test_the_court_acceptance_records_the_case_number_and_the_withdrawal_names_it(story):
    """A payment order filed without a number: the court's acceptance is recorded as a step
    (date and 案号, one evidence entry); a blank number or a day before the filing is refused."""
    story.walk_to_litigation(LitigationKind.PAYMENT_ORDER)
    Case.objects.filter(pk=story.fresh().pk).update(court_case_number="")
    with pytest.raises(TransitionRefused, match="case number"):
        story.transition(
            "record_court_acceptance",
            actor=story.legal,
            accepted_on=story.days_ago(45),
            court_case_number="  ",
        )
    with pytest.raises(TransitionRefused, match="before the filing"):
        story.transition(
            "record_court_acceptance",
            actor=story.legal,
            accepted_on=story.days_ago(60),
            court_case_number="（2026）浙0106民督77号",
        )
    story.transition(
        "record_court_acceptance",
        actor=story.legal,
        accepted_on=story.days_ago(45),
        court_case_number="（2026）浙0106民督77号",
    )
    assert story.fresh().court_case_number == "（2026）浙0106民督77号"
    entry = story.entries()[-1]
    assert entry_data(entry)["params"]["accepted_on"] == "2026-10-20"

    story.pay_in_full()
    _approve(story, waive_remainder=False)
    text = _text(story, K.LAWSUIT_WITHDRAWAL)
    assert "撤回（2026）浙0106民督77号" in text and "案号为（2026）浙0106民督77号。" in text
