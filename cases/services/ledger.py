"""Writers of the fee ledger. Each runs in one transaction with the unit row locked."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Sum
from django.utils.translation import gettext as _

from cases.fee_basis import Basis, months_in_period
from cases.models import Adjustment, Allocation, Charge, FeeStandard, Payment, Unit
from cases.selectors.contract import fee_standards_in_force, pick_standard
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


FROM_STANDARD = object()  # charge_issue's default: the standard in force, if any


def charge_basis(
    unit: Unit,
    *,
    item: str,
    period_start: dt.date,
    period_end: dt.date,
    amount: Decimal,
    fee_standard: FeeStandard | object | None = FROM_STANDARD,
    billed_area: Decimal | None = None,
    billed_months: int | None = None,
    standards: list[FeeStandard] | None = None,
    strict: bool = True,
) -> tuple[FeeStandard | None, Decimal | None, int | None]:
    """(standard, area, months) a charge of ``amount`` is computed from.

    ``fee_standard``: FROM_STANDARD (look it up among ``standards``, or the estate's in force
    on ``period_start``), a standard, or None (no basis: returns (None, None, None)). The
    area defaults to the unit's (none for a fixed monthly amount), the months to the whole
    calendar months of the period. No standard, or a period that is not whole months:
    (None, None, None) unless a standard was given, which then needs ``billed_months``.

    When area × price × months differs from ``amount`` by more than a fen: ``strict`` raises
    ``ValidationError`` on ``amount`` naming the expected figure; otherwise (the import,
    whose billing system may carry adjusted amounts) the charge gets no basis."""
    if fee_standard is None:
        return None, None, None
    if fee_standard is FROM_STANDARD:
        if standards is None:
            standards = fee_standards_in_force(unit.estate_id, item=item, on=period_start)
        fee_standard = pick_standard(standards, item=item, segment=unit.segment, on=period_start)
        if fee_standard is None:
            return None, None, None
        explicit = False
    else:
        explicit = True
    months = billed_months or months_in_period(period_start, period_end)
    if months is None:
        if explicit and strict:
            raise ValidationError(
                {"period_end": _("Give the months billed: the period is not whole months.")}
            )
        return None, None, None
    if fee_standard.unit_price is not None:
        area = billed_area if billed_area is not None else unit.area
        basis = Basis(area, fee_standard.unit_price, months)
    else:
        area = None
        basis = Basis(None, fee_standard.monthly_amount, months)
    if not basis.agrees_with(amount):
        if not strict:
            return None, None, None
        raise ValidationError(
            {
                "amount": _(
                    "%(amount)s does not agree with the fee standard “%(standard)s”: "
                    "%(basis)s expected. Issue it without a standard if the amount is "
                    "deliberately different."
                )
                % {"amount": amount, "standard": fee_standard, "basis": basis.text}
            }
        )
    return fee_standard, area, months


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
    fee_standard: FeeStandard | object | None = FROM_STANDARD,
    billed_area: Decimal | None = None,
    billed_months: int | None = None,
) -> Charge:
    """Issue one charge. Credit already on the unit (unallocated payments) pays it at once,
    dated ``issued_on``. Raises ``ValidationError`` naming the bad field.

    The basis (fee standard, area, months) is recorded with it, by ``charge_basis``: by
    default the estate's standard for the item, the unit's segment and the period is
    looked up, and when one exists an ``amount`` that disagrees with area × price × months
    by more than a fen is refused, the message naming the expected figure. To issue an
    amount that is legitimately not the standard's (a pro-rated month, a negotiated
    figure), pass ``fee_standard=None``: the charge then says that no standard is recorded.
    """
    unit = unit_lock(unit.pk)
    standard, area, months = charge_basis(
        unit,
        item=item,
        period_start=period_start,
        period_end=period_end,
        amount=amount,
        fee_standard=fee_standard,
        billed_area=billed_area,
        billed_months=billed_months,
    )
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
            fee_standard=standard,
            billed_area=area,
            billed_months=months,
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
