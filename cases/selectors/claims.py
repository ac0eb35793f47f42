"""The late-fee claim of a unit or case, fed from the ledger (``charge_balances``), the
limitation clocks and the LPR table into the pure rules of ``cases.claims``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.claims import (
    CAP_LPR,
    ChargeFacts,
    Claim,
    ClaimPolicy,
    LprRow,
    late_fee_claim,
    lpr_in_force,
)
from cases.limitation import Level
from cases.models import Case, ChargeItem, ClaimInclusion, Estate, LprRate, Unit
from cases.selectors.ledger import FEN, LATE_FEE_SCALE, RATE_SCALE, charge_balances
from cases.selectors.limitation import clocks_by_unit


def lpr_rows() -> list[LprRow]:
    """The LPR table, oldest first."""
    return [
        LprRow(effective_on=r.effective_on, one_year_rate=r.one_year_rate, source=r.source)
        for r in LprRate.objects.order_by("effective_on")
    ]


def claim_policy_for(estate: Estate, *, as_of: dt.date) -> ClaimPolicy:
    """The estate's late-fee terms and claim policy on the claim date ``as_of``, with the
    one-year LPR in force then (the last row after the last publication).
    Raises ``ValidationError`` naming ``late_fee_claim_policy`` when the LPR cap is chosen and
    the table holds no row in force on ``as_of``."""
    lpr = lpr_in_force(lpr_rows(), as_of) if estate.late_fee_claim_policy == CAP_LPR else None
    try:
        return ClaimPolicy(
            kind=estate.late_fee_claim_policy,
            contract_provides=estate.contract_provides_late_fees,
            daily_rate=estate.late_fee_daily_rate,
            lpr_multiple=estate.late_fee_lpr_multiple,
            lpr=lpr,
        )
    except ValueError as exc:
        raise ValidationError(
            {
                "late_fee_claim_policy": _(
                    "No one-year LPR is recorded in force on %(day)s: add it under "
                    "Loan prime rates (LPR) in the admin, or choose another claim policy."
                )
                % {"day": as_of.isoformat()}
            }
        ) from exc


def claim_for_unit(unit: Unit, *, as_of: dt.date, case: Case | None = None) -> Claim:
    """The unit's claim on ``as_of``: every overdue charge with principal or late fee still
    owed, its contractual and claimed late fee, time-barred ones (limitation level
    "expired") apart unless ``case`` has a ``ClaimInclusion`` for them. Four queries and the
    limitation clock's."""
    estate = unit.estate
    policy = claim_policy_for(estate, as_of=as_of)
    # The ledger's late fee is principal-days × rate in ppm, so the principal-days (the same
    # expression, whatever pauses it honours) are recovered exactly by an integer division.
    rate_ppm = int((estate.late_fee_daily_rate * RATE_SCALE).to_integral_value())
    rows = (
        charge_balances(Unit.objects.filter(pk=unit.pk), as_of=as_of)
        .filter(due_date__lt=as_of)
        .order_by("due_date", "item", "id")
        .values_list(
            "id",
            "item",
            "period_start",
            "due_date",
            "amount",
            "outstanding_fen",
            "late_fee_e8",
            "late_fee_paid_fen",
            "late_fee_waived_fen",
        )
    )
    expired = {
        clock.charge_id
        for clock in clocks_by_unit([unit.pk], as_of=as_of).get(unit.pk, [])
        if clock.level == Level.EXPIRED
    }
    included = (
        dict(ClaimInclusion.objects.filter(case=case).values_list("charge_id", "reason"))
        if case is not None
        else {}
    )
    facts = []
    for charge_id, item, period, due, amount, out_fen, e8, paid_fen, waived_fen in rows:
        settled_fen = paid_fen + waived_fen
        if out_fen <= 0 and e8 <= settled_fen * RATE_SCALE:
            continue
        facts.append(
            ChargeFacts(
                charge_id=charge_id,
                item=item,
                period_start=period,
                due_date=due,
                amount=amount,
                outstanding=Decimal(out_fen) / FEN,
                principal_fen_days=e8 // rate_ppm if policy.accrues and rate_ppm else 0,
                late_fee_accrued=Decimal(e8) / LATE_FEE_SCALE,
                late_fee_settled=Decimal(settled_fen) / FEN,
                time_barred=charge_id in expired,
                included_reason=included.get(charge_id, ""),
                item_label=str(ChargeItem(item).label) if item in ChargeItem.values else item,
            )
        )
    return late_fee_claim(facts, policy=policy, as_of=as_of)


def claim_for_case(case: Case, *, as_of: dt.date | None = None) -> Claim:
    """The case's claim on ``as_of`` (today by default): ``claim_for_unit`` with its
    inclusions of time-barred charges."""
    return claim_for_unit(case.unit, as_of=as_of or timezone.localdate(), case=case)
