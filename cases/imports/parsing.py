"""Cell values of an arrears list → Python values, or a message saying what is wrong.

Cells come from ``csv`` (always text) or from openpyxl (text, int, float, datetime). Every
parser raises ``CellError`` with a message for the user; the messages are English with the
Chinese a finance clerk knows in parentheses.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from django.utils.translation import gettext as _

from cases.identity import credit_code_problem, normalize_id, resident_id_problem

from .columns import ITEM_HINT, ITEMS, SEGMENTS, normalize_word

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999999.99")  # Charge.amount: 14 digits, 2 decimal places
MAX_AREA = Decimal("9999999.99")  # Unit.area: 9 digits, 2 decimal places
EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 = 1900-01-01 (Excel's 1900 leap-year bug)
FIRST_YEAR, LAST_YEAR = 1990, 2100


class CellError(ValueError):
    """A cell that cannot be read; ``message`` is for the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def text(value: object) -> str:
    """A cell as text: ``1201.0`` → ``"1201"``, a date → ``"2025-01-15"``, None → ``""``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


# --- money ----------------------------------------------------------------------------

_MONEY_NOISE = re.compile(r"[\s,，¥￥元]")


def amount(value: object, *, blank_is_zero: bool = False) -> Decimal:
    """An amount in yuan with at most two decimals: ``1,234.50``, ``¥1234.5``, ``1234.5元``.
    Negative and zero amounts are returned; the caller decides what they mean."""
    if isinstance(value, bool):
        raise CellError(_("“%(value)s” is not an amount (金额格式错误)") % {"value": value})
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
        rounded = number.quantize(CENT)
        if abs(number - rounded) < Decimal("0.000001"):  # 0.30000000000000004 from a formula
            number = rounded
    else:
        raw = text(value)
        if not raw:
            if blank_is_zero:
                return Decimal(0)
            raise CellError(_("an amount is required (金额必填)"))
        cleaned = _MONEY_NOISE.sub("", raw)
        if cleaned.startswith("(") and cleaned.endswith(")"):  # accounting negative
            cleaned = "-" + cleaned[1:-1]
        try:
            number = Decimal(cleaned)
        except InvalidOperation:
            number = Decimal("NaN")
        if not number.is_finite():
            raise CellError(_("“%(value)s” is not an amount (金额格式错误)") % {"value": raw})
    if abs(number) > MAX_AMOUNT:
        raise CellError(_("%(value)s is too large (金额过大)") % {"value": number})
    if number != number.quantize(CENT):
        raise CellError(
            _("%(value)s has more than two decimal places (金额最多两位小数)") % {"value": number}
        )
    return number.quantize(CENT)


def positive_amount(value: object) -> Decimal:
    number = amount(value)
    if number <= 0:
        raise CellError(
            _("%(value)s: the amount must be greater than zero (金额必须大于零)")
            % {"value": number}
        )
    return number


def paid_amount(value: object) -> Decimal:
    number = amount(value, blank_is_zero=True)
    if number < 0:
        raise CellError(
            _("%(value)s: the paid amount cannot be negative (已收金额不能为负)")
            % {"value": number}
        )
    return number


def area(value: object) -> Decimal | None:
    if text(value) == "":
        return None
    try:
        number = amount(value)
    except CellError as exc:
        raise CellError(
            _("“%(value)s” is not a floor area in m² (面积格式错误)") % {"value": text(value)}
        ) from exc
    if number < 0 or number > MAX_AREA:
        raise CellError(_("%(value)s is not a floor area in m² (面积格式错误)") % {"value": number})
    return number


# --- dates ----------------------------------------------------------------------------

_DATE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$"
)
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SERIAL = re.compile(r"^\d{5}(?:\.0+)?$")
_MONTH = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$")
_COMPACT_MONTH = re.compile(r"^(\d{4})(\d{2})$")


def _checked(year: int, month: int, day: int) -> dt.date:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(year)
    return dt.date(year, month, day)


def _from_serial(serial: float) -> dt.date:
    return _checked(*(EXCEL_EPOCH + dt.timedelta(days=int(serial))).timetuple()[:3])


@lru_cache(maxsize=4096)
def _date_from_text(raw: str) -> dt.date:
    for pattern in (_DATE, _COMPACT_DATE):
        found = pattern.match(raw)
        if found:
            return _checked(*map(int, found.groups()))
    if _SERIAL.match(raw):
        return _from_serial(float(raw))
    raise ValueError(raw)


def date(value: object) -> dt.date:
    """``2025-01-15``, ``2025/1/15``, ``2025.1.15``, ``2025年1月15日``, ``20250115``, an
    Excel date cell or an Excel serial day number (45672)."""
    try:
        if isinstance(value, dt.datetime):
            return _checked(value.year, value.month, value.day)
        if isinstance(value, dt.date):
            return _checked(value.year, value.month, value.day)
        if isinstance(value, int | float) and not isinstance(value, bool):
            if 10000 <= value < 100000:
                return _from_serial(value)
            return _date_from_text(text(value))
        raw = text(value)
        if not raw:
            raise CellError(_("a date is required (日期必填)"))
        return _date_from_text(raw)
    except (ValueError, OverflowError) as exc:
        if isinstance(exc, CellError):
            raise
        raise CellError(
            _("“%(value)s” is not a date; write it as 2025-01-15 (日期格式错误)")
            % {"value": text(value)}
        ) from exc


def optional_date(value: object) -> dt.date | None:
    return None if text(value) == "" else date(value)


@lru_cache(maxsize=1024)
def _period_from_text(raw: str) -> dt.date:
    for pattern in (_MONTH, _COMPACT_MONTH):
        found = pattern.match(raw)
        if found:
            year, month = map(int, found.groups())
            return _checked(year, month, 1)
    return _date_from_text(raw).replace(day=1)


def period(value: object) -> tuple[dt.date, dt.date]:
    """The billing month as (first day, last day): ``2025-01``, ``2025年1月``, ``202501``,
    ``2025/01``, or a date (a spreadsheet often turns ``2025-01`` into 2025-01-01)."""
    try:
        if isinstance(value, dt.date):
            start = _checked(value.year, value.month, 1)
        else:
            raw = text(value)
            if not raw:
                raise CellError(_("the billing period is required (所属期间必填)"))
            start = _period_from_text(raw)
    except ValueError as exc:
        if isinstance(exc, CellError):
            raise
        raise CellError(
            _("“%(value)s” is not a billing month; write it as 2025-01 (所属期间格式错误)")
            % {"value": text(value)}
        ) from exc
    last = calendar.monthrange(start.year, start.month)[1]
    return start, start.replace(day=last)


# --- words ----------------------------------------------------------------------------


def item(value: object) -> str:
    raw = text(value)
    found = ITEMS.get(normalize_word(raw))
    if found is None:
        if not raw:
            raise CellError(_("the item is required (费用项目必填)"))
        raise CellError(
            _("unknown item “%(value)s” (未知费用项目); use %(hint)s")
            % {"value": raw, "hint": ITEM_HINT}
        )
    return found


def segment(value: object) -> str | None:
    raw = text(value)
    if not raw:
        return None
    found = SEGMENTS.get(normalize_word(raw))
    if found is None:
        raise CellError(
            _("unknown unit type “%(value)s” (未知房屋类型); use 已入住, 空置, 商铺 or 别墅")
            % {"value": raw}
        )
    return found


_UNIT_LABEL = re.compile(r"^(.+?)\s*(?:-|－|—|–|#|＃|栋|幢|号楼|座)\s*(.+)$")
_BUILDING_SUFFIX = re.compile(r"\s*(?:栋|幢|号楼|座|#|＃)$")
_ROOM_SUFFIX = re.compile(r"\s*室$")
MAX_LABEL_PART = 20  # Unit.building and Unit.number


def _building(raw: str) -> str:
    return _BUILDING_SUFFIX.sub("", raw.strip())


def unit_label(value: object, building_value: object = None) -> tuple[str, str]:
    """(building, number) from ``3-1201`` / ``3栋1201`` / ``3#1201`` or from a separate
    building cell (楼栋 3, 房号 1201; 房号 3-1201 beside 楼栋 3 is accepted too). A bare
    ``1201`` gives building ``""``: the plan matches it only when it names one unit."""
    raw = text(value)
    building = _building(text(building_value))
    if not raw:
        raise CellError(_("the unit is required (房号必填)"))
    found = _UNIT_LABEL.match(raw)
    if building:
        number = found.group(2) if found and _building(found.group(1)) == building else raw
    elif found:
        building, number = _building(found.group(1)), found.group(2)
    else:
        # No building: the plan matches the room alone when one unit of the estate has it,
        # and reports the row (naming the candidates) otherwise.
        number = raw
    number = _ROOM_SUFFIX.sub("", number.strip()).lstrip("-－—–#＃ ")  # 3号楼-1201室 → 1201
    if not number or max(len(building), len(number)) > MAX_LABEL_PART:
        raise CellError(_("“%(value)s” is not a unit number (房号格式错误)") % {"value": raw})
    return building, number


def phone(value: object) -> str:
    return text(value)[:40]


def name(value: object) -> str:
    return text(value)[:200]


# --- the record behind the claim ---------------------------------------------------------

MAX_UNIT_PRICE = Decimal("999999.9999")  # FeeStandard.unit_price: 10 digits, 4 places


def unit_price(value: object) -> Decimal | None:
    """A price per m² and month (up to four decimals): ``2.8``, ``2.80元/㎡/月``."""
    raw = text(value)
    if raw == "":
        return None
    cleaned = re.sub(r"[\s¥￥]|元.*$|/.*$", "", raw)
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or number < 0 or number > MAX_UNIT_PRICE:
        raise CellError(
            _("“%(value)s” is not a price per m² and month (单价格式错误)") % {"value": raw}
        )
    if number != number.quantize(Decimal("0.0001")):
        raise CellError(
            _("%(value)s has more than four decimals (单价最多四位小数)") % {"value": raw}
        )
    return number


def record_number(value: object) -> str:
    """A certificate or contract number as written (blanks trimmed)."""
    return text(value)[:80]


def owner_id_number(value: object) -> str:
    """An 18-character resident ID number or unified social credit code, checksum checked
    (GB 11643 / GB 32100); other ID types are entered in the admin."""
    raw = text(value)
    number = normalize_id(raw)
    if number == "":
        return ""
    if len(number) == 18 and number[:17].isdigit():
        problem = resident_id_problem(number)
    elif len(number) == 18:
        problem = credit_code_problem(number)
    else:
        problem = _(
            "an 18-character resident ID number or unified social credit code is expected; "
            "enter other ID types in the admin (证件号码应为18位身份证号或统一社会信用代码)"
        )
    if problem:
        raise CellError(problem)
    return number
