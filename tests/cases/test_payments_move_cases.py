"""A payment moves the unit's open case: paid in full before a lawyer letter, the case is
settled (and the daily sweep closes it); from the lawyer letter on, it waits for a manager
to approve the withdrawal; a partial payment only leaves its evidence entry."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from cases.models import Case, EvidenceKind, Payment, Stage
from cases.services.evidence import evidence_verify
from cases.services.sweep import sweep_run

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


def _last(kit, case) -> tuple[str, dict]:
    entry = kit.entries(case)[-1]
    return entry.kind, json.loads(entry.body)["data"]


@pytest.mark.parametrize("stage", [Stage.NEW, Stage.REMINDING, Stage.DEMAND_LETTER])
def test_paid_in_full_before_a_lawyer_letter_the_case_settles_and_the_sweep_closes_it(kit, stage):
    case = kit.case(stage=stage, owing="1200.00", days_overdue=90)
    before = kit.entry_count(case)

    payment = kit.pay_in_full(case.unit)

    case = kit.fresh(case)
    assert case.stage == Stage.SETTLED
    assert kit.entry_count(case) == before + 2  # the payment, then the stage change
    assert kit.entries(case)[-2].kind == EvidenceKind.PAYMENT
    kind, data = _last(kit, case)
    assert kind == EvidenceKind.TRANSITION
    assert data | {"transition": "settle", "from": stage, "to": Stage.SETTLED} == data
    assert data["payment"] == payment.pk
    assert (data["principal_after"], data["remainder_after"]) == ("0", "0.00")

    report = sweep_run(as_of=kit.as_of)

    case = kit.fresh(case)
    assert report.closed == 1
    assert case.stage == Stage.CLOSED
    assert case.closed_on == kit.as_of
    assert evidence_verify([case.pk]) == []


@pytest.mark.parametrize(
    "stage", [Stage.LAWYER_LETTER, Stage.LITIGATION, Stage.JUDGMENT, Stage.ENFORCEMENT]
)
def test_paid_in_full_after_a_lawyer_letter_the_case_waits_for_a_withdrawal(kit, stage):
    case = kit.case(stage=stage, owing="7000.00", days_overdue=400)
    before = kit.entry_count(case)

    kit.pay(case.unit, "7000.00")  # the principal; the late fee is the manager's call

    case = kit.fresh(case)
    assert case.stage == Stage.WITHDRAWAL_PENDING
    assert case.return_stage == stage
    assert kit.entry_count(case) == before + 2
    kind, data = _last(kit, case)
    assert (kind, data["transition"], data["from"]) == (
        EvidenceKind.TRANSITION,
        "request_withdrawal",
        stage,
    )

    sweep_run(as_of=kit.as_of)  # the sweep does not close what a manager must approve
    assert kit.stage(case) == Stage.WITHDRAWAL_PENDING


def test_a_manager_rejecting_the_withdrawal_sends_the_case_back_to_the_lawyer_letter(kit):
    case = kit.case(stage=Stage.LAWYER_LETTER, owing="7000.00", days_overdue=400)
    kit.pay(case.unit, "7000.00")

    case = kit.transition(case, "reject_withdrawal", actor=kit.people.manager)

    assert case.stage == Stage.LAWYER_LETTER


def test_a_manager_approving_the_withdrawal_lets_the_case_close(kit):
    case = kit.case(stage=Stage.LITIGATION, owing="7000.00", days_overdue=400)
    kit.pay_in_full(case.unit)

    kit.transition(case, "approve_withdrawal", actor=kit.people.manager)
    case = kit.transition(case, "close", actor=kit.people.manager)

    assert case.stage == Stage.CLOSED
    assert [e.kind for e in kit.entries(case)] == [
        EvidenceKind.OPENED,
        EvidenceKind.PAYMENT,
    ] + [EvidenceKind.TRANSITION] * 3


@pytest.mark.parametrize(
    ("return_stage", "expected"),
    [(Stage.REMINDING, Stage.SETTLED), (Stage.LAWYER_LETTER, Stage.WITHDRAWAL_PENDING)],
)
def test_a_paused_case_paid_in_full_moves_by_the_stage_it_paused_in(kit, return_stage, expected):
    case = kit.case(stage=Stage.PAYMENT_PLAN, return_stage=return_stage, owing="900.00")

    kit.pay_in_full(case.unit)

    case = kit.fresh(case)
    assert case.stage == expected
    if expected == Stage.WITHDRAWAL_PENDING:
        assert case.return_stage == return_stage
        assert kit.transition(case, "reject_withdrawal").stage == return_stage


@pytest.mark.parametrize("stage", [Stage.REMINDING, Stage.LAWYER_LETTER])
def test_a_partial_payment_leaves_the_stage_and_writes_one_payment_entry(kit, stage):
    case = kit.case(stage=stage, owing="1000.00")
    before = kit.entry_count(case)

    payment = kit.pay(case.unit, "400.00")

    assert kit.stage(case) == stage
    assert kit.entry_count(case) == before + 1
    kind, data = _last(kit, case)
    assert kind == EvidenceKind.PAYMENT
    assert (
        data
        | {
            "payment": payment.pk,
            "amount": "400.00",
            "paid_on": kit.as_of.isoformat(),
            "principal_after": "600",
        }
        == data
    )
    assert [(p["target"], p["amount"]) for p in data["paid"]] == [("principal", "400.00")]
    assert kit.entries(case)[-1].actor_id == kit.people.finance.pk


def test_a_refused_payment_writes_no_evidence(kit):
    case = kit.case(owing="1000.00")
    before = kit.written_counts()

    with pytest.raises(ValidationError):
        kit.pay(case.unit, "0.00")

    assert kit.written_counts() == before
    assert not Payment.objects.exists()


def test_a_payment_to_a_unit_without_an_open_case_touches_no_case(kit):
    unit = kit.unit()
    kit.charge(unit, "300.00", days_overdue=10)
    kit.pay(unit, "100.00")
    assert kit.entry_count() == 0


def test_new_arrears_on_a_unit_whose_case_is_closed_open_a_new_case(kit):
    case = kit.case(owing="500.00", days_overdue=60)
    kit.pay_in_full(case.unit, on=kit.as_of - DAY)
    sweep_run(as_of=kit.as_of)
    assert kit.stage(case) == Stage.CLOSED

    kit.charge(case.unit, "650.00", due_date=kit.as_of + 10 * DAY)
    later = kit.as_of + 40 * DAY
    report = sweep_run(as_of=later)

    assert report.opened == 1
    new = Case.objects.exclude(pk=case.pk).get(unit=case.unit)
    assert new.stage == Stage.NEW
    assert new.opened_on == later
    assert kit.stage(case) == Stage.CLOSED
    assert [e.kind for e in kit.entries(new)] == [EvidenceKind.OPENED]
    assert json.loads(kit.entries(new)[0].body)["data"]["principal"] == "650"


def test_a_payment_dated_tomorrow_that_clears_the_debt_settles_the_case(kit, frozen_clock):
    """A bank transfer booked for tomorrow (a post-dated import) pays everything owed:
    ``case_payment_react`` judges the case as of the payment date, so it settles."""
    tomorrow = timezone.localdate() + DAY
    case = kit.case(stage=Stage.REMINDING, owing="1000.00", days_overdue=60)

    kit.pay_in_full(case.unit, on=tomorrow)

    assert Payment.objects.filter(unit=case.unit).count() == 1
    assert kit.stage(case) == Stage.SETTLED


def test_new_arrears_on_a_settled_case_still_get_worked(kit):
    """Paid in full two days ago (settled), but a new charge fell due yesterday, before the
    sweep could close the settled case. The new arrears must end up on a case that is being
    worked, not on a case stuck at "settled" that the sweep can neither close nor replace."""
    case = kit.case(owing="500.00", days_overdue=60)
    kit.pay_in_full(case.unit, on=kit.as_of - 2 * DAY)
    assert kit.stage(case) == Stage.SETTLED
    kit.charge(case.unit, "80.00", due_date=kit.as_of - DAY)

    report = sweep_run(as_of=kit.as_of)
    sweep_run(as_of=kit.as_of + DAY)

    working = Case.objects.filter(unit=case.unit).exclude(stage__in=[Stage.SETTLED, Stage.CLOSED])
    assert working.exists(), (report.errors, list(Case.objects.values_list("stage", flat=True)))


def test_a_rejected_withdrawal_is_not_requested_again_by_the_next_sweep(kit):
    """The manager said no (e.g. the late fees are still to be claimed in court): the
    nightly sweep must not put the same withdrawal back on the manager's desk."""
    case = kit.case(stage=Stage.LAWYER_LETTER, owing="7000.00", days_overdue=400)
    kit.pay(case.unit, "7000.00")
    kit.transition(case, "reject_withdrawal", actor=kit.people.manager, note="滞纳金未缴")

    report = sweep_run(as_of=kit.as_of)

    assert kit.stage(case) == Stage.LAWYER_LETTER
    assert report.withdrawal_requested == 0
