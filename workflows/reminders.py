"""Friendly reminders by SMS (催收信息): the company's first step, every two weeks while a case
is in ``reminding``, in its own words (seed/collection-practice.zh.txt, typo 多谝 fixed).

- Each due SMS is a ``Reminder`` row: (case, due date) is unique for the 14-day cadence, a
  broken promise gets at most one follow-up. ``reminders_schedule`` creates the next row of
  every reminding case (``estate.reminder_interval_days`` after the last one);
  ``reminders_dispatch`` (hourly) claims due rows with ``SELECT … FOR UPDATE SKIP LOCKED``
  and holds each row's lock while it sends, so a task delivered twice, or two dispatchers
  at once, send each SMS once.
- Quiet hours: no SMS between 21:00 and 08:00 Asia/Shanghai (``SMS_QUIET_HOURS``,
  ``SMS_TIME_ZONE``); a reminder due in them waits until 08:00.
- Each SMS is first logged as a contact (channel SMS, by the system user) in the same
  transaction as the send: a failed send leaves no contact and the row pending for a retry
  (at most ``SMS_MAX_ATTEMPTS``). An owner with an email address also gets the text by email.
- ``sms_delivery_report(message_id, delivered)`` turns the gateway's report into proof: a new
  evidence entry, and ``delivery_confirmed`` (proof grade “SMS delivery report”) on the
  contact.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Case, Channel, ContactAttempt, Outcome, PromiseStatus, Stage, UnitParty
from cases.models.evidence import EvidenceKind
from cases.selectors.ledger import arrears_for_unit, money
from cases.services.case import CaseError, case_lock, contact_log, system_user
from cases.services.evidence import evidence_append
from cases.services.proof import proof_grade_for
from legal_docs.formatting import amount_figures, date_cn
from workflows.approvals.models import Reminder
from workflows.approvals.notify import user_notify
from workflows.clocks import claim
from workflows.sms import SmsError, sms_send

logger = logging.getLogger("workflows.reminders")

# The company's wording, sent to owners in Chinese whatever language the staff's UI uses.
REMINDER_TEMPLATE = (
    "尊敬的业主，至{year}年{month}月您户已欠缴物业费{amount}元，请尽快到物业管理处缴交，"
    "以免增加额外的滞纳金。多谢合作！{office}。电话：{phone}"
)
PROMISE_TEMPLATE = (
    "尊敬的业主，您承诺于{promised_on}前缴交的{promised}元尚未收到，您户目前欠缴物业费{amount}元，"
    "请尽快到物业管理处缴交，以免增加额外的滞纳金。多谢合作！{office}。电话：{phone}"
)
EMAIL_SUBJECT = "物业费缴费提醒"


# --- the clock: quiet hours and the cadence ------------------------------------------------


def _sms_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(getattr(settings, "SMS_TIME_ZONE", "Asia/Shanghai"))


def _quiet_window() -> tuple[dt.time, dt.time] | None:
    spec = getattr(settings, "SMS_QUIET_HOURS", "21:00-08:00") or ""
    if not spec.strip():
        return None
    start, end = (dt.time.fromisoformat(part.strip()) for part in spec.split("-"))
    return (start, end) if start != end else None


def in_quiet_hours(at: dt.datetime) -> bool:
    """Whether ``at`` (aware) falls in the quiet hours (21:00–08:00 Asia/Shanghai)."""
    window = _quiet_window()
    if window is None:
        return False
    start, end = window
    local = at.astimezone(_sms_zone()).time()
    if start < end:
        return start <= local < end
    return local >= start or local < end


def next_send_time(at: dt.datetime) -> dt.datetime:
    """``at`` itself, or the end of the quiet hours it falls in (08:00 the same or next day)."""
    if not in_quiet_hours(at):
        return at
    _start, end = _quiet_window()
    local = at.astimezone(_sms_zone())
    moment = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if moment <= local:
        moment += dt.timedelta(days=1)
    return moment


def send_window_opens(day: dt.date) -> dt.datetime:
    """The first moment an SMS due on ``day`` may go out (08:00 that day, Asia/Shanghai)."""
    return next_send_time(dt.datetime.combine(day, dt.time(0, 0), tzinfo=_sms_zone()))


def next_due_on(last_due_on: dt.date | None, *, interval_days: int, as_of: dt.date) -> dt.date:
    """The next reminder's due date: ``interval_days`` after the last one; the first one (or
    one that fell more than an interval behind, e.g. after an outage) is due ``as_of``."""
    if last_due_on is None:
        return as_of
    due = last_due_on + dt.timedelta(days=interval_days)
    return as_of if due < as_of else due


# --- scheduling ---------------------------------------------------------------------------


def reminders_schedule(*, as_of: dt.date | None = None) -> int:
    """Give every case in ``reminding`` that has no pending reminder its next one (due
    today for a case that has had none). Idempotent: the unique (case, due date) key makes a
    concurrent run add nothing twice. Returns how many rows were offered (a row that a
    concurrent run inserted first is skipped)."""
    as_of = as_of or timezone.localdate()
    pending = Reminder.objects.filter(
        case=OuterRef("pk"), kind=Reminder.Kind.CADENCE, status=Reminder.Status.PENDING
    )
    cases = (
        Case.objects.filter(stage=Stage.REMINDING)
        .exclude(Exists(pending))
        .annotate(
            last_due=Max(
                "sms_reminders__due_on", filter=Q(sms_reminders__kind=Reminder.Kind.CADENCE)
            ),
        )
        .values_list("id", "last_due", "unit__estate__reminder_interval_days")
    )
    rows = []
    for case_id, last_due, interval in cases:
        due = next_due_on(last_due, interval_days=interval, as_of=as_of)
        rows.append(Reminder(case_id=case_id, due_on=due, not_before=send_window_opens(due)))
    created = Reminder.objects.bulk_create(rows, ignore_conflicts=True)
    return len(created)


def promise_followups_schedule(*, as_of: dt.date | None = None) -> int:
    """For every broken promise (flagged by the daily sweep) on an open case without a
    follow-up yet: an SMS follow-up row due today, and an email to the case's collector to
    call the owner back. Returns how many follow-ups were created."""
    as_of = as_of or timezone.localdate()
    followed = Reminder.objects.filter(promise=OuterRef("pk"))
    broken = (
        ContactAttempt.objects.filter(promise_status=PromiseStatus.BROKEN)
        .exclude(case__stage=Stage.CLOSED)
        .exclude(Exists(followed))
        .select_related("case__collector", "case__unit")
    )
    created = 0
    for promise in broken:
        with transaction.atomic():
            _reminder, new = Reminder.objects.get_or_create(
                promise=promise,
                defaults={
                    "case": promise.case,
                    "kind": Reminder.Kind.PROMISE_BROKEN,
                    "due_on": as_of,
                    "not_before": send_window_opens(as_of),
                },
            )
            if not new:
                continue
            created += 1
            user_notify(
                promise.case.collector,
                _("Broken promise on case #%(id)s") % {"id": promise.case_id},
                _(
                    "The owner of %(unit)s promised to pay %(amount)s by %(date)s and has not. "
                    "An SMS follow-up goes out today; please call them back."
                )
                % {
                    "unit": promise.case.unit.label,
                    "amount": promise.promised_amount,
                    "date": promise.promised_on.isoformat(),
                },
            )
    return created


# --- sending ------------------------------------------------------------------------------


@dataclass
class DispatchReport:
    sent: int = 0
    failed: int = 0
    cancelled: int = 0
    deferred: bool = False
    errors: list[str] = field(default_factory=list)


def _addressee(case: Case):
    """The liable party to remind: the owner first, then the developer, then a tenant."""
    today = timezone.localdate()
    links = [
        link
        for link in UnitParty.objects.filter(unit_id=case.unit_id, liable=True)
        .select_related("party")
        .order_by("id")
        if link.until is None or link.until >= today
    ]
    order = {UnitParty.Role.OWNER: 0, UnitParty.Role.DEVELOPER: 1, UnitParty.Role.TENANT: 2}
    links.sort(key=lambda link: order.get(link.role, 9))
    for link in links:
        if link.party.phone.strip() or link.party.email:
            return link.party
    return None


def reminder_text(reminder: Reminder, *, case: Case, as_of: dt.date) -> tuple[str, Decimal]:
    """The SMS of ``reminder`` and the principal it states (0: nothing to remind of)."""
    arrears = arrears_for_unit(case.unit, as_of=as_of)
    principal = money(arrears.principal)
    estate = case.unit.estate
    latest = max(arrears.by_period) if arrears.by_period else as_of
    common = {
        "amount": amount_figures(principal),
        "office": f"{estate.name}物业管理处",
        "phone": estate.office_phone or "-",
    }
    if reminder.kind == Reminder.Kind.PROMISE_BROKEN and reminder.promise is not None:
        text = PROMISE_TEMPLATE.format(
            promised_on=date_cn(reminder.promise.promised_on),
            promised=amount_figures(reminder.promise.promised_amount),
            **common,
        )
    else:
        text = REMINDER_TEMPLATE.format(year=latest.year, month=f"{latest.month:02d}", **common)
    return text, principal


def _still_wanted(reminder: Reminder, case: Case) -> str:
    """Why the reminder should not go out any more ('' when it should)."""
    if reminder.kind == Reminder.Kind.CADENCE and case.stage != Stage.REMINDING:
        return _("the case left the reminding stage (now “%(stage)s”)") % {
            "stage": case.get_stage_display()
        }
    if not case.is_open:
        return _("the case is closed")
    return ""


def _deliver(reminder: Reminder, *, now: dt.datetime) -> None:
    """Send the claimed ``reminder`` (its row is locked by the caller). Raises ``SmsError``
    when the backend refuses; the caller rolls the contact back."""
    case = Case.objects.select_related("unit__estate").get(pk=reminder.case_id)
    why_not = _still_wanted(reminder, case)
    party = _addressee(case) if not why_not else None
    text, principal = (
        ("", Decimal(0))
        if why_not
        else reminder_text(reminder, case=case, as_of=timezone.localdate(now))
    )
    if not why_not and principal <= 0:
        why_not = _("nothing is owed any more")
    if why_not:
        reminder.status, reminder.error = Reminder.Status.CANCELLED, why_not
        reminder.save(update_fields=["status", "error"])
        return
    phone = party.phone.strip() if party else ""
    if not phone:
        reminder.status = Reminder.Status.FAILED
        reminder.error = _("no phone number for the liable owner of %(unit)s") % {
            "unit": case.unit.label
        }
        reminder.save(update_fields=["status", "error"])
        return
    # transaction ensures the contact exists only if the gateway accepted the SMS.
    with transaction.atomic():
        contact = contact_log(
            case,
            actor=system_user(),
            channel=Channel.SMS,
            outcome=Outcome.NO_ANSWER,
            occurred_at=now,
            notes=text,
        )
        result = sms_send(phone, text, reference=f"reminder-{reminder.pk}")
    reminder.status = Reminder.Status.SENT
    reminder.attempts += 1
    reminder.phone, reminder.text, reminder.backend = phone, text, result.backend
    reminder.message_id, reminder.sent_at, reminder.contact = result.message_id, now, contact
    reminder.error = ""
    reminder.save()
    if party.email:
        _email_copy(case, party.email, text, now=now)


def _email_copy(case: Case, address: str, text: str, *, now: dt.datetime) -> None:
    """The same reminder by email, logged as an email contact; a failure is logged only."""
    try:
        with transaction.atomic():
            contact_log(
                case,
                actor=system_user(),
                channel=Channel.EMAIL,
                outcome=Outcome.NO_ANSWER,
                occurred_at=now,
                notes=text,
            )
            send_mail(EMAIL_SUBJECT, text, None, [address])
    except (OSError, CaseError, ValidationError) as exc:
        logger.warning("reminder email to %s for case %s failed: %s", address, case.pk, exc)


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)
    return str(getattr(exc, "message", exc))


def _record_failure(reminder: Reminder, error: str, *, now: dt.datetime) -> None:
    reminder.attempts += 1
    reminder.error = error[:1000]
    if reminder.attempts >= getattr(settings, "SMS_MAX_ATTEMPTS", 3):
        reminder.status = Reminder.Status.FAILED
    else:  # retried at the next dispatch after a back-off, never in quiet hours
        reminder.not_before = next_send_time(now + dt.timedelta(minutes=30 * reminder.attempts))
    reminder.save(update_fields=["attempts", "error", "status", "not_before"])
    logger.warning("reminder %s for case %s failed: %s", reminder.pk, reminder.case_id, error)


def _claim_and_send(candidates, *, now: dt.datetime, report: DispatchReport) -> bool:
    """Claim one due reminder of ``candidates`` and send it; False when none is left."""
    # transaction ensures the row stays locked (skipped by other dispatchers) until it is
    # marked sent, failed or cancelled.
    with transaction.atomic():
        reminder = (
            claim(candidates.filter(status=Reminder.Status.PENDING, not_before__lte=now))
            .select_related("promise")
            .order_by("not_before", "id")
            .first()
        )
        if reminder is None:
            return False
        try:
            _deliver(reminder, now=now)
        except (SmsError, CaseError, ValidationError) as exc:
            _record_failure(reminder, _error_text(exc), now=now)
            report.failed += 1
            report.errors.append(f"reminder {reminder.pk}: {exc}")
            return True
        if reminder.status == Reminder.Status.SENT:
            report.sent += 1
        elif reminder.status == Reminder.Status.CANCELLED:
            report.cancelled += 1
        else:
            report.failed += 1
    return True


def reminders_dispatch(
    *, now: dt.datetime | None = None, limit: int = 10_000, schedule: bool = True
) -> DispatchReport:
    """The hourly run: schedule the next reminders, then claim and send every due one (at
    most ``limit``). Nothing is sent in the quiet hours. Safe to run on several workers at
    once and to redeliver: a reminder is claimed by one dispatcher and sent once."""
    now = now or timezone.now()
    report = DispatchReport()
    if schedule:
        reminders_schedule(as_of=timezone.localdate(now))
    if in_quiet_hours(now):
        report.deferred = True
        return report
    for _i in range(limit):
        if not _claim_and_send(Reminder.objects.all(), now=now, report=report):
            break
    return report


def reminder_send(reminder_id: int, *, now: dt.datetime | None = None) -> bool:
    """Send one reminder if it is still pending and due (and not in quiet hours); a second
    delivery of the same task finds it sent (or locked) and sends nothing. Returns whether
    this call sent it."""
    now = now or timezone.now()
    if in_quiet_hours(now):
        return False
    report = DispatchReport()
    _claim_and_send(Reminder.objects.filter(pk=reminder_id), now=now, report=report)
    return report.sent == 1


# --- delivery reports ---------------------------------------------------------------------


def sms_delivery_report(
    message_id: str, delivered: bool, *, at: dt.datetime | None = None
) -> Reminder | None:
    """Record the gateway's delivery report for ``message_id``: one evidence entry on the
    case (the report is proof that the demand arrived), and on a delivered report the SMS
    contact stores the report's reference (``sms_report_ref``, the proof) and gets the proof
    grade “SMS delivery report”. A repeated
    report changes nothing; an unknown message id returns None."""
    at = at or timezone.now()
    reminder = Reminder.objects.filter(message_id=message_id).first()
    if reminder is None or reminder.contact_id is None:
        logger.warning("delivery report for unknown SMS %s", message_id)
        return None
    with transaction.atomic():
        locked_case = case_lock(reminder.case_id)
        reminder = Reminder.objects.select_for_update().get(pk=reminder.pk)
        if reminder.delivery:
            return reminder
        contact = ContactAttempt.objects.get(pk=reminder.contact_id)
        if delivered:
            grade = proof_grade_for(
                channel=contact.channel,
                outcome=contact.outcome,
                witness=contact.witness,
                delivery_confirmed=True,
                attachment_kinds=contact.attachments.values_list("kind", flat=True),
                tracking_status=contact.tracking_status,
                sms_report_ref=message_id,
            )
            # The stored report (its message id) is the proof; the tick alone would not be.
            ContactAttempt.objects.filter(pk=contact.pk).update(
                delivery_confirmed=True,
                sms_report_ref=message_id,
                proof_grade=max(grade, contact.proof_grade),
            )
        evidence_append(
            locked_case,
            kind=EvidenceKind.CONTACT,
            actor=system_user(),
            summary=(
                _("SMS delivery report: delivered")
                if delivered
                else _("SMS delivery report: not delivered")
            ),
            payload={
                "contact": contact.pk,
                "channel": Channel.SMS,
                "message_id": message_id,
                "delivered": delivered,
                "reported_at": timezone.localtime(at).isoformat(),
                "phone": reminder.phone,
            },
        )
        reminder.delivery = (
            Reminder.Delivery.DELIVERED if delivered else Reminder.Delivery.UNDELIVERED
        )
        reminder.delivery_reported_at = at
        reminder.save(update_fields=["delivery", "delivery_reported_at"])
    return reminder
