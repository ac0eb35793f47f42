"""Court fees as the court's fee office computes them (《诉讼费用交纳办法》 arts. 13 to 16).

Every expected figure below is worked out by hand from the bands, not from the code:
50 for the first 10,000, then 2.5% / 2% / 1.5% / 1% / 0.9% / 0.8% / 0.7% / 0.6% / 0.5% on each
further slice up to 100k / 200k / 500k / 1M / 2M / 5M / 10M / 20M / beyond.
"""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cases.legal_rules import CourtFee, court_fee

D = Decimal


@pytest.mark.parametrize(
    ("claim", "fee"),
    [
        ("8000", "50.00"),  # flat fee
        ("50000", "1050.00"),  # 50 + 40,000 × 2.5%
        ("150000", "3300.00"),  # 2,300 + 50,000 × 2%
        ("0", "50.00"),
    ],
)
def test_lawsuit_fee(claim, fee):
    result = court_fee(D(claim))

    assert result.full == D(fee)
    assert result.payable == D(fee)


# Each boundary, then 1,000 CNY above it (charged at the next band's rate), both by hand.
BOUNDARIES = [
    # boundary, fee at it, fee 1,000 above it
    ("10000", "50.00", "75.00"),  # 50; 50 + 1,000 × 2.5%
    ("100000", "2300.00", "2320.00"),  # 50 + 90,000 × 2.5%; + 1,000 × 2%
    ("200000", "4300.00", "4315.00"),  # 2,300 + 100,000 × 2%; + 1,000 × 1.5%
    ("500000", "8800.00", "8810.00"),  # 4,300 + 300,000 × 1.5%; + 1,000 × 1%
    ("1000000", "13800.00", "13809.00"),  # 8,800 + 500,000 × 1%; + 1,000 × 0.9%
    ("2000000", "22800.00", "22808.00"),  # 13,800 + 1,000,000 × 0.9%; + 1,000 × 0.8%
    ("5000000", "46800.00", "46807.00"),  # 22,800 + 3,000,000 × 0.8%; + 1,000 × 0.7%
    ("10000000", "81800.00", "81806.00"),  # 46,800 + 5,000,000 × 0.7%; + 1,000 × 0.6%
    ("20000000", "141800.00", "141805.00"),  # 81,800 + 10,000,000 × 0.6%; + 1,000 × 0.5%
]


@pytest.mark.parametrize(("boundary", "at", "above"), BOUNDARIES)
def test_every_band_boundary_and_the_next_band_rate(boundary, at, above):
    assert court_fee(D(boundary)).full == D(at)
    # one fen above the boundary costs a fraction of a fen: the same fee after rounding
    assert court_fee(D(boundary) + D("0.01")).full == D(at)
    assert court_fee(D(boundary) + 1000).full == D(above)


def test_far_above_twenty_million_is_half_a_percent_on_the_excess():
    # 141,800 + 80,000,000 × 0.5%
    assert court_fee(D("100000000")).full == D("541800.00")


def test_payment_order_is_one_third():
    result = court_fee(D("50000"), procedure="payment_order")

    assert result.full == D("1050.00")
    assert result.payable == D("350.00")
    assert "第十四条" in result.basis
    assert "1/3" in result.basis


def test_payment_order_on_a_small_claim_rounds_the_third_half_up():
    # 50 / 3 = 16.666…
    assert court_fee(D("8000"), procedure="payment_order").payable == D("16.67")


@pytest.mark.parametrize("procedure", ["withdrawn", "mediated", "simplified"])
def test_withdrawn_mediated_or_simplified_pays_half(procedure):
    result = court_fee(D("50000"), procedure=procedure)

    assert result.full == D("1050.00")
    assert result.payable == D("525.00")
    assert result.halved is True
    assert "减半" in result.basis


def test_halved_flag_halves_a_lawsuit():
    result = court_fee(D("50000"), halved=True)

    assert result.payable == D("525.00")
    assert result.basis.startswith("《诉讼费用交纳办法》第十三条")
    assert "减半" in result.basis


def test_halving_a_payment_order_applies_after_the_third():
    # 1,050 / 3 / 2
    assert court_fee(D("50000"), procedure="payment_order", halved=True).payable == D("175.00")


def test_withdrawn_basis_says_so():
    assert "撤诉减半" in court_fee(D("50000"), procedure="withdrawn").basis


def test_halving_halves_the_printed_fee_not_the_unrounded_one():
    # 10,000.20 → 50 + 0.20 × 2.5% = 50.005, printed 50.01; half of the printed 50.01 is
    # 25.005, printed 25.01 (halving the unrounded 50.005 would print 25.00, and a reader
    # checking "half of 50.01" would find the document wrong).
    result = court_fee(D("10000.20"), procedure="withdrawn")

    assert result.full == D("50.01")
    assert result.payable == D("25.01")


