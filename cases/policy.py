"""Escalation guards from the estate's policy (DESIGN.md sections 3 and 6).

Each guard is a pure function of ``CaseFacts`` and the estate and returns a ``GuardResult``
that explains itself. Transitions use them for one case (``case_facts``), the daily sweep for
all cases at once (facts gathered set-based), so both say the same thing for the same case.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.limitation import delivery_proven_served
from cases.models import Case, Estate, Unit
from cases.models.case import (
    LEGAL_STAGES,
    PAUSED_STAGES,
    PRE_LEGAL_STAGES,
    LitigationKind,
    Stage,
)
from cases.models.contact import SERVED_STATUSES, ContactAttempt, Delivery, Letter, Outcome
from cases.models.estate import UnitParty
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
    litigation_kind: str = ""
    payment_order_served_on: dt.date | None = None
    objection_deadline: dt.date | None = None
    objected_on: dt.date | None = None
    # What remains to settle (``UnitArrears.remainder``/``paid_in_full``, the one definition).
    remainder: Decimal = Decimal(0)
    late_fee_owed: Decimal = Decimal(0)


# Contacts that count as documented: a wrong number reached nobody.
DOCUMENTED_CONTACT = Q(stage=Stage.REMINDING) & ~Q(outcome=Outcome.WRONG_NUMBER)


def served_deadline_filter(letter: str) -> Q:
    """Narrows in SQL to deliveries of ``letter`` with a deadline; whether one counts is
    ``demand_proven_served`` (``proven_deadlines``)."""
    return Q(letter=letter, status__in=SERVED_STATUSES, deadline__isnull=False)


def proven_deadlines(deliveries: QuerySet[Delivery]) -> dict[int, dict[str, dt.date]]:
    """Per case id, the latest deadline of each letter (demand, lawyer letter) among
    ``deliveries`` proven served by ``demand_proven_served`` — the same rule that restarts the
    limitation clock, so a delivery moves both or neither (Civil Code art. 944)."""
    letters = [Letter.DEMAND_LETTER, Letter.LAWYER_LETTER]
    rows = (
        deliveries.filter(
            served_deadline_filter(Letter.DEMAND_LETTER)
            | served_deadline_filter(Letter.LAWYER_LETTER)
        )
        .filter(letter__in=letters)
        .order_by()
        .values_list(
            "case_id", "letter", "deadline", "status", "method", "proof_id", "tracking_status"
        )
    )
    out: dict[int, dict[str, dt.date]] = defaultdict(dict)
    for case_id, letter, deadline, status, method, proof_id, tracking_status in rows:
        if delivery_proven_served(
            method=method,
            status=status,
            has_proof_file=proof_id is not None,
            tracking_status=tracking_status,
        ):
            latest = out[case_id].get(letter)
            if latest is None or deadline > latest:
                out[case_id][letter] = deadline
    return dict(out)


def case_facts(case: Case, *, as_of: dt.date | None = None) -> CaseFacts:
    as_of = as_of or timezone.localdate()
    arrears = arrears_for_unit(case.unit, as_of=as_of)
    contacts = ContactAttempt.objects.filter(DOCUMENTED_CONTACT, case=case).aggregate(
        n=Count("id"), channels=Count("channel", distinct=True)
    )
    served = proven_deadlines(Delivery.objects.filter(case=case)).get(case.pk, {})
    deadlines = {
        "demand": served.get(Letter.DEMAND_LETTER),
        "lawyer": served.get(Letter.LAWYER_LETTER),
    }
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
        litigation_kind=case.litigation_kind,
        payment_order_served_on=case.payment_order_served_on,
        objection_deadline=case.objection_deadline,
        objected_on=case.objected_on,
        remainder=arrears.remainder,
        late_fee_owed=arrears.late_fee_payable,
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


def art_944() -> str:
    return _(
        "Civil Code art. 944 (民法典第九百四十四条): the owner must first be given a "
        "reasonable deadline to pay; only when it has expired may the company sue."
    )


def litigation_guard(f: CaseFacts, estate: Estate) -> GuardResult:
    # Civil Code art. 944: demand first, then sue — the lawyer letter came after a demand.
    demand = _served_and_expired(f.demand_deadline, f.as_of, _("demand letter"))
    if not demand:
        return refuse(f"{demand.reason} {art_944()}")
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


def _payment_order_pending(f: CaseFacts) -> GuardResult:
    if f.objected_on is not None:
        return refuse(
            _("The debtor objected to the payment order on %(d)s: the case continues as a lawsuit.")
            % {"d": f.objected_on.isoformat()}
        )
    if f.litigation_kind != LitigationKind.PAYMENT_ORDER or f.filed_on is None:
        return refuse(_("No payment order has been applied for on this case."))
    return allow()


def payment_order_service_guard(f: CaseFacts, estate: Estate) -> GuardResult:
    pending = _payment_order_pending(f)
    if not pending:
        return pending
    if f.payment_order_served_on is not None:
        return refuse(
            _("The payment order was already recorded as served on %(d)s.")
            % {"d": f.payment_order_served_on.isoformat()}
        )
    return allow()


def _payment_order_served(f: CaseFacts) -> GuardResult:
    pending = _payment_order_pending(f)
    if not pending:
        return pending
    if f.payment_order_served_on is None or f.objection_deadline is None:
        return refuse(_("The payment order has not been served on the debtor yet."))
    return allow()


def objection_guard(f: CaseFacts, estate: Estate) -> GuardResult:
    return _payment_order_served(f)


def payment_order_effective_guard(f: CaseFacts, estate: Estate) -> GuardResult:
    served = _payment_order_served(f)
    if not served:
        return served
    if f.as_of <= f.objection_deadline:
        return refuse(
            _("The debtor may still pay or object until %(d)s (15 days from service).")
            % {"d": f.objection_deadline.isoformat()}
        )
    return allow(
        _(
            "No objection by %(d)s, 15 days after service on %(s)s: the payment order is "
            "effective and enforcement may be applied for."
        )
        % {"d": f.objection_deadline.isoformat(), "s": f.payment_order_served_on.isoformat()}
    )


def judgment_guard(f: CaseFacts, estate: Estate) -> GuardResult:
    if f.filed_on is None:
        return refuse(_("Nothing has been filed with a court yet."))
    return allow()


def remainder_text(principal: Decimal, late_fee: Decimal) -> str:
    """“¥358.17 remains (principal 0.00, late fee 358.17)”: how every refusal names it."""
    return _("%(total)s remains (principal %(p)s, late fee %(l)s)") % {
        "total": money(principal) + late_fee,
        "p": money(principal),
        "l": late_fee,
    }


def _paid_in_full(f: CaseFacts) -> GuardResult:
    # Paid in full is ``UnitArrears.paid_in_full``: nothing remains to the fen.
    if f.remainder > 0:
        return refuse(
            _("Not paid in full: %(what)s.")
            % {"what": remainder_text(f.principal, f.late_fee_owed)}
        )
    return allow(_("Paid in full."))


def payment_step(stage: str, return_stage: str, arrears) -> str | None:
    """The step a case takes when its unit's ledger changed (a payment, the daily sweep):
    ``settle`` once paid in full before any lawyer letter; from the lawyer letter on,
    ``request_withdrawal`` once the principal is paid — a manager then decides on any late
    fee that remains (approve with a waiver, or keep the case open); otherwise ``None``.
    ``arrears`` is the unit's ``UnitArrears`` (``None``: it owes nothing)."""
    effective = return_stage if stage in PAUSED_STAGES and return_stage else stage
    paid_in_full = arrears is None or arrears.paid_in_full
    principal_paid = arrears is None or money(arrears.principal) <= 0
    if effective in PRE_LEGAL_STAGES and stage in PRE_LEGAL_STAGES + PAUSED_STAGES:
        return "settle" if paid_in_full else None
    if effective in LEGAL_STAGES and stage in LEGAL_STAGES + PAUSED_STAGES:
        return "request_withdrawal" if principal_paid else None
    return None


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


