"""Figures for the managers' dashboards, ready to chart.

Every function is read-only and runs a fixed number of SQL queries whatever the data size:
the grouping happens in the database, Python only fills in the empty rows (zero buckets,
zero months, stages without cases) and turns integer fen back into ``Decimal``. Money is
summed in fen (``cases.db.Fen``) so SQLite and PostgreSQL agree to the cent.

Visibility: a ``user`` who sees every case (``cases.permissions.user_sees_all_cases``:
managers, legal officers, finance) gets the whole portfolio; any other user (a collector)
only the cases assigned to them; an anonymous user nothing.

"A case covers day *d*" means ``opened_on ≤ d`` and the case was not closed before *d*.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.db import DaysBetween, Fen
from cases.enforcement import EnforcementClock
from cases.models import Allocation, Case, Charge, Estate, Payment, Stage, Unit
from cases.models.case import ESCALATION_STAGES, OPEN_STAGES, PAUSED_STAGES
from cases.permissions import user_sees_all_cases
from cases.selectors.enforcement import enforcement_at_risk
from cases.selectors.ledger import FEN, charge_balances, money

PERCENT = Decimal("0.1")


# --- shared -------------------------------------------------------------------------------


def _today() -> dt.date:
    """Today in the project's time zone (Asia/Shanghai by default)."""
    return timezone.localdate()


def _amount(fen) -> Decimal:
    """An integer fen sum from the database (``None`` when nothing was summed) as yuan."""
    return money(Decimal(int(fen or 0)) / FEN)


def _visible_cases(user) -> Q | None:
    """The condition on ``Case`` restricting to what ``user`` may see; None: everything."""
    if user is None or user_sees_all_cases(user):
        return None
    if not user.is_authenticated:
        return Q(pk__in=[])
    return Q(collector_id=user.pk)


def _covering(day, *, closed_that_day: bool) -> QuerySet[Case]:
    """Cases that cover ``day`` (a date or an ``OuterRef``). ``closed_that_day``: whether a
    case closed on ``day`` itself still covers it (a payment that settled a case is often
    received on the day the case closes; on a snapshot date a case closed that day is over)."""
    not_closed_before = Q(closed_on__gte=day) if closed_that_day else Q(closed_on__gt=day)
    return Case.objects.filter(
        Q(opened_on__lte=day) & (Q(closed_on__isnull=True) | not_closed_before)
    )


# --- 1. arrears aging ---------------------------------------------------------------------


@dataclass(frozen=True)
class AgingBucket:
    """Unpaid principal of charges whose age (days since the due date) lies in
    ``min_days`` … ``max_days`` inclusive (``max_days`` None: no upper bound)."""

    key: str
    label: str
    min_days: int
    max_days: int | None
    principal: Decimal
    charges: int
    units: int
    cases: int


# (key, label, min_days, max_days): age = as_of − due_date in days; a charge due on as_of
# is 0 days old. Boundaries are inclusive: 30 → "0-30", 31 → "31-90", 365 → "181-365".
AGING_BUCKETS: tuple[tuple[str, object, int, int | None], ...] = (
    ("0-30", _("0–30 days"), 0, 30),
    ("31-90", _("31–90 days"), 31, 90),
    ("91-180", _("91–180 days"), 91, 180),
    ("181-365", _("181–365 days"), 181, 365),
    ("365+", _("Over 365 days"), 366, None),
)

_AGING_ROLLUP = """
SELECT CASE {whens} END AS bucket,
       SUM(outstanding_fen),
       COUNT(*),
       COUNT(DISTINCT unit_id),
       COUNT(DISTINCT open_case_id)
  FROM ({inner}) per_charge
 WHERE outstanding_fen > 0
 GROUP BY 1
""".replace(
    "{whens}",
    " ".join(
        f"WHEN age <= {high} THEN {index}" if high is not None else f"ELSE {index}"
        for index, (_key, _label, _low, high) in enumerate(AGING_BUCKETS)
    ),
)


