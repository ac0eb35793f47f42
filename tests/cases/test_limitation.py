"""The limitation clock (诉讼时效) of each billing period: three years from the due date,
restarted by a demand proven delivered, the debtor's acknowledgement and a filing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.limitation import (
    Level,
    RestartEvent,
    RestartKind,
    add_years,
    demand_proven_served,
    expiry_for,
    level_for,
)
from cases.models import (
    Case,
    Channel,
    DeliveryStatus,
    InstallmentPlan,
    Letter,
    Outcome,
    StoredFile,
)
from cases.selectors.limitation import (
    at_risk_report,
    charge_clocks,
    earliest_expiry_by_case,
)
from cases.services.case import contact_log, delivery_record
from tests.factories import delivery_proof, paper_record

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
DUE = dt.date(2022, 1, 31)
EVENT_DAY = dt.date(2024, 6, 1)
AS_OF = dt.date(2024, 12, 1)


def at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(10, 0), tzinfo=SHANGHAI)


# --- the pure rules ---------------------------------------------------------------------------


def test_three_years_by_the_calendar_from_the_due_date():
    assert expiry_for(DUE, []) == (dt.date(2025, 1, 31), None)


def test_29_february_ends_on_28_february():
    assert add_years(dt.date(2024, 2, 29), 3) == dt.date(2027, 2, 28)
    assert expiry_for(dt.date(2024, 2, 29), []) == (dt.date(2027, 2, 28), None)


@pytest.mark.parametrize("kind", list(RestartKind))
def test_every_kind_of_event_restarts_the_period(kind):
    event = RestartEvent(kind, EVENT_DAY)
    assert expiry_for(DUE, [event]) == (dt.date(2027, 6, 1), event)


def test_an_event_before_the_due_date_does_not_count():
    assert expiry_for(DUE, [RestartEvent(RestartKind.DEMAND_DELIVERED, DUE)])[1] is None


def test_the_latest_event_sets_the_expiry():
    early = RestartEvent(RestartKind.PARTIAL_PAYMENT, dt.date(2023, 1, 1))
    late = RestartEvent(RestartKind.DEMAND_DELIVERED, EVENT_DAY)
    assert expiry_for(DUE, [late, early]) == (dt.date(2027, 6, 1), late)


def test_after_expiry_a_demand_or_filing_does_not_revive_but_a_promise_does():
    after = dt.date(2025, 3, 1)
    for kind in (
        RestartKind.DEMAND_DELIVERED,
        RestartKind.LITIGATION,
        RestartKind.PARTIAL_PAYMENT,
    ):
        assert expiry_for(DUE, [RestartEvent(kind, after)]) == (dt.date(2025, 1, 31), None)
    for kind in (RestartKind.PROMISE, RestartKind.INSTALLMENT_AGREEMENT):
        promise = RestartEvent(kind, after)
        assert expiry_for(DUE, [promise]) == (dt.date(2028, 3, 1), promise)


def test_an_event_on_the_last_day_still_restarts():
    last = dt.date(2025, 1, 31)
    event = RestartEvent(RestartKind.DEMAND_DELIVERED, last)
    assert expiry_for(DUE, [event]) == (dt.date(2028, 1, 31), event)


@pytest.mark.parametrize(
    ("days", "level"),
    [
        (91, "ok"),
        (90, "90"),
        (31, "90"),
        (30, "30"),
        (8, "30"),
        (7, "7"),
        (0, "7"),
        (-1, "expired"),
    ],
)
def test_warning_levels_at_90_30_and_7_days(days, level):
    assert level_for(days) == level


def test_which_proof_counts_as_a_demand_that_arrived():
    proven = demand_proven_served
    assert proven(channel="sms", outcome="no_answer", sms_delivered=True)
    assert proven(channel="registered_mail", outcome="reached", tracking_status="delivered")
    assert proven(channel="notice_signed", outcome="reached", file_kinds=["signed_receipt"])
    assert proven(channel="home_visit", outcome="refused", file_kinds=["photo"])
    assert not proven(channel="notice_posted", outcome="reached", file_kinds=["signed_receipt"])
    assert not proven(channel="phone", outcome="reached", file_kinds=["recording"])
    assert not proven(channel="sms", outcome="reached")
    assert not proven(channel="registered_mail", outcome="served")  # a claim, no proof
    assert proven(channel="registered_mail", outcome="served", file_kinds=["delivery_record"])
    assert proven(channel="home_visit", outcome="refused", file_kinds=["delivery_record"])
    assert not proven(channel="home_visit", outcome="refused")
    assert not proven(channel="registered_mail", outcome="refused", tracking_status="delivered")
    assert proven(channel="registered_mail", outcome="refused", tracking_status="refused")
    assert not proven(channel="registered_mail", outcome="returned", file_kinds=["delivery_record"])
    assert not proven(channel="notice_posted", outcome="served", tracking_status="delivered")


# --- from the database ------------------------------------------------------------------------


@pytest.fixture
def owed(kit):
    """A case whose unit owes one charge due 2022-01-31 (1,000) and nothing else."""
    case = kit.case(owing=None)
    charge = kit.charge(case.unit, "1000.00", due_date=DUE)
    return case, charge


def clock_of(case, charge, as_of=AS_OF):
    (clock,) = [c for c in charge_clocks(case, as_of=as_of) if c.charge_id == charge.pk]
    return clock


def test_a_charge_with_no_event_expires_three_years_after_its_due_date(owed):
    case, charge = owed
    clock = clock_of(case, charge)
    assert (clock.expires_on, clock.event_kind, clock.event_on) == (dt.date(2025, 1, 31), "", None)
    assert clock.balance == Decimal("1000.00")
    assert (clock.days_left, clock.level) == (61, Level.D90)
    assert clock_of(case, charge, as_of=dt.date(2025, 2, 1)).level == Level.EXPIRED


def test_tracked_mail_moves_the_expiry_but_a_door_posting_or_a_tick_does_not(kit, owed, png):
    case, charge = owed
    contact_log(
        case,
        actor=kit.people.collector,
        channel=Channel.NOTICE_POSTED,
        outcome=Outcome.REACHED,
        occurred_at=at(EVENT_DAY),
        attachments=[("photo", SimpleUploadedFile("door.png", png), "door.png")],
    )
    assert clock_of(case, charge).expires_on == dt.date(2025, 1, 31)

    contact_log(
        case,
        actor=kit.people.collector,
        channel=Channel.SMS,
        outcome=Outcome.REACHED,
        occurred_at=at(EVENT_DAY),
        delivery_confirmed=True,
    )
    assert clock_of(case, charge).expires_on == dt.date(2025, 1, 31)  # a tick is a claim
    contact_log(
        case,
        actor=kit.people.collector,
        channel=Channel.REGISTERED_MAIL,
        outcome=Outcome.REACHED,
        occurred_at=at(EVENT_DAY),
        tracking_number="EM123456789CN",
        tracking_status="delivered",
    )
    clock = clock_of(case, charge)
    assert clock.expires_on == dt.date(2027, 6, 1)
    assert (clock.event_kind, clock.event_on) == (RestartKind.DEMAND_DELIVERED, EVENT_DAY)
    assert clock.level == Level.OK


def test_an_sms_without_a_delivery_report_does_not_count(kit, owed):
    case, charge = owed
    contact_log(
        case,
        actor=kit.people.collector,
        channel=Channel.SMS,
        outcome=Outcome.REACHED,
        occurred_at=at(EVENT_DAY),
    )
    assert clock_of(case, charge).expires_on == dt.date(2025, 1, 31)


def test_a_partial_payment_restarts_every_charge_due_before_it(kit, owed):
    case, charge = owed
    later = kit.charge(case.unit, "500.00", due_date=dt.date(2024, 7, 31))
    kit.pay(case.unit, "100.00", on=EVENT_DAY)
    clock = clock_of(case, charge)
    assert clock.balance == Decimal("900.00")
    assert (clock.expires_on, clock.event_kind) == (
        dt.date(2027, 6, 1),
        RestartKind.PARTIAL_PAYMENT,
    )
    # A charge that fell due after the payment keeps its own start.
    assert clock_of(case, later).expires_on == dt.date(2027, 7, 31)
    assert clock_of(case, later).event_kind == ""


def test_an_installment_agreement_restarts_it_from_the_owners_signature(kit, owed):
    """Approved by the manager in 2024-03 but signed by the owner on EVENT_DAY: the period
    restarts from the signing date; an approved plan nobody signed restarts nothing."""
    case, charge = owed
    unsigned = InstallmentPlan.objects.create(
        case=case,
        status=InstallmentPlan.Status.APPROVED,
        total=Decimal("1000.00"),
        reason="hardship",
        requested_by=kit.people.legal_officer,
        approved_by=kit.people.manager,
        decided_at=at(dt.date(2024, 3, 1)),
    )
    assert clock_of(case, charge).event_kind == ""
    scan = StoredFile.objects.create(sha256="a" * 64, size=1, content_type="application/pdf")
    InstallmentPlan.objects.filter(pk=unsigned.pk).update(
        status=InstallmentPlan.Status.SIGNED, signed_on=EVENT_DAY, signed_scan=scan
    )
    InstallmentPlan.objects.create(
        case=case,
        status=InstallmentPlan.Status.REJECTED,
        total=Decimal("1000.00"),
        reason="hardship",
        requested_by=kit.people.legal_officer,
        approved_by=kit.people.manager,
        decided_at=at(dt.date(2024, 9, 1)),
    )
    clock = clock_of(case, charge)
    assert (clock.expires_on, clock.event_kind) == (
        dt.date(2027, 6, 1),
        RestartKind.INSTALLMENT_AGREEMENT,
    )


def test_a_promise_counts_only_with_proof(kit, owed, mp3):
    case, charge = owed
    contact_log(
        case,
        actor=kit.people.collector,
        channel=Channel.PHONE,
        outcome=Outcome.PROMISED,
        occurred_at=at(dt.date(2024, 5, 1)),
        promised_on=dt.date(2024, 5, 20),
        promised_amount=Decimal("1000.00"),
    )
    assert clock_of(case, charge).expires_on == dt.date(2025, 1, 31)
    contact_log(
        case,
        actor=kit.people.collector,
        channel=Channel.PHONE,
        outcome=Outcome.PROMISED,
        occurred_at=at(EVENT_DAY),
        promised_on=dt.date(2024, 6, 20),
        promised_amount=Decimal("1000.00"),
        attachments=[("recording", SimpleUploadedFile("call.mp3", mp3), "call.mp3")],
    )
    clock = clock_of(case, charge)
    assert (clock.expires_on, clock.event_kind) == (dt.date(2027, 6, 1), RestartKind.PROMISE)


def test_a_payment_order_application_restarts_it(owed):
    case, charge = owed
    Case.objects.filter(pk=case.pk).update(litigation_kind="payment_order", filed_on=EVENT_DAY)
    clock = clock_of(case, charge)
    assert (clock.expires_on, clock.event_kind) == (dt.date(2027, 6, 1), RestartKind.LITIGATION)


def test_a_served_letter_restarts_it_a_returned_one_does_not(kit, owed):
    case, charge = owed
    for status in (DeliveryStatus.RETURNED, DeliveryStatus.REFUSED):  # refused: no proof
        delivery_record(
            case,
            actor=kit.people.legal_officer,
            letter=Letter.DEMAND_LETTER,
            status=status,
            delivered_on=EVENT_DAY,
            method=Channel.REGISTERED_MAIL,
            **paper_record(),
        )
    assert clock_of(case, charge).expires_on == dt.date(2025, 1, 31)
    delivery_record(
        case,
        actor=kit.people.legal_officer,
        letter=Letter.DEMAND_LETTER,
        status=DeliveryStatus.SIGNED,
        delivered_on=EVENT_DAY,
        method=Channel.REGISTERED_MAIL,
        **paper_record(),
    )
    assert clock_of(case, charge).expires_on == dt.date(2025, 1, 31)  # signed: unproven
    delivery_record(
        case,
        actor=kit.people.legal_officer,
        letter=Letter.DEMAND_LETTER,
        status=DeliveryStatus.SIGNED,
        delivered_on=EVENT_DAY,
        method=Channel.REGISTERED_MAIL,
        **paper_record(),
        **delivery_proof(),
    )
    assert clock_of(case, charge).expires_on == dt.date(2027, 6, 1)


def test_a_paid_charge_has_no_clock(kit, owed):
    case, _charge = owed
    kit.pay(case.unit, "1000.00", on=dt.date(2022, 3, 1))
    assert charge_clocks(case, as_of=AS_OF) == []


def test_the_case_shows_its_earliest_expiry_and_the_amount_at_risk(kit, owed):
    case, _charge = owed
    kit.charge(case.unit, "200.00", due_date=dt.date(2021, 10, 31))  # expired 2024-10-31
    kit.charge(case.unit, "300.00", due_date=dt.date(2023, 3, 31))  # 2026-03-31: ok
    clock = earliest_expiry_by_case([case.pk], as_of=AS_OF)[case.pk]
    assert (clock.expires_on, clock.level) == (dt.date(2024, 10, 31), Level.EXPIRED)
    assert clock.days_left == -31
    assert clock.amount_at_risk == Decimal("1200.00")  # the expired 200 and the 1,000 in 61 days
    assert clock.expired_amount == Decimal("200.00")
    assert clock.charges_at_risk == 2


def test_a_case_whose_unit_owes_nothing_has_no_clock(kit):
    case = kit.case(owing=None)
    assert earliest_expiry_by_case([case.pk], as_of=AS_OF) == {}
    assert earliest_expiry_by_case([], as_of=AS_OF) == {}


def _cases(kit, n):
    cases = []
    for i in range(n):
        case = kit.case(owing=None)
        kit.charge(case.unit, "100.00", due_date=DUE)
        kit.pay(case.unit, "10.00", on=dt.date(2023, 1, 1 + i % 28))
        cases.append(case)
    return cases


def test_earliest_expiry_takes_the_same_number_of_queries_for_3_and_30_cases(kit):
    few, many = _cases(kit, 3), _cases(kit, 30)
    counts = []
    for cases in (few, many):
        with CaptureQueriesContext(connection) as queries:
            clocks = earliest_expiry_by_case([c.pk for c in cases], as_of=AS_OF)
        assert len(clocks) == len(cases)
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 8  # 8: one to learn whether a plan suspends late fees


def test_the_report_lists_expired_and_expiring_charges_earliest_first(kit, owed):
    case, charge = owed
    old = kit.charge(case.unit, "200.00", due_date=dt.date(2021, 10, 31))
    kit.charge(case.unit, "300.00", due_date=dt.date(2023, 3, 31))  # beyond 90 days
    other = kit.case(owing=None, unit=kit.unit(estate=kit.estate))
    rows = at_risk_report(as_of=AS_OF)
    assert [(r.charge_id, r.level) for r in rows] == [(old.pk, "expired"), (charge.pk, "90")]
    assert rows[0].case.pk == case.pk and rows[0].unit.pk == case.unit_id
    assert at_risk_report(as_of=AS_OF, within_days=30) == rows[:1]
    assert other.pk not in {r.case.pk for r in rows}


def test_the_limitation_report_command_writes_a_csv(kit, owed, tmp_path):
    case, _charge = owed
    out = tmp_path / "risk.csv"
    stdout = StringIO()
    call_command(
        "limitation_report",
        "--estate",
        kit.estate.code,
        "--as-of",
        AS_OF.isoformat(),
        "--csv",
        str(out),
        stdout=stdout,
    )
    text = out.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("estate,unit,case,charge")
    assert f"CS-{case.pk:06d}" in text and "2025-01-31" in text and "1000.00" in text
    assert "1 charges at risk within 90 days: 1000.00" in stdout.getvalue()


def test_the_limitation_report_command_refuses_bad_input():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--days"):
        call_command("limitation_report", "--days", "-1")
    with pytest.raises(CommandError, match="--as-of"):
        call_command("limitation_report", "--as-of", "2024-13-01")
