"""The daily sweep: it opens cases for units overdue past the grace days, settles and closes
paid ones, flags promises to pay kept or broken, and marks each open case's next step with
whether it is possible and why, and a priority. Running it twice on a day changes nothing."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from cases.models import (
    Case,
    Channel,
    ContactAttempt,
    EvidenceEntry,
    EvidenceKind,
    PromiseStatus,
    Stage,
)
from cases.selectors.case import case_list_for
from cases.services.case import promise_record
from cases.services.evidence import evidence_verify
from cases.services.sweep import sweep_run
from tests.factories import EstateFactory

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


def _case_rows() -> list[dict]:
    return list(Case.objects.order_by("pk").values())


# --- opening cases ---------------------------------------------------------------------


def test_the_sweep_opens_cases_for_units_overdue_past_the_grace_days(kit):
    estate = EstateFactory(grace_days=30)
    past_grace = kit.unit(estate=estate)
    kit.charge(past_grace, "420.00", days_overdue=31)
    within_grace = kit.unit(estate=estate)
    kit.charge(within_grace, "420.00", days_overdue=30)
    due_today = kit.unit()
    kit.charge(due_today, "420.00", days_overdue=0)
    paid = kit.unit()
    kit.charge(paid, "420.00", days_overdue=90)
    kit.pay(paid, "420.00", on=kit.as_of - 10 * DAY)
    already_open = kit.case(owing="420.00", days_overdue=90)
    no_grace = kit.unit()
    kit.charge(no_grace, "10.00", days_overdue=1)

    report = sweep_run(as_of=kit.as_of)

    opened = Case.objects.exclude(pk=already_open.pk)
    assert report.opened == 2
    assert set(opened.values_list("unit_id", flat=True)) == {past_grace.pk, no_grace.pk}
    assert Case.objects.filter(unit=already_open.unit).count() == 1
    for case in opened:
        assert (case.stage, case.opened_on, case.collector) == (Stage.NEW, kit.as_of, None)
        [entry] = kit.entries(case)
        assert (entry.kind, entry.actor) == (EvidenceKind.OPENED, kit.people.system)
    opening = json.loads(kit.entries(opened.get(unit=past_grace))[0].body)["data"]
    assert opening["principal"] == "420"
    assert opening["oldest_due_date"] == (kit.as_of - 31 * DAY).isoformat()
    assert evidence_verify() == []


def test_the_sweep_is_idempotent(kit):
    to_open = kit.unit()
    kit.charge(to_open, "3000.00", days_overdue=45)
    paid_early = kit.case(stage=Stage.REMINDING, owing="700.00")
    kit.pay_in_full(paid_early.unit, on=kit.as_of - DAY)  # settles now, closes at the sweep
    paid_late = kit.case(stage=Stage.LAWYER_LETTER, owing="9000.00", days_overdue=400)
    kit.pay(paid_late.unit, "9000.00", on=kit.as_of - DAY)
    working = kit.case(stage=Stage.REMINDING, owing="1800.00")
    kit.documented_contacts(working)
    kit.case(stage=Stage.DEMAND_LETTER, owing="6000.00", days_overdue=200)

    first = sweep_run(as_of=kit.as_of)
    entries, rows = EvidenceEntry.objects.count(), _case_rows()
    second = sweep_run(as_of=kit.as_of)

    assert (first.opened, first.closed) == (1, 1)
    assert first.changed > 0
    assert second.changed == 0
    assert second.errors == []
    assert EvidenceEntry.objects.count() == entries
    assert _case_rows() == rows
    assert second.open_cases == first.open_cases == 4
    assert evidence_verify() == []


# --- next step, eligibility, priority ---------------------------------------------------


@pytest.mark.parametrize(
    ("stage", "contacts", "step", "eligible", "says"),
    [
        (Stage.NEW, False, "start_reminding", True, "Start reminders"),
        (Stage.REMINDING, False, "issue_demand", False, "needs at least 2 documented contacts"),
        (Stage.REMINDING, True, "issue_demand", True, "2 documented contacts on 2 channels"),
        (Stage.DEMAND_LETTER, False, "issue_lawyer_letter", False, "below the Occupied threshold"),
        (Stage.LITIGATION, False, "record_summons", False, "Nothing has been filed"),
        (Stage.PAYMENT_PLAN, False, "", False, ""),
        (Stage.ON_HOLD, False, "", False, ""),
    ],
)
def test_the_sweep_marks_the_next_step_and_why(kit, stage, contacts, step, eligible, says):
    case = kit.case(stage=Stage.REMINDING if contacts else stage, owing="2345.67", days_overdue=99)
    if contacts:
        kit.documented_contacts(case)

    sweep_run(as_of=kit.as_of)

    case.refresh_from_db()
    assert case.swept_on == kit.as_of
    assert (case.next_step, case.next_step_eligible) == (step, eligible)
    assert says in case.next_step_reason
    assert case.principal_snapshot == Decimal("2345.67")
    assert case.days_overdue_snapshot == 99


def test_a_bigger_debt_and_an_older_debt_come_first(kit):
    small = kit.case(stage=Stage.REMINDING, owing="800.00", days_overdue=60)
    big = kit.case(stage=Stage.REMINDING, owing="4000.00", days_overdue=60)
    old = kit.case(stage=Stage.REMINDING, owing="800.00", days_overdue=600)
    shop = kit.case(stage=Stage.REMINDING, owing="800.00", days_overdue=60, segment="shop")

    sweep_run(as_of=kit.as_of)

    priority = dict(Case.objects.values_list("pk", "priority"))
    assert priority[big.pk] > priority[small.pk]
    assert priority[old.pk] > priority[small.pk]
    assert priority[shop.pk] > priority[small.pk]
    worklist = [c.pk for c in case_list_for(kit.people.collector)]
    assert worklist.index(big.pk) < worklist.index(small.pk)
    assert worklist[-1] == small.pk


def test_a_case_that_may_take_its_next_step_comes_before_one_that_may_not(kit):
    blocked = kit.case(stage=Stage.REMINDING, owing="1000.00")
    ready = kit.case(stage=Stage.REMINDING, owing="1000.00")
    kit.documented_contacts(ready)

    sweep_run(as_of=kit.as_of)

    assert [c.pk for c in case_list_for(kit.people.collector)] == [ready.pk, blocked.pk]


# --- promises to pay (dated from the real today: a promise cannot be in the past) -------


@pytest.fixture
def today(frozen_clock):
    return timezone.localdate()


def _promise(kit, case, today, amount="500.00", days=3):
    return promise_record(
        kit.fresh(case),
        actor=kit.people.collector,
        promised_on=today + days * DAY,
        amount=Decimal(amount),
        channel=Channel.PHONE,
    )


def _promise_entries(case) -> list[EvidenceEntry]:
    return list(
        EvidenceEntry.objects.filter(
            case=case, kind__in=[EvidenceKind.PROMISE_BROKEN, EvidenceKind.PROMISE_KEPT]
        )
    )


def test_a_promise_whose_date_passes_without_payment_is_flagged_broken_once(kit, today):
    case = kit.case(stage=Stage.REMINDING, owing="800.00")
    contact = _promise(kit, case, today)
    assert contact.promise_status == PromiseStatus.OPEN

    assert sweep_run(as_of=today + 3 * DAY).promises_broken == 0  # the promised day itself
    report = sweep_run(as_of=today + 4 * DAY)
    again = sweep_run(as_of=today + 5 * DAY)

    contact.refresh_from_db()
    assert contact.promise_status == PromiseStatus.BROKEN
    assert (report.promises_broken, again.promises_broken) == (1, 0)
    [entry] = _promise_entries(case)
    assert entry.kind == EvidenceKind.PROMISE_BROKEN
    data = json.loads(entry.body)["data"]
    assert (data["contact"], data["promised_amount"], Decimal(data["paid"])) == (
        contact.pk,
        "500.00",
        0,
    )
    assert evidence_verify([case.pk]) == []


def test_a_promise_paid_by_its_date_is_kept(kit, today):
    case = kit.case(stage=Stage.REMINDING, owing="800.00")
    contact = _promise(kit, case, today)
    kit.pay(case.unit, "500.00", on=today + 2 * DAY)

    report = sweep_run(as_of=today + 4 * DAY)

    contact.refresh_from_db()
    assert contact.promise_status == PromiseStatus.KEPT
    assert report.promises_kept == 1
    assert [e.kind for e in _promise_entries(case)] == [EvidenceKind.PROMISE_KEPT]


@pytest.mark.parametrize(
    ("paid", "paid_after_days"), [("300.00", 1), ("500.00", 4)], ids=["too-little", "too-late"]
)
def test_a_promise_paid_short_or_late_is_broken(kit, today, paid, paid_after_days):
    case = kit.case(stage=Stage.REMINDING, owing="800.00")
    contact = _promise(kit, case, today)
    kit.pay(case.unit, paid, on=today + paid_after_days * DAY)

    sweep_run(as_of=today + 6 * DAY)

    assert ContactAttempt.objects.get(pk=contact.pk).promise_status == PromiseStatus.BROKEN


def test_a_promise_dated_in_the_past_is_refused(kit, today):
    case = kit.case(stage=Stage.REMINDING)
    before = kit.written_counts()

    with pytest.raises(ValidationError, match="cannot be in the past"):
        _promise(kit, case, today, days=-1)

    assert kit.written_counts() == before
    assert _promise(kit, case, today, days=0).promised_on == today


# --- the management command ---------------------------------------------------------------


def test_the_sweep_command_prints_its_report(kit):
    unit = kit.unit()
    kit.charge(unit, "560.00", due_date=dt.date(2026, 1, 10))
    out = io.StringIO()

    call_command("sweep", "--as-of", "2026-01-31", stdout=out)

    printed = out.getvalue()
    assert "Sweep as of 2026-01-31" in printed
    assert "cases opened: 1" in printed
    assert "open cases: 1, eligible for their next step: 1" in printed
    assert Case.objects.get(unit=unit).opened_on == dt.date(2026, 1, 31)


@pytest.mark.parametrize("bad", ["31/01/2026", "2026-02-30", "yesterday"])
def test_the_sweep_command_refuses_a_bad_date(kit, bad):
    with pytest.raises(CommandError, match="--as-of: must be YYYY-MM-DD"):
        call_command("sweep", "--as-of", bad, stdout=io.StringIO())
    assert not Case.objects.exists()
