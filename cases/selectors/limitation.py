"""Limitation clocks (诉讼时效) per charge, per case and across estates.

The rules are in ``cases.limitation`` (pure); this module reads the events that restart a
period from the database, set-based: a fixed number of queries whatever the number of cases
or units (one for the cases, one for the open charges, one per kind of event), then
``expiry_for`` per charge in Python. Every event of a unit counts, whichever of its cases
(an older, closed one too) it was recorded on. Only overdue charges with a balance > 0 get
a clock; expired ones are kept and flagged ``"expired"``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Exists, Max, Min, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from cases.db import Fen
from cases.limitation import (
    DOOR_POSTING,
    NO_EVENT_LABEL,
    NOBODY_REACHED,
    PROMISE_MIN_GRADE,
    REFUSED,
    SERVED,
    Level,
    RestartEvent,
    RestartKind,
    contact_counts_as_promise,
    days_left,
    delivery_proven_served,
    demand_proven_served,
    expiry_for,
    level_for,
)
from cases.models import (
    Case,
    ChargeItem,
    ContactAttachment,
    ContactAttempt,
    Delivery,
    Estate,
    InstallmentPlan,
    Payment,
    Stage,
    Unit,
)
from cases.selectors.ledger import FEN, charge_balances, money

AGREED_PLAN_STATUSES = (
    InstallmentPlan.Status.SIGNED,
    InstallmentPlan.Status.COMPLETED,
    InstallmentPlan.Status.DEFAULTED,
)


@dataclass(frozen=True)
class ChargeClock:
    """The limitation clock of one unpaid charge on ``as_of``."""

    charge_id: int
    unit_id: int
    item: str
    item_label: str
    period: dt.date  # the first day of the billing period
    due_on: dt.date
    balance: Decimal
    expires_on: dt.date  # the last day the charge can be claimed in time
    event_kind: str  # a RestartKind value, or "" when nothing interrupted the period
    event_label: str
    event_on: dt.date | None
    days_left: int  # 0 on the last day, negative once time-barred
    level: str  # "ok", "90", "30", "7" or "expired"

    @property
    def expired(self) -> bool:
        return self.level == Level.EXPIRED


@dataclass(frozen=True)
class CaseClock:
    """The earliest clock of a case's unit, and what is at risk."""

    case_id: int
    expires_on: dt.date
    days_left: int
    level: str
    amount_at_risk: Decimal  # balances of charges within 90 days of expiry or expired
    expired_amount: Decimal  # balances already time-barred
    charges_at_risk: int


@dataclass(frozen=True)
class AtRiskRow:
    """One line of the limitation report."""

    case: Case | None  # the unit's open case, if any
    unit: Unit
    clock: ChargeClock

    charge_id = property(lambda self: self.clock.charge_id)
    item_label = property(lambda self: self.clock.item_label)
    period = property(lambda self: self.clock.period)
    due_on = property(lambda self: self.clock.due_on)
    balance = property(lambda self: self.clock.balance)
    expires_on = property(lambda self: self.clock.expires_on)
    days_left = property(lambda self: self.clock.days_left)
    level = property(lambda self: self.clock.level)
    event_label = property(lambda self: self.clock.event_label)
    event_on = property(lambda self: self.clock.event_on)


def _local_date(value: dt.datetime) -> dt.date:
    return timezone.localtime(value).date()


def _restrict(qs: QuerySet, field: str, units) -> QuerySet:
    return qs if units is None else qs.filter(**{f"{field}__in": units})


