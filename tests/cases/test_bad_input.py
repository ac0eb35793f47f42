"""Every bad input is refused with its message, and nothing is written: through the model and
the services (ValidationError), and through a raw bulk insert that skips validation
(IntegrityError from a check constraint or a trigger)."""

import datetime as dt
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction

from cases.models import (
    Adjustment,
    Allocation,
    Charge,
    ChargeItem,
    Estate,
    IssuedChargeError,
    Payment,
)
from cases.selectors.ledger import arrears_for_unit
from cases.services.ledger import adjustment_record, charge_issue, payment_record
from tests.factories import EstateFactory, UnitFactory, UserFactory, charge_for

pytestmark = pytest.mark.django_db

D = dt.date
LEDGER = (Estate, Charge, Payment, Adjustment, Allocation)


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in LEDGER}


@contextmanager
def refused_with(message: str, *, field: str = NON_FIELD_ERRORS, error=ValidationError):
    """The block raises ``error`` (a ValidationError) with a message containing ``message`` on
    ``field``, and writes nothing."""
    before = _counts()
    with pytest.raises(error) as refused:
        yield
    if hasattr(refused.value, "error_dict"):
        messages = refused.value.message_dict.get(field, [])
    else:
        messages = refused.value.messages if field == NON_FIELD_ERRORS else []
    assert any(message in m for m in messages), (field, refused.value)
    assert _counts() == before


@contextmanager
def refused_by_database(match: str | None = None):
    """The block raises IntegrityError (matching ``match``) and writes nothing. The savepoint
    keeps the test's transaction usable after the error (PostgreSQL aborts it otherwise)."""
    before = _counts()
    with pytest.raises(IntegrityError, match=match), transaction.atomic():
        yield
    assert _counts() == before


def _charge(unit, amount, **kwargs) -> Charge:
    fields = {
        "item": ChargeItem.MANAGEMENT_FEE,
        "period_start": D(2025, 1, 1),
        "period_end": D(2025, 1, 31),
        "due_date": D(2025, 1, 31),
        "issued_on": D(2025, 1, 1),
    } | kwargs
    return Charge(unit=unit, amount=Decimal(amount), **fields)


# --- charges -------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", ["0.00", "-100.00"])
def test_a_charge_must_be_more_than_zero(unit, amount):
    with refused_with("A charge amount must be greater than zero."):
        charge_for(unit, amount)
    with refused_by_database("charge_amount_positive"):
        Charge.objects.bulk_create([_charge(unit, amount)])


def test_a_charge_cannot_fall_due_before_its_period(unit):
    bad = {"period_start": D(2025, 2, 1), "period_end": D(2025, 2, 28), "due_date": D(2025, 1, 31)}

    with refused_with("The due date cannot be before the billing period."):
        charge_issue(
            unit,
            amount=Decimal("1000.00"),
            item=ChargeItem.WATER,
            issued_on=bad["period_start"],
            **bad,
        )
    with refused_by_database("charge_due_not_before_period"):
        Charge.objects.bulk_create([_charge(unit, "1000.00", **bad)])
    # Due on the first day of its period is fine.
    charge_for(unit, "1000.00", due_date=D(2025, 2, 1), period_end=D(2025, 2, 28))


def test_an_issued_charge_cannot_be_edited(unit):
    charge = charge_for(unit, "1000.00")
    charge.amount = Decimal("800.00")

    with refused_with(
        f"Charge {charge.pk} is issued and cannot be edited; record an adjustment instead.",
        error=IssuedChargeError,
    ):
        charge.save()

    charge.refresh_from_db()
    assert charge.amount == Decimal("1000.00")
    assert arrears_for_unit(unit, as_of=D(2025, 2, 1)).principal == Decimal("1000.00")


# --- payments ------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", ["0.00", "-0.01", "-500.00"])
def test_a_payment_must_be_more_than_zero(unit, amount):
    charge_for(unit, "1000.00")

    with refused_with("A payment amount must be greater than zero."):
        payment_record(unit, amount=Decimal(amount), paid_on=D(2025, 2, 1))
    with refused_by_database("payment_amount_positive"):
        Payment.objects.bulk_create(
            [Payment(unit=unit, amount=Decimal(amount), paid_on=D(2025, 2, 1))]
        )
    assert arrears_for_unit(unit, as_of=D(2025, 2, 1)).principal == Decimal("1000.00")


# --- estates -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rate", "message"),
    [
        ("-0.001", "Ensure this value is greater than or equal to 0."),
        ("0.0101", "Ensure this value is less than or equal to 0.01."),
    ],
)
def test_late_fee_rate_must_be_between_0_and_1_percent_a_day(db, rate, message):
    with refused_with(message, field="late_fee_daily_rate"):
        EstateFactory.build(late_fee_daily_rate=Decimal(rate)).full_clean()
    with refused_by_database("estate_late_fee_rate_0_to_1pct"):
        Estate.objects.bulk_create([EstateFactory.build(late_fee_daily_rate=Decimal(rate))])
    with refused_by_database("estate_late_fee_rate_0_to_1pct"):
        EstateFactory(late_fee_daily_rate=Decimal(rate))  # a plain save() skips validation


