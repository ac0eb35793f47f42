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
from django.db.models import (
    BigIntegerField,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
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
    # Each charge's owed late fee rounded to the fen, summed: what payments and waivers can
    # still settle (``late_fee`` rounds the unit's exact total and may differ by a few fen).
    late_fee_payable: Decimal = Decimal(0)
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

    @property
    def remainder(self) -> Decimal:
        """What is still to settle, to the fen: principal + accrued late fee − waived − paid,
        the late fee taken charge by charge as the ledger allocates it."""
        return money(self.principal) + self.late_fee_payable

    @property
    def paid_in_full(self) -> bool:
        """The one definition of "paid in full": nothing remains (``remainder`` is 0.00).
        Settle, close, the payment reaction, the sweep and the documents all ask this."""
        return self.remainder <= 0


def _accrual_days(as_of: dt.date):
    """Days a charge's principal has been accruing late fees on ``as_of`` (≥ 0)."""
    return Greatest(
        Value(0), DaysBetween(Value(as_of), F("due_date")) - F("unit__estate__grace_days")
    )


def _plan_window(as_of: dt.date):
    """The window of the signed installment plan covering each charge where the estate
    suspends late fees during a plan, as days before ``as_of``: (signing, end) — the end is
    0 while the plan runs. ``None`` when no such plan exists (the usual, cheaper query)."""
    from cases.models import InstallmentPlan

    suspending = InstallmentPlan.objects.filter(
        signed_on__isnull=False,
        signed_on__lte=as_of,
        case__unit__estate__late_fee_accrues_during_plan=False,
    )
    if not suspending.exists():
        return None
    plan = suspending.filter(charges=OuterRef("pk")).order_by("-signed_on", "-pk")
    start = Subquery(
        plan.annotate(back=DaysBetween(Value(as_of), F("signed_on"))).values("back")[:1]
    )
    end = Subquery(
        plan.annotate(back=Greatest(Value(0), DaysBetween(Value(as_of), F("ended_on")))).values(
            "back"
        )[:1]
    )
    return Coalesce(start, Value(0)), Coalesce(end, Value(0))


def _days_in_plan(days_back):
    """Of the days from ``days_back`` days before ``as_of`` up to ``as_of``, those inside the
    charge's plan window (``plan_start_back`` … ``plan_end_back`` days before ``as_of``)."""
    return Greatest(Value(0), Least(days_back, F("plan_start_back")) - F("plan_end_back"))


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
    plan_window = _plan_window(as_of)
    if plan_window is not None:
        # Days inside a signed plan whose estate suspends late fees accrue nothing.
        qs = qs.annotate(plan_start_back=plan_window[0], plan_end_back=plan_window[1])
        accrual_days = accrual_days - _days_in_plan(accrual_days)
        allocation_days = allocation_days - _days_in_plan(allocation_days)
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


# A charge's accrued late fee rounded half up to the fen, as a whole number on both databases:
# on PostgreSQL the sums are numeric (SUM of bigint), so "/" alone would not truncate.
_ACCRUED_FEN = "((late_fee_e8 + {half}) - (late_fee_e8 + {half}) %% {scale}) / {scale}".format(
    half=RATE_SCALE // 2, scale=RATE_SCALE
)

_ROLLUP = """
SELECT unit_id,
       SUM(outstanding_fen),
       MIN(CASE WHEN outstanding_fen > 0 THEN due_date END),
       SUM(late_fee_e8),
       SUM(late_fee_waived_fen),
       SUM(late_fee_paid_fen),
       SUM(CASE WHEN {accrued_fen} > late_fee_waived_fen + late_fee_paid_fen
                THEN {accrued_fen} - late_fee_waived_fen - late_fee_paid_fen
                ELSE 0 END)
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
        cursor.execute(
            _ROLLUP.format(per_charge=sql, scale=RATE_SCALE, accrued_fen=_ACCRUED_FEN), params
        )
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
            late_fee_payable=money(Decimal(payable_fen) / FEN),
        )
        for unit_id, principal_fen, oldest_due, late_e8, waived_fen, paid_fen, payable_fen in rows
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


@dataclass(frozen=True)
class PaidPart:
    """What part of a payment paid: one charge's principal or late fee."""

    charge_id: int
    item: str
    item_label: str
    period_start: dt.date
    period_end: dt.date
    target: str
    target_label: str
    amount: Decimal


@dataclass(frozen=True)
class PaymentLine:
    """A payment with what it paid, charge by charge; ``credit`` is what it left unallocated."""

    payment: Payment
    parts: list[PaidPart]

    @property
    def credit(self) -> Decimal:
        return self.payment.amount - sum((p.amount for p in self.parts), Decimal(0))

    @property
    def summary(self) -> list[PaidGroup]:
        """The parts folded per item and target (principal or late fee), with the first and
        last period they cover: one line each, for pages where a payment of two years of
        arrears would otherwise list dozens of charges."""
        groups: dict[tuple[str, str], list[PaidPart]] = defaultdict(list)
        for part in self.parts:
            groups[(part.item, part.target)].append(part)
        return [
            PaidGroup(
                item_label=parts[0].item_label,
                target_label=parts[0].target_label,
                first_period=min(p.period_start for p in parts),
                last_period=max(p.period_start for p in parts),
                charges=len({p.charge_id for p in parts}),
                amount=sum((p.amount for p in parts), Decimal(0)),
            )
            for parts in groups.values()
        ]


@dataclass(frozen=True)
class PaidGroup:
    """Parts of one payment for one item and target, folded (``PaymentLine.summary``)."""

    item_label: str
    target_label: str
    first_period: dt.date
    last_period: dt.date
    charges: int
    amount: Decimal


def payment_lines(unit: Unit, *, limit: int = 50) -> list[PaymentLine]:
    """The unit's payments, newest first, each with the charges and parts it paid."""
    payments = list(Payment.objects.filter(unit=unit).order_by("-paid_on", "-id")[:limit])
    parts: dict[int, list[PaidPart]] = defaultdict(list)
    allocations = (
        Allocation.objects.filter(payment__in=payments)
        .select_related("charge")
        .order_by("charge__due_date", "charge_id", "target")
    )
    for a in allocations:
        parts[a.payment_id].append(
            PaidPart(
                charge_id=a.charge_id,
                item=a.charge.item,
                item_label=a.charge.get_item_display(),
                period_start=a.charge.period_start,
                period_end=a.charge.period_end,
                target=a.target,
                target_label=a.get_target_display(),
                amount=a.amount,
            )
        )
    return [PaymentLine(p, parts.get(p.pk, [])) for p in payments]
