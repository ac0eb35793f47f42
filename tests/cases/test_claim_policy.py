"""Late fee as a court will see it (issue 12 part 6): the no-late-fee contract accrues
nothing, the claim policy caps what is claimed, time-barred charges stay out of the claim
unless a legal officer includes them. Every figure is computed by hand in the test."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cases.exports import arrears_sheet
from cases.models import ClaimInclusion, EvidenceEntry, LprRate
from cases.selectors.claims import claim_for_case, claim_for_unit
from cases.selectors.ledger import arrears_for_unit, late_fee_payable, money
from cases.services.claims import claim_include_time_barred
from cases.services.ledger import payment_record
from tests.factories import EstateFactory, UnitFactory, charge_for

pytestmark = pytest.mark.django_db

D = dt.date


# --- the contract provides no late fee ----------------------------------------------------


def test_no_late_fee_contract_600_on_500_leaves_100_credit_and_no_late_fee():
    # The rate is still 1‰ on the estate: the flag alone must stop accrual in the ledger.
    estate = EstateFactory(contract_provides_late_fees=False, late_fee_daily_rate=Decimal("0.001"))
    unit = UnitFactory(estate=estate)
    charge_for(unit, "500.00", due_date=D(2025, 1, 31))

    # 150 days late: at 1‰ that would have been 500 × 0.001 × 150 = 75.00.
    payment_record(unit, amount=Decimal("600.00"), paid_on=D(2025, 6, 30))
    arrears = arrears_for_unit(unit, as_of=D(2025, 7, 1))

    assert money(arrears.principal) == Decimal("0.00")
    assert money(arrears.late_fee_accrued) == Decimal("0.00")
    assert money(arrears.late_fee) == Decimal("0.00")
    assert arrears.late_fee_paid == 0
    assert money(arrears.credit) == Decimal("100.00")
    assert late_fee_payable(unit, as_of=D(2025, 7, 1)) == Decimal("0.00")


def test_no_late_fee_contract_claims_none_whatever_the_policy():
    estate = EstateFactory(contract_provides_late_fees=False, late_fee_claim_policy="cap_lpr")
    unit = UnitFactory(estate=estate)
    charge_for(unit, "500.00", due_date=D(2026, 1, 31))

    claim = claim_for_unit(unit, as_of=D(2026, 6, 30))

    assert claim.principal == Decimal("500.00")
    assert claim.late_fee_contractual == Decimal("0.00")
    assert claim.late_fee_claimed == Decimal("0.00")
    assert claim.basis == "合同未约定滞纳金，不主张滞纳金"


# --- 500.00 over five years at 1 %/day --------------------------------------------------

DUE_5Y = D(2021, 6, 15)
AS_OF_5Y = D(2026, 6, 16)  # 1,827 days: 5 × 365 + 2024-02-29 + 1


def _five_year_charge(policy: str, multiple: str = "1.30"):
    estate = EstateFactory(
        late_fee_daily_rate=Decimal("0.01"),
        grace_days=0,
        late_fee_claim_policy=policy,
        late_fee_lpr_multiple=Decimal(multiple),
    )
    unit = UnitFactory(estate=estate)
    charge_for(unit, "500.00", due_date=DUE_5Y)
    (charge,) = claim_for_unit(unit, as_of=AS_OF_5Y).charges
    return charge, claim_for_unit(unit, as_of=AS_OF_5Y)


def test_five_years_at_one_percent_a_day_accrue_9135_contractually():
    assert (AS_OF_5Y - DUE_5Y).days == 1827
    charge, claim = _five_year_charge("contract")

    # 500.00 × 0.01 × 1,827 days = 9,135.00
    assert charge.late_fee_contractual == Decimal("9135.00")
    assert charge.late_fee_claimed == Decimal("9135.00")
    assert claim.basis == "按合同约定日千分之十计算"


def test_cap_principal_claims_at_most_the_principal():
    charge, claim = _five_year_charge("cap_principal")

    assert charge.late_fee_contractual == Decimal("9135.00")
    assert charge.late_fee_claimed == Decimal("500.00")
    assert claim.basis.endswith("以欠费本金为上限")


def test_cap_lpr_after_the_last_publication_uses_the_last_row():
    charge, claim = _five_year_charge("cap_lpr")

    # The LPR in force on 2026-06-16 is the last published row: 3.00% (2025-05-20).
    # 1.3 × 3.00% = 3.90% a year; per day 3.90% ÷ 365.
    # 500.00 × 1,827 × 0.039 ÷ 365 = 35,626.5 ÷ 365 = 97.6068… → 97.61
    assert charge.late_fee_contractual == Decimal("9135.00")
    assert charge.late_fee_claimed == Decimal("97.61")
    assert claim.basis == "按一年期贷款市场报价利率3.00%的1.3倍（年利率3.90%）计算"
    assert claim.policy.lpr.effective_on == D(2025, 5, 20)


# --- the LPR cap across an LPR change date --------------------------------------------


@pytest.fixture
def lpr_unit():
    estate = EstateFactory(
        late_fee_daily_rate=Decimal("0.001"),
        grace_days=0,
        late_fee_claim_policy="cap_lpr",
        late_fee_lpr_multiple=Decimal("1.30"),
    )
    unit = UnitFactory(estate=estate)
    charge_for(unit, "10000.00", due_date=D(2024, 5, 19))
    return unit


def test_cap_lpr_the_day_before_a_new_lpr(lpr_unit):
    claim = claim_for_unit(lpr_unit, as_of=D(2025, 5, 19))

    # 365 days late. Contract: 10,000 × 0.001 × 365 = 3,650.00.
    # LPR in force on 2025-05-19: 3.10% (from 2024-10-21); 1.3 × 3.10% = 4.03% a year.
    # 10,000 × 365 × 0.0403 ÷ 365 = 403.00
    assert claim.late_fee_contractual == Decimal("3650.00")
    assert claim.late_fee_claimed == Decimal("403.00")
    assert claim.total == Decimal("10403.00")
    assert claim.basis == "按一年期贷款市场报价利率3.10%的1.3倍（年利率4.03%）计算"


def test_cap_lpr_on_the_day_a_new_lpr_takes_effect(lpr_unit):
    claim = claim_for_unit(lpr_unit, as_of=D(2025, 5, 20))

    # 366 days late. Contract: 10,000 × 0.001 × 366 = 3,660.00.
    # LPR in force on 2025-05-20: 3.00%; 1.3 × 3.00% = 3.90% a year.
    # 10,000 × 366 × 0.039 ÷ 365 = 142,740 ÷ 365 = 391.0684… → 391.07
    assert claim.late_fee_contractual == Decimal("3660.00")
    assert claim.late_fee_claimed == Decimal("391.07")
    assert claim.basis == "按一年期贷款市场报价利率3.00%的1.3倍（年利率3.90%）计算"


def test_cap_lpr_counts_the_principal_days_after_a_part_payment(lpr_unit):
    payment_record(lpr_unit, amount=Decimal("4000.00"), paid_on=D(2024, 11, 19))
    claim = claim_for_unit(lpr_unit, as_of=D(2025, 5, 19))

    # 10,000 for 184 days (05-19 → 11-19), then 6,000 for 181 days (→ 2025-05-19):
    # 1,840,000 + 1,086,000 = 2,926,000 yuan-days.
    # Contract: 2,926,000 × 0.001 = 2,926.00; cap 4.03%: 2,926,000 × 0.0403 ÷ 365
    # = 117,917.8 ÷ 365 = 323.0624… → 323.06
    assert claim.principal == Decimal("6000.00")
    assert claim.late_fee_contractual == Decimal("2926.00")
    assert claim.late_fee_claimed == Decimal("323.06")


def test_cap_lpr_above_the_contract_rate_claims_the_contract():
    estate = EstateFactory(
        late_fee_daily_rate=Decimal("0.0001"),  # 3.65% a year, below 1.3 × 3.00% = 3.90%
        grace_days=0,
        late_fee_claim_policy="cap_lpr",
    )
    unit = UnitFactory(estate=estate)
    charge_for(unit, "10000.00", due_date=D(2025, 6, 30))

    claim = claim_for_unit(unit, as_of=D(2026, 6, 30))

    # 10,000 × 0.0001 × 365 = 365.00 either way
    assert claim.late_fee_contractual == Decimal("365.00")
    assert claim.late_fee_claimed == Decimal("365.00")
    assert claim.basis == (
        "按合同约定日万分之一计算（未超过一年期贷款市场报价利率3.00%的1.3倍（年利率3.90%））"
    )


def test_cap_lpr_before_the_first_lpr_row_names_the_field():
    estate = EstateFactory(late_fee_claim_policy="cap_lpr")
    unit = UnitFactory(estate=estate)
    charge_for(unit, "100.00", due_date=D(2019, 1, 31))

    with pytest.raises(ValidationError) as caught:
        claim_for_unit(unit, as_of=D(2019, 8, 19))
    assert "late_fee_claim_policy" in caught.value.message_dict
    assert "2019-08-19" in caught.value.message_dict["late_fee_claim_policy"][0]


def test_the_lpr_table_is_seeded_with_the_published_history():
    rows = list(
        LprRate.objects.order_by("effective_on").values_list("effective_on", "one_year_rate")
    )
    assert len(rows) >= 13
    assert rows[0] == (D(2019, 8, 20), Decimal("4.25"))
    assert (D(2022, 8, 22), Decimal("3.65")) in rows
    assert (D(2025, 5, 20), Decimal("3.00")) in rows


def test_the_lpr_multiple_is_validated():
    with pytest.raises(ValidationError) as caught:
        EstateFactory.build(late_fee_lpr_multiple=Decimal("0")).full_clean()
    assert "late_fee_lpr_multiple" in caught.value.message_dict


# --- time-barred charges --------------------------------------------------------------


@pytest.fixture
def barred_case(kit):
    """A case with one charge time-barred on AS_OF (due 2022-01-31, nothing restarted its
    period: expired 2025-01-31) and one recent charge."""
    unit = kit.unit()
    kit.charge(unit, "800.00", due_date=D(2022, 1, 31))
    kit.charge(unit, "300.00", due_date=D(2026, 4, 30))
    return kit.case(unit=unit, owing=None)


def test_a_time_barred_charge_is_listed_apart_and_left_out_of_the_claim(kit, barred_case):
    claim = claim_for_case(barred_case, as_of=kit.as_of)

    assert [c.outstanding for c in claim.time_barred] == [Decimal("800.00")]
    assert [c.outstanding for c in claim.claimed] == [Decimal("300.00")]
    assert claim.principal == Decimal("300.00")
    # 300 × 0.001 × 61 days (04-30 → 06-30)
    assert claim.late_fee_claimed == Decimal("18.30")
    assert claim.time_barred_principal == Decimal("800.00")


def test_a_legal_officer_includes_a_time_barred_charge_with_a_reason(kit, barred_case):
    old = barred_case.unit.charges.get(due_date=D(2022, 1, 31))
    entries = kit.entry_count(barred_case)

    claim_include_time_barred(
        barred_case,
        charge=old,
        actor=kit.people.legal_officer,
        reason="业主2024年微信中承认欠费，截图已存档",
        as_of=kit.as_of,
    )

    claim = claim_for_case(barred_case, as_of=kit.as_of)
    assert claim.time_barred == []
    assert claim.principal == Decimal("1100.00")
    assert [c.included_reason for c in claim.included] == ["业主2024年微信中承认欠费，截图已存档"]
    assert kit.entry_count(barred_case) == entries + 1
    entry = EvidenceEntry.objects.filter(case=barred_case).order_by("-seq").first()
    assert entry.kind == "claim_inclusion"
    assert "业主2024年微信中承认欠费" in entry.body
    assert entry.actor == kit.people.legal_officer


def test_including_needs_a_legal_officer_a_reason_and_a_barred_charge(kit, barred_case):
    old = barred_case.unit.charges.get(due_date=D(2022, 1, 31))
    recent = barred_case.unit.charges.get(due_date=D(2026, 4, 30))
    before = kit.written_counts()

    with pytest.raises(PermissionDenied):
        claim_include_time_barred(
            barred_case, charge=old, actor=kit.people.collector, reason="x", as_of=kit.as_of
        )
    with pytest.raises(ValidationError) as caught:
        claim_include_time_barred(
            barred_case, charge=old, actor=kit.people.legal_officer, reason=" ", as_of=kit.as_of
        )
    assert "reason" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        claim_include_time_barred(
            barred_case,
            charge=recent,
            actor=kit.people.legal_officer,
            reason="why",
            as_of=kit.as_of,
        )
    assert "charge" in caught.value.message_dict
    assert kit.written_counts() == before
    assert not ClaimInclusion.objects.exists()


def test_the_arrears_export_follows_the_no_late_fee_contract():
    estate = EstateFactory(contract_provides_late_fees=False, late_fee_daily_rate=Decimal("0.001"))
    unit = UnitFactory(estate=estate)
    charge_for(unit, "500.00", due_date=D(2025, 1, 31))

    sheet = arrears_sheet(estate, month=D(2025, 6, 1))

    late_fee_column = next(i for i, h in enumerate(sheet.headers) if "滞纳金" in str(h))
    row = sheet.rows[0]
    assert row[late_fee_column] == Decimal("0.00")
    assert row[late_fee_column + 1] == Decimal("500.00")  # the total: principal alone