@pytest.mark.parametrize("rate", ["0", "0.01"])
def test_late_fee_rate_limits_themselves_are_allowed(db, rate):
    estate = EstateFactory.build(late_fee_daily_rate=Decimal(rate))
    estate.full_clean()
    estate.save()
    assert Estate.objects.get(pk=estate.pk).late_fee_daily_rate == Decimal(rate)


# --- allocations ---------------------------------------------------------------------------


@pytest.fixture
def paid_charge_and_credit(unit):
    """A 1,000.00 charge paid in full by a 3,000.00 payment that leaves 2,000.00 credit."""
    charge = charge_for(unit, "1000.00")
    payment = payment_record(unit, amount=Decimal("3000.00"), paid_on=D(2025, 1, 10))
    assert arrears_for_unit(unit, as_of=D(2025, 1, 10)).credit == Decimal("2000.00")
    return charge, payment


def test_an_allocation_cannot_exceed_what_the_charge_owes(paid_charge_and_credit):
    charge, payment = paid_charge_and_credit

    def extra():
        return Allocation(
            charge=charge,
            payment=payment,
            target=Allocation.Target.PRINCIPAL,
            amount=Decimal("0.01"),
            allocated_on=D(2025, 1, 11),
        )

    with refused_with(
        f"Allocating 0.01 exceeds what charge {charge.pk} still owes (0.00 of 1000.00).",
        field="amount",
    ):
        extra().full_clean()
    with refused_by_database("allocation exceeds the principal the charge still owes"):
        Allocation.objects.bulk_create([extra()])


@pytest.mark.postgres
def test_on_postgresql_the_refusal_names_the_charge(paid_charge_and_credit):
    charge, payment = paid_charge_and_credit
    extra = Allocation(
        charge=charge,
        payment=payment,
        target=Allocation.Target.PRINCIPAL,
        amount=Decimal("0.01"),
        allocated_on=D(2025, 1, 11),
    )

    with refused_by_database(rf"still owes \(charge {charge.pk}\)"):
        Allocation.objects.bulk_create([extra])


def test_an_allocation_cannot_exceed_what_is_left_of_the_payment(unit):
    charge = charge_for(unit, "1000.00")
    payment = payment_record(unit, amount=Decimal("100.00"), paid_on=D(2025, 1, 10))

    def extra():
        return Allocation(
            charge=charge,
            payment=payment,
            target=Allocation.Target.PRINCIPAL,
            amount=Decimal("50.00"),
            allocated_on=D(2025, 1, 11),
        )

    with refused_with(
        f"Allocating 50.00 exceeds what is left of {payment} (0.00).", field="amount"
    ):
        extra().full_clean()
    with refused_by_database("allocation exceeds what is left of the payment"):
        Allocation.objects.bulk_create([extra()])
    assert arrears_for_unit(unit, as_of=D(2025, 2, 1)).principal == Decimal("900.00")


def test_an_allocation_cannot_be_changed_once_written(paid_charge_and_credit):
    charge, _payment = paid_charge_and_credit
    allocation = charge.allocations.get()

    with refused_by_database("append-only"):
        Allocation.objects.filter(pk=allocation.pk).update(amount=Decimal("1.00"))

    allocation.refresh_from_db()
    assert allocation.amount == Decimal("1000.00")


# --- adjustments ---------------------------------------------------------------------------


def _waiver(unit, **kwargs) -> dict:
    return {
        "kind": Adjustment.Kind.LATE_FEE_WAIVER,
        "amount": Decimal("10.00"),
        "effective_on": D(2025, 3, 2),
        "reason_category": Adjustment.ReasonCategory.HARDSHIP,
        "reason": "Owner in hospital.",
    } | kwargs


def test_the_requester_cannot_approve_their_own_adjustment(unit, manager):
    charge_for(unit, "1000.00")

    with refused_with("The requester cannot approve their own adjustment."):
        adjustment_record(unit, **_waiver(unit), requested_by=manager, approved_by=manager)
    with refused_by_database("adjustment_not_self_approved"):
        Adjustment.objects.bulk_create(
            [Adjustment(unit=unit, **_waiver(unit), requested_by=manager, approved_by=manager)]
        )
    assert arrears_for_unit(unit, as_of=D(2025, 3, 2)).late_fee == Decimal("30.00")


