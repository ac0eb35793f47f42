"""Documents made by stage changes: transition → after-commit signal → Celery task (eager)
→ ``legal_doc_generate``; idempotence of the task, immutability, versions, deliveries."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

import pytest
from django.utils import timezone

from cases.legal_rules import court_fee
from cases.models import (
    Channel,
    Delivery,
    DeliveryStatus,
    EvidenceKind,
    Letter,
    LitigationKind,
    Stage,
)
from cases.services.case import TransitionRefused, case_transition
from cases.services.evidence import evidence_status
from cases.storage import blob_read
from legal_docs.kinds import DocumentKind as K
from legal_docs.models import ImmutableRecordError, LegalDocument
from legal_docs.services import legal_doc_generate, legal_doc_record_delivery
from tests.legal_docs.conftest import (
    COURT_CASE_NUMBER,
    OWNER_NAME,
    cn_date,
    document_text,
    entry_data,
    figures,
    pdf_receipt,
)
from workflows.tasks import generate_document


def made_by(story, to: str) -> list[str]:
    """The kinds of the documents whose trigger is the transition into ``to``."""
    trigger = story.transition_entry(to)
    return [d.kind for d in LegalDocument.objects.filter(trigger=trigger).order_by("id")]


def document_entries(story, document: LegalDocument):
    return [
        e for e in story.entries(EvidenceKind.DOCUMENT) if entry_data(e)["document"] == document.pk
    ]


def test_demand_letter_is_generated_after_the_commit(story, django_capture_on_commit_callbacks):
    story.open()
    story.remind()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        case_transition(story.fresh(), "issue_demand", actor=story.legal, as_of=story.today)

    assert len(callbacks) == 1
    assert LegalDocument.objects.count() == 0  # nothing before the transaction commits
    callbacks[0]()
    assert [d.kind for d in story.documents()] == [K.DEMAND_LETTER]


def test_entering_demand_letter_makes_the_demand_letter(story):
    story.open()
    story.remind()
    story.demand(deliver=False)

    assert made_by(story, Stage.DEMAND_LETTER) == [K.DEMAND_LETTER]
    document = story.document(K.DEMAND_LETTER)
    trigger = story.transition_entry(Stage.DEMAND_LETTER)
    text = document_text(document)
    assert "物业服务费催缴函" in text.splitlines()
    assert OWNER_NAME in text
    assert document.generated_by == story.legal
    assert document.version == 1
    assert document.context["doc_date"] == cn_date(timezone.localtime(trigger.recorded_at).date())
    # the document's evidence entry comes right after its transition's
    [entry] = document_entries(story, document)
    assert entry.seq == trigger.seq + 1
    assert entry.file_sha256 == document.sha256
    assert entry_data(entry)["trigger"] == trigger.pk


def test_entering_lawyer_letter_makes_the_lawyer_letter(story):
    story.open()
    story.remind()
    story.demand()
    story.lawyer_letter(deliver=False)

    assert made_by(story, Stage.LAWYER_LETTER) == [K.LAWYER_LETTER]
    text = document_text(story.document(K.LAWYER_LETTER))
    assert "律 师 函" in text.splitlines()
    assert f"委托人已于{cn_date(story.days_ago(88))}向您送达催缴函" in text
    assert [d.kind for d in story.documents()] == [K.DEMAND_LETTER, K.LAWYER_LETTER]


@pytest.mark.parametrize(
    ("litigation", "kinds", "title"),
    [
        (
            LitigationKind.PAYMENT_ORDER,
            [K.PAYMENT_ORDER_APPLICATION, K.EVIDENCE_LIST],
            "支付令申请书",
        ),
        (LitigationKind.LAWSUIT, [K.CIVIL_COMPLAINT, K.EVIDENCE_LIST], "民事起诉状"),
    ],
)
def test_entering_litigation_makes_the_filing_and_the_evidence_list(
    story, litigation, kinds, title
):
    story.walk_to_litigation(litigation)

    # with the filing: the 送达地址确认书 and 授权委托书 (tests/legal_docs/test_filing_forms.py)
    assert made_by(story, Stage.LITIGATION) == [
        kinds[0],
        K.SERVICE_ADDRESS_CONFIRMATION,
        K.POWER_OF_ATTORNEY,
        kinds[1],
    ]
    filing, evidence_list = (story.document(kind) for kind in kinds)
    assert title in document_text(filing).splitlines()
    listed = document_text(evidence_list)
    assert "证据目录" in listed.splitlines()
    assert filing.sha256 in listed  # the filing itself is evidence by the time the list is made
    assert evidence_status(story.fresh()) is None  # the chain still verifies


def test_withdrawn_before_any_filing_makes_the_lawyer_letter_withdrawal(story):
    story.open()
    story.remind()
    story.demand()
    story.lawyer_letter()
    before = len(story.documents())

    story.pay_in_full()
    assert story.fresh().stage == Stage.WITHDRAWAL_PENDING
    assert len(story.documents()) == before  # nothing until a manager approves
    story.transition("approve_withdrawal", actor=story.manager)

    assert made_by(story, Stage.WITHDRAWN) == [K.LAWYER_LETTER_WITHDRAWAL]
    text = document_text(story.document(K.LAWYER_LETTER_WITHDRAWAL))
    assert "撤销律师函通知" in text.splitlines()
    assert f"您已于{plain(story.today)}缴清全部欠费" in text
    assert not story.documents(K.LAWSUIT_WITHDRAWAL)


def test_withdrawn_after_a_lawsuit_makes_the_withdrawal_application(story):
    story.walk_to_litigation(LitigationKind.LAWSUIT)

    story.pay_in_full()
    story.transition("approve_withdrawal", actor=story.manager)

    assert made_by(story, Stage.WITHDRAWN) == [K.LAWSUIT_WITHDRAWAL]
    text = document_text(story.document(K.LAWSUIT_WITHDRAWAL))
    assert "撤诉申请书" in text.splitlines()
    assert f"请求贵院准许申请人撤回{COURT_CASE_NUMBER}" in text
    assert f"被告已于{plain(story.today)}缴清全部欠费" in text
    assert not story.documents(K.LAWYER_LETTER_WITHDRAWAL)


def plain(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _claim(document: LegalDocument) -> Decimal:
    return Decimal(document.context["claim_total"].replace(",", ""))


def test_withdrawal_application_halves_the_fee_of_the_claim_filed(story):
    """The fee the court took was on the claim filed (the complaint's); withdrawing halves it.
    By the time of a withdrawal the owner has paid, so today's arrears are no basis."""
    story.walk_to_litigation(LitigationKind.LAWSUIT)
    claim = _claim(story.document(K.CIVIL_COMPLAINT))
    story.pay_in_full()
    story.transition("approve_withdrawal", actor=story.manager)

    text = document_text(story.document(K.LAWSUIT_WITHDRAWAL))

    fee = court_fee(claim, procedure="withdrawn")
    assert fee.full > Decimal(50)  # the claim is in the 2.5 % band
    assert (
        f"申请人已预交本案案件受理费人民币{figures(fee.full)}元，撤诉后应交纳人民币{figures(fee.payable)}元"
        in text
    )


def test_withdrawn_payment_order_states_the_payment_order_fee_unhalved(story):
    """A payment order paid a third of the fee (art. 14); art. 15 halves only the 案件受理费
    of a lawsuit, so the withdrawal states the third as paid and asks no refund."""
    story.walk_to_litigation(LitigationKind.PAYMENT_ORDER)
    claim = _claim(story.document(K.PAYMENT_ORDER_APPLICATION))
    story.pay_in_full()
    story.transition("approve_withdrawal", actor=story.manager)

    text = document_text(story.document(K.LAWSUIT_WITHDRAWAL))

    fee = court_fee(claim, procedure="payment_order")
    assert f"申请人已交纳本案申请费人民币{figures(fee.payable)}元" in text
    assert "减半" not in text and "退还" not in text


def test_a_withdrawn_payment_order_asks_to_withdraw_the_application_not_a_lawsuit(story):
    story.walk_to_litigation(LitigationKind.PAYMENT_ORDER)
    story.pay_in_full()
    story.transition("approve_withdrawal", actor=story.manager)

    text = document_text(story.document(K.LAWSUIT_WITHDRAWAL))

    assert "撤回支付令申请书" in text.replace(" ", "")
    assert "支付令申请" in text and "督促程序" in text
    assert "撤回起诉" not in text and "撤诉申请书" not in text.replace(" ", "")
    assert "原告" not in text and "被告" not in text


def test_the_installment_agreement_states_the_approved_plan_and_signing_makes_nothing(story):
    """The agreement is generated when the plan is approved (for the owner to sign, see
    tests/workflows/test_plan_signature.py); entering payment_plan, its signing, makes
    nothing new."""
    story.open()
    story.remind()
    story.demand()
    story.lawyer_letter()
    plan = story.approved_plan(count=4)
    trigger = story.entries()[-1]
    generate_document(story.case.pk, trigger.pk, K.INSTALLMENT_AGREEMENT, story.manager.pk)

    story.transition("start_payment_plan", actor=story.manager)

    assert made_by(story, Stage.PAYMENT_PLAN) == []
    text = document_text(story.document(K.INSTALLMENT_AGREEMENT))
    assert "继续按约定计收滞纳金" in text  # the estate's term (the default: it accrues)
    assert "物业服务费分期付款协议" in text.splitlines()
    assert "乙方分4期" in text
    for part in plan.installments.all():
        assert f"第{part.number}期\t{cn_date(part.due_date)}前\t{figures(part.amount)}" in text


def test_task_delivered_twice_makes_one_document(story):
    story.open()
    story.remind()
    story.demand(deliver=False)
    trigger = story.transition_entry(Stage.DEMAND_LETTER)
    first = story.document(K.DEMAND_LETTER)
    entries_before = len(story.entries())

    again = generate_document(story.case.pk, trigger.pk, K.DEMAND_LETTER, story.legal.pk)
    eager = generate_document.delay(story.case.pk, trigger.pk, K.DEMAND_LETTER, story.legal.pk)

    assert again == eager.get() == first.pk
    assert LegalDocument.objects.filter(case=story.case, kind=K.DEMAND_LETTER).count() == 1
    assert len(document_entries(story, first)) == 1
    assert len(story.entries()) == entries_before


def test_a_generated_document_cannot_be_modified(story):
    story.open()
    story.remind()
    story.demand(deliver=False)
    document = story.document(K.DEMAND_LETTER)
    number = document.number

    document.number = "篡改-0001"
    with pytest.raises(ImmutableRecordError):
        document.save()

    assert LegalDocument.objects.get(pk=document.pk).number == number


def test_regenerating_without_a_trigger_makes_version_2(story):
    story.open()
    story.remind()
    story.demand(deliver=False)
    first = story.document(K.DEMAND_LETTER)

    second = legal_doc_generate(
        K.DEMAND_LETTER, unit=story.unit, case=story.fresh(), actor=story.legal
    )

    assert (first.version, second.version) == (1, 2)
    assert second.pk != first.pk and second.trigger is None
    assert second.number == f"{first.number}-2"
    assert f"{first.number}-2" in document_text(second)
    assert LegalDocument.objects.get(pk=first.pk).sha256 == first.sha256
    assert len(document_entries(story, second)) == 1
    assert entry_data(document_entries(story, second)[0])["version"] == 2


def test_signed_delivery_with_proof_adds_evidence_and_starts_the_deadline(story):
    story.open()
    story.remind()
    story.demand(deliver=False)
    document = story.document(K.DEMAND_LETTER)
    entries_before = len(story.entries())
    proof = pdf_receipt("EMS 9876543210 signed by the owner")

    delivery = legal_doc_record_delivery(
        document,
        actor=story.legal,
        status=DeliveryStatus.SIGNED,
        delivered_on=story.days_ago(3),
        method=Channel.REGISTERED_MAIL,
        proof=proof,
        proof_name="签收回执.pdf",
    )

    delivery = Delivery.objects.get(pk=delivery.pk)
    assert delivery.deadline == story.days_ago(3) + dt.timedelta(days=15)
    assert delivery.letter == Letter.DEMAND_LETTER
    assert delivery.document_ref == str(document.pk)
    assert delivery.proof_id == hashlib.sha256(proof).hexdigest()
    assert blob_read(delivery.proof_id) == proof
    entries = story.entries()
    assert len(entries) == entries_before + 1
    assert entries[-1].kind == EvidenceKind.DELIVERY
    assert entries[-1].file_sha256 == delivery.proof_id
    assert entry_data(entries[-1])["deadline"] == delivery.deadline.isoformat()
    assert entry_data(entries[-1])["status"] == DeliveryStatus.SIGNED


def test_returned_letter_sets_no_deadline(story):
    story.open()
    story.remind()
    story.demand(deliver=False)
    document = story.document(K.DEMAND_LETTER)

    delivery = story.deliver(document, days_ago=60, status=DeliveryStatus.RETURNED)

    assert Delivery.objects.get(pk=delivery.pk).deadline is None
    assert story.entries()[-1].kind == EvidenceKind.DELIVERY
    assert entry_data(story.entries()[-1])["deadline"] is None
    # a returned demand proves nothing: no lawyer letter on its strength
    with pytest.raises(TransitionRefused):
        story.transition("issue_lawyer_letter", actor=story.legal)
    assert story.fresh().stage == Stage.DEMAND_LETTER
