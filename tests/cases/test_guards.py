"""The escalation guards, with the estate's default policy: lawyer letter at 5,000 CNY
(3,000 for vacant units) or 365 days overdue, and only after a served demand whose deadline
has passed; a demand letter after 2 documented contacts on 2 channels; litigation after a
served lawyer letter whose deadline has passed. The clock is fixed with ``as_of``; due
dates and delivery dates are relative to it (deadlines are 15 days after delivery)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from cases.models import Case, Channel, DeliveryStatus, Letter, Outcome, Stage, Unit
from cases.services.case import TransitionRefused
from cases.services.sweep import sweep_run

pytestmark = pytest.mark.django_db

OCCUPIED, VACANT, SHOP = Unit.Segment.OCCUPIED, Unit.Segment.VACANT, Unit.Segment.SHOP


def _refused(kit, case, name: str) -> str:
    """Perform ``name``, expect the guard to refuse; nothing is written. The reason."""
    before = kit.written_counts()
    with pytest.raises(TransitionRefused) as refused:
        kit.transition(case, name)
    assert kit.written_counts() == before
    return refused.value.message


def _reason_recorded(kit, case) -> str:
    return json.loads(kit.entries(case)[-1].body)["data"]["reason"]


# --- lawyer letter: amount or age ------------------------------------------------------


def _demand_expired_case(kit, *, segment=OCCUPIED, owing="5000.00", days_overdue=200) -> Case:
    case = kit.case(
        stage=Stage.DEMAND_LETTER, segment=segment, owing=owing, days_overdue=days_overdue
    )
    kit.deliver(case, Letter.DEMAND_LETTER, days_ago=30)  # deadline 15 days before as_of
    return case


@pytest.mark.parametrize(
    ("segment", "owing", "days_overdue", "says"),
    [
        (OCCUPIED, "4999.99", 200, ["4999.99", "threshold of 5000.00", "200 days overdue"]),
        (SHOP, "4999.99", 200, ["threshold of 5000.00"]),
        (VACANT, "2999.99", 200, ["2999.99", "threshold of 3000.00"]),
        (OCCUPIED, "100.00", 364, ["364 days overdue (< 365)"]),
    ],
)
def test_no_lawyer_letter_below_the_threshold_and_the_age(kit, segment, owing, days_overdue, says):
    case = _demand_expired_case(kit, segment=segment, owing=owing, days_overdue=days_overdue)

    reason = _refused(kit, case, "issue_lawyer_letter")

    for fragment in says:
        assert fragment in reason
    assert kit.stage(case) == Stage.DEMAND_LETTER


@pytest.mark.parametrize(
    ("segment", "owing", "days_overdue", "says"),
    [
        (OCCUPIED, "5000.00", 200, "arrears 5000.00 ≥ threshold 5000.00"),
        (VACANT, "3000.00", 200, "arrears 3000.00 ≥ threshold 3000.00"),
        (OCCUPIED, "100.00", 365, "oldest unpaid charge 365 days overdue ≥ 365"),
    ],
)
def test_a_lawyer_letter_at_the_threshold_or_the_age(kit, segment, owing, days_overdue, says):
    case = _demand_expired_case(kit, segment=segment, owing=owing, days_overdue=days_overdue)

    case = kit.transition(case, "issue_lawyer_letter")

    assert case.stage == Stage.LAWYER_LETTER
    assert says in _reason_recorded(kit, case)


def test_arrears_are_summed_over_the_units_overdue_charges(kit):
    case = kit.case(stage=Stage.DEMAND_LETTER, owing="2500.00", days_overdue=200)
    kit.charge(case.unit, "2500.00", days_overdue=100)
    kit.charge(case.unit, "9000.00", days_overdue=0)  # due on as_of: not overdue yet
    kit.deliver(case, Letter.DEMAND_LETTER, days_ago=30)

    assert kit.transition(case, "issue_lawyer_letter").stage == Stage.LAWYER_LETTER


# --- lawyer letter: a served, expired demand first -------------------------------------


@pytest.mark.parametrize(
    ("status", "days_ago", "says"),
    [
        (None, None, "No demand letter has been proven served yet"),
        (DeliveryStatus.RETURNED, 30, "No demand letter has been proven served yet"),
        (DeliveryStatus.SERVED, 10, "has not passed yet"),
        (DeliveryStatus.SERVED, 15, "has not passed yet"),  # the deadline day itself
    ],
)
def test_no_lawyer_letter_without_a_served_expired_demand(kit, status, days_ago, says):
    case = kit.case(stage=Stage.DEMAND_LETTER, owing="8000.00", days_overdue=400)
    if status is not None:
        kit.deliver(case, Letter.DEMAND_LETTER, days_ago=days_ago, status=status)

    assert says in _refused(kit, case, "issue_lawyer_letter")


@pytest.mark.parametrize("status", [DeliveryStatus.SERVED, DeliveryStatus.SIGNED])
def test_a_lawyer_letter_the_day_after_the_demand_deadline(kit, status):
    case = kit.case(stage=Stage.DEMAND_LETTER, owing="8000.00", days_overdue=400)
    kit.deliver(case, Letter.DEMAND_LETTER, days_ago=16, status=status)

    case = kit.transition(case, "issue_lawyer_letter")

    assert case.stage == Stage.LAWYER_LETTER
    deadline = (kit.as_of - dt.timedelta(days=1)).isoformat()  # 16 days ago + 15 days
    assert f"deadline passed on {deadline}" in _reason_recorded(kit, case)


def test_a_returned_letter_next_to_a_served_one_does_not_hide_it(kit):
    case = kit.case(stage=Stage.DEMAND_LETTER, owing="8000.00", days_overdue=400)
    kit.deliver(case, Letter.DEMAND_LETTER, days_ago=40, status=DeliveryStatus.SERVED)
    kit.deliver(case, Letter.DEMAND_LETTER, days_ago=5, status=DeliveryStatus.RETURNED)

    assert kit.transition(case, "issue_lawyer_letter").stage == Stage.LAWYER_LETTER


# --- demand letter: documented contacts while reminding --------------------------------


@pytest.mark.parametrize(
    ("contacts", "says"),
    [
        ([], "has 0 on 0"),
        ([(Channel.PHONE, Outcome.REACHED)], "has 1 on 1"),
        ([(Channel.PHONE, Outcome.REACHED), (Channel.PHONE, Outcome.NO_ANSWER)], "has 2 on 1"),
        ([(Channel.PHONE, Outcome.REACHED), (Channel.SMS, Outcome.WRONG_NUMBER)], "has 1 on 1"),
    ],
)
def test_no_demand_letter_without_two_documented_contacts_on_two_channels(kit, contacts, says):
    case = kit.case(stage=Stage.REMINDING)
    for channel, outcome in contacts:
        kit.contact(case, channel, outcome)

    reason = _refused(kit, case, "issue_demand")

    assert "needs at least 2 documented contacts on 2 channels" in reason
    assert says in reason


@pytest.mark.parametrize(
    "contacts",
    [
        [(Channel.PHONE, Outcome.REACHED), (Channel.SMS, Outcome.REACHED)],
        [(Channel.NOTICE_POSTED, Outcome.NO_ANSWER), (Channel.HOME_VISIT, Outcome.REFUSED)],
    ],
)
def test_a_demand_letter_after_two_documented_contacts_on_two_channels(kit, contacts):
    case = kit.case(stage=Stage.REMINDING)
    for channel, outcome in contacts:
        kit.contact(case, channel, outcome)

    case = kit.transition(case, "issue_demand")

    assert case.stage == Stage.DEMAND_LETTER
    assert "2 documented contacts on 2 channels" in _reason_recorded(kit, case)


def test_contacts_before_reminding_do_not_count_for_the_demand(kit):
    case = kit.case(stage=Stage.NEW)
    kit.documented_contacts(case)
    kit.transition(case, "start_reminding")

    assert "has 0 on 0" in _refused(kit, case, "issue_demand")


# --- litigation: a served lawyer letter whose deadline passed ---------------------------


@pytest.mark.parametrize(
    ("demand_days_ago", "lawyer", "says"),
    [
        (40, None, "No lawyer letter has been proven served yet"),
        (40, (DeliveryStatus.RETURNED, 20), "No lawyer letter has been proven served yet"),
        (40, (DeliveryStatus.SERVED, 10), "lawyer letter's deadline"),
        (None, (DeliveryStatus.SERVED, 20), "No demand letter has been proven served yet"),
    ],
)
def test_no_litigation_without_a_served_expired_lawyer_letter(kit, demand_days_ago, lawyer, says):
    case = kit.case(stage=Stage.LAWYER_LETTER, owing="8000.00", days_overdue=400)
    if demand_days_ago is not None:
        kit.deliver(case, Letter.DEMAND_LETTER, days_ago=demand_days_ago)
    if lawyer is not None:
        status, days_ago = lawyer
        kit.deliver(case, Letter.LAWYER_LETTER, days_ago=days_ago, status=status)

    assert says in _refused(kit, case, "file_litigation")
    assert Case.objects.get(pk=case.pk).filed_on is None


def test_litigation_after_the_lawyer_letters_deadline(kit):
    case = kit.case(stage=Stage.LAWYER_LETTER, owing="8000.00", days_overdue=400)
    kit.deliver(case, Letter.DEMAND_LETTER, days_ago=60)
    kit.deliver(case, Letter.LAWYER_LETTER, days_ago=20)

    case = kit.transition(case, "file_litigation")

    assert case.stage == Stage.LITIGATION
    assert "lawyer letter's deadline passed" in _reason_recorded(kit, case)


# --- the same answer on the worklist and on the button ----------------------------------


@pytest.mark.parametrize(
    ("stage", "prepare", "eligible"),
    [
        (Stage.REMINDING, lambda kit, case: None, False),
        (Stage.REMINDING, lambda kit, case: kit.documented_contacts(case), True),
        (Stage.DEMAND_LETTER, lambda kit, case: None, False),
        (Stage.DEMAND_LETTER, lambda kit, case: kit.deliver(case, days_ago=30), True),
        (Stage.LAWYER_LETTER, lambda kit, case: kit.deliver(case, days_ago=30), False),
    ],
)
def test_the_sweep_marks_a_case_eligible_exactly_when_the_step_is_allowed(
    kit, stage, prepare, eligible
):
    case = kit.case(stage=stage, owing="6000.00", days_overdue=200)
    prepare(kit, case)

    sweep_run(as_of=kit.as_of)
    marked = Case.objects.get(pk=case.pk)

    assert marked.next_step_eligible is eligible
    if eligible:
        assert kit.transition(case, marked.next_step).stage != stage
    else:
        reason = _refused(kit, case, marked.next_step)
        assert reason in marked.next_step_reason
