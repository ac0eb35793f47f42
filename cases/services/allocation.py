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
) -> tuple[list[PlannedAllocation], Decimal]:
    """Principal first in the estate's order (oldest due date first by default, Civil Code
    arts. 560/561), then accrued late fees oldest first; returns the plan and what is left
    over, which stays as credit on the unit."""
    left = amount
    plan: list[PlannedAllocation] = []
    for target, items, order in (
        (Allocation.Target.PRINCIPAL, principal, rule),
        (Allocation.Target.LATE_FEE, late_fees, AllocationRule.OLDEST_FIRST),
    ):
        for item in _ordered(items, order):
            if left <= 0:
                break
            take = min(left, item.owed)
            if take > 0:
                plan.append(PlannedAllocation(item.charge_id, target, take))
                left -= take
    return plan, left