def court_case_number_refusal(case) -> str | None:
    """Why a withdrawal of ``case`` cannot be asked or approved yet, or ``None``: a lawsuit or
    payment order that was filed needs the court's case number (案号, recorded when the court
    accepts): the withdrawal application names it."""
    if case.filed_on is not None and not case.court_case_number.strip():
        return str(
            _(
                "The court's case number is not recorded: record the court's acceptance "
                "(立案/受理) with its case number before withdrawing the lawsuit or payment order."
            )
        )
    return None


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
    "record_payment_order_service": payment_order_service_guard,
    "record_objection": objection_guard,
    "payment_order_effective": payment_order_effective_guard,
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


# --- payment orders (督促程序) ---------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """One condition of a procedure: a stable ``code``, whether it holds, and why."""

    code: str
    ok: bool
    reason: str


def liable_party(unit: Unit):
    """The party the documents are addressed to: the liable owner, else the developer of an
    unsold unit, else any liable party (tenant)."""
    links = list(
        UnitParty.objects.filter(unit=unit, liable=True).select_related("party").order_by("id")
    )
    for role in (UnitParty.Role.OWNER, UnitParty.Role.DEVELOPER, UnitParty.Role.TENANT):
        for link in links:
            if link.role == role:
                return link.party
    return None


