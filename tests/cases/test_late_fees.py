"""Late fees and arrears as a collector reads them: exact figures to the cent."""

import datetime as dt
from decimal import Decimal

import pytest

from cases.models import Adjustment, ChargeItem, Unit
from cases.selectors.ledger import arrears_as_of, arrears_for_unit, money
from cases.services.ledger import adjustment_record, payment_record
from tests.factories import EstateFactory, UnitFactory, UserFactory, charge_for

pytestmark = pytest.mark.django_db

D = dt.date
DUE = D(2025, 1, 31)
AS_OF = D(2025, 3, 2)  # 30 days after DUE (February 2025 has 28 days)


def _money(value) -> Decimal:
    return money(Decimal(value))


def test_thirty_days_at_one_per_mille_on_1000_is_30(unit):
    charge_for(unit, "1000.00", due_date=DUE)

    arrears = arrears_for_unit(unit, as_of=AS_OF)

    assert money(arrears.principal) == Decimal("1000.00")
    assert money(arrears.late_fee_accrued) == Decimal("30.00")
    assert money(arrears.late_fee) == Decimal("30.00")
    assert money(arrears.total_due) == Decimal("1030.00")


def test_part_payment_stops_that_part_accruing_from_the_day_it_is_paid(unit):
    charge_for(unit, "1000.00", due_date=DUE)
    payment_record(unit, amount=Decimal("400.00"), paid_on=D(2025, 2, 15))

    arrears = arrears_for_unit(unit, as_of=AS_OF)

    # 1,000 × 15 days + 600 × 15 days at 0.001
    assert money(arrears.principal) == Decimal("600.00")
    assert money(arrears.late_fee) == Decimal("24.00")
    assert arrears.credit == 0


@pytest.mark.parametrize(
    ("as_of", "late_fee"),
    [
        (D(2025, 2, 1), "0.00"),
        (D(2025, 2, 10), "0.00"),  # the tenth grace day: still nothing
        (D(2025, 2, 11), "1.00"),  # first day after the grace
        (AS_OF, "20.00"),
    ],
)
def test_grace_days_delay_the_late_fee(as_of, late_fee):
    unit = UnitFactory(estate=EstateFactory(grace_days=10))
    charge_for(unit, "1000.00", due_date=DUE)

    arrears = arrears_for_unit(unit, as_of=as_of)

    assert money(arrears.principal) == Decimal("1000.00")
    assert money(arrears.late_fee) == _money(late_fee)
    # The debt is overdue even while the grace runs.
    assert arrears.oldest_due_date == DUE


def test_zero_rate_means_no_late_fee_but_the_principal_is_still_owed():
    unit = UnitFactory(estate=EstateFactory(late_fee_daily_rate=Decimal(0)))
    charge_for(unit, "1000.00", due_date=DUE)

    arrears = arrears_for_unit(unit, as_of=D(2026, 1, 31))

    assert money(arrears.principal) == Decimal("1000.00")
    assert arrears.late_fee_accrued == 0
    assert arrears.late_fee == 0
    assert arrears.days_overdue == 365


def test_a_payment_dated_after_as_of_does_not_count(unit):
    charge_for(unit, "1000.00", due_date=DUE)
    payment_record(unit, amount=Decimal("400.00"), paid_on=D(2025, 3, 10))

    before = arrears_for_unit(unit, as_of=AS_OF)
    on_the_day = arrears_for_unit(unit, as_of=D(2025, 3, 10))

    assert money(before.principal) == Decimal("1000.00")
    assert money(before.late_fee) == Decimal("30.00")
    assert before.credit == 0
    # 38 days on 1,000; the 400 stops accruing only from 10 March.
    assert money(on_the_day.principal) == Decimal("600.00")
    assert money(on_the_day.late_fee) == Decimal("38.00")


@pytest.mark.parametrize("as_of", [D(2025, 1, 1), D(2025, 1, 30), DUE])
def test_a_charge_not_yet_past_its_due_date_is_not_arrears(unit, as_of):
    charge_for(unit, "1000.00", due_date=DUE)

    assert unit.pk not in arrears_as_of(as_of=as_of)
    arrears = arrears_for_unit(unit, as_of=as_of)
    assert arrears.principal == 0
    assert arrears.late_fee == 0
    assert arrears.oldest_due_date is None
    assert arrears.days_overdue == 0

    assert money(arrears_for_unit(unit, as_of=DUE + dt.timedelta(days=1)).principal) == Decimal(
        "1000.00"
    )


def test_a_late_fee_waiver_reduces_the_late_fee_owed(unit, manager):
    charge_for(unit, "1000.00", due_date=DUE)
    collector = UserFactory()

    adjustment_record(
        unit,
        kind=Adjustment.Kind.LATE_FEE_WAIVER,
        amount=Decimal("10.00"),
        effective_on=AS_OF,
        reason_category=Adjustment.ReasonCategory.HARDSHIP,
        reason="Owner in hospital for two months.",
        requested_by=collector,
        approved_by=manager,
    )

    arrears = arrears_for_unit(unit, as_of=AS_OF)
    assert money(arrears.late_fee_accrued) == Decimal("30.00")
    assert money(arrears.late_fee_waived) == Decimal("10.00")
    assert money(arrears.late_fee) == Decimal("20.00")
    # A waiver is not money: the principal is untouched.
    assert money(arrears.principal) == Decimal("1000.00")
    # The late fee keeps accruing on the unpaid principal after the waiver.
    assert money(arrears_for_unit(unit, as_of=D(2025, 3, 12)).late_fee) == Decimal("30.00")


