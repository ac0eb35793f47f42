"""What units owe, computed in the database.

Late fee per charge = daily rate × principal-days past (due date + grace days) up to
``as_of``; the part of the principal paid (or waived) on day *d* stops accruing from *d*.
Because that sum is linear, it is computed as

    amount × accrual_days(due) − Σ allocated × min(accrual_days(due), days(as_of − d))

over the charge's principal allocations, with accrual_days = max(0, as_of − due − grace).
Everything is summed in integer fen (and fen × parts-per-million for late fees), so SQLite
and PostgreSQL agree to the cent; Python turns the sums back into ``Decimal``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import connections, router
from django.db.models import BigIntegerField, F, Max, Q, QuerySet, Sum, Value, When
from django.db.models import Case as DbCase
from django.db.models.functions import Coalesce, Greatest, Least

from cases.db import DaysBetween, Fen, ScaledInt
from cases.models import Allocation, Charge, Payment, Unit

CENT = Decimal("0.01")
FEN = Decimal(100)
RATE_SCALE = 1_000_000  # late-fee rates are summed in parts per million
LATE_FEE_SCALE = FEN * RATE_SCALE  # a late-fee sum is in fen × ppm


def money(value: Decimal) -> Decimal:
    """Round for reporting: to the cent, half up (never earlier)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class OpenCharge:
    """One overdue charge with principal still owed (the breakdown's finest grain)."""

    charge_id: int
    item: str
    period_start: dt.date
    due_date: dt.date
    outstanding: Decimal


@dataclass(frozen=True)
class UnitArrears:
    """What one unit owes on ``as_of``. Amounts are exact; round with ``money()`` to report."""

    unit_id: int
    as_of: dt.date
    principal: Decimal
    oldest_due_date: dt.date | None
    late_fee_accrued: Decimal
    late_fee_waived: Decimal
    late_fee_paid: Decimal
    credit: Decimal = Decimal(0)
    by_item: dict[str, Decimal] = field(default_factory=dict)
    by_period: dict[dt.date, Decimal] = field(default_factory=dict)
    charges: list[OpenCharge] = field(default_factory=list)

    @property
    def days_overdue(self) -> int:
        return (self.as_of - self.oldest_due_date).days if self.oldest_due_date else 0

    @property
    def late_fee(self) -> Decimal:
        """Accrued late fee still owed: accrued minus waived minus paid."""
        return max(Decimal(0), self.late_fee_accrued - self.late_fee_waived - self.late_fee_paid)

    @property
    def total_due(self) -> Decimal:
        return self.principal + self.late_fee


def _accrual_days(as_of: dt.date):
    """Days a charge's principal has been accruing late fees on ``as_of`` (≥ 0)."""
    return Greatest(
        Value(0), DaysBetween(Value(as_of), F("due_date")) - F("unit__estate__grace_days")
    )


def _rate_factor():
    """The daily rate in ppm, or 0 when the estate's service contract provides no late fee
    (合同未约定滞纳金): then nothing accrues, so arrears, allocation, exports and documents
    all see none."""
    return DbCase(
        When(
            unit__estate__contract_provides_late_fees=True,
            then=ScaledInt(F("unit__estate__late_fee_daily_rate"), RATE_SCALE),
        ),
        default=Value(0),
        output_field=BigIntegerField(),
    )


