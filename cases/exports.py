"""Spreadsheet exports: the monthly arrears list of an estate and collector performance.

Both are read set-based — a fixed number of queries whatever the number of units — and
written as XLSX (openpyxl, write-only) or CSV (UTF-8 with BOM, which Excel opens as UTF-8).

Formula injection: a text cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return (after leading blanks) would be run by a spreadsheet as a formula. Owner names and
phone numbers come from outside, so every such cell is written as text: in XLSX as a string
cell with the quote prefix set, in CSV prefixed with a single quote ``'``.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import (
    Case,
    ChargeItem,
    ContactAttempt,
    Estate,
    Outcome,
    PromiseStatus,
    Stage,
    Unit,
    UnitParty,
)
from cases.roles import Role
from cases.selectors.ledger import arrears_as_of, money

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
MONTH_COLUMNS = 12


def formula_like(value: object) -> bool:
    """A text a spreadsheet could take for a formula."""
    return isinstance(value, str) and (
        value.startswith(FORMULA_PREFIXES) or value.lstrip(" ").startswith(FORMULA_PREFIXES)
    )


def csv_safe(value: object) -> object:
    """``value`` for a CSV cell: formula-like text gets a leading single quote."""
    return "'" + value if formula_like(value) else value


@dataclass
class Sheet:
    """A table to write: ``money``/``dates`` are the indexes of columns so formatted."""

    title: str
    headers: list[str]
    rows: list[list] = field(default_factory=list)
    money: set[int] = field(default_factory=set)
    dates: set[int] = field(default_factory=set)
    widths: dict[int, int] = field(default_factory=dict)


# --- the arrears list -----------------------------------------------------------------


def month_as_of(month: dt.date) -> dt.date:
    """A month's list speaks as of its last day, or today within the current month (the
    rule of the month's payment notices)."""
    last = month.replace(day=calendar.monthrange(month.year, month.month)[1])
    return min(last, timezone.localdate())