def late_fees_claimable(estate: Estate) -> bool:
    """Late fees are claimed only when the service contract provides them (and at a rate)."""
    return estate.contract_provides_late_fees and estate.late_fee_daily_rate > 0


def payment_order_eligibility(case: Case, *, as_of: dt.date | None = None) -> list[Condition]:
    """The conditions of a payment order 支付令 (Civil Procedure Law, 督促程序), each with
    its reason: a money debt that is due; the company owes the debtor nothing in return;
    the debtor is in China and can be served at a known address; no pre-suit preservation.
    The last line says whether late fees are claimed (only when the contract provides them);
    it never blocks."""
    as_of = as_of or timezone.localdate()
    unit = case.unit
    estate = unit.estate
    principal = arrears_for_unit(unit, as_of=as_of).principal
    party = liable_party(unit)
    conditions = [
        Condition(
            "debt_due",
            principal > 0,
            _("%(p)s of fees are due and unpaid.") % {"p": money(principal)}
            if principal > 0
            else _("Nothing is due: a payment order needs a money debt that is due."),
        ),
        Condition(
            "no_counter_obligation",
            not case.company_owes_debtor,
            _("The company owes the owner nothing in return.")
            if not case.company_owes_debtor
            else _(
                "The company owes the owner something in return (对待给付): a payment order "
                "needs a creditor who owes the debtor nothing."
            ),
        ),
    ]
    if party is None:
        conditions.append(
            Condition(
                "debtor_known",
                False,
                _("No liable party is recorded for unit %(u)s.") % {"u": unit.label},
            )
        )
    else:
        conditions += [
            Condition(
                "debtor_in_china",
                party.lives_in_china,
                _("%(name)s lives in mainland China.") % {"name": party.name}
                if party.lives_in_china
                else _(
                    "%(name)s does not live in mainland China: a payment order cannot be "
                    "served abroad."
                )
                % {"name": party.name},
            ),
            Condition(
                "known_address",
                bool(party.address.strip()),
                _("It can be served at %(a)s.") % {"a": party.address}
                if party.address.strip()
                else _(
                    "No address for service is known for %(name)s: a payment order needs a "
                    "debtor whose whereabouts are known."
                )
                % {"name": party.name},
            ),
        ]
    conditions += [
        Condition(
            "no_preservation",
            not case.preservation_applied,
            _("No pre-suit preservation was applied for.")
            if not case.preservation_applied
            else _(
                "Pre-suit property preservation (诉前保全) was applied for: sue instead of "
                "applying for a payment order."
            ),
        ),
        Condition(
            "late_fees",
            True,
            _("Late fees are claimed: the service contract provides them.")
            if late_fees_claimable(estate)
            else _("Late fees are left out of the claim: the service contract provides none."),
        ),
    ]
    return conditions


