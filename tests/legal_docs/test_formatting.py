"""Amounts, dates and rates written the way a Chinese court and bank expect to read them."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from legal_docs.formatting import (
    amount_figures,
    amount_in_capitals,
    date_cn,
    month_cn,
    months_span,
    rate_per_mille,
)

D = Decimal


@pytest.mark.parametrize(
    ("value", "capitals"),
    [
        ("1409.50", "人民币壹仟肆佰零玖元伍角"),
        ("0.05", "人民币伍分"),
        ("100000.01", "人民币壹拾万元零壹分"),
        ("1004.00", "人民币壹仟零肆元整"),
        ("120000000", "人民币壹亿贰仟万元整"),
        ("6007.14", "人民币陆仟零柒元壹角肆分"),
        ("0", "人民币零元整"),
        ("3518.62", "人民币叁仟伍佰壹拾捌元陆角贰分"),  # the sample context's total
        ("10", "人民币壹拾元整"),
    ],
)
def test_amount_in_capitals_banking_convention(value, capitals):
    assert amount_in_capitals(D(value)) == capitals


def test_capitals_round_to_the_fen_half_up_first():
    assert amount_in_capitals(D("1409.495")) == "人民币壹仟肆佰零玖元伍角"
    assert amount_in_capitals(D("0.004")) == "人民币零元整"


def test_capitals_accept_an_int():
    assert amount_in_capitals(1004) == "人民币壹仟零肆元整"


def test_negative_amount_in_capitals_is_refused():
    with pytest.raises(ValueError, match=r"must not be negative: -0\.01"):
        amount_in_capitals(D("-0.01"))


def test_float_amount_is_refused():
    with pytest.raises(TypeError, match="Decimal"):
        amount_in_capitals(1409.5)  # type: ignore[arg-type]


def test_amount_beyond_sixteen_digits_is_refused_clearly():
    with pytest.raises(ValueError, match="too large"):
        amount_in_capitals(D("100000000000000000"))


@pytest.mark.parametrize(
    ("value", "figures"),
    [
        ("1409.5", "1,409.50"),
        ("0", "0.00"),
        ("1234567.891", "1,234,567.89"),
        ("2.675", "2.68"),  # half up, not banker's rounding
        ("-1409.5", "-1,409.50"),
        ("999.995", "1,000.00"),
    ],
)
def test_amount_figures(value, figures):
    assert amount_figures(D(value)) == figures


def test_date_cn_is_zero_padded():
    assert date_cn(dt.date(2026, 11, 28)) == "2026年11月28日"
    assert date_cn(dt.date(2026, 1, 5)) == "2026年01月05日"


def test_date_cn_reads_an_aware_datetime_in_shanghai():
    late_evening_utc = dt.datetime(2026, 11, 27, 17, 0, tzinfo=ZoneInfo("UTC"))
    assert date_cn(late_evening_utc) == "2026年11月28日"


def test_month_cn():
    assert month_cn(dt.date(2026, 11, 28)) == "2026年11月"
    assert month_cn(dt.date(2026, 1, 5)) == "2026年01月"


def test_months_span_contiguous_year():
    periods = [dt.date(2025, m, 1) for m in range(1, 13)]
    assert months_span(periods) == "2025年1月至2025年12月"


def test_months_span_across_new_year_and_unsorted_duplicates():
    periods = [dt.date(2026, 2, 1), dt.date(2025, 11, 1), dt.date(2025, 12, 15)]
    periods += [dt.date(2026, 1, 1), dt.date(2026, 1, 20)]
    assert months_span(periods) == "2025年11月至2026年2月"


def test_months_span_separate_runs_joined_with_dunhao():
    periods = [dt.date(2025, m, 1) for m in (1, 2, 3, 5, 9, 10)]
    assert months_span(periods) == "2025年1月至2025年3月、2025年5月、2025年9月至2025年10月"


def test_months_span_single_month_and_none():
    assert months_span([dt.date(2025, 3, 1)]) == "2025年3月"
    assert months_span([]) == ""


@pytest.mark.parametrize(
    ("rate", "words"),
    [
        ("0.001", "千分之一"),
        ("0.0005", "万分之五"),
        ("0.002", "千分之二"),
        ("0.0015", "万分之十五"),
        ("0.0003", "万分之三"),
        ("0.005", "千分之五"),
        ("0", "无"),
        ("0.00", "无"),
        ("0.0000015", "百万分之一点五"),
    ],
)
def test_rate_per_mille(rate, words):
    assert rate_per_mille(D(rate)) == words


def test_negative_rate_is_refused():
    with pytest.raises(ValueError, match="rate"):
        rate_per_mille(D("-0.001"))
