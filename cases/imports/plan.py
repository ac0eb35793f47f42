"""Checked rows + what the ledger already holds → what an import does, unit by unit.

The rules that need the database are here, in one place, and run twice: once for all rows
before anything is written (``plan_units``, against a snapshot read in a handful of
set-based queries), and again for each batch inside its transaction with the batch's units
locked (``reconcile`` against a fresh read), so that a concurrent writer cannot make the
import record a charge or a payment twice.

* A charge is identified by unit + item + period. Issued with the same amount: nothing to do.
  Issued with another amount: the row is refused, corrections are adjustments.
* 已收金额 is what the billing system says has been paid on the charge so far. What earlier
  imports recorded for it (payments whose reference is ``import:<item>:<YYYY-MM>``) is
  subtracted; only a positive difference is recorded. Less than before: refused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Sum
from django.utils.translation import gettext as _

from cases.models import Charge, Estate, Party, Payment, Unit, UnitParty
from cases.unit_keys import room_of

from .rows import LedgerRow, RowError, UnitFacts, UnitKey

REFERENCE_PREFIX = "import:"

ChargeKey = tuple[int, str, dt.date]  # (unit id, item, period start)


def payment_reference(item: str, period_start: dt.date) -> str:
    """The reference of the payments an import records for one charge row."""
    return f"{REFERENCE_PREFIX}{item}:{period_start:%Y-%m}"


class RowRefused(Exception):
    """A row the ledger refuses; ``field`` is the column to blame."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name
        self.message = message


@dataclass(slots=True)
class RowAction:
    """What one valid row does: issue its charge or not, and the payment to record."""

    row: LedgerRow
    create_charge: bool
    payment: Decimal  # 0: nothing to record

    @property
    def unchanged(self) -> bool:
        return not self.create_charge and self.payment == 0


def reconcile(row: LedgerRow, *, issued: Decimal | None, paid_before: Decimal) -> RowAction:
    """The rule of one row against the ledger: ``issued`` is the amount of the charge
    already issued for its key (None: none), ``paid_before`` what earlier imports recorded
    as paid on it. Raises ``RowRefused``."""
    if issued is not None and issued != row.amount_due:
        raise RowRefused(
            "amount_due",
            _(
                "charge already issued with amount %(amount)s; corrections are adjustments "
                "(该费用已按%(amount)s开具，更正请走调整)"
            )
            % {"amount": issued},
        )
    payment = row.amount_paid - paid_before
    if payment < 0:
        raise RowRefused(
            "amount_paid",
            _(
                "paid %(paid)s is less than the %(before)s already imported for this charge; "
                "refunds and corrections are adjustments (已收金额少于此前导入的金额)"
            )
            % {"paid": row.amount_paid, "before": paid_before},
        )
    return RowAction(row=row, create_charge=issued is None, payment=payment)


@dataclass
class LedgerState:
    """The charges and imported payments of some units, per unit, for ``reconcile``."""

    issued: dict[int, dict[tuple[str, dt.date], Decimal]] = field(default_factory=dict)
    paid: dict[int, dict[str, Decimal]] = field(default_factory=dict)  # by reference

    def action(self, unit_id: int | None, row: LedgerRow) -> RowAction:
        issued = self.issued.get(unit_id)
        paid = self.paid.get(unit_id)
        return reconcile(
            row,
            issued=issued.get((row.item, row.period_start)) if issued else None,
            paid_before=(
                paid.get(payment_reference(row.item, row.period_start), Decimal(0))
                if paid
                else Decimal(0)
            ),
        )

    def of(self, unit_ids: Iterable[int]) -> LedgerState:
        """The part of the state about ``unit_ids``."""
        return LedgerState(
            issued={u: self.issued[u] for u in unit_ids if u in self.issued},
            paid={u: self.paid[u] for u in unit_ids if u in self.paid},
        )


def ledger_state(units, *, periods: Iterable[dt.date]) -> LedgerState:
    """Two queries: issued charges of ``units`` (a queryset or ids) in ``periods``, and the
    sums of the payments earlier imports recorded for them."""
    state = LedgerState()
    for unit_id, item, start, amount in Charge.objects.filter(
        unit__in=units, period_start__in=sorted(set(periods))
    ).values_list("unit_id", "item", "period_start", "amount"):
        state.issued.setdefault(unit_id, {})[(item, start)] = amount
    for unit_id, reference, total in (
        Payment.objects.filter(unit__in=units, reference__startswith=REFERENCE_PREFIX)
        .values("unit_id", "reference")
        .annotate(total=Sum("amount"))
        .values_list("unit_id", "reference", "total")
    ):
        state.paid.setdefault(unit_id, {})[reference] = total
    return state


@dataclass
class UnitPlan:
    """Everything an import does to one unit."""

    building: str
    number: str
    unit_id: int | None  # None: the import creates the unit
    area: Decimal = Decimal(0)
    segment: str = Unit.Segment.OCCUPIED
    owner: tuple[str, str] | None = None  # (name, phone) of the owner to create and link
    actions: list[RowAction] = field(default_factory=list)
    # The record columns of the unit's rows (``basis.check_bases``): the first given wins.
    title_certificate_no: str = ""
    purchase_contract_no: str = ""
    owner_id_number: str = ""

    @property
    def label(self) -> str:
        return f"{self.building}-{self.number}"