def payment_order_eligible(case: Case, *, as_of: dt.date | None = None) -> GuardResult:
    """All conditions of ``payment_order_eligibility`` at once: the failing reasons, or ok."""
    conditions = payment_order_eligibility(case, as_of=as_of)
    failing = [c.reason for c in conditions if not c.ok]
    if failing:
        return refuse(
            _("No payment order: %(reasons)s") % {"reasons": " ".join(str(r) for r in failing)}
        )
    return allow(_("A payment order may be applied for."))


def _file_litigation_params(case: Case, params: dict, as_of: dt.date) -> GuardResult:
    if params.get("kind") == LitigationKind.PAYMENT_ORDER:
        return payment_order_eligible(case, as_of=as_of)
    return allow()


def _served_on_params(case: Case, params: dict, as_of: dt.date) -> GuardResult:
    served_on = params.get("served_on")
    if served_on is None:
        return refuse(_("The date the payment order was served is missing."))
    if served_on > as_of:
        return refuse(_("A service date cannot be in the future."))
    if case.filed_on and served_on < case.filed_on:
        return refuse(
            _("The order cannot be served (%(s)s) before the application was filed (%(f)s).")
            % {"s": served_on.isoformat(), "f": case.filed_on.isoformat()}
        )
    return allow()


def _objection_params(case: Case, params: dict, as_of: dt.date) -> GuardResult:
    on = params.get("on")
    if on is None:
        return refuse(_("The date of the objection is missing."))
    if on > as_of:
        return refuse(_("An objection date cannot be in the future."))
    served, deadline = case.payment_order_served_on, case.objection_deadline
    if served and on < served:
        return refuse(
            _("An objection (%(o)s) cannot precede the service of the order (%(s)s).")
            % {"o": on.isoformat(), "s": served.isoformat()}
        )
    if deadline and on > deadline:
        return refuse(
            _(
                "The objection of %(o)s came after the 15-day deadline (%(d)s): the payment "
                "order stands."
            )
            % {"o": on.isoformat(), "d": deadline.isoformat()}
        )
    return allow()


def _judgment_params(case: Case, params: dict, as_of: dt.date) -> GuardResult:
    """The performance deadline (履行期限), when given, cannot precede the effective date."""
    effective_on, deadline = params.get("effective_on"), params.get("performance_deadline")
    if deadline is not None and effective_on is not None and deadline < effective_on:
        return refuse(
            _("The performance deadline (%(d)s) cannot be before the judgment took effect (%(e)s).")
            % {"d": deadline.isoformat(), "e": effective_on.isoformat()}
        )
    return allow()


def _court_acceptance_params(case: Case, params: dict, as_of: dt.date) -> GuardResult:
    """The court accepted (立案/受理) on a day between the filing and today, under a case
    number: the withdrawal application and later steps name it."""
    accepted_on, number = params.get("accepted_on"), (params.get("court_case_number") or "")
    if not number.strip():
        return refuse(_("The court's case number (案号) is missing."))
    if accepted_on is None:
        return refuse(_("The date the court accepted the case is missing."))
    if accepted_on > as_of:
        return refuse(_("The date of acceptance cannot be in the future."))
    if case.filed_on and accepted_on < case.filed_on:
        return refuse(
            _("The court cannot accept (%(a)s) before the filing (%(f)s).")
            % {"a": accepted_on.isoformat(), "f": case.filed_on.isoformat()}
        )
    return allow()


PARAM_GUARDS: dict[str, Callable[[Case, dict, dt.date], GuardResult]] = {
    "record_judgment": _judgment_params,
    "file_litigation": _file_litigation_params,
    "record_payment_order_service": _served_on_params,
    "record_objection": _objection_params,
    "record_court_acceptance": _court_acceptance_params,
}


def params_guard(name: str, case: Case, params: dict, *, as_of: dt.date) -> GuardResult:
    """What the step's arguments must satisfy on top of its guard (e.g. a payment order
    only when eligible; an objection only within its 15 days)."""
    check = PARAM_GUARDS.get(name)
    return check(case, params, as_of) if check is not None else allow()