def test_days_overdue_and_oldest_due_date_follow_the_oldest_unpaid_charge(unit):
    charge_for(unit, "1000.00", due_date=D(2025, 1, 31))
    charge_for(unit, "500.00", due_date=D(2025, 2, 28))
    charge_for(unit, "500.00", due_date=D(2025, 3, 31))

    arrears = arrears_for_unit(unit, as_of=D(2025, 4, 10))
    assert arrears.oldest_due_date == D(2025, 1, 31)
    assert arrears.days_overdue == 69

    # Paying the January charge off moves the oldest unpaid due date to February.
    payment_record(unit, amount=Decimal("1000.00"), paid_on=D(2025, 4, 1))
    arrears = arrears_for_unit(unit, as_of=D(2025, 4, 10))
    assert arrears.oldest_due_date == D(2025, 2, 28)
    assert arrears.days_overdue == 41
    assert money(arrears.principal) == Decimal("1000.00")


def test_breakdown_by_item_and_by_period(unit):
    charge_for(unit, "1000.00", due_date=D(2025, 1, 31))
    charge_for(unit, "120.50", due_date=D(2025, 1, 31), item=ChargeItem.WATER)
    charge_for(unit, "1000.00", due_date=D(2025, 2, 28))
    charge_for(unit, "88.20", due_date=D(2025, 2, 28), item=ChargeItem.WATER)
    charge_for(unit, "300.00", due_date=D(2025, 2, 28), item=ChargeItem.PARKING)
    charge_for(unit, "1000.00", due_date=D(2025, 3, 31))  # not yet due on as_of
    # Pays January's management fee (oldest due date; lower charge id first) and 20.50 of water.
    payment_record(unit, amount=Decimal("1020.50"), paid_on=D(2025, 1, 20))

    arrears = arrears_for_unit(unit, as_of=D(2025, 3, 15))

    assert {k: money(v) for k, v in arrears.by_item.items()} == {
        ChargeItem.MANAGEMENT_FEE: Decimal("1000.00"),
        ChargeItem.WATER: Decimal("188.20"),
        ChargeItem.PARKING: Decimal("300.00"),
    }
    assert {k: money(v) for k, v in arrears.by_period.items()} == {
        D(2025, 1, 1): Decimal("100.00"),
        D(2025, 2, 1): Decimal("1388.20"),
    }
    assert list(arrears.by_period) == [D(2025, 1, 1), D(2025, 2, 1)]
    assert money(arrears.principal) == Decimal("1488.20")
    assert sum(arrears.by_item.values()) == arrears.principal


def test_several_units_and_estates_with_their_own_rates_in_one_call():
    per_mille = EstateFactory(late_fee_daily_rate=Decimal("0.001"))
    half_per_mille_grace = EstateFactory(late_fee_daily_rate=Decimal("0.0005"), grace_days=5)
    no_fee = EstateFactory(late_fee_daily_rate=Decimal(0))
    a = UnitFactory(estate=per_mille)
    b = UnitFactory(estate=half_per_mille_grace)
    c = UnitFactory(estate=no_fee)
    paid_up = UnitFactory(estate=per_mille)
    for unit in (a, b, c, paid_up):
        charge_for(unit, "1000.00", due_date=DUE)
    payment_record(paid_up, amount=Decimal("1000.00"), paid_on=DUE)
    charge_for(b, "2000.00", due_date=D(2025, 2, 20))

    everyone = arrears_as_of(as_of=AS_OF)
    some = arrears_as_of(Unit.objects.filter(pk__in=[a.pk, b.pk]), as_of=AS_OF)

    assert set(everyone) == {a.pk, b.pk, c.pk}
    assert set(some) == {a.pk, b.pk}
    assert money(everyone[a.pk].late_fee) == Decimal("30.00")
    # 1,000 × 25 days + 2,000 × 5 days at 0.0005
    assert money(everyone[b.pk].late_fee) == Decimal("17.50")
    assert money(everyone[b.pk].principal) == Decimal("3000.00")
    assert everyone[c.pk].late_fee == 0
    assert money(everyone[c.pk].principal) == Decimal("1000.00")
    assert some[b.pk] == everyone[b.pk]
    assert arrears_for_unit(paid_up, as_of=AS_OF).total_due == 0


def test_late_fee_is_exact_until_it_is_reported(unit):
    # 333.33 × 7 days × 0.000123 = 0.28699713: rounded once, at the end.
    estate = unit.estate
    estate.late_fee_daily_rate = Decimal("0.000123")
    estate.save()
    charge_for(unit, "333.33", due_date=DUE)

    arrears = arrears_for_unit(unit, as_of=D(2025, 2, 7))

    assert arrears.late_fee_accrued == Decimal("0.28699713")
    assert money(arrears.late_fee) == Decimal("0.29")