@pytest.mark.parametrize(
    ("claim", "full", "half"),
    [
        # 50 + 7,317.20 × 2.5% = 232.93, odd fen: half is 116.465 → 116.47
        ("17317.20", "232.93", "116.47"),
        # 50 + 5,317.00 × 2.5% = 182.925 → 182.93 printed; half of 182.93 = 91.465 → 91.47
        # (half of the unrounded 182.925 would be 91.4625 → 91.46: the case of issue 12)
        ("15317.00", "182.93", "91.47"),
        # 50 + 0.01 × 2.5% = 50.00025 → 50.00; half 25.00
        ("10000.01", "50.00", "25.00"),
        # 50 + 0.60 × 2.5% = 50.015 → 50.02; half 25.01
        ("10000.60", "50.02", "25.01"),
    ],
)
@pytest.mark.parametrize("procedure", ["withdrawn", "mediated", "simplified"])
def test_halved_fee_is_half_the_printed_fee_at_odd_fen(procedure, claim, full, half):
    result = court_fee(D(claim), procedure=procedure)

    assert result.full == D(full)
    assert result.payable == D(half)


@pytest.mark.parametrize(
    ("claim", "full", "third", "half_of_third"),
    [
        # 50 + 5,317.00 × 2.5% = 182.925 → 182.93; 182.93 / 3 = 60.976… → 60.98;
        # 60.98 / 2 = 30.49
        ("15317.00", "182.93", "60.98", "30.49"),
        # 50 + 2,000 × 2.5% = 100.00; / 3 = 33.333… → 33.33; / 2 = 16.665 → 16.67
        ("12000", "100.00", "33.33", "16.67"),
        # 50 + 3,400 × 2.5% = 135.00; / 3 = 45.00; / 2 = 22.50
        ("13400", "135.00", "45.00", "22.50"),
        # 50 + 2,040 × 2.5% = 101.00; / 3 = 33.666… → 33.67 printed; / 2 = 16.835 → 16.84
        # (a sixth of 101.00 unrounded, 16.833…, would print 16.83: not half of 33.67)
        ("12040", "101.00", "33.67", "16.84"),
    ],
)
def test_payment_order_third_and_its_half_are_taken_of_printed_figures(
    claim, full, third, half_of_third
):
    po = court_fee(D(claim), procedure="payment_order")
    halved = court_fee(D(claim), procedure="payment_order", halved=True)

    assert po.full == D(full)
    assert po.payable == D(third)
    assert halved.payable == D(half_of_third)


@given(claim=st.decimals(min_value=0, max_value=60_000_000, places=2, allow_nan=False))
def test_the_printed_half_is_always_half_the_printed_fee_rounded_half_up(claim):
    full = court_fee(claim).full
    third = court_fee(claim, procedure="payment_order").payable
    assert court_fee(claim, procedure="withdrawn").payable == (full / 2).quantize(
        D("0.01"), rounding="ROUND_HALF_UP"
    )
    assert court_fee(claim, procedure="payment_order", halved=True).payable == (third / 2).quantize(
        D("0.01"), rounding="ROUND_HALF_UP"
    )


def test_basis_names_the_article_and_every_band_reached():
    basis = court_fee(D("150000")).basis

    assert basis.startswith("《诉讼费用交纳办法》第十三条")
    assert "不超过1万元的，每件交纳50元" in basis
    assert "2.5%" in basis
    assert "超过10万元至20万元的部分，按照2%交纳" in basis
    assert "1.5%" not in basis


def test_result_is_frozen():
    result = court_fee(D("8000"))

    assert isinstance(result, CourtFee)
    with pytest.raises(AttributeError):
        result.payable = D("0")  # type: ignore[misc]


def test_negative_claim_is_refused_by_name():
    with pytest.raises(ValueError, match=r"claim must not be negative: -0\.01"):
        court_fee(D("-0.01"))


def test_unknown_procedure_is_refused_by_name():
    with pytest.raises(ValueError, match="unknown procedure 'arbitration'"):
        court_fee(D("8000"), procedure="arbitration")


def test_float_claim_is_refused():
    with pytest.raises(TypeError, match="claim must be a Decimal"):
        court_fee(8000.0)  # type: ignore[arg-type]


claims = st.decimals(min_value=0, max_value=60_000_000, places=2, allow_nan=False)


@given(a=claims, b=claims)
def test_fee_is_monotone_in_the_claim(a, b):
    low, high = sorted((a, b))
    for procedure in ("lawsuit", "payment_order", "withdrawn"):
        assert (
            court_fee(low, procedure=procedure).payable
            <= court_fee(high, procedure=procedure).payable
        )


@given(claim=claims)
def test_fee_is_continuous_one_fen_more_never_costs_more_than_one_fen(claim):
    step = court_fee(claim + D("0.01")).full - court_fee(claim).full
    assert D(0) <= step <= D("0.01")


@pytest.mark.parametrize("boundary", [b for b, _, _ in BOUNDARIES])
def test_fee_is_continuous_at_each_boundary(boundary):
    b = D(boundary)
    assert abs(court_fee(b + D("0.01")).full - court_fee(b).full) <= D("0.01")
    assert abs(court_fee(b).full - court_fee(b - D("0.01")).full) <= D("0.01")
