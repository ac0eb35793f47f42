"""SMS reminders (催收信息) on fixed clocks: the company's wording, quiet hours (21:00–08:00
Asia/Shanghai), the 14-day cadence, one SMS per (case, due date) however often the task is
delivered, the contact and its delivery report as proof, failures and retries, the HTTP
gateway's retries, and (PostgreSQL) two dispatchers at once claiming each reminder once."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import threading
import time
import zoneinfo
from decimal import Decimal
from unittest import mock

import pytest
from django.core import mail
from django.db import IntegrityError, connection, transaction

from cases.models import Channel, ContactAttempt, EvidenceKind, Outcome, ProofGrade, Stage
from tests.workflows.conftest import outbox_lines

pytestmark = pytest.mark.usefixtures("system_actor_may_log_contacts")

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
# Fixed clocks in the past: a contact cannot be logged in the future.
DAY = dt.date(2026, 3, 2)
JANUARY_DUE = dt.date(2026, 1, 31)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)


def _reminders():
    from workflows import reminders
    from workflows.approvals.models import Reminder

    return reminders, Reminder


@pytest.fixture
def reminding_case(desk):
    """A case in reminding for 1,200.00 of January's fee (due 31 January 2026)."""
    return desk.case(stage=Stage.REMINDING, due_date=JANUARY_DUE, phone="13912345678")


# --- wording and clock ------------------------------------------------------------------------


def test_text_is_the_company_wording_with_the_typo_fixed(reminding_case, desk):
    reminders, Reminder = _reminders()
    reminder = Reminder(case=reminding_case, due_on=DAY)
    text, principal = reminders.reminder_text(reminder, case=reminding_case, as_of=DAY)
    assert principal == Decimal("1200.00")
    assert text == (
        "尊敬的业主，至2026年01月您户已欠缴物业费1,200.00元，请尽快到物业管理处缴交，"
        "以免增加额外的滞纳金。多谢合作！翠湖花园物业管理处。电话：0571-88886667"
    )
    assert "多谝" not in reminders.REMINDER_TEMPLATE


@pytest.mark.parametrize(
    ("local", "quiet"),
    [
        ((20, 59), False),
        ((21, 0), True),
        ((23, 30), True),
        ((0, 0), True),
        ((7, 59), True),
        ((8, 0), False),
        ((12, 0), False),
    ],
)
def test_quiet_hours_are_21_to_8_in_shanghai(settings, local, quiet):
    reminders, _Reminder = _reminders()
    moment = at(DAY, *local)
    assert reminders.in_quiet_hours(moment) is quiet
    # The same instant written in UTC is the same answer.
    assert reminders.in_quiet_hours(moment.astimezone(dt.UTC)) is quiet


def test_a_reminder_due_in_quiet_hours_waits_until_eight():
    reminders, _Reminder = _reminders()
    assert reminders.next_send_time(at(DAY, 22, 30)) == at(DAY + dt.timedelta(days=1), 8)
    assert reminders.next_send_time(at(DAY, 3, 15)) == at(DAY, 8)
    assert reminders.next_send_time(at(DAY, 9, 0)) == at(DAY, 9)
    assert reminders.send_window_opens(DAY) == at(DAY, 8)


def test_next_due_date_keeps_the_cadence_and_catches_up_once_after_an_outage():
    reminders, _Reminder = _reminders()
    assert reminders.next_due_on(None, interval_days=14, as_of=DAY) == DAY
    assert reminders.next_due_on(DAY, interval_days=14, as_of=DAY) == dt.date(2026, 3, 16)
    # More than an interval behind (the system was down): one reminder today, not a burst.
    assert reminders.next_due_on(DAY, interval_days=14, as_of=dt.date(2026, 4, 20)) == dt.date(
        2026, 4, 20
    )