def test_an_adjustment_needs_a_reason(unit, manager):
    charge_for(unit, "1000.00")
    collector = UserFactory()

    with refused_with("This field cannot be blank.", field="reason"):
        adjustment_record(
            unit, **_waiver(unit, reason=""), requested_by=collector, approved_by=manager
        )
    with refused_by_database("adjustment_reason_required"):
        Adjustment.objects.bulk_create(
            [
                Adjustment(
                    unit=unit,
                    **_waiver(unit, reason=""),
                    requested_by=collector,
                    approved_by=manager,
                )
            ]
        )


def test_a_late_fee_waiver_cannot_exceed_the_late_fee_owed(unit, manager):
    charge_for(unit, "1000.00")  # 30.00 late fee on 2 March
    collector = UserFactory()

    with refused_with(
        "30.01 exceeds the accrued late fee owed on 2025-03-02 (30.00).", field="amount"
    ):
        adjustment_record(
            unit,
            **_waiver(unit, amount=Decimal("30.01")),
            requested_by=collector,
            approved_by=manager,
        )
    assert arrears_for_unit(unit, as_of=D(2025, 3, 2)).late_fee == Decimal("30.00")

    # The whole late fee can be waived; the principal cannot be waived this way.
    adjustment_record(
        unit, **_waiver(unit, amount=Decimal("30.00")), requested_by=collector, approved_by=manager
    )
    arrears = arrears_for_unit(unit, as_of=D(2025, 3, 2))
    assert arrears.late_fee == 0
    assert arrears.principal == Decimal("1000.00")


def test_an_allocation_cannot_exceed_what_is_left_of_the_adjustment(unit, manager):
    charge = charge_for(unit, "1000.00")
    adjustment = adjustment_record(
        unit,
        **_waiver(unit, kind=Adjustment.Kind.PRINCIPAL_WAIVER),
        requested_by=UserFactory(),
        approved_by=manager,
    )

    with refused_by_database("allocation exceeds what is left of the adjustment"):
        Allocation.objects.bulk_create(
            [
                Allocation(
                    charge=charge,
                    adjustment=adjustment,
                    target=Allocation.Target.PRINCIPAL,
                    amount=Decimal("0.01"),
                    allocated_on=D(2025, 3, 2),
                )
            ]
        )
    assert arrears_for_unit(unit, as_of=D(2025, 3, 2)).principal == Decimal("990.00")


def test_a_late_fee_waiver_cannot_waive_a_late_fee_already_paid(unit, manager):
    """The waiver is approved for 1 March but entered after the owner paid everything on
    2 March. Nothing is owed any more, so there is nothing to waive."""
    charge_for(unit, "1000.00")
    payment_record(unit, amount=Decimal("1030.00"), paid_on=D(2025, 3, 2))  # 30.00 late fee

    with refused_with("exceeds the accrued late fee owed", field="amount"):
        adjustment_record(
            unit,
            **_waiver(unit, amount=Decimal("29.00"), effective_on=D(2025, 3, 1)),
            requested_by=UserFactory(),
            approved_by=manager,
        )


def test_an_allocation_cannot_be_deleted(paid_charge_and_credit):
    """Allocations are append-only: deleting one would reopen a paid debt silently."""
    charge, _payment = paid_charge_and_credit

    with refused_by_database("append-only"):
        charge.allocations.all().delete()

    assert arrears_for_unit(charge.unit, as_of=D(2025, 3, 2)).principal == 0


@pytest.mark.parametrize("model", [Charge, Payment])
def test_a_raw_update_cannot_take_an_amount_below_what_is_allocated(unit, model):
    """The triggers keep allocations within what is owed "whatever writes them"; a charge or
    payment lowered below its allocations breaks that (a charge shows negative principal)."""
    charge = charge_for(unit, "1000.00")
    payment = payment_record(unit, amount=Decimal("1000.00"), paid_on=D(2025, 1, 10))
    row = charge if model is Charge else payment

    with refused_by_database():
        model.objects.filter(pk=row.pk).update(amount=Decimal("1.00"))

    row.refresh_from_db()
    assert row.amount == Decimal("1000.00")


def test_a_payment_cannot_pay_another_units_charge(unit):
    """Money received for one flat never silently settles the neighbour's bill."""
    neighbour = UnitFactory(estate=unit.estate)
    charge = charge_for(neighbour, "1000.00")
    payment = payment_record(unit, amount=Decimal("100.00"), paid_on=D(2025, 1, 10))

    with refused_by_database("different units"):
        Allocation.objects.bulk_create(
            [
                Allocation(
                    charge=charge,
                    payment=payment,
                    target=Allocation.Target.PRINCIPAL,
                    amount=Decimal("50.00"),
                    allocated_on=D(2025, 1, 11),
                )
            ]
        )
    assert arrears_for_unit(neighbour, as_of=D(2025, 2, 1)).principal == Decimal("1000.00")
