"""Rows of a table → checked ledger rows, and the errors of the rows that are not.

Everything here depends on the file alone (no database): each cell is parsed, then the
rules that join cells (paid ≤ due, due date not before its period, no payment in the
future) and the rule that joins rows (one row per unit, item and period).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from operator import itemgetter

from django.utils.translation import gettext as _

from cases.unit_keys import unit_key as normalized_unit_key

from . import parsing
from .columns import COLUMNS, RECORD_FIELDS, TOTAL_WORDS
from .parsing import CellError
from .reading import Table

UnitKey = str  # Unit.key: building and number normalized (cases.unit_keys)
RowKey = tuple[str, str, dt.date]  # (unit key, item, period start)


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem with one cell (``column`` is the header as the file spells it)."""

    row: int
    column: str
    value: str
    message: str


@dataclass(slots=True)
class LedgerRow:
    """One valid row: a charge of a unit for a month, and what the billing system says
    has been paid on it so far."""

    row: int
    building: str
    number: str
    owner: str
    phone: str
    item: str
    period_start: dt.date
    period_end: dt.date
    amount_due: Decimal
    amount_paid: Decimal
    due_date: dt.date
    paid_on: dt.date | None
    # The optional columns of the record behind the claim (``columns.RECORD_FIELDS``) and
    # the row's own area; ``basis`` is set by ``basis.check_bases``: (standard, area, months).
    area: Decimal | None = None
    unit_price: Decimal | None = None
    title_certificate_no: str = ""
    purchase_contract_no: str = ""
    owner_id_number: str = ""
    basis: tuple | None = None

    @property
    def unit_key(self) -> UnitKey:
        return normalized_unit_key(self.building, self.number)

    @property
    def label(self) -> str:
        return f"{self.building}-{self.number}"

    @property
    def payment_date(self) -> dt.date:
        """A payment is dated the row's paid_on, or its due date when it has none."""
        return self.paid_on or self.due_date


@dataclass
class UnitFacts:
    """What the rows of a unit say about it, for creating it when it does not exist."""

    building: str = ""  # as the first row naming the unit writes it
    number: str = ""
    area: Decimal | None = None
    segment: str | None = None
    rows: list[int] = field(default_factory=list)  # every row naming the unit

    @property
    def label(self) -> str:
        return f"{self.building}-{self.number}"

    @property
    def creatable(self) -> bool:
        return self.area is not None or self.segment is not None


@dataclass
class CheckedRows:
    valid: list[LedgerRow]
    errors: list[RowError]
    units: dict[UnitKey, UnitFacts]
    rows: int  # data rows read
    ignored: int  # blank rows and total lines


_INVALID = object()


class _Failure:
    """A cell value's parse error, cached like a result."""

    __slots__ = ("message",)

    def __init__(self, message: str):
        self.message = message


# Parsed per cell, in this order; a row's errors are reported in it.
_PARSERS = (
    ("unit", parsing.unit_label),
    ("item", parsing.item),
    ("period", parsing.period),
    ("amount_due", parsing.positive_amount),
    ("amount_paid", parsing.paid_amount),
    ("due_date", parsing.date),
    ("paid_on", parsing.optional_date),
    ("area", parsing.area),
    ("segment", parsing.segment),
)
# The optional record columns: parsed like the others, but not part of the ledger's row tuple.
_RECORD_PARSERS = {
    "unit_price": parsing.unit_price,
    "title_certificate_no": parsing.record_number,
    "purchase_contract_no": parsing.record_number,
    "owner_id_number": parsing.owner_id_number,
}
assert set(_RECORD_PARSERS) == set(RECORD_FIELDS)
# What a column the file does not have means.
_ABSENT = {"amount_paid": Decimal(0), "paid_on": None, "area": None, "segment": None}