def arrears_aging(*, as_of: dt.date | None = None, estate=None, user=None) -> list[AgingBucket]:
    """Unpaid principal on ``as_of`` by the age of each charge since its due date, one bucket
    per row of ``AGING_BUCKETS`` (all five, zeros included), youngest first.

    Principal is what ``cases.selectors.ledger.charge_balances`` says is still owed on the
    charge on ``as_of`` (amount minus principal paid or waived by then). Charges due after
    ``as_of`` are not yet due and left out; a charge due on ``as_of`` is 0 days old (so the
    total is ``arrears_as_of``'s principal plus what falls due on ``as_of`` itself).
    ``units`` counts distinct units, ``cases`` the distinct cases covering ``as_of`` on
    them. With ``estate``, that estate's units only; a collector sees the units of the cases
    assigned to them that cover ``as_of``. One query."""
    as_of = as_of or _today()
    covering = _covering(as_of, closed_that_day=False)
    units = Unit.objects.all()
    if estate is not None:
        units = units.filter(estate=estate)
    visible = _visible_cases(user)
    if visible is not None:
        units = units.filter(Exists(covering.filter(visible, unit_id=OuterRef("pk"))))
    per_charge = (
        charge_balances(units if estate is not None or visible is not None else None, as_of=as_of)
        .filter(due_date__lte=as_of)
        .annotate(
            age=DaysBetween(Value(as_of), F("due_date")),
            open_case_id=Subquery(
                covering.filter(unit_id=OuterRef("unit_id"))
                .order_by("-opened_on", "-id")
                .values("id")[:1]
            ),
        )
        .order_by()
        .values("unit_id", "age", "outstanding_fen", "open_case_id")
    )
    found = {row[0]: row[1:] for row in _rollup(per_charge, _AGING_ROLLUP)}
    buckets = []
    for index, (key, label, low, high) in enumerate(AGING_BUCKETS):
        fen, charges, unit_count, cases = found.get(index, (0, 0, 0, 0))
        buckets.append(
            AgingBucket(
                key=key,
                label=str(label),
                min_days=low,
                max_days=high,
                principal=_amount(fen),
                charges=int(charges),
                units=int(unit_count),
                cases=int(cases),
            )
        )
    return buckets


def _rollup(inner: QuerySet, outer: str) -> list[tuple]:
    """Run ``outer`` (SQL with an ``{inner}`` slot) over the SQL of ``inner``, as
    ``arrears_as_of`` does: a second level of grouping over per-row aggregates, which the
    ORM cannot express. An inner query that can match nothing gives no rows."""
    try:
        sql, params = inner.query.sql_with_params()
    except EmptyResultSet:
        return []
    connection = connections[router.db_for_read(inner.model)]
    with connection.cursor() as cursor:
        cursor.execute(outer.replace("{inner}", sql), params)
        return cursor.fetchall()


# --- 2. pipeline --------------------------------------------------------------------------


# The state machine's order: the escalation ladder, then the detours (withdrawal pending,
# installment plan, on hold), then the end states awaiting closure, then closed.
PIPELINE_ORDER: tuple[str, ...] = (
    *ESCALATION_STAGES,
    Stage.WITHDRAWAL_PENDING,
    *PAUSED_STAGES,
    Stage.SETTLED,
    Stage.WITHDRAWN,
    Stage.WRITTEN_OFF,
    Stage.CLOSED,
)


@dataclass(frozen=True)
class StageRow:
    """How many cases are at ``stage`` and the principal they owed at their last sweep."""

    stage: str
    label: str
    is_open: bool
    cases: int
    principal: Decimal


def pipeline_by_stage(*, estate=None, user=None) -> list[StageRow]:
    """Every stage in ``PIPELINE_ORDER`` (zeros included) with its number of cases and the
    sum of their ``principal_snapshot`` (the figure the daily sweep wrote, not recomputed).
    One query."""
    cases = Case.objects.all()
    if estate is not None:
        cases = cases.filter(unit__estate=estate)
    visible = _visible_cases(user)
    if visible is not None:
        cases = cases.filter(visible)
    # order_by(): the default ordering (priority) would otherwise be grouped on too.
    found = {
        stage: (count, fen)
        for stage, count, fen in cases.order_by()
        .values("stage")
        .annotate(count=Count("id"), fen=Sum(Fen("principal_snapshot")))
        .values_list("stage", "count", "fen")
    }
    rows = []
    for stage in PIPELINE_ORDER:
        count, fen = found.get(stage, (0, 0))
        rows.append(
            StageRow(
                stage=str(stage),
                label=str(Stage(stage).label),
                is_open=stage in OPEN_STAGES,
                cases=int(count),
                principal=_amount(fen),
            )
        )
    return rows


