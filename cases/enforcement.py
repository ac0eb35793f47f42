"""The period to apply for enforcement 申请执行期间 (Civil Procedure Law art. 250): pure rules.

No ORM here: ``cases.selectors.enforcement`` reads the case and calls ``enforcement_clock``.

- **Two years** from the last day of the performance period the instrument states
  (法律文书规定履行期间的最后一日); an instrument that states none counts from the day it took
  effect. Counted by the calendar like the limitation clock (``cases.limitation``): the first
  day is not counted and the period ends on the same calendar day two years later; a start on
  29 February ends on 28 February.
- A **payment order**: the debtor must pay within 15 days of service, so the last day of
  performance is the objection deadline (served + 15): served 2026-03-01 → deadline
  2026-03-16 → last day to apply 2028-03-16.
- A **judgment or mediation**: the legal officer records the performance deadline the
  instrument states (``Case.performance_deadline``) when recording it.
- Warnings at 90 / 30 / 7 days, by the same levels as the limitation clock
  (``cases.limitation.level_for``); the clock ends when enforcement is applied for.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from cases.limitation import Level, add_years, days_left, level_for

ENFORCEMENT_YEARS = 2

# Where the performance period's last day comes from.
FROM_OBJECTION_DEADLINE = "objection_deadline"
FROM_PERFORMANCE_DEADLINE = "performance_deadline"
FROM_EFFECTIVE_DATE = "effective_on"
BASIS_LABELS = {
    FROM_OBJECTION_DEADLINE: _("payment order: 15 days from service (支付令送达之日起十五日)"),
    FROM_PERFORMANCE_DEADLINE: _("performance deadline stated in the instrument (履行期限)"),
    FROM_EFFECTIVE_DATE: _("no performance period stated: from the effective date (生效之日)"),
}


def enforcement_last_day(performance_ends_on: dt.date) -> dt.date:
    """The last day on which enforcement can still be applied for (art. 250)."""
    return add_years(performance_ends_on, ENFORCEMENT_YEARS)


@dataclass(frozen=True)
class EnforcementClock:
    """The enforcement period of one case, as of one day."""

    performance_ends_on: dt.date
    last_day: dt.date
    days_left: int  # 0 on the last day, negative once it has passed
    level: str  # cases.limitation.Level value: ok, 90, 30, 7, expired
    basis: str  # FROM_* above

    @property
    def basis_label(self) -> str:
        return str(BASIS_LABELS[self.basis])

    @property
    def level_label(self) -> str:
        return str(Level(self.level).label)

    @property
    def warning(self) -> bool:
        return self.level != Level.OK


def enforcement_clock(
    performance_ends_on: dt.date, *, as_of: dt.date, basis: str
) -> EnforcementClock:
    """The clock of an instrument whose performance period ends on ``performance_ends_on``."""
    last = enforcement_last_day(performance_ends_on)
    left = days_left(last, as_of)
    return EnforcementClock(
        performance_ends_on=performance_ends_on,
        last_day=last,
        days_left=left,
        level=level_for(left),
        basis=basis,
    )
