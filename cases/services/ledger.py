"""Writers of the fee ledger. Each runs in one transaction with the unit row locked."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Sum
from django.utils.translation import gettext as _

from cases.models import Adjustment, Allocation, Charge, Payment, Unit
from cases.selectors.ledger import LATE_FEE_SCALE, charge_balances, money
from cases.services.allocation import OpenItem, PlannedAllocation, plan_allocation
from cases.services.locks import unit_lock


def _open_items(unit: Unit, *, on: dt.date) -> tuple[list[OpenItem], list[OpenItem]]:
    """The unit's charges with principal or late fee still owed, for money arriving on ``on``.

    Late fees are accrued as of ``on``; what was already allocated counts whatever its date,
    so a payment entered after a later-dated one never allocates the same principal twice."""
    rows = charge_balances(Unit.objects.filter(pk=unit.pk), as_of=on).values_list(
        "id", "due_date", "amount", "late_fee_e8"
    )
    allocated: dict[tuple[int, str], Decimal] = {
        (charge_id, target): total
        for charge_id, target, total in Allocation.objects.filter(charge__unit=unit)
        .values("charge_id", "target")
        .annotate(total=Sum("amount"))
        .values_list("charge_id", "target", "total")
    }
    principal, late_fees = [], []
    for charge_id, due_date, amount, late_e8 in rows:
        owed = amount - allocated.get((charge_id, Allocation.Target.PRINCIPAL), Decimal(0))
        if owed > 0:
            principal.append(OpenItem(charge_id, due_date, owed))
        late_fee = money(
            Decimal(late_e8) / LATE_FEE_SCALE
            - allocated.get((charge_id, Allocation.Target.LATE_FEE), Decimal(0))
        )
        if late_fee > 0:
            late_fees.append(OpenItem(charge_id, due_date, late_fee))
    return principal, late_fees


def _write_plan(plan: list[PlannedAllocation], *, on: dt.date, **source) -> list[Allocation]:
    return Allocation.objects.bulk_create(
        Allocation(
            charge_id=p.charge_id, target=p.target, amount=p.amount, allocated_on=on, **source
        )
        for p in plan
    )


def _validated(instance):
    """Model validation first, so a bad value gets its message rather than a database error."""
    instance.full_clean()
    return instance


@transaction.atomic
def charge_issue(
    unit: Unit,
    *,
    item: str,
    period_start: dt.date,
    period_end: dt.date,
    amount: Decimal,
    due_date: dt.date,
    issued_on: dt.date,
    note: str = "",
) -> Charge:
    """Issue one charge. Credit already on the unit (unallocated payments) pays it at once,
    dated ``issued_on``. Raises ``ValidationError`` naming the bad field."""
    unit = unit_lock(unit.pk)
    charge = _validated(
        Charge(
            unit=unit,
            item=item,
            period_start=period_start,
            period_end=period_end,
            amount=amount,
            due_date=due_date,
            issued_on=issued_on,
            note=note,
        )
    )
    charge.save()
    _apply_credit(unit, on=issued_on)
    return charge


def _apply_credit(unit: Unit, *, on: dt.date) -> None:
    payments = (
        Payment.objects.filter(unit=unit, paid_on__lte=on)
        .annotate(used=Sum("allocations__amount"))
        .order_by("paid_on", "id")
    )
    with_credit = [p for p in payments if p.amount > (p.used or 0)]
    if not with_credit:
        return
    principal, late_fees = _open_items(unit, on=on)
    for payment in with_credit:
        plan, _left = plan_allocation(
            payment.amount - (payment.used or 0),
            principal=principal,
            late_fees=late_fees,
            rule=unit.estate.allocation_rule,
            on=on,
            designated=set(payment.designated_charges.values_list("pk", flat=True)),
        )
        _write_plan(plan, on=on, payment=payment)
        if not plan:
            break
        principal, late_fees = _open_items(unit, on=on)


@transaction.atomic
def payment_record(
    unit: Unit,
    *,
    amount: Decimal,
    paid_on: dt.date,
    actor=None,
    method: str = Payment.Method.BANK,
    reference: str = "",
    payer_name: str = "",
    designated_charges=(),
) -> Payment:
    """Record a payment and allocate it (``plan_allocation``): the charges the payer
    designated first (Civil Code art. 560), then principal already due by the estate's rule
    (oldest due date first by default), then accrued late fees oldest first, then principal
    not yet due; the rest stays as credit. The open case gets the payment's evidence entry
    and may move (``case_payment_react``).

    Raises ``ValidationError`` for an amount ≤ 0, a designated charge of another unit, or
    another bad field; writes nothing then."""
    unit = unit_lock(unit.pk)
    designated = list(designated_charges)
    foreign = [c for c in designated if c.unit_id != unit.pk]
    if foreign:
        raise ValidationError(
            {
                "designated_charges": _("Charge #%(id)s is not a charge of %(unit)s.")
                % {"id": foreign[0].pk, "unit": unit.label}
            }
        )
    payment = _validated(
        Payment(
            unit=unit,
            amount=amount,
            paid_on=paid_on,
            method=method,
            reference=reference,
            payer_name=payer_name,
            recorded_by=actor,
        )
    )
    payment.save()
    payment.designated_charges.set(designated)
    principal, late_fees = _open_items(unit, on=paid_on)
    plan, _left = plan_allocation(
        amount,
        principal=principal,
        late_fees=late_fees,
        rule=unit.estate.allocation_rule,
        on=paid_on,
        designated={c.pk for c in designated},
    )
    _write_plan(plan, on=paid_on, payment=payment)
    from cases.services.case import case_payment_react  # the case reacts in this transaction

    case_payment_react(unit, payment, actor=actor)
    return payment


@transaction.atomic
def adjustment_record(
    unit: Unit,
    *,
    kind: str,
    amount: Decimal,
    effective_on: dt.date,
    reason_category: str,
    reason: str,
    requested_by,
    approved_by,
    charge: Charge | None = None,
) -> Adjustment:
    """Record an approved reduction of what a unit owes.

    A late-fee waiver reduces accrued late fees (oldest charge first); a principal waiver or
    correction reduces principal, of ``charge`` when given, else oldest first. The whole
    amount must fit what is owed on ``effective_on``: otherwise ``ValidationError`` and
    nothing is written. The approver must not be the requester."""
    unit = unit_lock(unit.pk)
    adjustment = _validated(
        Adjustment(
            unit=unit,
            kind=kind,
            amount=amount,
            effective_on=effective_on,
            reason_category=reason_category,
            reason=reason,
            requested_by=requested_by,
            approved_by=approved_by,
        )
    )
    principal, late_fees = _open_items(unit, on=effective_on)
    if kind == Adjustment.Kind.LATE_FEE_WAIVER:
        principal, owed_label = [], _("accrued late fee")
    else:
        late_fees, owed_label = [], _("principal")
    if charge is not None:
        principal = [i for i in principal if i.charge_id == charge.pk]
        late_fees = [i for i in late_fees if i.charge_id == charge.pk]
    plan, left = plan_allocation(amount, principal=principal, late_fees=late_fees)
    if left > 0:
        owed = amount - left
        raise ValidationError(
            {
                "amount": _("%(amount)s exceeds the %(what)s owed on %(date)s (%(owed)s).")
                % {"amount": amount, "what": owed_label, "date": effective_on, "owed": owed}
            }
        )
    adjustment.save()
    _write_plan(plan, on=effective_on, adjustment=adjustment)
    return adjustment


def unit_credit(unit: Unit) -> Decimal:
    """Unallocated money on the unit (payments not yet applied to any charge)."""
    paid = Payment.objects.filter(unit=unit).aggregate(s=Sum("amount"))["s"] or Decimal(0)
    used = Allocation.objects.filter(payment__unit=unit).aggregate(s=Sum(F("amount")))["s"]
    return paid - (used or Decimal(0))
