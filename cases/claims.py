"""Late fee as a court will see it: what the contract accrued, what the company claims.

Pure rules, no ORM (``cases.selectors.claims`` feeds them from the ledger, the limitation
clocks and the LPR table).

- The contractual late fee of a charge is what the ledger accrued on it (daily rate ×
  principal-days past due and grace) net of the late fee paid and waived on it. An estate
  whose contract provides no late fee accrues none (``charge_balances``).
- The claimed late fee follows the estate's claim policy (Civil Code art. 585(2): a court
  reduces a penalty that exceeds the actual loss by about 30%):

  ``contract``       the contractual late fee as accrued;
  ``cap_principal``  at most the principal it accrues on (the charge's amount);
  ``cap_lpr``        at most ``multiple`` × the one-year LPR a year, at a daily rate of
                     annual ÷ 365 (the day basis of the Supreme People's Court's rules on
                     interest of delayed performance and of common court practice: 日利率 =
                     年利率 ÷ 365), applied to the same principal-days as the ledger. The LPR
                     is the one in force on the claim date (as_of: when the claim is computed
                     and filed — 按起诉时一年期贷款市场报价利率); a claim date after the last
                     published row uses the last row. Where the contractual rate is lower, the
                     contractual rate is claimed.

  The cap applies to the accrued figure; late fee already paid or waived is deducted after.
  Each charge is computed exactly and every reported figure is rounded to the fen, half up,
  once at the end (like the ledger).
- A time-barred charge (its limitation clock expired) is listed apart and left out of the
  claim — its principal and its late fee — unless a legal officer included it with a
  recorded reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import cn2an

CENT = Decimal("0.01")
DAYS_PER_YEAR = 365

CONTRACT = "contract"
CAP_PRINCIPAL = "cap_principal"
CAP_LPR = "cap_lpr"
POLICIES = (CONTRACT, CAP_PRINCIPAL, CAP_LPR)

_RATE_UNITS = ((1000, "千分之"), (10000, "万分之"), (100000, "十万分之"), (1000000, "百万分之"))


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def rate_per_mille(rate: Decimal | int) -> str:
    """A daily late-fee rate as a contract writes it: 0.001 → 千分之一, 0.0005 → 万分之五.

    The first of 千分之 / 万分之 / 十万分之 / 百万分之 that gives a whole number is used
    (0.002 → 千分之二, 0.0015 → 万分之十五); a finer rate keeps a decimal numerator
    (0.0000015 → 百万分之一点五). A zero rate (the contract provides none) is ``无``.
    Raises ``ValueError`` for a negative rate, ``TypeError`` for a float.
    """
    if isinstance(rate, float) or not isinstance(rate, Decimal | int):
        raise TypeError(f"rate must be a Decimal or an int, not {type(rate).__name__}")
    rate = Decimal(rate)
    if not rate.is_finite() or rate < 0:
        raise ValueError(f"rate must be a finite non-negative number: {rate}")
    if rate == 0:
        return "无"
    for denominator, words in _RATE_UNITS:
        numerator = rate * denominator
        if numerator == numerator.to_integral_value():
            return words + cn2an.an2cn(str(int(numerator)))
    numerator = (rate * _RATE_UNITS[-1][0]).normalize()
    return _RATE_UNITS[-1][1] + cn2an.an2cn(f"{numerator:f}")


def _percent(value: Decimal) -> str:
    """3.9 → "3.90%", 4.03 → "4.03%", 3.855 → "3.855%" (never fewer than two decimals)."""
    value = value.normalize()
    exponent = value.as_tuple().exponent
    places = max(2, -exponent if isinstance(exponent, int) else 2)
    return f"{value:.{places}f}%"


def _multiple(value: Decimal) -> str:
    """1.30 → "1.3", 2.00 → "2", 1.25 → "1.25"."""
    value = value.normalize()
    return f"{value:f}"


@dataclass(frozen=True)
class LprRow:
    """One published one-year LPR, in force from ``effective_on`` (percent a year)."""

    effective_on: dt.date
    one_year_rate: Decimal
    source: str = ""


@dataclass(frozen=True)
class ClaimPolicy:
    """An estate's late-fee terms and claim policy, with the LPR row of the claim date."""

    kind: str
    contract_provides: bool
    daily_rate: Decimal
    lpr_multiple: Decimal = Decimal("1.3")
    lpr: LprRow | None = None

    def __post_init__(self):
        if self.kind not in POLICIES:
            raise ValueError(f"unknown late-fee claim policy: {self.kind!r}")
        if self.kind == CAP_LPR and self.accrues and self.lpr is None:
            raise ValueError("the LPR cap needs an LPR row in force on the claim date")

    @property
    def accrues(self) -> bool:
        return self.contract_provides and self.daily_rate > 0

    @property
    def cap_annual_percent(self) -> Decimal | None:
        """The capped annual rate in percent (LPR × multiple), with the LPR policy."""
        if self.kind != CAP_LPR or self.lpr is None:
            return None
        return self.lpr.one_year_rate * self.lpr_multiple

    @property
    def cap_daily_rate(self) -> Decimal | None:
        annual = self.cap_annual_percent
        return None if annual is None else annual / 100 / DAYS_PER_YEAR

    @property
    def lpr_capped(self) -> bool:
        """True when the LPR cap is below the contractual rate (so it decides the claim)."""
        cap = self.cap_daily_rate
        return cap is not None and self.accrues and cap < self.daily_rate

    @property
    def contract_basis(self) -> str:
        if not self.accrues:
            return "合同未约定滞纳金，不主张滞纳金"
        return f"按合同约定日{rate_per_mille(self.daily_rate)}计算"

    @property
    def basis(self) -> str:
        """The sentence that says how the claimed late fee was computed."""
        if not self.accrues:
            return self.contract_basis
        if self.kind == CAP_PRINCIPAL:
            return f"{self.contract_basis}，以欠费本金为上限"
        if self.kind == CAP_LPR:
            annual = self.cap_annual_percent
            lpr = self.lpr
            assert annual is not None and lpr is not None
            cap = (
                f"一年期贷款市场报价利率{_percent(lpr.one_year_rate)}的"
                f"{_multiple(self.lpr_multiple)}倍（年利率{_percent(annual)}）"
            )
            if self.lpr_capped:
                return f"按{cap}计算"
            return f"{self.contract_basis}（未超过{cap}）"
        return self.contract_basis


