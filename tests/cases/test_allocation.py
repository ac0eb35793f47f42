"""Where a payment goes: principal by the estate's rule, then late fees oldest first, then
credit on the unit."""

import datetime as dt
from decimal import Decimal

import pytest

from cases.models import Allocation, AllocationRule, ChargeItem, Payment
from cases.selectors.ledger import arrears_as_of, arrears_for_unit, money
from cases.services.allocation import OpenItem, PlannedAllocation, plan_allocation
from cases.services.ledger import payment_record, unit_credit
from tests.factories import EstateFactory, UnitFactory, charge_for

D = dt.date
PRINCIPAL = Allocation.Target.PRINCIPAL
LATE_FEE = Allocation.Target.LATE_FEE


def _applied(payment: Payment) -> list[tuple[int, str, Decimal]]:
    return [
        (a.charge_id, a.target, a.amount)
        for a in payment.allocations.order_by("id")  # the order they were written in
    ]


@pytest.mark.django_db
def test_payment_goes_to_the_oldest_due_date_first_across_items_and_periods(unit):
    # Issued out of order on purpose: issue order must not matter, due dates do.
    parking_mar = charge_for(unit, "300.00", due_date=D(2025, 3, 31), item=ChargeItem.PARKING)
    water_feb = charge_for(unit, "200.00", due_date=D(2025, 2, 28), item=ChargeItem.WATER)
    fee_jan = charge_for(unit, "1000.00", due_date=D(2025, 1, 31))

    payment = payment_record(unit, amount=Decimal("1300.00"), paid_on=D(2025, 1, 20))

    assert _applied(payment) == [
        (fee_jan.pk, PRINCIPAL, Decimal("1000.00")),
        (water_feb.pk, PRINCIPAL, Decimal("200.00")),
        (parking_mar.pk, PRINCIPAL, Decimal("100.00")),
    ]
    arrears = arrears_for_unit(unit, as_of=D(2025, 4, 1))
    assert money(arrears.principal) == Decimal("200.00")
    assert arrears.by_item == {ChargeItem.PARKING: Decimal("200.00")}
    assert arrears.oldest_due_date == D(2025, 3, 31)
    assert money(arrears.late_fee) == Decimal("0.20")  # 200 × 1 day × 0.001
    assert arrears.credit == 0


@pytest.mark.django_db
def test_surplus_pays_late_fees_oldest_first_then_stays_as_credit(unit):
    jan = charge_for(unit, "1000.00", due_date=D(2025, 1, 31))
    feb = charge_for(unit, "500.00", due_date=D(2025, 2, 28))
    paid_on = D(2025, 3, 2)  # late fees: January 30.00, February 1.00

    payment = payment_record(unit, amount=Decimal("1600.00"), paid_on=paid_on)

    assert _applied(payment) == [
        (jan.pk, PRINCIPAL, Decimal("1000.00")),
        (feb.pk, PRINCIPAL, Decimal("500.00")),
        (jan.pk, LATE_FEE, Decimal("30.00")),
        (feb.pk, LATE_FEE, Decimal("1.00")),
    ]
    assert unit.pk not in arrears_as_of(as_of=paid_on)
    arrears = arrears_for_unit(unit, as_of=paid_on)
    assert arrears.total_due == 0
    assert arrears.credit == Decimal("69.00")
    assert unit_credit(unit) == Decimal("69.00")
    # Nothing owed, nothing accrues afterwards.
    assert arrears_for_unit(unit, as_of=D(2025, 12, 31)).total_due == 0


@pytest.mark.django_db
def test_a_short_surplus_pays_the_oldest_late_fee_first(unit):
    jan = charge_for(unit, "1000.00", due_date=D(2025, 1, 31))
    feb = charge_for(unit, "500.00", due_date=D(2025, 2, 28))

    payment = payment_record(unit, amount=Decimal("1520.00"), paid_on=D(2025, 3, 2))

    assert _applied(payment)[2:] == [(jan.pk, LATE_FEE, Decimal("20.00"))]
    arrears = arrears_for_unit(unit, as_of=D(2025, 3, 2))
    assert arrears.principal == 0
    assert money(arrears.late_fee) == Decimal("11.00")
    assert arrears.credit == 0
    assert feb.allocations.filter(target=LATE_FEE).count() == 0


@pytest.mark.django_db
def test_credit_on_the_unit_pays_a_charge_issued_later(unit):
    payment = payment_record(unit, amount=Decimal("500.00"), paid_on=D(2025, 1, 5))
    assert payment.allocations.count() == 0
    assert arrears_for_unit(unit, as_of=D(2025, 1, 5)).credit == Decimal("500.00")

    charge = charge_for(unit, "300.00", due_date=D(2025, 2, 28), issued_on=D(2025, 2, 1))

    allocation = charge.allocations.get()
    assert (allocation.payment_id, allocation.target, allocation.amount) == (
        payment.pk,
        PRINCIPAL,
        Decimal("300.00"),
    )
    assert allocation.allocated_on == D(2025, 2, 1)
    # Before the charge was issued the credit was still whole.
    assert arrears_for_unit(unit, as_of=D(2025, 1, 31)).credit == Decimal("500.00")
    later = arrears_for_unit(unit, as_of=D(2025, 4, 1))
    assert later.total_due == 0
    assert later.credit == Decimal("200.00")

    # The rest of the credit pays the next charge in part; the remainder is owed.
    charge_for(unit, "300.00", due_date=D(2025, 3, 31), issued_on=D(2025, 3, 1))
    arrears = arrears_for_unit(unit, as_of=D(2025, 4, 1))
    assert money(arrears.principal) == Decimal("100.00")
    assert arrears.credit == 0