# --- 3. recovered money -------------------------------------------------------------------


@dataclass(frozen=True)
class MonthRow:
    """Money received in the month starting on ``month`` on units under a collection case."""

    month: dt.date
    amount: Decimal
    payments: int


@dataclass(frozen=True)
class CollectorRow:
    """Money received on the cases assigned to ``collector`` (None: cases nobody is
    assigned to) in the window."""

    collector_id: int | None
    collector: object | None
    name: str
    amount: Decimal
    payments: int
    cases: int


def _month_starts(as_of: dt.date, months: int) -> list[dt.date]:
    """The first days of the last ``months`` months up to ``as_of``'s, oldest first."""
    if months < 1:
        raise ValueError(f"months must be at least 1, got {months}")
    index = as_of.year * 12 + as_of.month - 1
    return [dt.date(i // 12, i % 12 + 1, 1) for i in range(index - months + 1, index + 1)]


def _recovered_payments(*, start: dt.date, as_of: dt.date, estate, user) -> QuerySet[Payment]:
    """Payments received from ``start`` to ``as_of`` on a unit while a case covered it,
    annotated with that case (``case_id``) and its collector (``case_collector_id``).

    A payment counts in full (principal, late fee or credit alike: it is money the
    collection effort brought in) when a case of its unit covers the day it was received,
    including the day the case closed. Should two cases cover that day (one closed, the
    next opened), the later-opened one takes it."""
    case_then = (
        _covering(OuterRef("paid_on"), closed_that_day=True)
        .filter(unit_id=OuterRef("unit_id"))
        .order_by("-opened_on", "-id")
    )
    payments = (
        Payment.objects.filter(paid_on__gte=start, paid_on__lte=as_of)
        .annotate(
            case_id=Subquery(case_then.values("id")[:1]),
            case_collector_id=Subquery(case_then.values("collector_id")[:1]),
        )
        .filter(case_id__isnull=False)
        .order_by()
    )
    if estate is not None:
        payments = payments.filter(unit__estate=estate)
    visible = _visible_cases(user)
    if visible is not None:
        payments = payments.filter(Exists(Case.objects.filter(visible, pk=OuterRef("case_id"))))
    return payments


def recovered_by_month(
    *, months: int = 12, as_of: dt.date | None = None, estate=None, user=None
) -> list[MonthRow]:
    """Money received per calendar month on units under a collection case, for the last
    ``months`` months up to and including ``as_of``'s month (received no later than
    ``as_of``), oldest first, months without payments included. A payment counts as
    ``_recovered_payments`` says. One query."""
    as_of = as_of or _today()
    starts = _month_starts(as_of, months)
    found = {
        _as_date(month): (fen, count)
        for month, fen, count in _recovered_payments(
            start=starts[0], as_of=as_of, estate=estate, user=user
        )
        .annotate(month=TruncMonth("paid_on"))
        .values("month")
        .annotate(fen=Sum(Fen("amount")), count=Count("id"))
        .values_list("month", "fen", "count")
    }
    rows = []
    for start in starts:
        fen, count = found.get(start, (0, 0))
        rows.append(MonthRow(month=start, amount=_amount(fen), payments=int(count)))
    return rows


def recovered_by_collector(
    *, months: int = 12, as_of: dt.date | None = None, estate=None, user=None
) -> list[CollectorRow]:
    """Money received in the same window as ``recovered_by_month`` per collector assigned to
    the case that covered the payment day, largest amount first; cases with nobody
    assigned form one row with ``collector`` None. ``cases`` counts the distinct cases
    that received money. Two queries: the figures, then the collectors."""
    as_of = as_of or _today()
    starts = _month_starts(as_of, months)
    figures = list(
        _recovered_payments(start=starts[0], as_of=as_of, estate=estate, user=user)
        .values("case_collector_id")
        .annotate(
            fen=Sum(Fen("amount")),
            count=Count("id"),
            cases=Count("case_id", distinct=True),
        )
        .values_list("case_collector_id", "fen", "count", "cases")
    )
    users = get_user_model().objects.in_bulk([row[0] for row in figures if row[0] is not None])
    rows = []
    for collector_id, fen, count, cases in figures:
        collector = users.get(collector_id)
        rows.append(
            CollectorRow(
                collector_id=collector_id,
                collector=collector,
                name=_display_name(collector) if collector is not None else str(_("Unassigned")),
                amount=_amount(fen),
                payments=int(count),
                cases=int(cases),
            )
        )
    rows.sort(key=lambda row: (-row.amount, row.collector_id is None, row.name))
    return rows


def _display_name(user) -> str:
    return user.get_full_name() or user.get_username()


def _as_date(value) -> dt.date:
    """A truncated month as the database returns it (a date, a datetime or, on SQLite,
    sometimes a string) as a date."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


# --- 4. collection rate -------------------------------------------------------------------


@dataclass(frozen=True)
class EstateRate:
    """What an estate billed (charges due up to the date) against what was paid of it."""

    estate_id: int
    name: str
    billed: Decimal
    collected: Decimal
    rate: Decimal  # percent, one decimal; 0.0 when nothing was billed


def collection_rate_by_estate(*, as_of: dt.date | None = None) -> list[EstateRate]:
    """Per estate (all of them, by name): ``billed`` is the amount of every charge due on
    or before ``as_of``; ``collected`` the part of it paid by then, i.e. principal
    allocations of payments (not waivers or corrections, not late fees) dated on or before
    ``as_of`` to those charges; ``rate`` = collected / billed in percent, rounded half up
    to 0.1, and 0.0 for an estate that billed nothing. One query."""
    as_of = as_of or _today()
    billed = (
        Charge.objects.filter(unit__estate=OuterRef("pk"), due_date__lte=as_of)
        .order_by()
        .values("unit__estate")
        .annotate(fen=Sum(Fen("amount")))
        .values("fen")
    )
    collected = (
        Allocation.objects.filter(
            charge__unit__estate=OuterRef("pk"),
            charge__due_date__lte=as_of,
            target=Allocation.Target.PRINCIPAL,
            payment__isnull=False,
            allocated_on__lte=as_of,
        )
        .order_by()
        .values("charge__unit__estate")
        .annotate(fen=Sum(Fen("amount")))
        .values("fen")
    )
    rows = []
    for estate_id, name, billed_fen, collected_fen in (
        Estate.objects.annotate(
            billed_fen=Coalesce(Subquery(billed), 0), collected_fen=Coalesce(Subquery(collected), 0)
        )
        .order_by("name", "id")
        .values_list("id", "name", "billed_fen", "collected_fen")
    ):
        billed_fen, collected_fen = int(billed_fen), int(collected_fen)
        rate = (
            (Decimal(collected_fen) * 100 / Decimal(billed_fen)).quantize(
                PERCENT, rounding=ROUND_HALF_UP
            )
            if billed_fen
            else Decimal("0.0")
        )
        rows.append(
            EstateRate(
                estate_id=estate_id,
                name=name,
                billed=_amount(billed_fen),
                collected=_amount(collected_fen),
                rate=rate,
            )
        )
    return rows


def enforcement_deadlines(
    *, within_days: int = 90, as_of: dt.date | None = None, user=None
) -> list[tuple[Case, EnforcementClock]]:
    """The cases ``user`` may see whose last day to apply for enforcement (Civil Procedure Law
    art. 250) is within ``within_days`` days or has passed, earliest first, with their clocks
    (``cases.selectors.enforcement.enforcement_at_risk``)."""
    visible = _visible_cases(user)
    cases = Case.objects.all() if visible is None else Case.objects.filter(visible)
    return enforcement_at_risk(within_days=within_days, as_of=as_of or _today(), cases=cases)
