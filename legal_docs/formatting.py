"""How amounts, dates and rates are written in Chinese legal documents (DESIGN.md section 6).

Pure functions, no ORM. Conventions, matching the documented sample contexts
(``legal_docs.contexts_schema``):

- Amounts are rounded to the fen 分, half up, before they are written; in figures with
  thousands separators and two decimals (``1,409.50``); in capitals 大写金额 after the Chinese
  banking convention, prefixed 人民币 (``人民币壹仟肆佰零玖元伍角``, ``人民币壹仟零肆元整``).
- Dates are zero-padded: ``2026年01月05日``; months likewise: ``2026年01月``. The one exception
  is a span of months in an itemised statement (``2025年1月至2025年12月``), unpadded as it is
  spoken and as the sample contexts write it.
- Aware datetimes are read in Asia/Shanghai, the zone the documents are dated in.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import cn2an

from cases.claims import rate_per_mille as rate_per_mille  # one definition, shared with cases

CENT = Decimal("0.01")
DOCUMENT_TZ = ZoneInfo("Asia/Shanghai")


def _to_cents(value: Decimal | int, *, what: str) -> Decimal:
    """``value`` as a Decimal rounded to the fen, half up; floats refused (money is Decimal)."""
    if isinstance(value, float) or not isinstance(value, Decimal | int):
        raise TypeError(f"{what} must be a Decimal or an int, not {type(value).__name__}")
    value = Decimal(value)
    if not value.is_finite():
        raise ValueError(f"{what} must be a finite amount, not {value}")
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def amount_in_capitals(value: Decimal | int) -> str:
    """The amount in Chinese capitals 大写金额, prefixed 人民币: ``人民币壹仟肆佰零玖元伍角``.

    Rounded to the fen (half up) first; a whole amount ends in 整 (``人民币壹仟零肆元整``),
    zero is ``人民币零元整``. Raises ``ValueError`` for a negative amount (a document never
    demands a negative sum) or one beyond 16 integer digits, ``TypeError`` for a float.
    """
    cents = _to_cents(value, what="amount")
    if cents < 0:
        raise ValueError(f"amount in capitals must not be negative: {cents}")
    try:
        words = cn2an.an2cn(str(cents), "rmb")
    except ValueError as exc:
        raise ValueError(f"amount too large to write in capitals: {cents}") from exc
    return "人民币" + words


def amount_figures(value: Decimal | int) -> str:
    """The amount in figures with thousands separators and two decimals: ``1,409.50``.

    Rounded to the fen (half up); a negative amount (a refund, a correction) keeps its sign.
    """
    return f"{_to_cents(value, what='amount'):,.2f}"


def _local_date(d: dt.date) -> dt.date:
    """The calendar day of ``d``; an aware datetime is read in the documents' zone."""
    if isinstance(d, dt.datetime):
        if d.tzinfo is not None:
            d = d.astimezone(DOCUMENT_TZ)
        return d.date()
    if isinstance(d, dt.date):
        return d
    raise TypeError(f"expected a date, not {type(d).__name__}: {d!r}")


def date_cn(d: dt.date) -> str:
    """``2026年11月28日``, month and day zero-padded (``2026年01月05日``)."""
    d = _local_date(d)
    return f"{d.year}年{d.month:02d}月{d.day:02d}日"


def date_cn_plain(d: dt.date) -> str:
    """``2026年12月4日``: month and day without zero padding, as GB/T 9704 writes dates."""
    d = _local_date(d)
    return f"{d.year}年{d.month}月{d.day}日"


def month_cn(d: dt.date) -> str:
    """The month of ``d``: ``2026年11月``, zero-padded like ``date_cn`` (``2026年01月``)."""
    d = _local_date(d)
    return f"{d.year}年{d.month:02d}月"


def months_span(periods: list[dt.date]) -> str:
    """The billing months of ``periods`` as an itemised statement writes them.

    Contiguous months are one run ``2025年1月至2025年12月``; a single month is ``2025年3月``;
    separate runs are joined with 、 (``2025年1月至2025年3月、2025年5月``). Only year and month
    count; duplicates and order do not matter. No periods give an empty string.
    """
    months = sorted({(p.year, p.month) for p in map(_local_date, periods)})
    runs: list[list[tuple[int, int]]] = []
    for year, month in months:
        if runs:
            last_year, last_month = runs[-1][1]
            if year * 12 + month == last_year * 12 + last_month + 1:
                runs[-1][1] = (year, month)
                continue
        runs.append([(year, month), (year, month)])

    def label(ym: tuple[int, int]) -> str:
        return f"{ym[0]}年{ym[1]}月"

    return "、".join(
        label(start) if start == end else f"{label(start)}至{label(end)}" for start, end in runs
    )
