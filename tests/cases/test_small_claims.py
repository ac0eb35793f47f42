"""Small claims (小额诉讼) from the provincial table, and the court-fee summary of a case."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from cases.legal_rules import is_small_claim, small_claims_ceiling
from cases.models import SmallClaimsThreshold, Stage
from cases.selectors.legal import court_fee_summary, small_claims_for

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2024, 12, 1)


def test_the_table_is_seeded_for_a_few_provinces():
    seeded = set(SmallClaimsThreshold.objects.filter(year=2024).values_list("province", flat=True))
    assert {"广东", "北京", "上海", "浙江", "江苏"} <= seeded
    for row in SmallClaimsThreshold.objects.filter(year=2024):
        assert row.amount == small_claims_ceiling(row.average_wage)


def test_the_ceiling_is_half_the_average_wage_and_inclusive():
    assert small_claims_ceiling(Decimal("99720")) == Decimal("49860.00")
    assert is_small_claim(Decimal("49860.00"), Decimal("49860.00"))
    assert not is_small_claim(Decimal("49860.01"), Decimal("49860.00"))
    with pytest.raises(TypeError):
        is_small_claim(1.5, Decimal(1))


def test_at_or_below_the_ceiling_is_a_small_claim():
    flag, threshold, reason = small_claims_for(
        amount=Decimal("49860.00"), province="浙江", year=2024
    )
    assert (flag, threshold) == (True, Decimal("49860.00"))
    assert "small-claims procedure" in reason and "浙江" in reason


def test_above_the_ceiling_is_not():
    verdict = small_claims_for(amount=Decimal("49860.01"), province="浙江", year=2024)
    assert not verdict.flag and verdict.threshold == Decimal("49860.00")
    assert "above" in verdict.reason


def test_a_later_year_uses_the_last_known_figure_and_says_so():
    verdict = small_claims_for(amount=Decimal("1000"), province="广东", year=2026)
    assert verdict.flag and "2024 figure" in verdict.reason


def test_an_unknown_province_or_none_gives_no_flag_with_the_reason():
    assert small_claims_for(amount=Decimal("10"), province="西藏", year=2024) == (
        False,
        None,
        "No small-claims ceiling is recorded for 西藏 (2024): add it in the admin.",
    )
    flag, threshold, reason = small_claims_for(amount=Decimal("10"), province="", year=2024)
    assert (flag, threshold) == (False, None) and "province is not set" in reason
    with pytest.raises(ValueError, match="needs a case or an amount"):
        small_claims_for(province="浙江")
    with pytest.raises(TypeError):
        small_claims_for(amount=10.0, province="浙江")


def test_the_case_page_summary(kit):
    kit.estate.province = "浙江"
    kit.estate.late_fee_daily_rate = Decimal(0)
    kit.estate.save()
    case = kit.case(stage=Stage.LAWYER_LETTER, owing="20000.00", days_overdue=100)
    summary = court_fee_summary(case, as_of=kit.as_of)
    assert summary.claim == summary.principal == Decimal("20000.00")
    assert not summary.late_fees_claimed and summary.late_fee == 0
    assert summary.lawsuit_fee == Decimal("300.00")  # 50 + 2.5% of 10,000
    assert summary.payment_order_fee == Decimal("100.00")
    assert summary.halved_fee == Decimal("150.00")
    assert summary.small_claims.flag and summary.small_claims.threshold == Decimal("49860.00")


def test_the_summary_adds_the_late_fee_only_when_the_contract_provides_it(kit):
    case = kit.case(stage=Stage.LAWYER_LETTER, owing="10000.00", days_overdue=100)
    with_fee = court_fee_summary(case, as_of=kit.as_of)
    assert with_fee.late_fees_claimed and with_fee.late_fee == Decimal("1000.00")  # 1‰ × 100 d
    assert with_fee.claim == Decimal("11000.00")
    assert not with_fee.small_claims.flag  # no province set
    kit.estate.contract_provides_late_fees = False
    kit.estate.save()
    without = court_fee_summary(kit.fresh(case), as_of=kit.as_of)
    assert (without.claim, without.late_fee, without.lawsuit_fee) == (
        Decimal("10000.00"),
        Decimal("0.00"),
        Decimal("50.00"),
    )
