"""The nightly limitation snapshot: what it writes on each open case, that it matches the
live clocks, that a second run writes nothing, and the dashboard summary it feeds."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import Case, Stage
from cases.selectors.limitation import earliest_expiry_by_case, limitation_summary
from cases.services.case import case_open, system_user
from cases.services.limitation import limitation_snapshot
from tests.factories import EstateFactory, UnitFactory, charge_for

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 11, 28)


@pytest.fixture
def cases():
    estate = EstateFactory()
    actor = system_user()
    made = {}
    for name, due, amount in [
        ("expired", dt.date(2023, 6, 30), "1000.00"),  # expired 2026-06-30
        ("in_5_days", dt.date(2023, 12, 3), "200.00"),  # last day 2026-12-03
        ("in_20_days", dt.date(2023, 12, 18), "300.00"),
        ("in_60_days", dt.date(2024, 1, 27), "400.00"),
        ("safe", dt.date(2025, 6, 30), "500.00"),
    ]:
        unit = UnitFactory(estate=estate)
        charge_for(unit, amount, due_date=due)
        made[name] = case_open(unit, actor=actor, on=dt.date(2026, 1, 5))
    return made


def test_the_snapshot_matches_the_live_clocks_and_is_idempotent(cases):
    report = limitation_snapshot(as_of=AS_OF)
    assert (report.checked, report.changed) == (5, 5)
    live = earliest_expiry_by_case([c.pk for c in cases.values()], as_of=AS_OF)
    for case in cases.values():
        stored = Case.objects.get(pk=case.pk)
        assert stored.limitation_checked_on == AS_OF
        assert stored.limitation_expires_on == live[case.pk].expires_on
        assert stored.limitation_at_risk == live[case.pk].amount_at_risk
    assert Case.objects.get(pk=cases["expired"].pk).limitation_expires_on == dt.date(2026, 6, 30)
    assert Case.objects.get(pk=cases["safe"].pk).limitation_at_risk == Decimal("0.00")
    assert limitation_snapshot(as_of=AS_OF).changed == 0
    # Next day every row is checked again.
    assert limitation_snapshot(as_of=AS_OF + dt.timedelta(days=1)).changed == 5


def test_the_summary_sorts_cases_by_their_earliest_expiry(cases):
    limitation_snapshot(as_of=AS_OF)
    rows, checked_on = limitation_summary(as_of=AS_OF)
    assert checked_on == AS_OF
    by_level = {row.level: (row.cases, row.amount_at_risk) for row in rows}
    assert by_level == {
        "expired": (1, Decimal("1000.00")),
        "7": (1, Decimal("200.00")),
        "30": (1, Decimal("300.00")),
        "90": (1, Decimal("400.00")),
    }
    assert all(isinstance(row.amount_at_risk, Decimal) for row in rows)


def test_closed_cases_leave_the_summary(cases):
    limitation_snapshot(as_of=AS_OF)
    Case.objects.filter(pk=cases["expired"].pk).update(stage=Stage.CLOSED)
    rows, _day = limitation_summary(as_of=AS_OF)
    assert {row.level: row.cases for row in rows}["expired"] == 0


def test_the_summary_is_one_query(cases):
    limitation_snapshot(as_of=AS_OF)
    with CaptureQueriesContext(connection) as queries:
        limitation_summary(as_of=AS_OF)
    assert len(queries) == 1


def test_never_checked_says_so():
    rows, checked_on = limitation_summary(as_of=AS_OF)
    assert checked_on is None
    assert all(row.cases == 0 for row in rows)


def test_the_command_reports_and_refuses_a_bad_date(cases, capsys):
    call_command("limitation_snapshot", "--as-of", AS_OF.isoformat())
    assert "5 open cases, 5 updated" in capsys.readouterr().out
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("limitation_snapshot", "--as-of", "28/11/2026")


def test_the_task_runs_the_snapshot(cases):
    from workflows.tasks_clock import limitation_snapshot as task

    assert task.delay(AS_OF.isoformat()).get() == {"checked": 5, "changed": 5}