@pytest.mark.django_db
def test_newest_first_when_the_estate_says_so():
    unit = UnitFactory(estate=EstateFactory(allocation_rule=AllocationRule.NEWEST_FIRST))
    jan = charge_for(unit, "1000.00", due_date=D(2025, 1, 31))
    feb = charge_for(unit, "1000.00", due_date=D(2025, 2, 28))
    mar = charge_for(unit, "1000.00", due_date=D(2025, 3, 31))

    payment = payment_record(unit, amount=Decimal("1500.00"), paid_on=D(2025, 4, 10))

    assert _applied(payment) == [
        (mar.pk, PRINCIPAL, Decimal("1000.00")),
        (feb.pk, PRINCIPAL, Decimal("500.00")),
    ]
    arrears = arrears_for_unit(unit, as_of=D(2025, 4, 10))
    assert arrears.oldest_due_date == jan.due_date
    assert money(arrears.principal) == Decimal("1500.00")


@pytest.mark.django_db
def test_newest_first_still_pays_late_fees_oldest_first():
    unit = UnitFactory(estate=EstateFactory(allocation_rule=AllocationRule.NEWEST_FIRST))
    jan = charge_for(unit, "1000.00", due_date=D(2025, 1, 31))
    feb = charge_for(unit, "500.00", due_date=D(2025, 2, 28))

    payment = payment_record(unit, amount=Decimal("1510.00"), paid_on=D(2025, 3, 2))

    assert _applied(payment) == [
        (feb.pk, PRINCIPAL, Decimal("500.00")),
        (jan.pk, PRINCIPAL, Decimal("1000.00")),
        (jan.pk, LATE_FEE, Decimal("10.00")),
    ]


@pytest.mark.django_db
def test_a_payment_dated_before_one_already_recorded_is_still_taken(unit):
    """A bank transfer reconciled late is entered after a later cash payment. Finance expects
    it to be recorded (or refused with a message), and the charge to end up paid."""
    charge_for(unit, "1000.00", due_date=D(2025, 1, 31))
    payment_record(unit, amount=Decimal("600.00"), paid_on=D(2025, 3, 1))

    payment_record(unit, amount=Decimal("500.00"), paid_on=D(2025, 2, 1))

    assert Payment.objects.filter(unit=unit).count() == 2
    assert arrears_for_unit(unit, as_of=D(2025, 3, 2)).principal == 0


def _item(charge_id: int, due: dt.date, owed: str) -> OpenItem:
    return OpenItem(charge_id, due, Decimal(owed))


class TestPlanAllocation:
    principal = [
        _item(3, D(2025, 3, 31), "300.00"),
        _item(1, D(2025, 1, 31), "1000.00"),
        _item(2, D(2025, 1, 31), "120.50"),
    ]
    late_fees = [_item(2, D(2025, 1, 31), "3.60"), _item(1, D(2025, 1, 31), "30.00")]

    def test_oldest_due_date_first_then_lower_charge_id(self):
        plan, left = plan_allocation(Decimal("1200.00"), principal=self.principal, late_fees=[])

        assert plan == [
            PlannedAllocation(1, PRINCIPAL, Decimal("1000.00")),
            PlannedAllocation(2, PRINCIPAL, Decimal("120.50")),
            PlannedAllocation(3, PRINCIPAL, Decimal("79.50")),
        ]
        assert left == 0

    def test_principal_then_late_fees_then_what_is_left(self):
        plan, left = plan_allocation(
            Decimal("1500.00"), principal=self.principal, late_fees=self.late_fees
        )

        assert [(p.charge_id, p.target) for p in plan] == [
            (1, PRINCIPAL),
            (2, PRINCIPAL),
            (3, PRINCIPAL),
            (1, LATE_FEE),
            (2, LATE_FEE),
        ]
        assert sum(p.amount for p in plan) == Decimal("1454.10")
        assert left == Decimal("45.90")

    def test_newest_first_orders_principal_only(self):
        plan, left = plan_allocation(
            Decimal("1430.00"),
            principal=self.principal,
            late_fees=self.late_fees,
            rule=AllocationRule.NEWEST_FIRST,
        )

        assert plan == [
            PlannedAllocation(3, PRINCIPAL, Decimal("300.00")),
            PlannedAllocation(2, PRINCIPAL, Decimal("120.50")),
            PlannedAllocation(1, PRINCIPAL, Decimal("1000.00")),
            PlannedAllocation(1, LATE_FEE, Decimal("9.50")),
        ]
        assert left == 0

    def test_nothing_owed_leaves_everything_as_credit(self):
        assert plan_allocation(Decimal("50.00"), principal=[], late_fees=[]) == (
            [],
            Decimal("50.00"),
        )

    def test_items_owing_nothing_get_nothing(self):
        plan, left = plan_allocation(
            Decimal("10.00"),
            principal=[_item(1, D(2025, 1, 31), "0.00"), _item(2, D(2025, 2, 28), "4.00")],
            late_fees=[],
        )

        assert plan == [PlannedAllocation(2, PRINCIPAL, Decimal("4.00"))]
        assert left == Decimal("6.00")