def restart_events_by_unit(units, *, as_of: dt.date) -> dict[int, list[RestartEvent]]:
    """Every event up to ``as_of`` that restarts a period, per unit id (five queries).
    ``units``: unit ids, a queryset of units, or None for every unit."""
    events: dict[int, list[RestartEvent]] = defaultdict(list)

    # Demands proven delivered and promises with proof, from the contact log. The filter
    # narrows in SQL to contacts with some stored proof; the pure rules decide.
    attached = ContactAttachment.objects.filter(contact=OuterRef("pk"))
    file_kinds = ContactAttachment.Kind.values
    contacts = (
        _restrict(ContactAttempt.objects.order_by(), "case__unit", units)
        .annotate(
            day=TruncDate("occurred_at", tzinfo=timezone.get_current_timezone()),
            has_attachment=Exists(attached),
            **{f"file_{kind}": Exists(attached.filter(kind=kind)) for kind in file_kinds},
        )
        .filter(day__lte=as_of)
        .filter(
            (
                ~Q(channel=DOOR_POSTING)
                & ~Q(outcome__in=NOBODY_REACHED)
                & (Q(has_attachment=True) | ~Q(tracking_status="") | ~Q(sms_report_ref=""))
            )
            | (
                Q(outcome="promised")
                & (Q(proof_grade__gte=PROMISE_MIN_GRADE) | Q(has_attachment=True))
            )
        )
        .values(
            "case__unit_id",
            "id",
            "day",
            "channel",
            "outcome",
            "proof_grade",
            "has_attachment",
            "tracking_status",
            "sms_report_ref",
            *(f"file_{kind}" for kind in file_kinds),
        )
    )
    for row in contacts:
        unit_id, pk, day = row["case__unit_id"], row["id"], row["day"]
        day = day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day)[:10])
        if contact_counts_as_promise(
            outcome=row["outcome"],
            proof_grade=row["proof_grade"],
            has_attachment=row["has_attachment"],
        ):
            events[unit_id].append(RestartEvent(RestartKind.PROMISE, day, f"contact {pk}"))
        elif demand_proven_served(
            channel=row["channel"],
            outcome=row["outcome"],
            file_kinds=[kind for kind in file_kinds if row[f"file_{kind}"]],
            tracking_status=row["tracking_status"],
            sms_delivered=bool(row["sms_report_ref"]),
        ):
            events[unit_id].append(RestartEvent(RestartKind.DEMAND_DELIVERED, day, f"contact {pk}"))

    deliveries = (
        _restrict(Delivery.objects.order_by(), "case__unit", units)
        .filter(delivered_on__lte=as_of, status__in=[*SERVED, REFUSED])
        .exclude(method=DOOR_POSTING)
        .values_list(
            "case__unit_id", "id", "delivered_on", "status", "method", "proof_id", "tracking_status"
        )
    )
    for unit_id, pk, day, status, method, proof_id, tracking in deliveries:
        if delivery_proven_served(
            method=method,
            status=status,
            has_proof_file=proof_id is not None,
            tracking_status=tracking,
        ):
            events[unit_id].append(
                RestartEvent(RestartKind.DEMAND_DELIVERED, day, f"delivery {pk}")
            )

    # One event per payment day (several payments on one day are one acknowledgement).
    payments = (
        _restrict(Payment.objects.order_by(), "unit", units)
        .filter(paid_on__lte=as_of)
        .values("unit_id", "paid_on")
        .annotate(first=Min("id"))
        .values_list("unit_id", "first", "paid_on")
    )
    for unit_id, pk, day in payments:
        events[unit_id].append(RestartEvent(RestartKind.PARTIAL_PAYMENT, day, f"payment {pk}"))

    # The owner's signature is the acknowledgement, never the manager's approval.
    plans = (
        _restrict(InstallmentPlan.objects.order_by(), "case__unit", units)
        .filter(status__in=AGREED_PLAN_STATUSES, signed_on__isnull=False, signed_on__lte=as_of)
        .values_list("case__unit_id", "id", "signed_on")
    )
    for unit_id, pk, signed_on in plans:
        events[unit_id].append(
            RestartEvent(RestartKind.INSTALLMENT_AGREEMENT, signed_on, f"plan {pk}")
        )

    filings = (
        _restrict(Case.objects.order_by(), "unit", units)
        .filter(filed_on__isnull=False, filed_on__lte=as_of)
        .values_list("unit_id", "id", "filed_on")
    )
    for unit_id, pk, day in filings:
        events[unit_id].append(RestartEvent(RestartKind.LITIGATION, day, f"case {pk}"))
    return events


def clocks_by_unit(units, *, as_of: dt.date) -> dict[int, list[ChargeClock]]:
    """The clock of every overdue charge with a balance, per unit id, earliest expiry first
    (six queries). ``units``: unit ids, a queryset of units, or None for every unit."""
    rows = list(
        charge_balances(units, as_of=as_of)
        .filter(due_date__lt=as_of, outstanding_fen__gt=0)
        .order_by()
        .values_list("id", "unit_id", "item", "period_start", "due_date", "outstanding_fen")
    )
    if not rows:
        return {}
    events = restart_events_by_unit(units, as_of=as_of)
    out: dict[int, list[ChargeClock]] = defaultdict(list)
    for charge_id, unit_id, item, period, due_on, fen in rows:
        expires, event = expiry_for(due_on, events.get(unit_id, ()))
        left = days_left(expires, as_of)
        out[unit_id].append(
            ChargeClock(
                charge_id=charge_id,
                unit_id=unit_id,
                item=item,
                item_label=str(ChargeItem(item).label) if item in ChargeItem.values else item,
                period=period,
                due_on=due_on,
                balance=money(Decimal(fen) / FEN),
                expires_on=expires,
                event_kind=event.kind if event else "",
                event_label=event.label if event else str(NO_EVENT_LABEL),
                event_on=event.on if event else None,
                days_left=left,
                level=level_for(left),
            )
        )
    for clocks in out.values():
        clocks.sort(key=lambda c: (c.expires_on, c.due_on, c.charge_id))
    return dict(out)


def charge_clocks(case: Case, *, as_of: dt.date | None = None) -> list[ChargeClock]:
    """The clock of each unpaid overdue charge of the case's unit, earliest expiry first."""
    as_of = as_of or timezone.localdate()
    return clocks_by_unit([case.unit_id], as_of=as_of).get(case.unit_id, [])


def _case_clock(case_id: int, clocks: list[ChargeClock]) -> CaseClock:
    first = clocks[0]
    at_risk = [c for c in clocks if c.level != Level.OK]
    return CaseClock(
        case_id=case_id,
        expires_on=first.expires_on,
        days_left=first.days_left,
        level=first.level,
        amount_at_risk=sum((c.balance for c in at_risk), Decimal(0)),
        expired_amount=sum((c.balance for c in clocks if c.expired), Decimal(0)),
        charges_at_risk=len(at_risk),
    )