def charge_balances(units: QuerySet[Unit] | None = None, *, as_of: dt.date) -> QuerySet[Charge]:
    """Every charge (of ``units``) annotated with its balance on ``as_of``, in fen:
    ``outstanding_fen`` (principal still owed), ``late_fee_e8`` (accrued late fee in
    fen × ppm), ``late_fee_paid_fen`` and ``late_fee_waived_fen``."""
    accrual_days = _accrual_days(as_of)
    in_force = Q(allocations__allocated_on__lte=as_of)
    principal = in_force & Q(allocations__target=Allocation.Target.PRINCIPAL)
    late_fee = in_force & Q(allocations__target=Allocation.Target.LATE_FEE)
    allocation_days = Greatest(
        Value(0),
        Least(accrual_days, DaysBetween(Value(as_of), F("allocations__allocated_on"))),
    )
    qs = Charge.objects.all()
    if units is not None:
        qs = qs.filter(unit__in=units)
    return qs.annotate(
        principal_credited_fen=Coalesce(Sum(Fen("allocations__amount"), filter=principal), 0),
        credited_fen_days=Coalesce(
            Sum(Fen("allocations__amount") * allocation_days, filter=principal), 0
        ),
        late_fee_paid_fen=Coalesce(
            Sum(
                Fen("allocations__amount"), filter=late_fee & Q(allocations__payment__isnull=False)
            ),
            0,
        ),
        late_fee_waived_fen=Coalesce(
            Sum(
                Fen("allocations__amount"),
                filter=late_fee & Q(allocations__adjustment__isnull=False),
            ),
            0,
        ),
    ).annotate(
        outstanding_fen=Fen("amount") - F("principal_credited_fen"),
        late_fee_e8=(Fen("amount") * accrual_days - F("credited_fen_days")) * _rate_factor(),
    )


_ROLLUP = """
SELECT unit_id,
       SUM(outstanding_fen),
       MIN(CASE WHEN outstanding_fen > 0 THEN due_date END),
       SUM(late_fee_e8),
       SUM(late_fee_waived_fen),
       SUM(late_fee_paid_fen)
  FROM ({per_charge}) per_charge
 GROUP BY unit_id
HAVING SUM(outstanding_fen) > 0
    OR SUM(late_fee_e8) > {scale} * (SUM(late_fee_waived_fen) + SUM(late_fee_paid_fen))
"""


def _restriction(units: QuerySet[Unit] | None) -> QuerySet[Unit] | None:
    """``units``, or None when it is every unit (an unfiltered queryset of units): filtering
    the ledger on ``unit_id IN (every unit)`` costs a semi-join over every row for nothing."""
    if units is None:
        return None
    query = units.query
    if query.where or query.is_sliced or query.combinator or units.model is not Unit:
        return units
    return None