def _months_back(month: dt.date, count: int) -> list[dt.date]:
    first = month.replace(day=1)
    months = []
    for back in range(count - 1, -1, -1):
        index = first.year * 12 + first.month - 1 - back
        months.append(dt.date(index // 12, index % 12 + 1, 1))
    return months


def _natural(text: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text))


def _person(username: str, first: str, last: str) -> str:
    if not (first or last):
        return username
    if re.search(r"[\u4e00-\u9fff]", first + last):
        return f"{last}{first}"
    return f"{first} {last}".strip()


def _owners(units) -> dict[int, tuple[str, str]]:
    """(names, first phone) of the owners of ``units`` (a queryset), liable ones first."""
    names: dict[int, list[str]] = defaultdict(list)
    phones: dict[int, str] = {}
    for unit_id, name, phone in (
        UnitParty.objects.filter(unit__in=units, role=UnitParty.Role.OWNER)
        .order_by("unit_id", "-liable", "pk")
        .values_list("unit_id", "party__name", "party__phone")
    ):
        names[unit_id].append(name)
        if phone and unit_id not in phones:
            phones[unit_id] = phone
    return {uid: ("、".join(n), phones.get(uid, "")) for uid, n in names.items()}


def _open_cases(units) -> dict[int, tuple[str, str]]:
    """(stage label, collector) of the open case of each of ``units`` that has one."""
    return {
        unit_id: (str(Stage(stage).label), _person(username, first, last) if username else "")
        for unit_id, stage, username, first, last in Case.objects.filter(unit__in=units)
        .exclude(stage=Stage.CLOSED)
        .values_list(
            "unit_id",
            "stage",
            "collector__username",
            "collector__first_name",
            "collector__last_name",
        )
    }


def arrears_sheet(estate: Estate, *, month: dt.date) -> Sheet:
    """The month's arrears list (每月业主欠费清单): one row per unit owing anything on the
    month's as-of day, with the principal by billing month (the last twelve, older ones
    summed as "earlier"), the late fee, the total, and the unit's open case. Six queries."""
    as_of = month_as_of(month)
    units = Unit.objects.filter(estate=estate)
    owed = arrears_as_of(units, as_of=as_of, breakdown=True)
    labels = {
        pk: f"{b}-{n}" for pk, b, n in units.values_list("pk", "building", "number") if pk in owed
    }
    owners = _owners(units)
    cases = _open_cases(units)
    months = _months_back(month, MONTH_COLUMNS)

    headers = [_("Unit (房号)"), _("Owner (业主)"), _("Phone (电话)")]
    headers += [f"{m:%Y-%m}" for m in months] + [_("Earlier (更早)")]
    headers += [
        _("Items owed (欠费项目)"),
        _("Principal (本金)"),
        _("Late fee (滞纳金)"),
        _("Total (合计)"),
        _("Oldest due date (最早应缴日)"),
        _("Days overdue (逾期天数)"),
        _("Case stage (案件阶段)"),
        _("Collector (催收员)"),
    ]
    first_month = 3
    earlier = first_month + len(months)
    principal_col = earlier + 2
    sheet = Sheet(
        title=_("Arrears %(month)s") % {"month": f"{month:%Y-%m}"},
        headers=headers,
        money=set(range(first_month, earlier + 1)) | set(range(principal_col, principal_col + 3)),
        dates={principal_col + 3},
        widths={0: 12, 1: 16, 2: 15, earlier + 1: 28, principal_col + 5: 24, principal_col + 6: 12},
    )
    month_index = {m: first_month + i for i, m in enumerate(months)}
    totals = [Decimal(0)] * len(headers)
    for unit_id in sorted(owed, key=lambda uid: _natural(labels[uid])):
        a = owed[unit_id]
        owner, phone = owners.get(unit_id, ("", ""))
        stage, collector = cases.get(unit_id, ("", ""))
        row: list = [labels[unit_id], owner, phone] + [None] * (len(months) + 1)
        for period, amount in a.by_period.items():
            column = month_index.get(period.replace(day=1), earlier)
            row[column] = money((row[column] or Decimal(0)) + amount)
        late_fee = money(a.late_fee)
        row += [
            "、".join(str(ChargeItem(item).label) for item in a.by_item),
            money(a.principal),
            late_fee,
            money(a.principal) + late_fee,
            a.oldest_due_date,
            a.days_overdue if a.oldest_due_date else None,
            stage,
            collector,
        ]
        for column in sheet.money:
            totals[column] += row[column] or 0
        sheet.rows.append(row)
    total_row: list = [_("Total (合计)"), _("%(n)d units") % {"n": len(sheet.rows)}]
    total_row += [
        (totals[i] if totals[i] or i >= principal_col else None) if i in sheet.money else None
        for i in range(2, len(headers))
    ]
    sheet.rows.append(total_row)
    return sheet


# --- collector performance ------------------------------------------------------------


def collectors_sheet(estate: Estate, *, month: dt.date) -> Sheet:
    """Per collector, for the month: cases assigned (open at some time in the month),
    contacts logged, promises to pay logged and how many of those are kept or broken, and
    the amount recovered — payments in the month on units while their case was assigned to
    the collector. Four queries."""
    start = month.replace(day=1)
    end = start.replace(day=calendar.monthrange(start.year, start.month)[1])
    zone = timezone.get_current_timezone()
    start_at = dt.datetime.combine(start, dt.time.min, tzinfo=zone)
    end_at = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)

    estate_cases = Case.objects.filter(unit__estate=estate, collector__isnull=False)
    in_month = Q(opened_on__lte=end) & (Q(closed_on__isnull=True) | Q(closed_on__gte=start))
    assigned = dict(
        estate_cases.filter(in_month)
        .values("collector")
        .annotate(n=Count("pk"))
        .values_list("collector", "n")
    )
    paid_while_assigned = (
        Q(unit__payments__paid_on__gte=start, unit__payments__paid_on__lte=end)
        & Q(unit__payments__paid_on__gte=F("opened_on"))
        & (Q(closed_on__isnull=True) | Q(unit__payments__paid_on__lte=F("closed_on")))
    )
    recovered = dict(
        estate_cases.filter(in_month)
        .values("collector")
        .annotate(s=Sum("unit__payments__amount", filter=paid_while_assigned))
        .values_list("collector", "s")
    )
    promised = Q(outcome=Outcome.PROMISED)
    contacts = {
        row["actor"]: row
        for row in ContactAttempt.objects.filter(
            case__unit__estate=estate, occurred_at__gte=start_at, occurred_at__lt=end_at
        )
        .values("actor")
        .annotate(
            contacts=Count("pk"),
            promises=Count("pk", filter=promised),
            kept=Count("pk", filter=promised & Q(promise_status=PromiseStatus.KEPT)),
            broken=Count("pk", filter=promised & Q(promise_status=PromiseStatus.BROKEN)),
        )
    }
    people = (
        get_user_model()
        .objects.filter(Q(groups__name=Role.COLLECTOR, is_active=True) | Q(pk__in=list(assigned)))
        .distinct()
        .values_list("pk", "username", "first_name", "last_name")
    )
    sheet = Sheet(
        title=_("Collectors %(month)s") % {"month": f"{month:%Y-%m}"},
        headers=[
            _("Collector (催收员)"),
            _("Cases assigned (分配案件)"),
            _("Contacts logged (催收记录)"),
            _("Promises to pay (承诺缴费)"),
            _("Promises kept (已兑现)"),
            _("Promises broken (未兑现)"),
            _("Recovered in the month (本月回款)"),
        ],
        money={6},
        widths={0: 16, 6: 16},
    )
    totals = [Decimal(0)] * 7
    for pk, username, first, last in sorted(people, key=lambda p: _person(*p[1:])):
        c = contacts.get(pk, {})
        row = [
            _person(username, first, last),
            assigned.get(pk, 0),
            c.get("contacts", 0),
            c.get("promises", 0),
            c.get("kept", 0),
            c.get("broken", 0),
            recovered.get(pk) or Decimal("0.00"),
        ]
        for i in range(1, 7):
            totals[i] += row[i]
        sheet.rows.append(row)
    sheet.rows.append([_("Total (合计)"), *totals[1:]])
    return sheet