def earliest_expiry_by_case(
    case_ids: Iterable[int], *, as_of: dt.date | None = None
) -> dict[int, CaseClock]:
    """The earliest limitation clock of each case (of its unit's unpaid charges), keyed by
    case id; cases whose unit owes nothing overdue are absent. Seven queries, however many
    cases."""
    as_of = as_of or timezone.localdate()
    ids = list(case_ids)
    if not ids:
        return {}
    unit_of = dict(Case.objects.filter(pk__in=ids).order_by().values_list("id", "unit_id"))
    clocks = clocks_by_unit(sorted(set(unit_of.values())), as_of=as_of)
    return {
        case_id: _case_clock(case_id, clocks[unit_id])
        for case_id, unit_id in unit_of.items()
        if clocks.get(unit_id)
    }


def at_risk_report(
    *,
    as_of: dt.date | None = None,
    within_days: int = 90,
    estate: Estate | None = None,
    units: QuerySet[Unit] | None = None,
) -> list[AtRiskRow]:
    """Every unpaid charge whose period ends within ``within_days`` days, expired ones
    included, earliest first, with its unit and the unit's open case (if any); of ``units``
    (or the ``estate``'s, or every unit)."""
    if within_days < 0:
        raise ValueError(f"within_days must not be negative: {within_days}")
    as_of = as_of or timezone.localdate()
    if estate is not None:
        units = (units if units is not None else Unit.objects.all()).filter(estate=estate)
    clocks = clocks_by_unit(units, as_of=as_of)
    due = {
        unit_id: [c for c in unit_clocks if c.days_left <= within_days]
        for unit_id, unit_clocks in clocks.items()
    }
    due = {unit_id: rows for unit_id, rows in due.items() if rows}
    if not due:
        return []
    unit_rows = Unit.objects.select_related("estate").in_bulk(list(due))
    open_cases = {
        case.unit_id: case
        for case in Case.objects.filter(unit_id__in=list(due))
        .exclude(stage=Stage.CLOSED)
        .select_related("unit__estate")
    }
    rows = [
        AtRiskRow(case=open_cases.get(unit_id), unit=unit_rows[unit_id], clock=clock)
        for unit_id, unit_clocks in due.items()
        for clock in unit_clocks
    ]
    rows.sort(key=lambda r: (r.clock.expires_on, r.unit.estate.name, r.unit.label, r.clock.due_on))
    return rows


@dataclass(frozen=True)
class LevelSummary:
    """Open cases whose earliest limitation expiry falls in one warning level, from the
    nightly snapshot (``cases.services.limitation.limitation_snapshot``)."""

    level: str
    label: str
    cases: int
    amount_at_risk: Decimal  # balances of their charges within 90 days of expiry or past it


def cases_at_risk(*, as_of: dt.date | None = None, within_days: int = 90) -> QuerySet[Case]:
    """Open cases whose snapshot says a charge expires within ``within_days`` days (or has)."""
    as_of = as_of or timezone.localdate()
    return Case.objects.exclude(stage=Stage.CLOSED).filter(
        limitation_expires_on__lte=as_of + dt.timedelta(days=within_days)
    )


def limitation_summary(
    *, as_of: dt.date | None = None, cases: QuerySet[Case] | None = None
) -> tuple[list[LevelSummary], dt.date | None]:
    """Per warning level (time-barred, 7, 30, 90 days), the open cases whose earliest
    expiry falls in it and their amounts at risk, in one query over the nightly snapshot;
    and the day the snapshot was taken (None: never)."""
    as_of = as_of or timezone.localdate()
    cases = (cases if cases is not None else Case.objects.all()).exclude(stage=Stage.CLOSED)
    bounds = {
        Level.EXPIRED: Q(limitation_expires_on__lt=as_of),
        Level.D7: Q(limitation_expires_on__gte=as_of)
        & Q(limitation_expires_on__lte=as_of + dt.timedelta(days=7)),
        Level.D30: Q(limitation_expires_on__gt=as_of + dt.timedelta(days=7))
        & Q(limitation_expires_on__lte=as_of + dt.timedelta(days=30)),
        Level.D90: Q(limitation_expires_on__gt=as_of + dt.timedelta(days=30))
        & Q(limitation_expires_on__lte=as_of + dt.timedelta(days=90)),
    }
    figures = cases.aggregate(
        checked_on=Max("limitation_checked_on"),
        **{f"n_{level.value}": Count("id", filter=q) for level, q in bounds.items()},
        **{
            f"fen_{level.value}": Sum(Fen("limitation_at_risk"), filter=q)
            for level, q in bounds.items()
        },
    )
    rows = [
        LevelSummary(
            level=level.value,
            label=str(level.label),
            cases=figures[f"n_{level.value}"] or 0,
            amount_at_risk=money(Decimal(figures[f"fen_{level.value}"] or 0) / FEN),
        )
        for level in bounds
    ]
    return rows, figures["checked_on"]