@dataclass(frozen=True)
class ChargeFacts:
    """What the ledger and the limitation clock say of one overdue charge on the claim date.

    ``principal_fen_days``: the principal-days (in fen × days) the ledger's late fee accrued
    on; ``late_fee_accrued`` is exact (not rounded); ``late_fee_settled`` is the late fee paid
    and waived. ``included_reason`` is set when a legal officer included a time-barred charge.
    """

    charge_id: int
    item: str
    period_start: dt.date
    due_date: dt.date
    amount: Decimal
    outstanding: Decimal
    principal_fen_days: int
    late_fee_accrued: Decimal
    late_fee_settled: Decimal = Decimal(0)
    time_barred: bool = False
    included_reason: str = ""
    item_label: str = ""


@dataclass(frozen=True)
class ChargeClaim:
    """One charge's figures: exact values, and ``money``-rounded ones for print."""

    facts: ChargeFacts
    contractual_exact: Decimal
    claimed_exact: Decimal

    charge_id = property(lambda self: self.facts.charge_id)
    item = property(lambda self: self.facts.item)
    item_label = property(lambda self: self.facts.item_label or self.facts.item)
    period_start = property(lambda self: self.facts.period_start)
    due_date = property(lambda self: self.facts.due_date)
    time_barred = property(lambda self: self.facts.time_barred)
    included_reason = property(lambda self: self.facts.included_reason)

    @property
    def outstanding(self) -> Decimal:
        return _money(self.facts.outstanding)

    @property
    def late_fee_contractual(self) -> Decimal:
        return _money(self.contractual_exact)

    @property
    def late_fee_claimed(self) -> Decimal:
        return _money(self.claimed_exact)

    @property
    def in_claim(self) -> bool:
        """Claimed unless time-barred and not included by a legal officer."""
        return not self.facts.time_barred or bool(self.facts.included_reason)