def _as_date(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def arrears_as_of(
    units: QuerySet[Unit] | None = None, *, as_of: dt.date, breakdown: bool = True
) -> dict[int, UnitArrears]:
    """What each unit owes on ``as_of``, keyed by unit id; units owing nothing are absent.

    Only charges past their due date count as arrears. One aggregate query per figure set:
    the per-charge balances are rolled up per unit in the database; ``breakdown`` adds one
    query for principal by item and by period, and credit (unallocated payments) is one more.
    """
    units = _restriction(units)
    overdue = charge_balances(units, as_of=as_of).filter(due_date__lt=as_of)
    per_charge = overdue.values(
        "unit_id",
        "due_date",
        "outstanding_fen",
        "late_fee_e8",
        "late_fee_waived_fen",
        "late_fee_paid_fen",
    )
    sql, params = per_charge.query.sql_with_params()
    connection = connections[router.db_for_read(Charge)]
    with connection.cursor() as cursor:
        cursor.execute(_ROLLUP.format(per_charge=sql, scale=RATE_SCALE), params)
        rows = cursor.fetchall()

    credit = _credit_by_unit(units, as_of=as_of)
    by_item: dict[int, dict[str, Decimal]] = defaultdict(dict)
    by_period: dict[int, dict[dt.date, Decimal]] = defaultdict(dict)
    charges: dict[int, list[OpenCharge]] = defaultdict(list)
    if breakdown:
        open_charges = (
            overdue.filter(outstanding_fen__gt=0)
            .order_by("unit_id", "due_date", "item")
            .values_list("unit_id", "id", "item", "period_start", "due_date", "outstanding_fen")
        )
        for unit_id, charge_id, item, period_start, due_date, fen in open_charges:
            amount = Decimal(fen) / FEN
            by_item[unit_id][item] = by_item[unit_id].get(item, Decimal(0)) + amount
            by_period[unit_id][period_start] = by_period[unit_id].get(period_start, 0) + amount
            charges[unit_id].append(OpenCharge(charge_id, item, period_start, due_date, amount))

    return {
        unit_id: UnitArrears(
            unit_id=unit_id,
            as_of=as_of,
            principal=Decimal(principal_fen) / FEN,
            oldest_due_date=_as_date(oldest_due),
            late_fee_accrued=Decimal(late_e8) / LATE_FEE_SCALE,
            late_fee_waived=Decimal(waived_fen) / FEN,
            late_fee_paid=Decimal(paid_fen) / FEN,
            credit=credit.get(unit_id, Decimal(0)),
            by_item=by_item.get(unit_id, {}),
            by_period=dict(sorted(by_period.get(unit_id, {}).items())),
            charges=charges.get(unit_id, []),
        )
        for unit_id, principal_fen, oldest_due, late_e8, waived_fen, paid_fen in rows
    }


def _credit_by_unit(units, *, as_of: dt.date) -> dict[int, Decimal]:
    # Grouped by the payment's primary key alone (its amount is aggregated, not grouped on,
    # and the default ordering's joins to unit and estate are dropped), so PostgreSQL merges
    # payments and allocations in key order and aggregates as they stream instead of hashing
    # a million groups.
    payments = Payment.objects.filter(paid_on__lte=as_of).order_by()
    if units is not None:
        payments = payments.filter(unit__in=units)
    rows = (
        payments.annotate(
            amount_fen=Max(Fen("amount")),
            used_fen=Coalesce(
                Sum(Fen("allocations__amount"), filter=Q(allocations__allocated_on__lte=as_of)), 0
            ),
        )
        .filter(used_fen__lt=F("amount_fen"))
        .values_list("unit_id", "amount_fen", "used_fen")
    )
    credit: dict[int, Decimal] = defaultdict(Decimal)
    for unit_id, amount_fen, used_fen in rows:
        credit[unit_id] += Decimal(amount_fen - used_fen) / FEN
    return dict(credit)


def arrears_for_unit(unit: Unit, *, as_of: dt.date) -> UnitArrears:
    """What one unit owes on ``as_of`` (a zero figure when it owes nothing)."""
    found = arrears_as_of(Unit.objects.filter(pk=unit.pk), as_of=as_of).get(unit.pk)
    if found is not None:
        return found
    zero = Decimal(0)
    return UnitArrears(
        unit_id=unit.pk,
        as_of=as_of,
        principal=zero,
        oldest_due_date=None,
        late_fee_accrued=zero,
        late_fee_waived=zero,
        late_fee_paid=zero,
        credit=_credit_by_unit(Unit.objects.filter(pk=unit.pk), as_of=as_of).get(unit.pk, zero),
    )


def charge_late_fee_owed(charge: Charge) -> Decimal:
    """Accrued late fee not yet paid or waived on a charge from ``charge_balances``, to the
    cent (never below zero)."""
    accrued = Decimal(charge.late_fee_e8) / LATE_FEE_SCALE
    settled = Decimal(charge.late_fee_paid_fen + charge.late_fee_waived_fen) / FEN
    return money(max(Decimal(0), accrued - settled))


def late_fee_payable(unit: Unit, *, as_of: dt.date) -> Decimal:
    """The late fee that payments and waivers can settle on ``as_of``: each charge's owed
    late fee rounded to the fen, summed — what the allocation ledger works with. It may
    differ by a few fen from ``UnitArrears.late_fee``, which rounds the unit's exact total."""
    charges = charge_balances(Unit.objects.filter(pk=unit.pk), as_of=as_of)
    return sum((charge_late_fee_owed(charge) for charge in charges), Decimal(0))
