"""Including a time-barred charge in a case's claims (a legal officer's recorded decision)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.limitation import Level
from cases.models import Case, Charge, ClaimInclusion, EvidenceKind
from cases.roles import Role, user_has_role
from cases.selectors.limitation import clocks_by_unit
from cases.services.case import case_lock
from cases.services.evidence import evidence_append


def user_may_include_time_barred(user) -> bool:
    """Only a legal officer (or a superuser) decides to claim a time-barred charge."""
    return user_has_role(user, Role.LEGAL_OFFICER)


@transaction.atomic
def claim_include_time_barred(
    case: Case, *, charge: Charge, actor, reason: str, as_of: dt.date | None = None
) -> ClaimInclusion:
    """Include a time-barred charge in the case's claims (complaint, payment-order
    application, lawyer letter), with the legal officer's reason.

    Rule: only a legal officer; the charge belongs to the case's unit, its limitation clock
    is "expired" on ``as_of`` (today by default), it is not included yet, and the reason is
    not blank. Raises ``PermissionDenied`` for another role and ``ValidationError`` naming
    ``charge`` or ``reason`` otherwise; writes nothing then. Side effects: one
    ``ClaimInclusion`` row and one evidence entry (kind ``claim_inclusion``) in the same
    transaction."""
    if not user_may_include_time_barred(actor):
        raise PermissionDenied(_("Only a legal officer may include a time-barred charge."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the time-barred charge is claimed.")})
    as_of = as_of or timezone.localdate()
    # transaction ensures the row and its evidence entry land together, under the case lock
    locked = case_lock(case.pk)
    if charge.unit_id != locked.unit_id:
        raise ValidationError({"charge": _("The charge is not one of this case's unit.")})
    clock = next(
        (
            c
            for c in clocks_by_unit([locked.unit_id], as_of=as_of).get(locked.unit_id, [])
            if c.charge_id == charge.pk
        ),
        None,
    )
    if clock is None or clock.level != Level.EXPIRED:
        raise ValidationError(
            {"charge": _("The charge is not time-barred on %(day)s.") % {"day": as_of}}
        )
    if ClaimInclusion.objects.filter(case=locked, charge=charge).exists():
        raise ValidationError({"charge": _("This charge is already included in the claim.")})
    inclusion = ClaimInclusion.objects.create(
        case=locked, charge=charge, reason=reason, included_by=actor
    )
    evidence_append(
        locked,
        kind=EvidenceKind.CLAIM_INCLUSION,
        actor=actor,
        summary=_("Time-barred charge included in the claim: %(item)s %(period)s, %(amount)s")
        % {
            "item": clock.item_label,
            "period": f"{charge.period_start:%Y-%m}",
            "amount": clock.balance,
        },
        payload={
            "charge": charge.pk,
            "due_date": charge.due_date.isoformat(),
            "balance": str(clock.balance),
            "expired_on": clock.expires_on.isoformat(),
            "reason": reason,
            "as_of": as_of.isoformat(),
        },
    )
    return inclusion