def test_every_fourteen_days_while_reminding_and_never_at_night(reminding_case, sms_outbox):
    reminders, Reminder = _reminders()
    second = DAY + dt.timedelta(days=14)

    # The first reminder is due the day the schedule first sees the case, but not at night.
    report = reminders.reminders_dispatch(now=at(DAY, 6, 30))
    assert report.deferred and outbox_lines(sms_outbox) == []
    assert reminders.reminders_dispatch(now=at(DAY, 10)).sent == 1
    # Later the same day and on day 13: the next one (due on day 14) is not yet due.
    assert reminders.reminders_dispatch(now=at(DAY, 11)).sent == 0
    assert reminders.reminders_dispatch(now=at(second - dt.timedelta(days=1), 12)).sent == 0
    # Day 14 at 00:30 is quiet; at 08:00 it goes.
    assert reminders.reminders_dispatch(now=at(second, 0, 30)).deferred
    assert reminders.reminders_dispatch(now=at(second, 8)).sent == 1
    assert reminders.reminders_dispatch(now=at(second, 9)).sent == 0

    lines = outbox_lines(sms_outbox)
    assert [line["to"] for line in lines] == ["13912345678", "13912345678"]
    assert list(Reminder.objects.order_by("due_on").values_list("due_on", "status")) == [
        (DAY, "sent"),
        (second, "sent"),
        (second + dt.timedelta(days=14), "pending"),
    ]


def test_one_sms_per_case_and_due_date_however_often_the_task_is_delivered(
    reminding_case, sms_outbox
):
    reminders, Reminder = _reminders()
    from workflows.tasks_clock import reminder_send

    reminders.reminders_schedule(as_of=DAY)
    reminder = Reminder.objects.get(case=reminding_case)
    with mock.patch("django.utils.timezone.now", return_value=at(DAY, 10)):
        assert reminder_send.apply(args=[reminder.pk]).get() is True
        assert reminder_send.apply(args=[reminder.pk]).get() is False
        assert reminders.reminders_dispatch(schedule=False).sent == 0
    assert len(outbox_lines(sms_outbox)) == 1
    assert ContactAttempt.objects.filter(case=reminding_case, channel=Channel.SMS).count() == 1
    # The row is the key: a second one for the same case and due date cannot exist.
    with pytest.raises(IntegrityError), transaction.atomic():
        Reminder.objects.create(case=reminding_case, due_on=DAY, not_before=at(DAY, 8))


# --- the contact and its proof ------------------------------------------------------------------


def test_each_sms_is_a_contact_by_the_system_and_its_delivery_report_is_proof(
    reminding_case, sms_outbox, staff
):
    reminders, Reminder = _reminders()
    reminders.reminders_dispatch(now=at(DAY, 10))
    reminder = Reminder.objects.get(case=reminding_case)
    (line,) = outbox_lines(sms_outbox)
    assert (reminder.status, reminder.message_id) == ("sent", line["id"])
    contact = reminder.contact
    assert (contact.channel, contact.outcome, contact.actor) == (
        Channel.SMS,
        Outcome.NO_ANSWER,
        staff.system,
    )
    assert contact.notes == line["text"] and contact.proof_grade == ProofGrade.NOTE_ONLY
    entries_before = reminding_case.evidence.count()

    reminders.sms_delivery_report(reminder.message_id, True)
    reminders.sms_delivery_report(reminder.message_id, True)  # a repeated report: nothing

    contact.refresh_from_db()
    assert contact.delivery_confirmed and contact.proof_grade == ProofGrade.SMS_DELIVERED
    assert contact.sms_report_ref == reminder.message_id  # the stored report is the proof
    assert reminding_case.evidence.count() == entries_before + 1
    report = reminding_case.evidence.order_by("-seq").first()
    assert report.kind == EvidenceKind.CONTACT
    data = json.loads(report.body)["data"]
    assert (data["contact"], data["message_id"], data["delivered"]) == (
        contact.pk,
        reminder.message_id,
        True,
    )
    assert reminders.sms_delivery_report("no-such-id", True) is None


def test_an_undelivered_report_is_recorded_but_proves_nothing(reminding_case, sms_outbox):
    reminders, Reminder = _reminders()
    reminders.reminders_dispatch(now=at(DAY, 10))
    reminder = Reminder.objects.get(case=reminding_case)
    reminders.sms_delivery_report(reminder.message_id, False)
    reminder.contact.refresh_from_db()
    assert not reminder.contact.delivery_confirmed
    assert reminder.contact.proof_grade == ProofGrade.NOTE_ONLY
    last = reminding_case.evidence.order_by("-seq").first()
    assert json.loads(last.body)["data"]["delivered"] is False


