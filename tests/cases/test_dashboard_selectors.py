"""The managers' dashboard figures: exact amounts at every boundary, zero rows kept for the
charts, collectors seeing only their own cases, and a query count that does not grow with
the number of cases."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import Adjustment, Case, ChargeItem, Stage
from cases.selectors.dashboard import (
    AGING_BUCKETS,
    PIPELINE_ORDER,
    arrears_aging,
    collection_rate_by_estate,
    pipeline_by_stage,
    recovered_by_collector,
    recovered_by_month,
)
from cases.services.case import case_open, system_user
from cases.services.ledger import adjustment_record, payment_record
from tests.factories import EstateFactory, UnitFactory, charge_for

pytestmark = pytest.mark.django_db

D = dt.date
AS_OF = D(2026, 6, 30)


def days_ago(n: int) -> dt.date:
    return AS_OF - dt.timedelta(days=n)


LONG_AGO = days_ago(400)


def open_case(unit, *, on=LONG_AGO, collector=None, **fields) -> Case:
    """A case opened through ``case_open``, then given ``fields`` (stage, closed_on,
    principal_snapshot) with a queryset update: a setup shortcut."""
    case = case_open(unit, actor=system_user(), on=on, collector=collector)
    if fields:
        Case.objects.filter(pk=case.pk).update(**fields)
    return Case.objects.get(pk=case.pk)


def pay(unit, amount: str, on: dt.date):
    return payment_record(unit, amount=Decimal(amount), paid_on=on)


def by_key(buckets):
    return {b.key: b for b in buckets}


# --- arrears aging ------------------------------------------------------------------------


# One charge per unit, aged exactly at each side of each boundary.
AGED = [
    (0, "100.01", "0-30"),  # due on as_of: 0 days old
    (30, "200.02", "0-30"),
    (31, "400.00", "31-90"),
    (90, "800.00", "31-90"),
    (91, "1600.00", "91-180"),
    (180, "3200.00", "91-180"),
    (181, "10.00", "181-365"),
    (365, "20.00", "181-365"),
    (366, "5000.55", "365+"),
]


@pytest.fixture
def aged(evidence_store):
    estate = EstateFactory()
    units = {}
    for age, amount, _key in AGED:
        unit = UnitFactory(estate=estate)
        charge_for(unit, amount, due_date=days_ago(age))
        units[age] = unit
    return estate, units


def test_aging_puts_each_charge_in_its_bucket_at_every_boundary(aged):
    buckets = by_key(arrears_aging(as_of=AS_OF))

    assert [b.key for b in arrears_aging(as_of=AS_OF)] == [key for key, *_ in AGING_BUCKETS]
    assert {key: b.principal for key, b in buckets.items()} == {
        "0-30": Decimal("300.03"),
        "31-90": Decimal("1200.00"),
        "91-180": Decimal("4800.00"),
        "181-365": Decimal("30.00"),
        "365+": Decimal("5000.55"),
    }
    assert {key: (b.charges, b.units, b.cases) for key, b in buckets.items()} == {
        key: (2, 2, 0) if key != "365+" else (1, 1, 0) for key in buckets
    }
    assert (buckets["31-90"].min_days, buckets["31-90"].max_days) == (31, 90)
    assert (buckets["365+"].min_days, buckets["365+"].max_days) == (366, None)
    assert buckets["0-30"].label == "0–30 days"


@pytest.mark.parametrize(("age", "amount", "key"), AGED)
def test_a_charge_of_each_boundary_age_lands_in_one_bucket(evidence_store, age, amount, key):
    estate = EstateFactory()
    charge_for(UnitFactory(estate=estate), amount, due_date=days_ago(age))

    buckets = arrears_aging(as_of=AS_OF, estate=estate)

    assert {b.key: b.principal for b in buckets if b.principal} == {key: Decimal(amount)}
    assert [b.units for b in buckets].count(1) == 1


def test_aging_excludes_charges_not_yet_due_and_counts_only_what_is_still_owed(evidence_store):
    estate = EstateFactory()
    not_due = UnitFactory(estate=estate)
    charge_for(not_due, "999.00", due_date=AS_OF + dt.timedelta(days=1))
    part_paid = UnitFactory(estate=estate)
    charge_for(part_paid, "1000.00", due_date=days_ago(100))
    pay(part_paid, "250.50", days_ago(50))
    pay(part_paid, "100.00", AS_OF + dt.timedelta(days=1))  # after as_of: not counted
    waived = UnitFactory(estate=estate)
    charge = charge_for(waived, "500.00", due_date=days_ago(10))
    user_model = get_user_model()
    adjustment_record(
        waived,
        kind=Adjustment.Kind.PRINCIPAL_WAIVER,
        amount=Decimal("120.00"),
        effective_on=days_ago(5),
        reason_category=Adjustment.ReasonCategory.HARDSHIP,
        reason="hardship",
        requested_by=user_model.objects.create(username="asker"),
        approved_by=user_model.objects.create(username="approver"),
        charge=charge,
    )
    paid_off = UnitFactory(estate=estate)
    charge_for(paid_off, "80.00", due_date=days_ago(200))
    pay(paid_off, "80.00", days_ago(190))

    buckets = by_key(arrears_aging(as_of=AS_OF, estate=estate))

    assert buckets["0-30"].principal == Decimal("380.00")
    assert buckets["91-180"].principal == Decimal("749.50")
    assert buckets["181-365"].principal == Decimal("0.00")
    assert buckets["181-365"].units == 0  # paid off: not a unit in arrears
    assert sum(b.units for b in buckets.values()) == 2


def test_aging_by_estate_and_for_a_collector_counts_units_and_cases(evidence_store, people):
    estate, other_estate = EstateFactory(), EstateFactory()
    mine = UnitFactory(estate=estate)
    charge_for(mine, "100.00", due_date=days_ago(40))
    charge_for(mine, "50.00", due_date=days_ago(45), item=ChargeItem.WATER)
    charge_for(mine, "70.00", due_date=days_ago(400), item=ChargeItem.PARKING)
    open_case(mine, on=days_ago(30), collector=people.collector)
    theirs = UnitFactory(estate=estate)
    charge_for(theirs, "300.00", due_date=days_ago(60))
    open_case(theirs, on=days_ago(30), collector=people.other_collector)
    elsewhere = UnitFactory(estate=other_estate)
    charge_for(elsewhere, "1000.00", due_date=days_ago(60))
    closed = UnitFactory(estate=estate)  # its case closed: arrears count, the case does not
    charge_for(closed, "5.00", due_date=days_ago(60))
    open_case(closed, collector=people.collector, stage=Stage.CLOSED, closed_on=days_ago(1))

    everything = by_key(arrears_aging(as_of=AS_OF, user=people.manager))
    estate_only = by_key(arrears_aging(as_of=AS_OF, estate=estate))
    collector_only = by_key(arrears_aging(as_of=AS_OF, user=people.collector))

    assert everything["31-90"].principal == Decimal("1455.00")
    assert (everything["31-90"].units, everything["31-90"].cases) == (4, 2)
    assert everything["31-90"].charges == 5
    assert estate_only["31-90"].principal == Decimal("455.00")
    assert collector_only["31-90"].principal == Decimal("150.00")
    assert (collector_only["31-90"].units, collector_only["31-90"].cases) == (1, 1)
    assert collector_only["365+"].principal == Decimal("70.00")
    assert collector_only["0-30"].principal == Decimal("0.00")


def test_aging_amounts_are_decimal_to_the_cent(aged):
    for bucket in arrears_aging(as_of=AS_OF):
        assert type(bucket.principal) is Decimal
        assert bucket.principal.as_tuple().exponent == -2
        assert type(bucket.units) is int


def test_aging_defaults_to_today(evidence_store, frozen_clock):
    today = timezone.localdate()
    unit = UnitFactory()
    charge_for(unit, "10.00", due_date=today - dt.timedelta(days=31))

    assert by_key(arrears_aging())["31-90"].principal == Decimal("10.00")


# --- pipeline -----------------------------------------------------------------------------


def test_pipeline_lists_every_stage_in_order_with_counts_and_principal(evidence_store, people):
    estate = EstateFactory()
    for stage, principal, collector in [
        (Stage.NEW, "100.10", people.collector),
        (Stage.NEW, "200.20", people.other_collector),
        (Stage.LAWYER_LETTER, "5000.00", people.collector),
        (Stage.ON_HOLD, "42.00", None),
        (Stage.CLOSED, "0.00", people.collector),
    ]:
        open_case(
            UnitFactory(estate=estate),
            collector=collector,
            stage=stage,
            principal_snapshot=Decimal(principal),
        )
    open_case(UnitFactory(), stage=Stage.NEW, principal_snapshot=Decimal("7.00"))  # elsewhere

    rows = pipeline_by_stage(estate=estate)

    assert [r.stage for r in rows] == [str(s) for s in PIPELINE_ORDER]
    assert sorted(PIPELINE_ORDER) == sorted(Stage)
    assert rows[-1].stage == Stage.CLOSED and not rows[-1].is_open
    assert all(r.is_open for r in rows[:-1])
    figures = {r.stage: (r.cases, r.principal) for r in rows}
    assert figures[Stage.NEW] == (2, Decimal("300.30"))
    assert figures[Stage.LAWYER_LETTER] == (1, Decimal("5000.00"))
    assert figures[Stage.ON_HOLD] == (1, Decimal("42.00"))
    assert figures[Stage.CLOSED] == (1, Decimal("0.00"))
    assert figures[Stage.LITIGATION] == (0, Decimal("0.00"))
    assert type(figures[Stage.LITIGATION][1]) is Decimal
    assert sum(r.cases for r in rows) == 5
    assert rows[0].label == str(Stage.NEW.label)

    all_estates = {r.stage: (r.cases, r.principal) for r in pipeline_by_stage()}
    assert all_estates[Stage.NEW] == (3, Decimal("307.30"))

    mine = {r.stage: (r.cases, r.principal) for r in pipeline_by_stage(user=people.collector)}
    assert mine[Stage.NEW] == (1, Decimal("100.10"))
    assert mine[Stage.LAWYER_LETTER] == (1, Decimal("5000.00"))
    assert mine[Stage.ON_HOLD] == (0, Decimal("0.00"))
    assert len(mine) == len(Stage)


def test_an_anonymous_user_sees_nothing_but_gets_every_row(evidence_store, people):
    unit = UnitFactory()
    charge_for(unit, "100.00", due_date=days_ago(10))
    open_case(unit, principal_snapshot=Decimal("100.00"))
    pay(unit, "1.00", days_ago(1))
    nobody = AnonymousUser()

    assert [b.principal for b in arrears_aging(as_of=AS_OF, user=nobody)] == [Decimal("0.00")] * 5
    assert {(r.cases, r.principal) for r in pipeline_by_stage(user=nobody)} == {
        (0, Decimal("0.00"))
    }
    assert {r.amount for r in recovered_by_month(as_of=AS_OF, user=nobody)} == {Decimal("0.00")}
    assert recovered_by_collector(as_of=AS_OF, user=nobody) == []
    assert by_key(arrears_aging(as_of=AS_OF))["0-30"].principal == Decimal("99.00")


# --- recovered ----------------------------------------------------------------------------


@pytest.fixture
def recoveries(evidence_store, people):
    """Payments around two collectors' cases, as of 2026-06-30, four months March–June:

    A (collector): case opened 03-10. Paid 03-05 (before: no), 03-10 100.00, 05-02 50.00,
      05-20 25.50, 06-30 10.00, 07-01 (after as_of: no). April: nothing anywhere.
    B (other collector): case opened 01-01, closed 05-15. Paid 02-20 (case open, but before a
      four-month window),
      05-15 300.00 (the closing day: yes), 06-01 (after it closed: no).
    C (no collector): case opened 06-01, paid 06-02 7.00.
    D: no case. Paid 05-05 999.00: not recovered.
    """
    estate = EstateFactory()
    units = {label: UnitFactory(estate=estate) for label in "ABCD"}
    for unit in units.values():
        charge_for(unit, "100000.00", due_date=D(2025, 12, 31))
    open_case(units["A"], on=D(2026, 3, 10), collector=people.collector)
    open_case(
        units["B"],
        on=D(2026, 1, 1),
        collector=people.other_collector,
        stage=Stage.CLOSED,
        closed_on=D(2026, 5, 15),
    )
    open_case(units["C"], on=D(2026, 6, 1))
    for label, amount, on in [
        ("A", "1.00", D(2026, 3, 5)),
        ("A", "100.00", D(2026, 3, 10)),
        ("A", "50.00", D(2026, 5, 2)),
        ("A", "25.50", D(2026, 5, 20)),
        ("A", "10.00", D(2026, 6, 30)),
        ("A", "2.00", D(2026, 7, 1)),
        ("B", "3.00", D(2026, 2, 20)),
        ("B", "300.00", D(2026, 5, 15)),
        ("B", "4.00", D(2026, 6, 1)),
        ("C", "7.00", D(2026, 6, 2)),
        ("D", "999.00", D(2026, 5, 5)),
    ]:
        pay(units[label], amount, on)
    return estate


def test_recovered_by_month_includes_empty_months_oldest_first(recoveries):
    rows = recovered_by_month(months=4, as_of=AS_OF, estate=recoveries)

    assert [(r.month, r.amount, r.payments) for r in rows] == [
        (D(2026, 3, 1), Decimal("100.00"), 1),
        (D(2026, 4, 1), Decimal("0.00"), 0),
        (D(2026, 5, 1), Decimal("375.50"), 3),
        (D(2026, 6, 1), Decimal("17.00"), 2),
    ]
    assert all(type(r.amount) is Decimal for r in rows)


def test_recovered_by_month_window_and_visibility(recoveries, people):
    twelve = recovered_by_month(as_of=AS_OF)
    assert len(twelve) == 12
    assert twelve[0].month == D(2025, 7, 1) and twelve[-1].month == D(2026, 6, 1)
    assert twelve[-8].month == D(2025, 11, 1) and twelve[-8].amount == Decimal("0.00")
    # February's payment on B (case open) falls outside a four-month window but inside twelve.
    assert twelve[-5].month == D(2026, 2, 1) and twelve[-5].amount == Decimal("3.00")

    mine = recovered_by_month(months=4, as_of=AS_OF, user=people.collector)
    assert [r.amount for r in mine] == [
        Decimal("100.00"),
        Decimal("0.00"),
        Decimal("75.50"),
        Decimal("10.00"),
    ]
    assert [
        r.amount for r in recovered_by_month(months=4, as_of=AS_OF, estate=EstateFactory())
    ] == [Decimal("0.00")] * 4
    # Crossing a year: months are calendar months.
    january = recovered_by_month(months=2, as_of=D(2026, 1, 15))
    assert [r.month for r in january] == [D(2025, 12, 1), D(2026, 1, 1)]
    with pytest.raises(ValueError, match="months"):
        recovered_by_month(months=0, as_of=AS_OF)


def test_recovered_by_collector(recoveries, people):
    rows = recovered_by_collector(months=4, as_of=AS_OF, estate=recoveries)

    assert [(r.collector, r.amount, r.payments, r.cases) for r in rows] == [
        (people.other_collector, Decimal("300.00"), 1, 1),
        (people.collector, Decimal("185.50"), 4, 1),
        (None, Decimal("7.00"), 1, 1),
    ]
    assert rows[0].collector_id == people.other_collector.pk
    assert rows[0].name == people.other_collector.username
    assert rows[-1].name == "Unassigned"
    assert all(type(r.amount) is Decimal for r in rows)

    mine = recovered_by_collector(months=4, as_of=AS_OF, user=people.collector)
    assert [(r.collector, r.amount) for r in mine] == [(people.collector, Decimal("185.50"))]


def test_a_new_case_on_the_day_the_old_one_closed_takes_the_payment(evidence_store, people):
    unit = UnitFactory()
    charge_for(unit, "1000.00", due_date=D(2025, 12, 31))
    open_case(
        unit,
        on=D(2026, 1, 1),
        collector=people.other_collector,
        stage=Stage.CLOSED,
        closed_on=D(2026, 6, 10),
    )
    open_case(unit, on=D(2026, 6, 10), collector=people.collector)
    pay(unit, "40.00", D(2026, 6, 10))

    rows = recovered_by_collector(months=1, as_of=AS_OF)

    assert [(r.collector, r.amount, r.payments) for r in rows] == [
        (people.collector, Decimal("40.00"), 1)
    ]
    assert recovered_by_month(months=1, as_of=AS_OF)[0].amount == Decimal("40.00")


# --- collection rate ----------------------------------------------------------------------


def test_collection_rate_per_estate(evidence_store):
    a = EstateFactory(name="A Garden")
    b = EstateFactory(name="B Garden")  # bills nothing
    c = EstateFactory(name="C Garden")
    u1, u2 = UnitFactory(estate=a), UnitFactory(estate=a)
    charge_for(u1, "1000.00", due_date=D(2026, 3, 31))
    charge_for(u2, "2000.00", due_date=D(2026, 4, 30))
    charge_for(u2, "500.00", due_date=D(2026, 7, 31), item=ChargeItem.WATER)  # not yet due
    pay(u1, "1000.00", D(2026, 4, 5))
    pay(u2, "333.33", D(2026, 5, 5))
    pay(u2, "50.00", D(2026, 7, 2))  # after as_of
    user_model = get_user_model()
    adjustment_record(  # a waiver is not money collected
        u2,
        kind=Adjustment.Kind.PRINCIPAL_WAIVER,
        amount=Decimal("100.00"),
        effective_on=D(2026, 5, 6),
        reason_category=Adjustment.ReasonCategory.HARDSHIP,
        reason="hardship",
        requested_by=user_model.objects.create(username="asker"),
        approved_by=user_model.objects.create(username="approver"),
    )
    u3 = UnitFactory(estate=c)
    charge_for(u3, "300.00", due_date=AS_OF)  # due on as_of: billed
    pay(u3, "100.00", AS_OF)

    rows = collection_rate_by_estate(as_of=AS_OF)

    assert [(r.name, r.billed, r.collected, r.rate) for r in rows] == [
        ("A Garden", Decimal("3000.00"), Decimal("1333.33"), Decimal("44.4")),
        ("B Garden", Decimal("0.00"), Decimal("0.00"), Decimal("0.0")),
        ("C Garden", Decimal("300.00"), Decimal("100.00"), Decimal("33.3")),
    ]
    assert rows[0].estate_id == a.pk and rows[1].estate_id == b.pk
    for row in rows:
        assert type(row.billed) is Decimal and type(row.collected) is Decimal
        assert type(row.rate) is Decimal and row.rate.as_tuple().exponent == -1


def test_collection_rate_rounds_half_up_to_a_tenth(evidence_store):
    estate = EstateFactory()
    unit = UnitFactory(estate=estate)
    charge_for(unit, "2000.00", due_date=D(2026, 1, 31))
    pay(unit, "1.00", D(2026, 2, 1))  # 0.05 % → 0.1

    (row,) = collection_rate_by_estate(as_of=AS_OF)

    assert row.rate == Decimal("0.1")


# --- query counts -------------------------------------------------------------------------


def _add_cases(estate, people, n: int) -> None:
    for i in range(n):
        unit = UnitFactory(estate=estate)
        charge_for(unit, "1000.00", due_date=days_ago(20 + 60 * (i % 8)))
        collector = (people.collector, people.other_collector, None)[i % 3]
        open_case(unit, on=days_ago(300), collector=collector, principal_snapshot=Decimal(1000))
        pay(unit, "10.00", days_ago(15 * (i % 10)))


def _query_counts(people) -> dict[str, int]:
    user_model = get_user_model()
    counts = {}
    calls = {
        "aging": lambda manager, collector: arrears_aging(as_of=AS_OF),
        "aging_collector": lambda manager, collector: arrears_aging(as_of=AS_OF, user=collector),
        "pipeline": lambda manager, collector: pipeline_by_stage(user=manager),
        "pipeline_collector": lambda manager, collector: pipeline_by_stage(user=collector),
        "by_month": lambda manager, collector: recovered_by_month(as_of=AS_OF),
        "by_month_collector": lambda m, collector: recovered_by_month(as_of=AS_OF, user=collector),
        "by_collector": lambda manager, collector: recovered_by_collector(as_of=AS_OF),
        "rate": lambda manager, collector: collection_rate_by_estate(as_of=AS_OF),
    }
    for name, call in calls.items():
        # Fresh user objects: their roles are read (one query) on first use.
        manager = user_model.objects.get(pk=people.manager.pk)
        collector = user_model.objects.get(pk=people.collector.pk)
        with CaptureQueriesContext(connection) as captured:
            call(manager, collector)
        counts[name] = len(captured)
    return counts


def test_each_selector_runs_a_fixed_number_of_queries(evidence_store, people):
    estate = EstateFactory()
    _add_cases(estate, people, 3)
    few = _query_counts(people)

    _add_cases(estate, people, 27)
    EstateFactory()  # another estate, billing nothing
    many = _query_counts(people)

    assert many == few
    assert few == {
        "aging": 2,  # + whether any signed plan suspends late fees (cases.selectors.ledger)
        "aging_collector": 3,  # + the user's roles
        "pipeline": 2,
        "pipeline_collector": 2,
        "by_month": 1,
        "by_month_collector": 2,
        "by_collector": 2,  # the figures, then the collectors' names
        "rate": 1,
    }
