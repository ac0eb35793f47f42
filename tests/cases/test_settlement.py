"""Settlement that adds up (issue 12, part 4): "paid in full" is principal + accrued late fee
− waivers = 0.00; a payment goes first to what the payer designated (art. 560), otherwise to
what is already due before what is not; payments are evidence entries saying what they paid;
no-accrual estates accrue no late fee on a plan's charges while the signed plan runs."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from cases.models import (
    Allocation,
    EvidenceKind,
    InstallmentPlan,
    Payment,
    Stage,
    StoredFile,
)
from cases.selectors.ledger import arrears_for_unit, charge_balances, late_fee_payable, money
from cases.services.case import TransitionRefused
from cases.services.ledger import payment_record
from cases.services.sweep import sweep_run

from .conftest import AS_OF

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(
        dt.datetime(2026, 6, 30, 10, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False
    ):
        yield


def _data(entry) -> dict:
    return json.loads(entry.body)["data"]


def _allocations(payment) -> list[tuple[int, str, Decimal]]:
    return list(
        Allocation.objects.filter(payment=payment)
        .order_by("id")
        .values_list("charge_id", "target", "amount")
    )


# --- one definition of "paid in full" ----------------------------------------------------


def test_principal_paid_with_late_fee_owed_is_not_paid_in_full(kit):
    # 1,000 due 60 days ago at 1‰ a day: 60.00 of late fee.
    case = kit.case(stage=Stage.REMINDING, owing="1000.00", days_overdue=60)

    kit.pay(case.unit, "1000.00")

    owed = arrears_for_unit(case.unit, as_of=AS_OF)
    assert (owed.principal, owed.late_fee_payable, owed.remainder) == (
        Decimal("0"),
        Decimal("60.00"),
        Decimal("60.00"),
    )
    assert owed.paid_in_full is False
    assert kit.stage(case) == Stage.REMINDING  # not settled while 60.00 is owed
    sweep_run(as_of=AS_OF)
    assert kit.stage(case) == Stage.REMINDING  # nor by the sweep

    kit.pay(case.unit, "60.00")

    assert arrears_for_unit(case.unit, as_of=AS_OF).paid_in_full
    assert kit.stage(case) == Stage.SETTLED


def test_paid_in_full_counts_each_charges_late_fee_to_the_fen(kit):
    """Three charges of 1.00, 4 days overdue: 0.004 of late fee each, 0.00 to the fen. Paying
    the 3.00 of principal is paid in full, although the unit's exact late fee (0.012) would
    round to 0.01 that no allocation could ever settle."""
    unit = kit.unit()
    for _ in range(3):
        kit.charge(unit, "1.00", days_overdue=4)

    kit.pay(unit, "3.00")

    owed = arrears_for_unit(unit, as_of=AS_OF)
    assert money(owed.late_fee) == Decimal("0.01")
    assert owed.late_fee_payable == late_fee_payable(unit, as_of=AS_OF) == Decimal("0.00")
    assert owed.remainder == Decimal("0.00") and owed.paid_in_full


def test_a_principal_only_payment_after_the_lawyer_letter_asks_for_a_withdrawal(kit):
    case = kit.case(stage=Stage.LAWYER_LETTER, owing="1200.00", days_overdue=90)

    kit.pay(case.unit, "1200.00")

    assert kit.stage(case) == Stage.WITHDRAWAL_PENDING
    transition = kit.entries(case)[-1]
    data = _data(transition)
    assert data["transition"] == "request_withdrawal"
    assert (data["principal_after"], data["late_fee_after"]) == ("0", "108.00")
    # The close guard asks the same definition: withdrawn with 108.00 owed, it stays open.
    kit.transition(case, "approve_withdrawal", actor=kit.people.manager)
    with pytest.raises(TransitionRefused, match=r"Not paid in full: 108\.00 remains"):
        kit.transition(kit.fresh(case), "close", actor=kit.people.manager)


def test_the_sweep_asks_the_same_definition(kit):
    """Principal paid on a lawyer-letter case whose payment reaction was lost (a rejected
    withdrawal reset by a new payment is the usual way): the sweep asks for the withdrawal;
    a pre-legal case with late fee owed is not settled."""
    legal = kit.case(stage=Stage.LAWYER_LETTER, owing="1200.00", days_overdue=90)
    early = kit.case(stage=Stage.REMINDING, owing="1000.00", days_overdue=60)
    kit.pay(early.unit, "1000.00")
    kit.pay(legal.unit, "1200.00")
    assert kit.stage(legal) == Stage.WITHDRAWAL_PENDING
    type(legal).objects.filter(pk=legal.pk).update(stage=Stage.LAWYER_LETTER, return_stage="")

    report = sweep_run(as_of=AS_OF)

    assert report.withdrawal_requested == 1 and report.settled == 0, report.errors
    assert (kit.stage(legal), kit.stage(early)) == (Stage.WITHDRAWAL_PENDING, Stage.REMINDING)


# --- allocation order ----------------------------------------------------------------------


def test_a_charge_not_yet_due_is_paid_after_the_late_fees_already_due(kit):
    """The reported bug: December's fee (due 12-15) took the money before late fees due."""
    unit = kit.unit()
    old = kit.charge(unit, "1000.00", days_overdue=100)  # late fee 1000 × 1‰ × 100 = 100.00
    december = kit.charge(unit, "500.00", due_date=AS_OF + 15 * DAY)

    payment = kit.pay(unit, "1050.00")

    assert _allocations(payment) == [
        (old.pk, "principal", Decimal("1000.00")),
        (old.pk, "late_fee", Decimal("50.00")),
    ]
    owed = arrears_for_unit(unit, as_of=AS_OF)
    assert owed.late_fee_payable == Decimal("50.00")
    balance = charge_balances(as_of=AS_OF).get(pk=december.pk)
    assert balance.outstanding_fen == 50000  # December's 500.00 untouched

    more = kit.pay(unit, "550.00")
    assert _allocations(more) == [
        (old.pk, "late_fee", Decimal("50.00")),
        (december.pk, "principal", Decimal("500.00")),
    ]