def test_owner_with_an_email_address_also_gets_the_reminder_by_email(desk, sms_outbox):
    reminders, _Reminder = _reminders()
    case = desk.case(stage=Stage.REMINDING, email="owner@example.com", due_date=JANUARY_DUE)
    reminders.reminders_dispatch(now=at(DAY, 10))
    (message,) = mail.outbox
    assert message.to == ["owner@example.com"] and "尊敬的业主" in message.body
    channels = sorted(ContactAttempt.objects.filter(case=case).values_list("channel", flat=True))
    assert channels == [Channel.EMAIL, Channel.SMS]


# --- when it should not, or cannot, go out ----------------------------------------------------


def test_case_that_left_reminding_or_has_no_phone_gets_no_sms(desk, sms_outbox):
    reminders, Reminder = _reminders()
    moved = desk.case(stage=Stage.REMINDING, due_date=JANUARY_DUE)
    no_phone = desk.case(stage=Stage.REMINDING, phone="", email="", due_date=JANUARY_DUE)
    reminders.reminders_schedule(as_of=DAY)
    type(moved).objects.filter(pk=moved.pk).update(stage=Stage.DEMAND_LETTER)

    report = reminders.reminders_dispatch(now=at(DAY, 10), schedule=False)

    assert (report.sent, report.cancelled, report.failed) == (0, 1, 1)
    assert Reminder.objects.get(case=moved).status == "cancelled"
    failed = Reminder.objects.get(case=no_phone)
    assert failed.status == "failed" and "no phone number" in failed.error
    assert outbox_lines(sms_outbox) == []
    assert not ContactAttempt.objects.exists()


def test_a_refused_sms_leaves_no_contact_and_is_retried_at_most_three_times(
    reminding_case, sms_outbox
):
    from workflows.sms import SmsError

    reminders, Reminder = _reminders()
    reminders.reminders_schedule(as_of=DAY)
    with mock.patch("workflows.reminders.sms_send", side_effect=SmsError("gateway down")):
        report = reminders.reminders_dispatch(now=at(DAY, 10), schedule=False)
        assert report.failed == 1
        reminder = Reminder.objects.get(case=reminding_case)
        assert (reminder.status, reminder.attempts) == ("pending", 1)
        assert reminder.not_before == at(DAY, 10, 30)
        assert reminders.reminders_dispatch(now=at(DAY, 10, 15), schedule=False).failed == 0
        reminders.reminders_dispatch(now=at(DAY, 11), schedule=False)
        reminders.reminders_dispatch(now=at(DAY, 20, 0), schedule=False)
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == ("failed", 3)
    assert "gateway down" in reminder.error
    assert not ContactAttempt.objects.filter(case=reminding_case).exists()


def test_broken_promise_gets_one_follow_up_sms_and_the_collector_an_email(
    desk, staff, sms_outbox, django_capture_on_commit_callbacks
):
    from cases.models import PromiseStatus
    from cases.services.case import contact_log

    reminders, Reminder = _reminders()
    staff.collector.email = "li@example.com"
    staff.collector.save()
    case = desk.case(stage=Stage.DEMAND_LETTER, due_date=JANUARY_DUE)
    promise = contact_log(
        case,
        actor=staff.collector,
        channel=Channel.PHONE,
        outcome=Outcome.PROMISED,
        occurred_at=at(DAY, 9),
        promised_on=DAY + dt.timedelta(days=5),
        promised_amount=Decimal("600.00"),
    )
    ContactAttempt.objects.filter(pk=promise.pk).update(promise_status=PromiseStatus.BROKEN)

    from workflows.tasks_clock import promise_followups

    with django_capture_on_commit_callbacks(execute=True):
        assert promise_followups.apply(args=[DAY.isoformat()]).get() == 1
        assert promise_followups.apply(args=[DAY.isoformat()]).get() == 0
    (message,) = mail.outbox
    assert message.to == ["li@example.com"]
    reminders.reminders_dispatch(now=at(DAY + dt.timedelta(days=8), 10), schedule=False)
    (line,) = outbox_lines(sms_outbox)
    assert "您承诺于2026年03月07日前缴交的600.00元尚未收到" in line["text"]
    assert Reminder.objects.get(promise=promise).status == "sent"


# --- the HTTP gateway backend -----------------------------------------------------------------


