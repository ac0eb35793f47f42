"""Reads the API needs that ``cases.selectors`` does not offer yet, scoped to the user.

Candidates to move into ``cases.selectors`` once another caller needs them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import BooleanField, Exists, OuterRef, Q, QuerySet, Value
from django.utils import timezone

from cases.models import Case, Charge, Party, Payment, Stage
from cases.models.case import TRANSITIONS
from cases.permissions import user_may_transition, user_may_view_case, user_sees_all_cases
from cases.selectors.ledger import (
    FEN,
    LATE_FEE_SCALE,
    UnitArrears,
    arrears_for_unit,
    charge_balances,
    money,
)
from cases.storage import blob_read
from legal_docs.models import LegalDocument


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
    return charge_balances(as_of=as_of).select_related("unit").order_by("due_date", "id")


def charges_overdue(charges: QuerySet[Charge], overdue: bool, *, as_of=None) -> QuerySet[Charge]:
    """Past their due date with principal still owed (or, ``overdue=False``, the others)."""
    as_of = as_of or timezone.localdate()
    condition = Q(due_date__lt=as_of, outstanding_fen__gt=0)
    return charges.filter(condition) if overdue else charges.exclude(condition)


def charge_late_fee_owed(charge: Charge) -> Decimal:
    """Accrued late fee not yet paid or waived, to the cent (never below zero)."""
    accrued = Decimal(charge.late_fee_e8) / LATE_FEE_SCALE
    settled = Decimal(charge.late_fee_paid_fen + charge.late_fee_waived_fen) / FEN
    return money(max(Decimal(0), accrued - settled))


def payment_list() -> QuerySet[Payment]:
    return Payment.objects.select_related("unit", "recorded_by").prefetch_related("allocations")


def transitions_open_to(user, case: Case) -> list[str]:
    """The steps ``user``'s role may take from the case's current stage (the guards are
    only checked when a step is taken)."""
    return [
        name
        for name, spec in TRANSITIONS.items()
        if case.stage in spec.sources and user_may_transition(user, case, spec)
    ]


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


def document_for_user(user, pk: int) -> tuple[LegalDocument, bytes]:
    """A generated document and its bytes, re-hashed (``blob_read`` raises if the stored
    file changed or is gone). ``LegalDocument.DoesNotExist`` when ``user`` may not see the
    document's case (or, for a document on no case, may not see every case)."""
    document = LegalDocument.objects.select_related("unit", "case").get(pk=pk)
    visible = (
        user_may_view_case(user, document.case)
        if document.case is not None
        else user_sees_all_cases(user)
    )
    if not visible:
        raise LegalDocument.DoesNotExist(f"document {pk} not visible to {user}")
    return document, blob_read(document.sha256)