def _parse_all(parse, keys: list, args_of) -> tuple[list, dict]:
    """``parse`` applied to each key's value, each distinct key once (an arrears list
    repeats its items, periods, dates and amounts a lot): (results in order, failures by
    key)."""
    memo: dict = {}
    failures: dict = {}
    for key in dict.fromkeys(keys):
        try:
            memo[key] = parse(*args_of(key))
        except CellError as exc:
            memo[key] = failures[key] = _Failure(exc.message)
    return [memo[key] for key in keys], failures


def _texts(column: list, clean) -> list[str]:
    memo = {value: clean(value) for value in dict.fromkeys(column)}
    return [memo[value] for value in column]


def _value_of(key):
    return (key,) if key.__class__ is str else (key[1],)


def _at(cells: tuple, index: int | None):
    return cells[index] if index is not None and index < len(cells) else None


def _blank_or_total(cells: tuple) -> bool:
    """A blank row, or the total line (合计) billing exports end with."""
    for value in cells:
        if value is None or value == "":
            continue
        text = value.strip() if value.__class__ is str else parsing.text(value)
        if text:
            return text.replace(" ", "").lower() in TOTAL_WORDS
    return True


def check_rows(
    table: Table, *, today: dt.date, tick: Callable[[int], None] | None = None
) -> CheckedRows:
    """Parse every data row of ``table``; all problems of a row are reported, each with
    its row number and column, in the order of ``_PARSERS`` then the rules joining cells.

    Column by column first (each distinct value parsed once), then row by row."""
    headers = {column.field: table.header(column.field) for column in COLUMNS}
    index = table.columns
    data = [(number, cells) for number, cells in table.rows if not _blank_or_total(cells)]
    ignored = len(table.rows) - len(data)
    if tick is not None:
        tick(ignored)

    width = max(index.values(), default=-1) + 1
    padded = [
        cells if len(cells) >= width else (*cells, *([None] * (width - len(cells))))
        for _number, cells in data
    ]
    typed = table.kind != "csv"  # CSV cells are all text

    def values(name: str) -> list:
        i = index.get(name)
        return [None] * len(data) if i is None else list(map(itemgetter(i), padded))

    parsed: dict[str, list] = {}
    failing: dict[str, dict] = {}  # field → {row position: failure}
    raw: dict[str, list] = {}
    for name, parse in _PARSERS:
        if name not in index:
            parsed[name] = [_ABSENT[name]] * len(data)
            continue
        raw[name] = column = values(name)
        if name == "unit" and "building" in index:
            keys = list(zip(column, values("building"), strict=True))
            results, failures = _parse_all(parse, keys, lambda key: key)
        else:
            # 1, 1.0 and True are equal dict keys: keep their types apart
            keys = (
                [v if v.__class__ is str else (v.__class__, v) for v in column] if typed else column
            )
            results, failures = _parse_all(parse, keys, _value_of)
        parsed[name] = results
        if failures:
            failing[name] = {i: r for i, r in enumerate(results) if r.__class__ is _Failure}
    owners = _texts(values("owner"), parsing.name)
    phones = _texts(values("phone"), parsing.phone)
    record = _record_columns(index, values)
    bad_positions = set().union(*failing.values()) if failing else set()

    valid: list[LedgerRow] = []
    errors: list[RowError] = []
    units: dict[UnitKey, UnitFacts] = {}
    first_row_of: dict[RowKey, int] = {}
    columns = [parsed[name] for name, _parse in _PARSERS]
    for position, ((number, _cells), row) in enumerate(
        zip(data, zip(*columns, strict=True), strict=True)
    ):
        if tick is not None and position % 5000 == 4999:
            tick(5000)
        unit_key, item, period, amount_due, amount_paid, due_date, paid_on, area, segment = row
        found: list[RowError] = []
        if position in bad_positions:
            for name, _parse in _PARSERS:
                failure = failing.get(name, {}).get(position)
                if failure is not None:
                    value = parsing.text(raw[name][position])
                    found.append(RowError(number, headers[name], value, failure.message))
            unit_key, item, period, amount_due, amount_paid, due_date, paid_on, area, segment = (
                _INVALID if value.__class__ is _Failure else value for value in row
            )

        label = unit_key
        if unit_key is not _INVALID:
            unit_key = normalized_unit_key(*label)
            facts = units.get(unit_key)
            if facts is None:
                facts = units[unit_key] = UnitFacts(building=label[0], number=label[1])
            facts.rows.append(number)
            if facts.area is None and area is not None and area is not _INVALID:
                facts.area = area
            if facts.segment is None and segment is not None and segment is not _INVALID:
                facts.segment = segment
        if amount_due is not _INVALID and amount_paid is not _INVALID and amount_paid > amount_due:
            found.append(
                RowError(
                    number,
                    headers["amount_paid"],
                    parsing.text(raw["amount_paid"][position]),
                    _("paid %(paid)s is more than the %(due)s due (已收金额大于应收金额)")
                    % {"paid": amount_paid, "due": amount_due},
                )
            )
        if period is not _INVALID and due_date is not _INVALID and due_date < period[0]:
            found.append(
                RowError(
                    number,
                    headers["due_date"],
                    parsing.text(raw["due_date"][position]),
                    _("the due date %(due)s is before its period %(period)s (应缴日期早于所属期间)")
                    % {"due": due_date.isoformat(), "period": f"{period[0]:%Y-%m}"},
                )
            )
        if paid_on is not None and paid_on is not _INVALID and paid_on > today:
            found.append(
                RowError(
                    number,
                    headers["paid_on"],
                    parsing.text(raw["paid_on"][position]),
                    _("the payment date %(date)s is in the future (缴费日期晚于今天)")
                    % {"date": paid_on.isoformat()},
                )
            )
        if unit_key is not _INVALID and item is not _INVALID and period is not _INVALID:
            first = first_row_of.setdefault((unit_key, item, period[0]), number)
            if first != number:
                found.append(
                    RowError(
                        number,
                        headers["unit"],
                        parsing.text(raw["unit"][position]),
                        _(
                            "duplicate of row %(row)d: same unit, item and period (重复行，"
                            "与第%(row)d行重复)"
                        )
                        % {"row": first},
                    )
                )
        found.extend(_record_errors(record, position, number, headers))
        if found:
            errors.extend(found)
            continue
        valid.append(
            LedgerRow(
                row=number,
                building=label[0],
                number=label[1],
                owner=owners[position],
                phone=phones[position],
                item=item,
                period_start=period[0],
                period_end=period[1],
                amount_due=amount_due,
                amount_paid=amount_paid,
                due_date=due_date,
                paid_on=paid_on,
            )
        )
        _record_into(valid[-1], record, position, area)
    if tick is not None:
        tick(len(data) % 5000)
    return CheckedRows(valid=valid, errors=errors, units=units, rows=len(data), ignored=ignored)


def _record_columns(index: dict, values) -> dict[str, tuple[list, list]]:
    """Each record column the file has: (raw cells, parsed values or ``_Failure``)."""
    out = {}
    for name, parse in _RECORD_PARSERS.items():
        if name in index:
            column = values(name)
            keys = [v if v.__class__ is str else (v.__class__, v) for v in column]
            results, _failures = _parse_all(parse, keys, _value_of)
            out[name] = (column, results)
    return out


def _record_errors(record: dict, position: int, number: int, headers: dict) -> list[RowError]:
    return [
        RowError(number, headers[name], parsing.text(column[position]), results[position].message)
        for name, (column, results) in record.items()
        if results[position].__class__ is _Failure
    ]


def _record_into(row: LedgerRow, record: dict, position: int, area) -> None:
    """The record columns of a valid row (and its own area) onto the row."""
    if area is not None and area is not _INVALID:
        row.area = area
    for name, (_column, results) in record.items():
        value = results[position]
        if value is not None:
            setattr(row, name, value)
