"""Enforcement periods of the cases with an effective judgment, mediation or payment order
(the rules are in ``cases.enforcement``)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from cases.enforcement import (
    FROM_EFFECTIVE_DATE,
    FROM_OBJECTION_DEADLINE,
    FROM_PERFORMANCE_DEADLINE,
    EnforcementClock,
    enforcement_clock,
)
from cases.models import Case, JudgmentKind, Stage
from cases.models.case import PAUSED_STAGES

# A case waiting for its enforcement application: at judgment, or paused / awaiting a
# withdrawal decision from there. Applying for enforcement (stage enforcement) ends the clock.
_WAITING = Q(stage=Stage.JUDGMENT) | Q(
    stage__in=[*PAUSED_STAGES, Stage.WITHDRAWAL_PENDING], return_stage=Stage.JUDGMENT
)


def performance_end(case: Case) -> tuple[dt.date, str] | None:
    """The last day of the performance period of the case's instrument and where it comes
    from, or None when no judgment, mediation or effective payment order is recorded."""
    if case.judgment_on is None:
        return None
    if case.judgment_kind == JudgmentKind.PAYMENT_ORDER_EFFECTIVE and case.objection_deadline:
        return case.objection_deadline, FROM_OBJECTION_DEADLINE
    if case.performance_deadline is not None:
        return case.performance_deadline, FROM_PERFORMANCE_DEADLINE
    return case.judgment_on, FROM_EFFECTIVE_DATE


def waiting_for_enforcement(cases: QuerySet[Case] | None = None) -> QuerySet[Case]:
    """The cases whose enforcement period runs (a judgment recorded, enforcement not applied)."""
    cases = Case.objects.all() if cases is None else cases
    return cases.filter(_WAITING, judgment_on__isnull=False)


def enforcement_clock_for(case: Case, *, as_of: dt.date | None = None) -> EnforcementClock | None:
    """The enforcement clock of ``case`` as of ``as_of`` (today), or None when it does not
    run: no instrument yet, or enforcement already applied for, or the case closed."""
    waiting = case.stage == Stage.JUDGMENT or (
        case.stage in (*PAUSED_STAGES, Stage.WITHDRAWAL_PENDING)
        and case.return_stage == Stage.JUDGMENT
    )
    end = performance_end(case) if waiting else None
    if end is None:
        return None
    return enforcement_clock(end[0], as_of=as_of or timezone.localdate(), basis=end[1])


def enforcement_at_risk(
    *,
    within_days: int = 90,
    as_of: dt.date | None = None,
    cases: QuerySet[Case] | None = None,
) -> list[tuple[Case, EnforcementClock]]:
    """The waiting cases whose last day to apply is within ``within_days`` days or has passed,
    earliest first, each with its clock. One query."""
    as_of = as_of or timezone.localdate()
    rows = []
    for case in waiting_for_enforcement(cases).select_related("unit__estate"):
        clock = enforcement_clock_for(case, as_of=as_of)
        if clock is not None and clock.days_left <= within_days:
            rows.append((case, clock))
    rows.sort(key=lambda row: (row[1].last_day, row[0].pk))
    return rows
