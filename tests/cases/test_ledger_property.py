"""Property: the database's arrears equal a small, independent Python model of the ledger.

The model below knows only the rules as a collector would state them: a payment goes to
principal already due, oldest due date first, then to late fees owed (rounded to the cent),
oldest first, then to principal not yet due, and the rest stays as credit; credit pays a
charge when it is issued. A charge's late fee is the daily rate times, for each part of its
principal, the days that part stayed unpaid after the due date plus the grace days. Nothing
in it comes from ``cases.selectors``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases.models import ChargeItem
from cases.selectors.ledger import arrears_as_of, arrears_for_unit, money
from cases.services.ledger import charge_issue, payment_record
from tests.factories import EstateFactory, UnitFactory

START = dt.date(2024, 1, 1)
ITEMS = [ChargeItem.MANAGEMENT_FEE, ChargeItem.WATER, ChargeItem.PARKING]
PRINCIPAL, LATE_FEE = "principal", "late_fee"


def _cents(n: int) -> Decimal:
    return Decimal(n).scaleb(-2)


def _to_cent(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _month(index: int) -> dt.date:
    year, month = divmod(START.month - 1 + index, 12)
    return dt.date(START.year + year, month + 1, 1)


@dataclass
class RefCharge:
    pk: int
    unit: int
    item: str
    period_start: dt.date
    due: dt.date
    amount: Decimal


@dataclass
class RefPayment:
    pk: int
    unit: int
    amount: Decimal
    paid_on: dt.date


@dataclass
class RefAllocation:
    charge: int
    target: str
    amount: Decimal
    on: dt.date
    payment: int


@dataclass
class RefLedger:
    rate: Decimal
    grace: int
    charges: list[RefCharge] = field(default_factory=list)
    payments: list[RefPayment] = field(default_factory=list)
    allocations: list[RefAllocation] = field(default_factory=list)

    # -- what one charge owes on a day --------------------------------------------------

    def _parts(self, charge: RefCharge, target: str, on: dt.date) -> list[RefAllocation]:
        return [
            a
            for a in self.allocations
            if a.charge == charge.pk and a.target == target and a.on <= on
        ]

    def outstanding(self, charge: RefCharge, on: dt.date) -> Decimal:
        return charge.amount - sum((a.amount for a in self._parts(charge, PRINCIPAL, on)), 0)

    def accrued(self, charge: RefCharge, on: dt.date) -> Decimal:
        """Rate × Σ (part of the principal × days it stayed unpaid after due + grace)."""
        fees_from = charge.due + dt.timedelta(days=self.grace)

        def days_unpaid(until: dt.date) -> int:
            return max(0, (until - fees_from).days)

        parts = self._parts(charge, PRINCIPAL, on)
        paid_part_days = sum((a.amount * days_unpaid(a.on) for a in parts), Decimal(0))
        unpaid_days = self.outstanding(charge, on) * days_unpaid(on)
        return self.rate * (paid_part_days + unpaid_days)

    def late_fee_paid(self, charge: RefCharge, on: dt.date) -> Decimal:
        return sum((a.amount for a in self._parts(charge, LATE_FEE, on)), Decimal(0))

    # -- writing ---------------------------------------------------------------------------

    def _allocate(self, unit: int, amount: Decimal, on: dt.date, payment: int) -> Decimal:
        """Spend ``amount`` on the unit's debts on ``on``; return what is left."""
        mine = sorted((c for c in self.charges if c.unit == unit), key=lambda c: (c.due, c.pk))
        # what is due first (principal, then its late fees), what is not yet due last
        owed = [(c, PRINCIPAL, self.outstanding(c, on)) for c in mine if c.due <= on]
        owed += [
            (c, LATE_FEE, _to_cent(self.accrued(c, on) - self.late_fee_paid(c, on))) for c in mine
        ]
        owed += [(c, PRINCIPAL, self.outstanding(c, on)) for c in mine if c.due > on]
        left = amount
        for charge, target, debt in owed:
            take = min(left, debt)
            if take > 0:
                self.allocations.append(RefAllocation(charge.pk, target, take, on, payment))
                left -= take
        return left

    def payment_left(self, payment: RefPayment, on: dt.date) -> Decimal:
        used = sum(
            (a.amount for a in self.allocations if a.payment == payment.pk and a.on <= on),
            Decimal(0),
        )
        return payment.amount - used

    def issue(self, charge: RefCharge, issued_on: dt.date) -> None:
        self.charges.append(charge)
        earlier = sorted(
            (p for p in self.payments if p.unit == charge.unit and p.paid_on <= issued_on),
            key=lambda p: (p.paid_on, p.pk),
        )
        for payment in earlier:
            credit = self.payment_left(payment, issued_on)
            if credit > 0 and self._allocate(charge.unit, credit, issued_on, payment.pk) == credit:
                break  # nothing left to pay

    def pay(self, payment: RefPayment) -> None:
        self.payments.append(payment)
        self._allocate(payment.unit, payment.amount, payment.paid_on, payment.pk)

    # -- reading ---------------------------------------------------------------------------

    def credit(self, unit: int, as_of: dt.date) -> Decimal:
        return sum(
            (
                self.payment_left(p, as_of)
                for p in self.payments
                if p.unit == unit and p.paid_on <= as_of
            ),
            Decimal(0),
        )

    def overdue(self, unit: int, as_of: dt.date) -> list[RefCharge]:
        return [c for c in self.charges if c.unit == unit and c.due < as_of]

    def unit_accrued(self, unit: int, as_of: dt.date) -> Decimal:
        return sum((self.accrued(c, as_of) for c in self.overdue(unit, as_of)), Decimal(0))

    def arrears(self, unit: int, as_of: dt.date) -> dict | None:
        overdue = self.overdue(unit, as_of)
        principal = sum((self.outstanding(c, as_of) for c in overdue), Decimal(0))
        accrued = self.unit_accrued(unit, as_of)
        paid = sum((self.late_fee_paid(c, as_of) for c in overdue), Decimal(0))
        if principal <= 0 and accrued <= paid:
            return None
        unpaid_dues = [c.due for c in overdue if self.outstanding(c, as_of) > 0]
        return {
            "principal": money(principal),
            "late_fee_accrued": money(accrued),
            "late_fee_paid": money(paid),
            "late_fee": money(max(Decimal(0), accrued - paid)),
            "credit": money(self.credit(unit, as_of)),
            "oldest_due_date": min(unpaid_dues, default=None),
        }


