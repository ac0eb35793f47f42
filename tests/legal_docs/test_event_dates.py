"""Issue 12, part 3: a delivery is bounded by its document's date, and documents print the day a
proven delivery happened (not the day it was recorded). The story's letters bear the dates of
their transitions (``CaseStory.transition`` runs with the clock at its ``as_of``)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from cases.models import Channel, Delivery, DeliveryStatus, EvidenceEntry, Letter
from cases.services.case import delivery_record
from legal_docs.kinds import DocumentKind
from legal_docs.services import legal_doc_record_delivery
from tests.factories import delivery_proof
from tests.legal_docs.conftest import cn_date, document_text, pdf_receipt


def zh(day: dt.date) -> str:
    """As refusal messages write a date: 2026年12月4日."""
    return f"{day.year}年{day.month}月{day.day}日"


def counts() -> tuple[int, int]:
    return Delivery.objects.count(), EvidenceEntry.objects.count()


def test_a_delivery_before_its_document_is_refused_naming_the_documents_date(story):
    story.open()
    story.remind()
    story.demand(deliver=False)
    letter = story.document(DocumentKind.DEMAND_LETTER)
    issued = story.days_ago(90)
    says = f"cannot be before the Demand letter (催缴函) of {zh(issued)}"
    before = counts()
    with pytest.raises(ValidationError) as caught:
        legal_doc_record_delivery(
            letter,
            actor=story.legal,
            status=DeliveryStatus.SIGNED,
            delivered_on=story.days_ago(120),
            method=Channel.REGISTERED_MAIL,
            proof=pdf_receipt(),
            proof_name="签收回执.pdf",
        )
    assert any(says in m for m in caught.value.message_dict["delivered_on"])
    # Omitting the document (recording the delivery on the case directly) cannot bypass it.
    with pytest.raises(ValidationError, match=r"cannot be before the Demand letter"):
        delivery_record(
            story.fresh(),
            actor=story.legal,
            letter=Letter.DEMAND_LETTER,
            status=DeliveryStatus.SIGNED,
            delivered_on=story.days_ago(91),
            method=Channel.REGISTERED_MAIL,
            **delivery_proof(),
        )
    assert counts() == before

    delivery = story.deliver(letter, days_ago=90)  # the day it was issued is fine
    assert delivery.delivered_on == issued and delivery.proven_served


def test_the_lawyer_letter_prints_the_day_the_proven_demand_was_delivered(story):
    story.open()
    story.remind()
    story.demand(deliver=False)
    demand = story.document(DocumentKind.DEMAND_LETTER)
    proven = story.deliver(demand, days_ago=88)
    # A later claim without proof (signed, nothing stored) is not what the letter states.
    legal_doc_record_delivery(
        demand,
        actor=story.legal,
        status=DeliveryStatus.SIGNED,
        delivered_on=story.days_ago(86),
        method=Channel.REGISTERED_MAIL,
    )
    assert proven.recorded_at.date() != proven.delivered_on  # recorded today, happened then
    story.lawyer_letter(deliver=False)
    text = document_text(story.document(DocumentKind.LAWYER_LETTER))
    assert f"委托人已于{cn_date(story.days_ago(88))}向您送达催缴函" in text
    assert cn_date(story.days_ago(86)) not in text