class _Gateway(http.server.BaseHTTPRequestHandler):
    answers: list[int] = []
    received: list[dict] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(
            {"json": json.loads(body), "auth": self.headers["Authorization"]}
        )
        status = type(self).answers.pop(0)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        if status == 200:
            self.wfile.write(json.dumps({"message_id": "gw-42"}).encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway():
    _Gateway.answers, _Gateway.received = [], []
    server = http.server.HTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/sms", _Gateway
    server.shutdown()
    server.server_close()


def test_http_gateway_retries_with_exponential_backoff_then_succeeds(gateway):
    from workflows.sms import HttpGatewaySmsBackend, SmsMessage

    url, handler = gateway
    handler.answers = [503, 502, 200]
    slept: list[float] = []
    backend = HttpGatewaySmsBackend(
        url=url,
        api_key="k-1",
        sign_name="翠湖物业",
        timeout=2,
        retries=3,
        backoff=0.5,
        sleep=slept.append,
    )
    result = backend.send(SmsMessage(to="13912345678", text="尊敬的业主", reference="reminder-1"))
    assert result.message_id == "gw-42"
    assert slept == [0.5, 1.0]
    assert len(handler.received) == 3
    assert handler.received[0]["auth"] == "Bearer k-1"
    assert handler.received[0]["json"] == {
        "to": "13912345678",
        "text": "尊敬的业主",
        "sign_name": "翠湖物业",
        "reference": "reminder-1",
    }


def test_http_gateway_gives_up_after_three_attempts_and_never_retries_a_bad_request(gateway):
    from workflows.sms import HttpGatewaySmsBackend, SmsError, SmsMessage

    url, handler = gateway
    handler.answers = [500, 500, 500, 500]
    backend = HttpGatewaySmsBackend(url=url, retries=3, backoff=0, sleep=lambda _s: None)
    with pytest.raises(SmsError, match="failed 3 times"):
        backend.send(SmsMessage(to="1", text="x"))
    assert len(handler.received) == 3

    handler.answers, handler.received[:] = [400, 200], []
    with pytest.raises(SmsError, match="refused"):
        backend.send(SmsMessage(to="1", text="x"))
    assert len(handler.received) == 1


def test_http_gateway_times_out_instead_of_hanging():
    from workflows.sms import HttpGatewaySmsBackend, SmsError, SmsMessage

    silent = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    # Accepts the connection (backlog) but never answers.
    backend = HttpGatewaySmsBackend(
        url=f"http://127.0.0.1:{silent.server_port}/",
        timeout=0.2,
        retries=2,
        backoff=0,
        sleep=lambda _s: None,
    )
    started = time.monotonic()
    with pytest.raises(SmsError, match="failed 2 times"):
        backend.send(SmsMessage(to="1", text="x"))
    assert time.monotonic() - started < 5
    silent.server_close()


# --- two dispatchers at once (PostgreSQL) -----------------------------------------------------


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL (SKIP LOCKED, one connection per thread): "
    "set DATABASE_URL=postgres://…",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_dispatchers_at_the_same_time_send_each_due_reminder_once(desk, sms_outbox):
    from workflows.sms import OutboxSmsBackend

    reminders, Reminder = _reminders()
    cases = [
        desk.case(stage=Stage.REMINDING, phone=f"1390000{i:04d}", due_date=JANUARY_DUE)
        for i in range(24)
    ]
    assert reminders.reminders_schedule(as_of=DAY) == len(cases)
    original = OutboxSmsBackend.send

    def slow_send(self, message):  # the gateway takes a while: the dispatchers overlap
        time.sleep(0.02)
        return original(self, message)

    barrier = threading.Barrier(2)
    reports: list = [None, None]

    def dispatcher(i: int) -> None:
        try:
            barrier.wait()
            reports[i] = reminders.reminders_dispatch(now=at(DAY, 10), schedule=False)
        except Exception as exc:  # asserted below
            reports[i] = exc
        finally:
            connection.close()

    with mock.patch.object(OutboxSmsBackend, "send", slow_send):
        threads = [threading.Thread(target=dispatcher, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)

    assert all(not isinstance(r, Exception) for r in reports), reports
    assert sum(r.sent for r in reports) == len(cases)
    assert all(r.sent > 0 for r in reports)  # both really worked, on different rows
    lines = outbox_lines(sms_outbox)
    assert len(lines) == len(cases)
    assert len({line["reference"] for line in lines}) == len(cases)
    assert set(Reminder.objects.values_list("status", flat=True)) == {"sent"}
    assert ContactAttempt.objects.filter(channel=Channel.SMS).count() == len(cases)