@dataclass
class Plan:
    units: list[UnitPlan]
    errors: list[RowError]
    parties: dict[tuple[str, str], int]  # existing parties by (name, phone), phone not blank
    state: LedgerState  # what the actions were planned against
    periods: set[dt.date]  # the billing months of the rows

    def new_parties(self) -> int:
        """Parties the plan creates: one per (name, phone) not found, one per owner
        without a phone."""
        keys = set()
        count = 0
        for unit in self.units:
            if unit.owner is None:
                continue
            if not unit.owner[1]:
                count += 1
            elif unit.owner not in self.parties:
                keys.add(unit.owner)
        return count + len(keys)


def plan_units(
    estate: Estate,
    valid: list[LedgerRow],
    units: dict[UnitKey, UnitFacts],
    *,
    header,
) -> Plan:
    """The plan of ``valid`` rows for ``estate`` and the errors of rows the ledger refuses.
    ``units`` are the facts of every unit named by any row (valid or not), so a unit that
    cannot be created is reported on every row that names it. ``header(field)`` gives the
    column name for messages. Five queries whatever the size of the file."""
    existing: dict[UnitKey, int] = {}
    by_room: dict[str, list[tuple[str, str]]] = {}  # room key → (label, key) of its units
    for pk, key, building, number in Unit.objects.filter(estate=estate).values_list(
        "pk", "key", "building", "number"
    ):
        existing[key] = pk
        by_room.setdefault(room_of(key), []).append((f"{building}-{number}", key))
    errors: list[RowError] = []
    missing: set[UnitKey] = set()
    alias: dict[UnitKey, UnitKey] = {}  # a room without its building → its one unit's key
    for key, facts in units.items():
        if not facts.building:  # a room without its building: only one unit may have it
            found = sorted(by_room.get(room_of(key), []))
            if len(found) == 1:
                alias[key] = found[0][1]
                continue
            candidates = [label for label, _key in found]
            missing.add(key)
            message = (
                _(
                    "unit “%(unit)s” is ambiguous: %(candidates)s have that room number; write "
                    "the building (房号不唯一，请写明楼栋)"
                )
                % {"unit": facts.number, "candidates": "、".join(candidates)}
                if candidates
                else _(
                    "“%(value)s” has no building: write building-number, e.g. 3-1201, or add a "
                    "楼栋/building column (房号缺少楼栋)"
                )
                % {"value": facts.number}
            )
            errors.extend(
                RowError(row, header("unit"), facts.number, message) for row in facts.rows
            )
        elif key not in existing and not facts.creatable:
            missing.add(key)
            label = facts.label
            errors.extend(
                RowError(
                    row,
                    header("unit"),
                    label,
                    _(
                        "unit %(unit)s does not exist and the row has no area (or type) to "
                        "create it (房屋不存在，且没有面积或类型，无法新建)"
                    )
                    % {"unit": label},
                )
                for row in facts.rows
            )

    periods = {row.period_start for row in valid}
    state = ledger_state(Unit.objects.filter(estate=estate), periods=periods)
    owned = set(
        UnitParty.objects.filter(unit__estate=estate, role=UnitParty.Role.OWNER).values_list(
            "unit_id", flat=True
        )
    )
    plans: dict[UnitKey, UnitPlan] = {}
    seen: dict[tuple, int] = {}
    for row in valid:
        key = row.unit_key
        if key in missing:
            continue
        key = alias.get(key, key)
        first = seen.setdefault((key, row.item, row.period_start), row.row)
        if first != row.row:  # 1201 (its building left out) beside 3栋1201: the same unit
            errors.append(
                RowError(
                    row.row,
                    header("unit"),
                    row.label,
                    _(
                        "duplicate of row %(row)d: same unit, item and period (重复行，"
                        "与第%(row)d行重复)"
                    )
                    % {"row": first},
                )
            )
            continue
        unit_id = existing.get(key)
        try:
            action = state.action(unit_id, row)
        except RowRefused as refused:
            errors.append(
                RowError(
                    row.row, header(refused.field), _value(row, refused.field), refused.message
                )
            )
            continue
        plan = plans.get(key)
        if plan is None:
            facts = units.get(key) or units[row.unit_key]
            plan = plans[key] = UnitPlan(
                building=facts.building,
                number=facts.number,
                unit_id=unit_id,
                area=facts.area if facts.area is not None else Decimal(0),
                segment=facts.segment or Unit.Segment.OCCUPIED,
            )
        plan.actions.append(action)
        if plan.owner is None and row.owner and (unit_id is None or unit_id not in owned):
            plan.owner = (row.owner, row.phone)

    phones = {plan.owner[1] for plan in plans.values() if plan.owner and plan.owner[1]}
    parties: dict[tuple[str, str], int] = {}
    for pk, name, phone in (
        Party.objects.filter(phone__in=sorted(phones))
        .order_by("pk")
        .values_list("pk", "name", "phone")
    ):
        parties.setdefault((name, phone), pk)
    errors.sort(key=lambda e: e.row)
    return Plan(
        units=list(plans.values()), errors=errors, parties=parties, state=state, periods=periods
    )


def _value(row: LedgerRow, field_name: str) -> str:
    value = getattr(row, field_name, "")
    return "" if value is None else str(value)
