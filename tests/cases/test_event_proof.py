"""Issue 12, part 3: events carry when they happened and what proves it.

A delivery is dated the day it happened, never in the future, never before the case opened
(or before its document: ``tests/legal_docs/test_event_dates.py``) unless it is a pre-go-live
paper record with its scan. Whether a demand was proven served is one rule,
``cases.limitation.demand_proven_served``: the art. 944 guard and the limitation clock read it
alike, so no delivery or contact can move one and not the other.
"""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from cases.limitation import RestartKind
from cases.models import Channel, ContactAttempt, Delivery, DeliveryStatus, Letter, Outcome, Stage
from cases.models import ProofGrade as G
from cases.policy import guard_for
from cases.selectors.limitation import charge_clocks
from cases.services.case import delivery_record
from tests.factories import delivery_proof, paper_record, pdf_file

SHANGHAI = ZoneInfo("Asia/Shanghai")
# The kit's cases open on AS_OF (2026-06-30); "today" is three weeks later.
TODAY = dt.datetime(2026, 7, 20, 10, tzinfo=SHANGHAI)
PAPER_DAY = dt.date(2026, 6, 1)  # a paper demand letter served before go-live


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(TODAY, tick=False):
        yield


def written(kit) -> dict[str, int]:
    return {**kit.written_counts(), "deliveries": Delivery.objects.count()}


def refused_with(kit, field: str, says: str, **kwargs):
    """``delivery_record`` refuses with a message on ``field`` containing ``says`` and
    writes nothing at all."""
    before = written(kit)
    with pytest.raises(ValidationError) as caught:
        delivery_record(**kwargs)
    assert written(kit) == before
    messages = caught.value.message_dict[field]
    assert any(says in m for m in messages), messages
    return messages


def delivery_args(kit, case, **kw) -> dict:
    return {
        "case": case,
        "actor": kit.people.legal_officer,
        "letter": Letter.DEMAND_LETTER,
        "status": DeliveryStatus.SIGNED,
        "method": Channel.REGISTERED_MAIL,
        **kw,
    }


# --- dates ---------------------------------------------------------------------------------


def test_a_delivery_in_the_future_is_refused_even_as_a_paper_record(kit):
    case = kit.case(stage=Stage.DEMAND_LETTER)
    tomorrow = dt.date(2026, 7, 21)
    refused_with(
        kit,
        "delivered_on",
        "cannot be in the future",
        **delivery_args(kit, case, delivered_on=tomorrow, **paper_record(), **delivery_proof()),
    )


def test_a_delivery_before_the_case_opened_is_refused_unless_a_paper_record_with_its_scan(kit):
    case = kit.case(stage=Stage.DEMAND_LETTER)
    refused_with(
        kit,
        "delivered_on",
        "cannot be before the case was opened on 2026年6月30日",
        **delivery_args(kit, case, letter=Letter.OTHER, delivered_on=PAPER_DAY),
    )
    refused_with(
        kit,
        "scan",
        "needs the scan",
        **delivery_args(kit, case, delivered_on=PAPER_DAY, paper_record=True),
    )
    delivery = delivery_record(
        **delivery_args(kit, case, delivered_on=PAPER_DAY, **paper_record(), **delivery_proof())
    )
    assert (delivery.delivered_on, delivery.paper_record) == (PAPER_DAY, True)
    assert delivery.scan is not None and delivery.scan_id != delivery.proof_id
    assert delivery.recorded_at.astimezone(SHANGHAI).date() == TODAY.date()


def test_a_demand_letter_the_case_never_generated_is_refused_unless_a_paper_record(kit):
    """Omitting the document cannot bypass its date: with no demand letter generated on the
    case, only a paper record (with its scan) can say one was delivered."""
    case = kit.case(stage=Stage.DEMAND_LETTER)
    after_opening = dt.date(2026, 7, 10)
    for letter, label in ((Letter.DEMAND_LETTER, "催缴函"), (Letter.LAWYER_LETTER, "律师函")):
        refused_with(
            kit,
            "delivered_on",
            "must be recorded as a paper record with its scan",
            **delivery_args(kit, case, letter=letter, delivered_on=after_opening),
        )
        assert label in str(Letter(letter).label)
    delivery_record(**delivery_args(kit, case, delivered_on=after_opening, **paper_record()))


def test_a_tracking_status_needs_its_number(kit):
    case = kit.case(stage=Stage.DEMAND_LETTER)
    refused_with(
        kit,
        "tracking_number",
        "tracking number",
        **delivery_args(
            kit, case, delivered_on=PAPER_DAY, tracking_status="delivered", **paper_record()
        ),
    )


# --- one rule for the guard and the clock -----------------------------------------------------

METHODS = (Channel.REGISTERED_MAIL, Channel.NOTICE_POSTED, Channel.HOME_VISIT, Channel.SMS)
STATUSES = tuple(DeliveryStatus.values)
PROOFS = ("none", "file")
TRACKING = ("", "in_transit", "delivered", "refused")


def expected(method: str, status: str, proof: str, tracking: str) -> bool:
    """The rule written out by hand for the table: a door posting never counts, nor a
    returned letter; a refusal only with its record or a tracking status of refused; served
    or signed only with a delivery record or a tracking status of delivered."""
    if method == Channel.NOTICE_POSTED or status == DeliveryStatus.RETURNED:
        return False
    if status == DeliveryStatus.REFUSED:
        return proof == "file" or tracking == "refused"
    return proof == "file" or tracking == "delivered"


