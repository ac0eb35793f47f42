"""The arithmetic of a fee standard (收费标准): pure rules, no ORM.

A charge computed from a standard is ``area × unit price × months`` (a price per m² and
month) or ``monthly amount × months`` (a fixed amount), rounded half up to the fen. A
billed amount agrees with its basis when it differs from that figure by at most one fen.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
TOLERANCE = CENT


def months_in_period(start: dt.date, end: dt.date) -> int | None:
    """The number of whole calendar months from ``start`` (a 1st) to ``end`` (a month's last
    day); None for a period that is not whole months (a pro-rated or meter-read bill)."""
    if start.day != 1 or end < start or (end + dt.timedelta(days=1)).day != 1:
        return None
    return (end.year - start.year) * 12 + end.month - start.month + 1


@dataclass(frozen=True)
class Basis:
    """What a charge was computed from. ``area`` is None for a fixed monthly amount."""

    area: Decimal | None
    price: Decimal  # per m² and month, or the fixed amount per month
    months: int

    @property
    def amount(self) -> Decimal:
        per_month = self.price if self.area is None else self.area * self.price
        return (per_month * self.months).quantize(CENT, rounding=ROUND_HALF_UP)

    def agrees_with(self, amount: Decimal) -> bool:
        return abs(amount - self.amount) <= TOLERANCE

    @property
    def text(self) -> str:
        """``89.36㎡ × 2.8000元/㎡/月 × 1个月 = 250.21元`` (or ``… 元/月 × 3个月``)."""
        if self.area is None:
            return f"{self.price}元/月 × {self.months}个月 = {self.amount}元"
        return f"{self.area}㎡ × {self.price}元/㎡/月 × {self.months}个月 = {self.amount}元"
