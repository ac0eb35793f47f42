"""The limitation period 诉讼时效 of each billing period (DESIGN.md section 6): pure rules.

No ORM here: ``cases.selectors.limitation`` reads the events from the database and calls
``expiry_for`` per charge.

The rules (Civil Code arts. 188, 192, 195, 201, 202; 最高人民法院《关于审理民事案件适用诉讼
时效制度若干问题的规定》 arts. 8, 9, 10, 14):

- **Three years, by the calendar.** Each charge's period starts the day after its due date
  (art. 201: the first day is not counted) and ends on the same calendar day three years
  later: due 2022-01-31 → last day 2025-01-31. A start on 29 February ends on 28 February
  (art. 202: a month without the corresponding day ends on its last day). ``expires_on``
  is the **last day on which the claim is still in time**; from the next day it is
  time-barred (``days_left < 0``, level ``"expired"``).
- **Restart (中断, art. 195)**: the period starts afresh on the day of
  - a demand *proven to have arrived* (``DEMAND_DELIVERED``), as decided by
    ``demand_proven_served`` — the one rule the art. 944 guard (``cases.policy``) reads too:
    a letter or contact served or signed for with a stored proof of arrival (a signed receipt
    or delivery record file, a tracking number whose status is delivered 妥投, an SMS delivery
    report), or refused with a stored proof of the refusal (a witness's record file, or a
    tracking status of refused). A notice posted on the door never counts, whatever its
    photo: it proves the posting, not that the debtor received it. A ticked "delivery
    confirmed" box or a witness's name alone is a claim, not proof.
  - the debtor's acknowledgement (``PARTIAL_PAYMENT``, ``PROMISE``, ``INSTALLMENT_AGREEMENT``):
    any payment for the unit; a promise to pay recorded with proof (an attachment, or a proof
    grade of a call recording or better); an approved installment plan.
  - a payment-order application or a lawsuit (``LITIGATION``, the filing date). Strictly the
    period restarts when those proceedings end; restarting on the filing date gives an
    earlier, hence conservative, expiry.
- **One debt.** The fees of one unit under one service contract are one debt: an event on
  day *d* restarts every charge of the unit that was already due before *d* (a demand for
  part of a debt interrupts the whole, art. 9 of the provisions; partial performance is an
  acknowledgement of the debt, art. 14). Charges due on or after *d* are not touched.
- **After expiry** nothing the creditor does revives a period (a demand, a filing), and a
  partial payment only keeps what was paid (art. 192, para. 2). The debtor's express consent
  to pay — a promise with proof or an installment agreement — does (art. 192, para. 1: he
  may no longer plead the limitation).
- Expired charges are reported, never dropped.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

LIMITATION_YEARS = 3
WARNING_DAYS = (90, 30, 7)


class RestartKind(models.TextChoices):
    DEMAND_DELIVERED = "demand_delivered", _("Demand proven delivered (催告送达)")
    PARTIAL_PAYMENT = "partial_payment", _("Partial payment (部分履行)")
    PROMISE = "promise", _("Promise to pay, with proof (承诺还款)")
    INSTALLMENT_AGREEMENT = "installment_agreement", _("Installment agreement (分期还款协议)")
    LITIGATION = "litigation", _("Payment order or lawsuit filed (申请支付令/起诉)")


# What the debtor said or signed: revives even an expired period (art. 192, para. 1).
REVIVING_KINDS = frozenset({RestartKind.PROMISE, RestartKind.INSTALLMENT_AGREEMENT})


class Level(models.TextChoices):
    OK = "ok", _("More than 90 days left")
    D90 = "90", _("90 days or less left")
    D30 = "30", _("30 days or less left")
    D7 = "7", _("7 days or less left")
    EXPIRED = "expired", _("Time-barred (诉讼时效已届满)")


NO_EVENT_LABEL = _("Due date, not interrupted (自到期日起算)")

# ProofGrade values (cases.models.contact.ProofGrade).
CALL_RECORDING = 3
PROMISE_MIN_GRADE = CALL_RECORDING
DOOR_POSTING = "notice_posted"
SMS = "sms"
# Outcomes (of a contact) and statuses (of a delivery) that say nothing arrived.
NOBODY_REACHED = frozenset({"wrong_number", "returned"})
SERVED = frozenset({"served", "signed"})
REFUSED = "refused"
# Stored files (ContactAttachment.Kind values) that prove arrival, or a refusal (a witness's
# photo, recording or written record of it). A delivery's proof file is a delivery record.
ARRIVAL_FILE_KINDS = frozenset({"signed_receipt", "delivery_record"})
REFUSAL_FILE_KINDS = ARRIVAL_FILE_KINDS | {"photo", "recording", "document"}
DELIVERY_FILE_KINDS = frozenset({"delivery_record"})
# TrackingStatus values (cases.models.contact.TrackingStatus).
TRACKING_DELIVERED = "delivered"
TRACKING_REFUSED = "refused"


@dataclass(frozen=True)
class RestartEvent:
    kind: str
    on: dt.date
    ref: str = ""  # what it was, for the report: "contact 12", "delivery 3", "payment 7"

    @property
    def label(self) -> str:
        return str(RestartKind(self.kind).label)


def add_years(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` later; 29 February becomes 28 February (art. 202)."""
    year = day.year + years
    last = calendar.monthrange(year, day.month)[1]
    return day.replace(year=year, day=min(day.day, last))