def moves(kit, case) -> tuple[bool, bool]:
    """(the art. 944 guard lets the lawyer letter go, the limitation clock restarted)."""
    as_of = TODAY.date()
    guard = guard_for("issue_lawyer_letter")(kit.fresh(case), as_of=as_of)
    (clock,) = charge_clocks(case, as_of=as_of)
    restarted = clock.event_kind == RestartKind.DEMAND_DELIVERED and clock.event_on == PAPER_DAY
    return guard.ok, restarted


def test_the_guard_and_the_clock_agree_on_every_delivery(kit):
    """Every method × status × proof file × tracking status of a demand letter served (on
    paper, before go-live) 49 days ago: its 15-day deadline has passed and the debt is due
    before it, so a proven delivery lets the lawyer letter go AND restarts the period, and
    an unproven one does neither."""
    disagreements, wrong = [], []
    for method, status, proof, tracking in itertools.product(METHODS, STATUSES, PROOFS, TRACKING):
        case = kit.case(stage=Stage.DEMAND_LETTER, owing="6000.00", days_overdue=400)
        extra = delivery_proof() if proof == "file" else {}
        if tracking:
            extra |= {"tracking_number": "EM123456789CN", "tracking_status": tracking}
        delivery = delivery_record(
            **delivery_args(
                kit,
                case,
                status=status,
                method=method,
                delivered_on=PAPER_DAY,
                **paper_record(),
                **extra,
            )
        )
        guard, clock = moves(kit, case)
        variant = (method, status, proof, tracking)
        if guard != clock or guard != delivery.proven_served:
            disagreements.append((variant, guard, clock, delivery.proven_served))
        if guard != expected(*variant):
            wrong.append((variant, guard))
    assert disagreements == []
    assert wrong == []


def test_a_door_posting_or_an_unproven_refusal_moves_neither(kit):
    for method, status in (
        (Channel.NOTICE_POSTED, DeliveryStatus.SERVED),
        (Channel.HOME_VISIT, DeliveryStatus.REFUSED),
    ):
        case = kit.case(stage=Stage.DEMAND_LETTER, owing="6000.00", days_overdue=400)
        proof = delivery_proof() if method == Channel.NOTICE_POSTED else {}
        delivery_record(
            **delivery_args(
                kit,
                case,
                status=status,
                method=method,
                delivered_on=PAPER_DAY,
                **paper_record(),
                **proof,
            )
        )
        assert moves(kit, case) == (False, False)
        reason = guard_for("issue_lawyer_letter")(kit.fresh(case), as_of=TODAY.date()).reason
        assert "No demand letter has been proven served yet." in reason


def test_tracked_delivered_mail_moves_both(kit):
    case = kit.case(stage=Stage.DEMAND_LETTER, owing="6000.00", days_overdue=400)
    delivery_record(
        **delivery_args(
            kit,
            case,
            delivered_on=PAPER_DAY,
            tracking_number="EM123456789CN",
            tracking_status="delivered",
            **paper_record(),
        )
    )
    assert moves(kit, case) == (True, True)
    (clock,) = charge_clocks(case, as_of=TODAY.date())
    assert clock.expires_on == dt.date(2029, 6, 1)  # three years from the delivery


# --- contacts: stored proof, not a tick ----------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "outcome", "extra", "grade", "restarts"),
    [
        (Channel.SMS, Outcome.REACHED, {"delivery_confirmed": True}, G.CLAIMED_UNPROVEN, False),
        (
            Channel.REGISTERED_MAIL,
            Outcome.REACHED,
            {"delivery_confirmed": True},
            G.CLAIMED_UNPROVEN,
            False,
        ),
        (
            Channel.REGISTERED_MAIL,
            Outcome.REACHED,
            {"tracking_number": "EM1CN", "tracking_status": "delivered"},
            G.REGISTERED_DELIVERED,
            True,
        ),
        (
            Channel.REGISTERED_MAIL,
            Outcome.REACHED,
            {"attachments": [("delivery_record", pdf_file(), "妥投.pdf")]},
            G.REGISTERED_DELIVERED,
            True,
        ),
        (
            Channel.HOME_VISIT,
            Outcome.REFUSED,
            {"witness": "保安 刘师傅"},
            G.CLAIMED_UNPROVEN,
            False,
        ),
        (
            Channel.HOME_VISIT,
            Outcome.REFUSED,
            {"witness": "保安 刘师傅", "attachments": [("document", pdf_file("见证"), "见证.pdf")]},
            G.SIGNED_OR_WITNESSED,
            True,
        ),
        (Channel.PHONE, Outcome.REACHED, {}, G.NOTE_ONLY, False),
    ],
)
def test_a_contact_is_graded_from_stored_proof_and_only_proof_restarts_the_clock(
    kit, channel, outcome, extra, grade, restarts
):
    case = kit.case(owing="6000.00", days_overdue=400)
    occurred = dt.datetime(2026, 7, 15, 9, tzinfo=SHANGHAI)
    contact = kit.contact(case, channel, outcome, occurred_at=occurred, **extra)
    stored = ContactAttempt.objects.get(pk=contact.pk)
    assert stored.proof_grade == grade
    assert stored.occurred_at == occurred and stored.recorded_at == TODAY
    (clock,) = charge_clocks(case, as_of=TODAY.date())
    assert (clock.event_on == occurred.date()) is restarts
    if grade == G.CLAIMED_UNPROVEN:
        assert stored.get_proof_grade_display() == "Claimed, unproven (声称送达，无凭证)"
