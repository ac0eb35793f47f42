"""``ledger_import``: the one service behind the command and the upload page.

All rows are checked first (file rules in ``rows``, ledger rules in ``plan``); nothing is
written when any row is refused, unless ``valid_only``. Then the plan is written in batches
of whole units, one transaction per batch (``writing``): charges of units without credit in
bulk — with nothing to allocate, that is what ``charge_issue`` does, minus its per-row lock
(the batch holds the locks) and model validation (the rows passed the same rules, and the
database constraints still apply) — the others through ``charge_issue``, which applies the
credit, and every growth of 已收金额 through ``payment_record``, which allocates it and makes
the unit's open case react.
"""

from __future__ import annotations

import datetime as dt
import time

from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Estate

from .basis import check_bases
from .plan import plan_units
from .reading import ImportFileError, read_table
from .report import ImportReport, Progress
from .rows import RowError, check_rows
from .writing import plan_write

BATCH_ROWS = 5000


def ledger_import(
    content: bytes,
    *,
    estate: Estate,
    actor,
    filename: str = "",
    dry_run: bool = False,
    valid_only: bool = False,
    batch_rows: int = BATCH_ROWS,
    progress: Progress | None = None,
    today: dt.date | None = None,
) -> ImportReport:
    """Import a billing system's arrears list (CSV or XLSX bytes) into ``estate``'s ledger.

    Every row is checked before anything is written; with errors nothing is written unless
    ``valid_only`` (then the valid rows are). ``dry_run`` checks and counts only. Issues
    each new charge (bulk for units without credit, ``charge_issue`` otherwise), records
    each growth of 已收金额 with ``payment_record`` as ``actor``, creates the units and
    owners the rows describe. Re-importing a file changes nothing. One transaction per
    batch of ``batch_rows`` rows (whole units); a batch that meets a concurrent change is
    rolled back, reported, and ends the import. Never raises for bad input: the report
    carries the errors."""
    started = time.perf_counter()
    today = today or timezone.localdate()
    report = ImportReport(filename=filename, dry_run=dry_run, valid_only=valid_only)
    clock = _Clock(report)
    try:
        table = read_table(content)
    except ImportFileError as exc:
        report.errors.append(RowError(1, "", "", exc.message))
        return _done(report, started)
    report.kind, report.encoding = table.kind, table.encoding
    clock("read")
    if table.missing or table.repeated:
        report.errors += [
            RowError(table.header_row, label, "", _("missing column %(c)s (缺少列)") % {"c": label})
            for label in table.missing
        ] + [
            RowError(
                table.header_row,
                header,
                header,
                _("this column names the same field as another one (重复列)"),
            )
            for header in table.repeated
        ]
        return _done(report, started)

    bar = progress(_("checking"), len(table.rows)) if progress else None
    checked = check_rows(table, today=today, tick=bar.update if bar else None)
    if bar:
        bar.close()
    clock("check")
    plan = plan_units(estate, checked.valid, checked.units, header=table.header)
    plan.errors += check_bases(estate, plan, header=table.header)
    clock("plan")
    report.rows, report.rows_ignored = checked.rows, checked.ignored
    report.errors = sorted(checked.errors + plan.errors, key=lambda e: e.row)
    if report.refused:
        return _done(report, started)
    if dry_run:
        for unit in plan.units:
            for action in unit.actions:
                report.count(action)
        report.units_created = sum(unit.unit_id is None for unit in plan.units)
        report.parties_created = plan.new_parties()
        return _done(report, started)

    plan_write(
        plan,
        estate=estate,
        actor=actor,
        filename=filename,
        report=report,
        progress=progress,
        batch_rows=batch_rows,
        header=table.header,
    )
    clock("write")
    return _done(report, started)


class _Clock:
    """Records the seconds each phase took in ``report.timings``."""

    def __init__(self, report: ImportReport):
        self.report, self.last = report, time.perf_counter()

    def __call__(self, phase: str) -> None:
        now = time.perf_counter()
        self.report.timings[phase] = now - self.last
        self.last = now


def _done(report: ImportReport, started: float) -> ImportReport:
    report.seconds = time.perf_counter() - started
    return report
