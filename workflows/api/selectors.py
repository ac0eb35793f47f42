"""Reads only the API needs, scoped to the user.

Candidates to move into ``cases.selectors`` once another caller needs them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import BooleanField, Exists, OuterRef, Q, QuerySet, Value
from django.utils import timezone

from cases.models import Case, Charge, Party, Payment, Stage
from cases.selectors.ledger import (
    UnitArrears,
    arrears_for_unit,
    charge_balances,
)


def party_list_for(user) -> QuerySet[Party]:
    """Every party, annotated ``unmasked``: true when ``user`` may see its phones, e-mail,
    WeChat and ID number — on an open case of one of its units as the assigned collector or
    legal officer, or holding ``cases.see_unmasked_phones`` (the rule of
    ``cases.selectors.case.party_contacts_for``)."""
    parties = Party.objects.prefetch_related("unit_links")
    if user.has_perm("cases.see_unmasked_phones"):
        return parties.annotate(unmasked=Value(True, output_field=BooleanField()))
    on_open_case = (
        Case.objects.filter(unit__unit_parties__party=OuterRef("pk"))
        .exclude(stage=Stage.CLOSED)
        .filter(Q(collector_id=user.pk) | Q(legal_officer_id=user.pk))
    )
    return parties.annotate(unmasked=Exists(on_open_case))


def charge_list(*, as_of: dt.date | None = None) -> QuerySet[Charge]:
    """Every charge with its balance on ``as_of`` (today): ``outstanding_fen`` and the late
    fee figures of ``cases.selectors.ledger.charge_balances``."""
    as_of = as_of or timezone.localdate()
    return (
        charge_balances(as_of=as_of)
        .select_related("unit", "fee_standard")
        .order_by("due_date", "id")
    )


def charges_overdue(charges: QuerySet[Charge], overdue: bool, *, as_of=None) -> QuerySet[Charge]:
    """Past their due date with principal still owed (or, ``overdue=False``, the others)."""
    as_of = as_of or timezone.localdate()
    condition = Q(due_date__lt=as_of, outstanding_fen__gt=0)
    return charges.filter(condition) if overdue else charges.exclude(condition)


def payment_list() -> QuerySet[Payment]:
    return Payment.objects.select_related("unit", "recorded_by").prefetch_related(
        "allocations", "designated_charges"
    )


@dataclass(frozen=True)
class PaymentOutcome:
    payment: Payment
    arrears: UnitArrears
    case: Case | None


def payment_outcome(payment: Payment) -> PaymentOutcome:
    """A recorded payment with its allocations, what its unit owes after it (today) and
    the unit's open case, which the payment may have moved."""
    payment = payment_list().get(pk=payment.pk)
    as_of = max(payment.paid_on, timezone.localdate())
    return PaymentOutcome(
        payment=payment,
        arrears=arrears_for_unit(payment.unit, as_of=as_of),
        case=Case.objects.filter(unit_id=payment.unit_id).exclude(stage=Stage.CLOSED).first(),
    )