def test_the_payers_designation_is_honoured(kit):
    unit = kit.unit()
    old = kit.charge(unit, "1000.00", days_overdue=100)
    december = kit.charge(unit, "500.00", due_date=AS_OF + 15 * DAY)

    payment = payment_record(
        unit,
        amount=Decimal("600.00"),
        paid_on=AS_OF,
        actor=kit.people.finance,
        reference="R-2026-0630",
        designated_charges=[december],
    )

    assert _allocations(payment) == [
        (december.pk, "principal", Decimal("500.00")),
        (old.pk, "principal", Decimal("100.00")),
    ]
    assert list(payment.designated_charges.all()) == [december]


def test_a_designated_charge_of_another_unit_is_refused_and_nothing_written(kit):
    unit, other = kit.unit(), kit.unit()
    kit.charge(unit, "100.00", days_overdue=5)
    foreign = kit.charge(other, "100.00", days_overdue=5)

    with pytest.raises(ValidationError) as refused:
        payment_record(unit, amount=Decimal("50.00"), paid_on=AS_OF, designated_charges=[foreign])

    assert f"#{foreign.pk}" in refused.value.message_dict["designated_charges"][0]
    assert not Payment.objects.exists()


# --- payments on the timeline ----------------------------------------------------------------


def test_a_payment_is_an_evidence_entry_saying_what_it_paid(kit):
    case = kit.case(stage=Stage.REMINDING, owing="1000.00", days_overdue=60)
    charge = case.unit.charges.get()

    payment = payment_record(
        case.unit,
        amount=Decimal("1030.00"),
        paid_on=AS_OF,
        actor=kit.people.finance,
        reference="WX20260630001",
    )

    entry = kit.entries(case)[-1]
    assert entry.kind == EvidenceKind.PAYMENT
    assert "1030.00" in entry.summary and "WX20260630001" in entry.summary
    data = _data(entry)
    assert (data["payment"], data["paid_on"], data["reference"]) == (
        payment.pk,
        "2026-06-30",
        "WX20260630001",
    )
    assert [(p["charge"], p["target"], p["amount"]) for p in data["paid"]] == [
        (charge.pk, "late_fee", "30.00"),
        (charge.pk, "principal", "1000.00"),
    ]
    assert data["paid"][0]["period_start"] == charge.period_start.isoformat()
    assert data["remainder_after"] == "30.00"


# --- no late fee during a signed plan (estate term) ------------------------------------------


@pytest.mark.parametrize("accrues", [True, False])
def test_a_no_accrual_estate_charges_no_late_fee_while_the_signed_plan_runs(kit, accrues):
    """1,000 due D0; plan signed S, 400 paid P, plan ended E; as of A. Without accrual during
    the plan: 1‰ × (1,000 × (S − D0) + 600 × (A − E)); with it, the usual linear sum."""
    kit.estate.late_fee_accrues_during_plan = accrues
    kit.estate.save()
    d0, s, p, e = (
        dt.date(2026, 1, 10),
        dt.date(2026, 3, 1),
        dt.date(2026, 4, 1),
        dt.date(2026, 5, 1),
    )
    a = AS_OF
    case = kit.case(stage=Stage.REMINDING, owing=None)
    charge = kit.charge(case.unit, "1000.00", due_date=d0)
    plan = InstallmentPlan.objects.create(
        case=case,
        status=InstallmentPlan.Status.COMPLETED,
        total=Decimal("1000.00"),
        reason="困难",
        requested_by=kit.people.legal_officer,
        approved_by=kit.people.manager,
        signed_on=s,
        ended_on=e,
        signed_scan=StoredFile.objects.create(
            sha256="b" * 64, size=1, content_type="application/pdf"
        ),
    )
    plan.charges.set([charge])
    kit.pay(case.unit, "400.00", on=p)

    assert ((s - d0).days, (p - s).days, (e - p).days, (a - e).days) == (50, 31, 30, 60)
    if accrues:  # 1,000 × 171 days − 400 × 90 days
        expected = Decimal("0.001") * (1000 * 171 - 400 * 90)
    else:  # 1,000 × 50 days before signing + 600 × 60 days after the end
        expected = Decimal("0.001") * (1000 * 50 + 600 * 60)
    assert expected == (Decimal("135.000") if accrues else Decimal("86.000"))
    owed = arrears_for_unit(case.unit, as_of=a)
    assert owed.late_fee_payable == expected
    # Before the plan was signed nothing changes.
    before = arrears_for_unit(case.unit, as_of=s)
    assert before.late_fee_payable == Decimal("50.00")
