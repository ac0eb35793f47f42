"""Court fees (DESIGN.md section 6): 《诉讼费用交纳办法》 arts. 13 to 16.

Pure arithmetic on ``Decimal``: no ORM, no Django. The legal_docs context builders format the
result for the payment-order application, the civil complaint and the withdrawal application.

- Art. 13(1): a property case pays a fee on the amount claimed, in cumulative bands: 50 CNY for
  the first 10,000, then a falling percentage on each further slice of the claim.
- Art. 14(3): an application for a payment order 支付令 pays one third of that.
- Art. 15: a case closed by mediation 调解 or withdrawn 撤诉 pays half.
- Art. 16: a case heard under the simplified procedure 简易程序 pays half.

Each figure is computed from the figure printed before it, so the printed figures always agree:
the art. 13 fee is rounded to the fen (half up) first; a payment order's third is taken of that
printed fee and rounded to the fen; a halved fee is half of the printed fee (or printed third),
rounded to the fen, half up. A document that says "fee 182.93, half of it 91.47" is then right.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
FLAT_FEE = Decimal("50")
FLAT_LIMIT = Decimal("10000")

# (upper bound of the band or None for "no limit", rate on the slice, how art. 13 words it)
BANDS: tuple[tuple[Decimal | None, Decimal, str], ...] = (
    (Decimal("100000"), Decimal("0.025"), "超过1万元至10万元的部分，按照2.5%交纳"),
    (Decimal("200000"), Decimal("0.02"), "超过10万元至20万元的部分，按照2%交纳"),
    (Decimal("500000"), Decimal("0.015"), "超过20万元至50万元的部分，按照1.5%交纳"),
    (Decimal("1000000"), Decimal("0.01"), "超过50万元至100万元的部分，按照1%交纳"),
    (Decimal("2000000"), Decimal("0.009"), "超过100万元至200万元的部分，按照0.9%交纳"),
    (Decimal("5000000"), Decimal("0.008"), "超过200万元至500万元的部分，按照0.8%交纳"),
    (Decimal("10000000"), Decimal("0.007"), "超过500万元至1000万元的部分，按照0.7%交纳"),
    (Decimal("20000000"), Decimal("0.006"), "超过1000万元至2000万元的部分，按照0.6%交纳"),
    (None, Decimal("0.005"), "超过2000万元的部分，按照0.5%交纳"),
)

LAWSUIT = "lawsuit"
PAYMENT_ORDER = "payment_order"
SIMPLIFIED = "simplified"
MEDIATED = "mediated"
WITHDRAWN = "withdrawn"

# Why a fee is halved, in the words of the measures, per procedure value.
_HALVING_BASIS = {
    SIMPLIFIED: "第十六条：适用简易程序审理的案件减半交纳案件受理费",
    MEDIATED: "第十五条：以调解方式结案的，减半交纳案件受理费",
    WITHDRAWN: "第十五条：当事人申请撤诉的，减半交纳案件受理费（撤诉减半）",
}
_HALVED_FLAG_BASIS = "第十五条、第十六条：撤诉、调解结案或者适用简易程序的，减半交纳案件受理费"
_PAYMENT_ORDER_BASIS = "第十四条：依法申请支付令的，比照财产案件受理费标准的1/3交纳"
PROCEDURES = frozenset({LAWSUIT, PAYMENT_ORDER, *_HALVING_BASIS})


@dataclass(frozen=True)
class CourtFee:
    """The court fee on one claim.

    ``full`` is the art. 13 fee of a lawsuit on the claim; ``payable`` is what is actually paid
    after the payment-order third and any halving; ``basis`` cites the articles applied, in
    Chinese, for the document that states the fee.
    """

    claim: Decimal
    procedure: str
    halved: bool
    full: Decimal
    payable: Decimal
    basis: str


def _band_fee(claim: Decimal) -> tuple[Decimal, list[str]]:
    """The unrounded art. 13 fee and the wording of every band the claim reaches."""
    fee = FLAT_FEE
    wording = ["不超过1万元的，每件交纳50元"]
    lower = FLAT_LIMIT
    for upper, rate, text in BANDS:
        if claim <= lower:
            break
        slice_top = claim if upper is None else min(claim, upper)
        fee += (slice_top - lower) * rate
        wording.append(text)
        if upper is None:
            break
        lower = upper
    return fee, wording


def court_fee(claim: Decimal | int, *, procedure: str = LAWSUIT, halved: bool = False) -> CourtFee:
    """The court fee 案件受理费 on ``claim`` under 《诉讼费用交纳办法》 arts. 13 to 16.

    Every figure is taken of the previous *printed* figure (see the module docstring): the full
    fee to the fen, then the third, then the half, each rounded to the fen half up.

    ``procedure`` is ``"lawsuit"`` (the default), ``"payment_order"`` (one third, art. 14),
    or one of ``"simplified"``, ``"mediated"``, ``"withdrawn"`` (a lawsuit whose fee is halved,
    arts. 15 and 16). ``halved=True`` halves the fee (use it when the reason is recorded
    elsewhere). A withdrawn payment order is *not* halved: art. 15 halves only the 案件受理费,
    so its fee stays the art. 14 third (``procedure="payment_order"``).

    Raises ``ValueError`` for a negative or non-finite claim or an unknown procedure, and
    ``TypeError`` for a float claim (money is never a float).
    """
    if isinstance(claim, float) or not isinstance(claim, Decimal | int):
        raise TypeError(f"claim must be a Decimal or an int, not {type(claim).__name__}: {claim!r}")
    claim = Decimal(claim)
    if not claim.is_finite():
        raise ValueError(f"claim must be a finite amount, not {claim}")
    if claim < 0:
        raise ValueError(f"claim must not be negative: {claim}")
    if procedure not in PROCEDURES:
        known = ", ".join(sorted(PROCEDURES))
        raise ValueError(f"unknown procedure {procedure!r}; expected one of {known}")

    unrounded, wording = _band_fee(claim)
    full = _to_fen(unrounded)
    basis = ["《诉讼费用交纳办法》第十三条：" + "；".join(wording)]
    payable = full
    if procedure == PAYMENT_ORDER:
        payable = _to_fen(payable / 3)
        basis.append(_PAYMENT_ORDER_BASIS)
    is_halved = halved or procedure in _HALVING_BASIS
    if is_halved:
        payable = _to_fen(payable / 2)
        basis.append(_HALVING_BASIS.get(procedure, _HALVED_FLAG_BASIS))
    return CourtFee(
        claim=claim,
        procedure=procedure,
        halved=is_halved,
        full=full,
        payable=payable,
        basis="；".join(basis),
    )


def _to_fen(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


# --- small claims (小额诉讼) ------------------------------------------------------------------

SMALL_CLAIMS_SHARE = Decimal("0.5")  # of the previous-year average annual wage


def small_claims_ceiling(average_wage: Decimal) -> Decimal:
    """Civil Procedure Law art. 165: the small-claims ceiling is 50% of the province's
    previous-year average annual wage of employed persons, to the fen. The wages (and so the
    ceilings) change every year: they live in the admin-edited table
    ``cases.models.SmallClaimsThreshold``, which must be updated yearly."""
    return (Decimal(average_wage) * SMALL_CLAIMS_SHARE).quantize(CENT, rounding=ROUND_HALF_UP)


def is_small_claim(claim: Decimal, threshold: Decimal) -> bool:
    """A simple money claim at most the ceiling is heard under the small-claims procedure
    (小额诉讼程序: one hearing, final judgment)."""
    if isinstance(claim, float) or isinstance(threshold, float):
        raise TypeError("money is never a float")
    return Decimal(claim) <= Decimal(threshold)
