"""Legal figures of a case for its page and documents: the claim, the court fees and the
small-claims flag (DESIGN.md section 6; the arithmetic is in ``cases.legal_rules``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.utils import timezone
from django.utils.translation import gettext as _

from cases.legal_rules import (
    LAWSUIT,
    PAYMENT_ORDER,
    CourtFee,
    court_fee,
    is_small_claim,
)
from cases.models import Case, SmallClaimsThreshold
from cases.policy import late_fees_claimable
from cases.selectors.claims import claim_for_case
from cases.selectors.ledger import money


class SmallClaims(NamedTuple):
    """Whether a claim is a small claim (小额诉讼), the ceiling used, and why."""

    flag: bool
    threshold: Decimal | None
    reason: str


def small_claims_for(
    case: Case | None = None,
    *,
    amount: Decimal | None = None,
    province: str | None = None,
    year: int | None = None,
    as_of: dt.date | None = None,
) -> SmallClaims:
    """The small-claims verdict for ``case`` (its claim today, its estate's province) or for
    ``amount`` in ``province``; ``year`` defaults to the year of ``as_of`` (today). When the
    table has no row for that year the latest earlier one is used, and the reason says so."""
    as_of = as_of or timezone.localdate()
    year = year or as_of.year
    if case is not None:
        estate = case.unit.estate
        province = estate.province if province is None else province
        if amount is None:
            amount = claim_for(case, as_of=as_of)[0]
    if amount is None:
        raise ValueError("small_claims_for needs a case or an amount")
    if isinstance(amount, float):
        raise TypeError(f"amount must be a Decimal, not a float: {amount!r}")
    amount = Decimal(amount)
    if not province:
        return SmallClaims(
            False, None, _("The estate's province is not set: no small-claims ceiling applies.")
        )
    row = (
        SmallClaimsThreshold.objects.filter(province=province, year__lte=year)
        .order_by("-year")
        .first()
    )
    if row is None:
        return SmallClaims(
            False,
            None,
            _("No small-claims ceiling is recorded for %(p)s (%(y)d): add it in the admin.")
            % {"p": province, "y": year},
        )
    older = (
        _(" (the %(y)d figure; this year's is not recorded yet)") % {"y": row.year}
        if row.year != year
        else ""
    )
    values = {"a": money(amount), "t": row.amount, "p": province, "older": older}
    if is_small_claim(amount, row.amount):
        return SmallClaims(
            True,
            row.amount,
            _(
                "A claim of %(a)s is within the small-claims ceiling of %(t)s for %(p)s"
                "%(older)s: small-claims procedure (小额诉讼, Civil Procedure Law art. 165)."
            )
            % values,
        )
    return SmallClaims(
        False,
        row.amount,
        _("A claim of %(a)s is above the small-claims ceiling of %(t)s for %(p)s%(older)s.")
        % values,
    )


def claim_for(case: Case, *, as_of: dt.date | None = None) -> tuple[Decimal, Decimal, Decimal]:
    """(claim, principal, late fee claimed) of the case today, to the fen: the principal of
    the charges in the claim (time-barred ones left out unless included) plus the late fee
    the estate's claim policy claims (``cases.selectors.claims.claim_for_case``)."""
    claim = claim_for_case(case, as_of=as_of or timezone.localdate())
    return claim.total, claim.principal, claim.late_fee_claimed


@dataclass(frozen=True)
class CourtFeeSummary:
    """What the case page shows about court fees (《诉讼费用交纳办法》)."""

    claim: Decimal
    principal: Decimal
    late_fee: Decimal
    late_fees_claimed: bool
    lawsuit: CourtFee  # art. 13, payable on filing a lawsuit
    # art. 14: one third; also what a withdrawn payment order costs (art. 15 halves only the
    # 案件受理费 of a lawsuit, not the payment-order application fee)
    payment_order: CourtFee
    halved: CourtFee  # arts. 15/16: withdrawn, mediated or simplified procedure
    small_claims: SmallClaims

    @property
    def lawsuit_fee(self) -> Decimal:
        return self.lawsuit.payable

    @property
    def payment_order_fee(self) -> Decimal:
        return self.payment_order.payable

    @property
    def halved_fee(self) -> Decimal:
        return self.halved.payable


def court_fee_summary(case: Case, *, as_of: dt.date | None = None) -> CourtFeeSummary:
    """The claim of the case today and its court fees under each procedure, with the
    small-claims flag. A handful of queries (arrears, ceiling)."""
    as_of = as_of or timezone.localdate()
    claim, principal, late_fee = claim_for(case, as_of=as_of)
    return CourtFeeSummary(
        claim=claim,
        principal=principal,
        late_fee=late_fee,
        late_fees_claimed=late_fees_claimable(case.unit.estate),
        lawsuit=court_fee(claim, procedure=LAWSUIT),
        payment_order=court_fee(claim, procedure=PAYMENT_ORDER),
        halved=court_fee(claim, procedure=LAWSUIT, halved=True),
        small_claims=small_claims_for(case, amount=claim, as_of=as_of),
    )
