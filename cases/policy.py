"""Escalation guards from the estate's policy (DESIGN.md sections 3 and 6).

Each guard is a pure function of ``CaseFacts`` and the estate and returns a ``GuardResult``
that explains itself. Transitions use them for one case (``case_facts``), the daily sweep for
all cases at once (facts gathered set-based), so both say the same thing for the same case.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Case, Estate, Unit
from cases.models.case import LEGAL_STAGES, PAUSED_STAGES, PRE_LEGAL_STAGES, Stage
from cases.models.contact import SERVED_STATUSES, ContactAttempt, Delivery, Letter, Outcome
from cases.selectors.ledger import arrears_for_unit, money


@dataclass(frozen=True)
class GuardResult:
    ok: bool
    reason: str

    def __bool__(self) -> bool:
        return self.ok


def allow(reason: str = "") -> GuardResult:
    return GuardResult(True, reason)


def refuse(reason: str) -> GuardResult:
    return GuardResult(False, reason)


@dataclass(frozen=True)
class CaseFacts:
    """What the guards look at, for one case on one day."""

    as_of: dt.date
    stage: str
    return_stage: str
    segment: str
    principal: Decimal
    days_overdue: int
    contacts_while_reminding: int
    channels_while_reminding: int
    demand_deadline: dt.date | None  # latest deadline of a served demand letter
    lawyer_letter_deadline: dt.date | None  # latest deadline of a served lawyer letter
    filed_on: dt.date | None
    summons_served_on: dt.date | None


# Contacts that count as documented: a wrong number reached nobody.
DOCUMENTED_CONTACT = Q(stage=Stage.REMINDING) & ~Q(outcome=Outcome.WRONG_NUMBER)


def served_deadline_filter(letter: str) -> Q:
    return Q(letter=letter, status__in=SERVED_STATUSES, deadline__isnull=False)


def case_facts(case: Case, *, as_of: dt.date | None = None) -> CaseFacts:
    as_of = as_of or timezone.localdate()
    arrears = arrears_for_unit(case.unit, as_of=as_of)
    contacts = ContactAttempt.objects.filter(DOCUMENTED_CONTACT, case=case).aggregate(
        n=Count("id"), channels=Count("channel", distinct=True)
    )
    deadlines = Delivery.objects.filter(case=case).aggregate(
        demand=Max("deadline", filter=served_deadline_filter(Letter.DEMAND_LETTER)),
        lawyer=Max("deadline", filter=served_deadline_filter(Letter.LAWYER_LETTER)),
    )
    return CaseFacts(
        as_of=as_of,
        stage=case.stage,
        return_stage=case.return_stage,
        segment=case.unit.segment,
        principal=arrears.principal,
        days_overdue=arrears.days_overdue,
        contacts_while_reminding=contacts["n"],
        channels_while_reminding=contacts["channels"],
        demand_deadline=deadlines["demand"],
        lawyer_letter_deadline=deadlines["lawyer"],
        filed_on=case.filed_on,
        summons_served_on=case.summons_served_on,
    )


# --- the guards ------------------------------------------------------------------------


def demand_guard(f: CaseFacts, estate: Estate) -> GuardResult:
    if (
        f.contacts_while_reminding >= estate.demand_min_contacts
        and f.channels_while_reminding >= estate.demand_min_channels
    ):
        return allow(
            _("%(n)d documented contacts on %(c)d channels while reminding.")
            % {"n": f.contacts_while_reminding, "c": f.channels_while_reminding}
        )
    return refuse(
        _(
            "A demand letter needs at least %(need_n)d documented contacts on %(need_c)d "
            "channels while reminding; this case has %(n)d on %(c)d."
        )
        % {
            "need_n": estate.demand_min_contacts,
            "need_c": estate.demand_min_channels,
            "n": f.contacts_while_reminding,
            "c": f.channels_while_reminding,
        }
    )


def _served_and_expired(deadline: dt.date | None, as_of: dt.date, letter_label: str) -> GuardResult:
    if deadline is None:
        return refuse(_("No %(letter)s has been proven served yet.") % {"letter": letter_label})
    if deadline >= as_of:
        return refuse(
            _("The served %(letter)s's deadline (%(deadline)s) has not passed yet.")
            % {"letter": letter_label, "deadline": deadline.isoformat()}
        )
    return allow(
        _("The served %(letter)s's deadline passed on %(deadline)s.")
        % {"letter": letter_label, "deadline": deadline.isoformat()}
    )


def lawyer_letter_guard(f: CaseFacts, estate: Estate) -> GuardResult:
    threshold = estate.lawyer_letter_threshold_for(f.segment)
    if f.principal >= threshold:
        amount_reason = _("arrears %(p)s ≥ threshold %(t)s") % {
            "p": money(f.principal),
            "t": money(threshold),
        }
    elif f.days_overdue >= estate.lawyer_letter_age_days:
        amount_reason = _("oldest unpaid charge %(d)d days overdue ≥ %(a)d") % {
            "d": f.days_overdue,
            "a": estate.lawyer_letter_age_days,
        }
    else:
        return refuse(
            _(
                "Arrears %(p)s are below the %(segment)s threshold of %(t)s and the oldest "
                "unpaid charge is %(d)d days overdue (< %(a)d): no lawyer letter yet."
            )
            % {
                "p": money(f.principal),
                "segment": Unit.Segment(f.segment).label,
                "t": money(threshold),
                "d": f.days_overdue,
                "a": estate.lawyer_letter_age_days,
            }
        )
    demand = _served_and_expired(f.demand_deadline, f.as_of, _("demand letter"))
    if not demand:
        return demand
    return allow(f"{amount_reason}; {demand.reason}")


def litigation_guard(f: CaseFacts, estate: Estate) -> GuardResult:
    # Civil Code art. 944: demand first, then sue — the lawyer letter came after a demand.
    demand = _served_and_expired(f.demand_deadline, f.as_of, _("demand letter"))
    if not demand:
        return demand
    return _served_and_expired(f.lawyer_letter_deadline, f.as_of, _("lawyer letter"))


def summons_guard(f: CaseFacts, estate: Estate) -> GuardResult:
    if f.filed_on is None:
        return refuse(_("Nothing has been filed with a court yet."))
    if f.summons_served_on is not None:
        return refuse(
            _("The summons was already recorded as served on %(d)s.")
            % {"d": f.summons_served_on.isoformat()}
        )
    return allow()


def judgment_guard(f: CaseFacts, estate: Estate) -> GuardResult:
    if f.filed_on is None:
        return refuse(_("Nothing has been filed with a court yet."))
    return allow()


def _paid_in_full(f: CaseFacts) -> GuardResult:
    if f.principal > 0:
        return refuse(_("%(p)s principal is still owed.") % {"p": money(f.principal)})
    return allow(_("Paid in full."))


def _effective_stage(f: CaseFacts) -> str:
    return f.return_stage if f.stage in PAUSED_STAGES and f.return_stage else f.stage


def settle_guard(f: CaseFacts, estate: Estate) -> GuardResult:
    if _effective_stage(f) not in PRE_LEGAL_STAGES:
        return refuse(
            _("After a lawyer letter a paid case needs a withdrawal approved by a manager.")
        )
    return _paid_in_full(f)


def withdrawal_guard(f: CaseFacts, estate: Estate) -> GuardResult:
    if _effective_stage(f) not in LEGAL_STAGES:
        return refuse(_("There is no lawyer letter or court step to withdraw."))
    return allow()


def close_guard(f: CaseFacts, estate: Estate) -> GuardResult:
    if f.stage == Stage.WRITTEN_OFF:
        return allow(_("Written off."))
    if f.stage == Stage.SETTLED:
        # Settling required payment in full; arrears that fell due since are a new debt,
        # for which the sweep opens a new case once this one is closed.
        return allow(_("Paid in full when it settled."))
    return _paid_in_full(f)


def always(f: CaseFacts, estate: Estate) -> GuardResult:
    return allow()


GUARDS: dict[str, Callable[[CaseFacts, Estate], GuardResult]] = {
    "issue_demand": demand_guard,
    "issue_lawyer_letter": lawyer_letter_guard,
    "file_litigation": litigation_guard,
    "record_summons": summons_guard,
    "record_judgment": judgment_guard,
    "settle": settle_guard,
    "request_withdrawal": withdrawal_guard,
    "close": close_guard,
}


def guard_for(name: str) -> Callable[[Case], GuardResult]:
    """The guard of transition ``name`` for one case (facts read from the database)."""
    pure = GUARDS.get(name, always)

    def check(case: Case, *, as_of: dt.date | None = None) -> GuardResult:
        if pure is always:
            return allow()
        return pure(case_facts(case, as_of=as_of), case.unit.estate)

    return check