def _reported(arrears) -> dict:
    return {
        "principal": money(arrears.principal),
        "late_fee_accrued": money(arrears.late_fee_accrued),
        "late_fee_paid": money(arrears.late_fee_paid),
        "late_fee": money(arrears.late_fee),
        "credit": money(arrears.credit),
        "oldest_due_date": arrears.oldest_due_date,
    }


@st.composite
def ledgers(draw) -> tuple[int, list, list]:
    """How many units, then their charges and payments."""
    n_units = draw(st.integers(1, 3))
    unit = st.integers(0, n_units - 1)
    charges = draw(
        st.lists(
            st.tuples(
                unit,
                st.integers(0, 23),  # billing month within two years
                st.sampled_from(ITEMS),
                st.integers(0, 45),  # due this many days after the period starts
                st.integers(1, 500_000),  # amount in fen: 0.01 … 5,000.00
            ),
            min_size=1,
            max_size=8,
            unique_by=lambda c: (c[0], c[1], c[2]),
        )
    )
    payments = draw(
        st.lists(
            st.tuples(
                unit,
                st.integers(0, 760),  # paid this many days after START
                st.one_of(st.integers(1, 30_000), st.integers(1, 300_000)),  # fen
            ),
            max_size=6,
        )
    )
    return n_units, charges, payments


@pytest.mark.django_db
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    ledger=ledgers(),
    rate_ppm=st.integers(0, 10_000),  # 0 … 0.01 with six decimal places
    grace=st.integers(0, 30),
    as_of_days=st.lists(st.integers(0, 800), min_size=1, max_size=3),
)
def test_arrears_in_the_database_equal_the_reference_model(ledger, rate_ppm, grace, as_of_days):
    n_units, charges, payments = ledger
    rate = Decimal(rate_ppm).scaleb(-6)
    # Charges are issued on the first day of their period; everything is entered in date order.
    events = [(_month(m), 0, i, ("charge", c)) for i, c in enumerate(charges) for m in [c[1]]]
    events += [
        (START + dt.timedelta(days=p[1]), 1, i, ("payment", p)) for i, p in enumerate(payments)
    ]
    events.sort(key=lambda e: e[:3])

    with transaction.atomic():
        estate = EstateFactory(late_fee_daily_rate=rate, grace_days=grace)
        units = [UnitFactory(estate=estate) for _ in range(n_units)]
        ref = RefLedger(rate=rate, grace=grace)

        for on, _kind, _i, (kind, data) in events:
            if kind == "charge":
                unit_index, month, item, due_offset, fen = data
                unit = units[unit_index]
                period_start = _month(month)
                due = period_start + dt.timedelta(days=due_offset)
                charge = charge_issue(
                    unit,
                    item=item,
                    period_start=period_start,
                    period_end=_month(month + 1) - dt.timedelta(days=1),
                    amount=_cents(fen),
                    due_date=due,
                    issued_on=on,
                )
                ref.issue(RefCharge(charge.pk, unit.pk, item, period_start, due, _cents(fen)), on)
            else:
                unit_index, _day, fen = data
                unit = units[unit_index]
                payment = payment_record(unit, amount=_cents(fen), paid_on=on)
                ref.pay(RefPayment(payment.pk, unit.pk, _cents(fen), on))

        for as_of in (START + dt.timedelta(days=d) for d in as_of_days):
            got = arrears_as_of(as_of=as_of)
            expected = {u.pk: ref.arrears(u.pk, as_of) for u in units}
            in_arrears = {pk for pk, figures in expected.items() if figures is not None}
            assert set(got) == in_arrears, as_of
            for unit in units:
                if unit.pk in in_arrears:
                    assert _reported(got[unit.pk]) == expected[unit.pk], (unit.pk, as_of)
                    assert sum(got[unit.pk].by_item.values()) == got[unit.pk].principal
                    assert sum(got[unit.pk].by_period.values()) == got[unit.pk].principal
                    # Exact before rounding, too: no float crept in on either database.
                    assert got[unit.pk].late_fee_accrued == ref.unit_accrued(unit.pk, as_of)
                else:
                    alone = arrears_for_unit(unit, as_of=as_of)
                    assert alone.total_due == 0
                    assert money(alone.credit) == money(ref.credit(unit.pk, as_of))

        transaction.set_rollback(True)
