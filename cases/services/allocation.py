"""Pure allocation planning: which charges a sum of money goes to, in which order.

No ORM here: the services feed it the open items and write what it returns.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from cases.models import Allocation, AllocationRule


@dataclass(frozen=True)
class OpenItem:
    charge_id: int
    due_date: dt.date
    owed: Decimal  # principal still owed, or late fee still owed (rounded to the cent)


@dataclass(frozen=True)
class PlannedAllocation:
    charge_id: int
    target: str
    amount: Decimal


def _ordered(items: list[OpenItem], rule: str) -> list[OpenItem]:
    newest_first = rule == AllocationRule.NEWEST_FIRST
    return sorted(items, key=lambda i: (i.due_date, i.charge_id), reverse=newest_first)


def plan_allocation(
    amount: Decimal,
    *,
    principal: list[OpenItem],
    late_fees: list[OpenItem],
    rule: str = AllocationRule.OLDEST_FIRST,
    on: dt.date | None = None,
    designated: frozenset[int] | set[int] = frozenset(),
) -> tuple[list[PlannedAllocation], Decimal]:
    """Where ``amount`` goes, and what is left over (credit on the unit).

    1. The charges the payer designated (Civil Code art. 560), principal then late fee;
    2. principal already due on ``on``, in the estate's order (oldest due date first by
       default, art. 561);
    3. accrued late fees, oldest first (they are all already due);
    4. principal not yet due, oldest first.
    Without ``on`` every item counts as due (a waiver's order)."""
    left = amount

    def is_due(item: OpenItem) -> bool:
        return on is None or item.due_date <= on

    chosen = [i for i in principal if i.charge_id in designated]
    chosen_fees = [i for i in late_fees if i.charge_id in designated]
    rest = [i for i in principal if i.charge_id not in designated]
    rest_fees = [i for i in late_fees if i.charge_id not in designated]
    steps = (
        (Allocation.Target.PRINCIPAL, chosen, AllocationRule.OLDEST_FIRST),
        (Allocation.Target.LATE_FEE, chosen_fees, AllocationRule.OLDEST_FIRST),
        (Allocation.Target.PRINCIPAL, [i for i in rest if is_due(i)], rule),
        (Allocation.Target.LATE_FEE, rest_fees, AllocationRule.OLDEST_FIRST),
        (
            Allocation.Target.PRINCIPAL,
            [i for i in rest if not is_due(i)],
            AllocationRule.OLDEST_FIRST,
        ),
    )
    plan: list[PlannedAllocation] = []
    for target, items, order in steps:
        for item in _ordered(items, order):
            if left <= 0:
                break
            take = min(left, item.owed)
            if take > 0:
                plan.append(PlannedAllocation(item.charge_id, target, take))
                left -= take
    return plan, left