# --- writing --------------------------------------------------------------------------

_SHEET_TITLE_BAD = re.compile(r"[\[\]:*?/\\]")


def write_xlsx(sheets: list[Sheet], out: BinaryIO | str | Path) -> None:
    """Write ``sheets`` to one workbook; formula-like text is written as text."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for sheet in sheets:
        ws = workbook.create_sheet(_SHEET_TITLE_BAD.sub("-", sheet.title)[:31])
        ws.freeze_panes = "B2"
        for index in range(len(sheet.headers)):
            width = sheet.widths.get(index, 12)
            ws.column_dimensions[get_column_letter(index + 1)].width = width

        def cell(value, index, ws=ws, sheet=sheet, font=None):
            if formula_like(value):
                c = WriteOnlyCell(ws, value=value)
                c.data_type = "s"
                c.quotePrefix = True
            elif index in sheet.money and value is not None:
                c = WriteOnlyCell(ws, value=value)
                c.number_format = MONEY_FORMAT
            elif index in sheet.dates and value is not None:
                c = WriteOnlyCell(ws, value=value)
                c.number_format = DATE_FORMAT
            elif font is None:
                return value
            else:
                c = WriteOnlyCell(ws, value=value)
            if font is not None:
                c.font = font
            return c

        ws.append([cell(h, -1, font=bold) for h in sheet.headers])
        for row in sheet.rows:
            ws.append([cell(value, i) for i, value in enumerate(row)])
    workbook.save(out)


def _csv_value(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return csv_safe(value)


def write_csv(sheet: Sheet, out: BinaryIO | str | Path) -> None:
    """Write ``sheet`` as CSV in UTF-8 with BOM; formula-like text gets a leading quote."""
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow([_csv_value(h) for h in sheet.headers])
    for row in sheet.rows:
        writer.writerow([_csv_value(v) for v in row])
    data = text.getvalue().encode("utf-8-sig")
    if isinstance(out, str | Path):
        Path(out).write_bytes(data)
    else:
        out.write(data)


def arrears_export(
    estate: Estate, *, month: dt.date, collectors: bool = False, fmt: str = "xlsx"
) -> bytes:
    """The month's arrears list (and, with ``collectors``, the collector sheet) as bytes:
    one workbook for ``xlsx``; for ``csv`` the arrears list alone (or, with
    ``collectors``, the collector sheet alone)."""
    out = io.BytesIO()
    if fmt == "csv":
        sheet = (
            collectors_sheet(estate, month=month)
            if collectors
            else arrears_sheet(estate, month=month)
        )
        write_csv(sheet, out)
    else:
        sheets = [arrears_sheet(estate, month=month)]
        if collectors:
            sheets.append(collectors_sheet(estate, month=month))
        write_xlsx(sheets, out)
    return out.getvalue()