def demand_proven_served(
    *,
    channel: str,
    outcome: str,
    file_kinds: Iterable[str] = (),
    tracking_status: str = "",
    sms_delivered: bool = False,
) -> bool:
    """THE rule for "this demand was proven served" (DESIGN.md section 5a), for a letter's
    delivery (``channel`` = its method, ``outcome`` = its status) and for a contact alike.
    Both the limitation clock (a restart, ``cases.selectors.limitation``) and the art. 944
    guard (a served deadline, ``cases.policy``) decide with it, so one event never counts
    for one and not the other.

    - A door posting never counts; a returned letter or a wrong number reached nobody.
    - A refusal counts only with proof of the refusal: a witness's record (a stored file) or
      a tracking status of refused.
    - Anything else (served, signed, reached …) counts only with proof of arrival: a signed
      receipt or delivery record file, a tracking status of delivered (妥投), or, for an SMS,
      the gateway's delivery report.
    Only stored proof is looked at: a ticked box or a witness's name is a claim."""
    if channel == DOOR_POSTING or outcome in NOBODY_REACHED:
        return False
    kinds = set(file_kinds)
    if outcome == REFUSED:
        return bool(kinds & REFUSAL_FILE_KINDS) or tracking_status == TRACKING_REFUSED
    return (
        bool(kinds & ARRIVAL_FILE_KINDS)
        or tracking_status == TRACKING_DELIVERED
        or (channel == SMS and sms_delivered)
    )


def delivery_proven_served(
    *, method: str, status: str, has_proof_file: bool, tracking_status: str = ""
) -> bool:
    """``demand_proven_served`` for a letter's delivery, whose proof file is a delivery
    record (the courier's, or a witness's record of a refusal)."""
    return demand_proven_served(
        channel=method,
        outcome=status,
        file_kinds=DELIVERY_FILE_KINDS if has_proof_file else (),
        tracking_status=tracking_status,
    )


def contact_counts_as_promise(*, outcome: str, proof_grade: int, has_attachment: bool) -> bool:
    """A promise to pay recorded with proof: an attachment, or a call recording or better."""
    return outcome == "promised" and (has_attachment or int(proof_grade) >= PROMISE_MIN_GRADE)


def expiry_for(
    due_on: dt.date, events: Iterable[RestartEvent]
) -> tuple[dt.date, RestartEvent | None]:
    """The last day the charge due on ``due_on`` can be claimed in time, and the event that
    set it (None: the due date itself). Events on or before the due date are ignored (the
    period had not started); see the module docstring for what restarts and revives."""
    expires, source = add_years(due_on, LIMITATION_YEARS), None
    for event in sorted(events, key=lambda e: (e.on, e.kind in REVIVING_KINDS)):
        if event.on <= due_on:
            continue
        if event.on > expires and event.kind not in REVIVING_KINDS:
            continue  # time-barred already: only the debtor's consent revives it
        restarted = add_years(event.on, LIMITATION_YEARS)
        if restarted >= expires:
            expires, source = restarted, event
    return expires, source


def days_left(expires_on: dt.date, as_of: dt.date) -> int:
    """Days until the last day in time: 0 on that day, negative once time-barred."""
    return (expires_on - as_of).days


def level_for(days: int) -> str:
    """The warning level of a clock ``days`` days from its last day."""
    if days < 0:
        return Level.EXPIRED.value
    for limit in sorted(WARNING_DAYS):
        if days <= limit:
            return str(limit)
    return Level.OK.value


LEVEL_ORDER = {Level.EXPIRED: 0, Level.D7: 1, Level.D30: 2, Level.D90: 3, Level.OK: 4}