@dataclass(frozen=True)
class Claim:
    """What a case (or unit) claims on ``as_of``: the charges in the claim, the time-barred
    ones left out, and the totals of each (rounded to the fen once, from exact sums)."""

    as_of: dt.date
    policy: ClaimPolicy
    charges: list[ChargeClaim] = field(default_factory=list)

    @property
    def basis(self) -> str:
        return self.policy.basis

    @property
    def contract_basis(self) -> str:
        return self.policy.contract_basis

    @property
    def claimed(self) -> list[ChargeClaim]:
        return [c for c in self.charges if c.in_claim]

    @property
    def time_barred(self) -> list[ChargeClaim]:
        """Expired charges left out of the claim (included ones are in ``claimed``)."""
        return [c for c in self.charges if not c.in_claim]

    @property
    def included(self) -> list[ChargeClaim]:
        return [c for c in self.charges if c.time_barred and c.in_claim]

    @staticmethod
    def _sum(charges: Sequence[ChargeClaim], attr: str) -> Decimal:
        return _money(sum((getattr(c, attr) for c in charges), Decimal(0)))

    @property
    def principal(self) -> Decimal:
        return _money(sum((c.facts.outstanding for c in self.claimed), Decimal(0)))

    @property
    def late_fee_contractual(self) -> Decimal:
        return self._sum(self.claimed, "contractual_exact")

    @property
    def late_fee_claimed(self) -> Decimal:
        return self._sum(self.claimed, "claimed_exact")

    @property
    def total(self) -> Decimal:
        return self.principal + self.late_fee_claimed

    @property
    def capped(self) -> bool:
        """True when the claimed late fee is below the contractual one."""
        return self.late_fee_claimed < self.late_fee_contractual

    @property
    def time_barred_principal(self) -> Decimal:
        return _money(sum((c.facts.outstanding for c in self.time_barred), Decimal(0)))

    @property
    def time_barred_late_fee(self) -> Decimal:
        return self._sum(self.time_barred, "contractual_exact")


def charge_claim(facts: ChargeFacts, policy: ClaimPolicy) -> ChargeClaim:
    """One charge's contractual and claimed late fee (exact) under ``policy``."""
    zero = Decimal(0)
    if not policy.accrues:
        return ChargeClaim(facts, zero, zero)
    accrued = facts.late_fee_accrued
    if policy.kind == CAP_PRINCIPAL:
        allowed = min(accrued, facts.amount)
    elif policy.lpr_capped:
        cap_rate = policy.cap_daily_rate
        assert cap_rate is not None
        allowed = min(accrued, Decimal(facts.principal_fen_days) * cap_rate / 100)
    else:
        allowed = accrued
    settled = facts.late_fee_settled
    return ChargeClaim(facts, max(zero, accrued - settled), max(zero, allowed - settled))


def late_fee_claim(charges: Sequence[ChargeFacts], *, policy: ClaimPolicy, as_of: dt.date) -> Claim:
    """The claim on ``as_of``: per charge the contractual and the claimed late fee, time-barred
    charges apart unless included, and the basis sentence in Chinese. Pure; raises
    ``ValueError`` for a policy that cannot be applied (see ``ClaimPolicy``)."""
    return Claim(as_of=as_of, policy=policy, charges=[charge_claim(c, policy) for c in charges])


def lpr_in_force(rows: Sequence[LprRow], on: dt.date) -> LprRow | None:
    """The row in force on ``on``: the latest with ``effective_on`` ≤ ``on`` (after the last
    publication, the last row). None before the first row."""
    found = None
    for row in sorted(rows, key=lambda r: r.effective_on):
        if row.effective_on <= on:
            found = row
    return found
