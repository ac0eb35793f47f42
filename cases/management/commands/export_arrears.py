"""``python manage.py export_arrears --estate X --month YYYY-MM --out FILE.xlsx``.

The month's arrears list of an estate as XLSX (``--collectors`` adds the collector sheet)
or, with ``--csv``, as CSV (``--collectors`` then also writes ``<FILE>-collectors.csv``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cases.exports import arrears_sheet, collectors_sheet, write_csv, write_xlsx
from cases.management.commands.import_ledger import estate_named


class Command(BaseCommand):
    help = "Export the monthly arrears list (每月业主欠费清单) of an estate to Excel or CSV."

    def add_arguments(self, parser):
        parser.add_argument("--estate", required=True, help="estate id, code or name")
        parser.add_argument("--month", required=True, help="YYYY-MM")
        parser.add_argument("--out", required=True, help="the file to write")
        parser.add_argument("--csv", action="store_true", help="CSV instead of XLSX")
        parser.add_argument(
            "--collectors", action="store_true", help="add the collector-performance sheet"
        )

    def handle(self, *args, estate, month, out, csv, collectors, **options):
        found = estate_named(estate)
        try:
            first = dt.date.fromisoformat(f"{month}-01")
        except ValueError as exc:
            raise CommandError(f"--month must be YYYY-MM, not {month!r}") from exc
        path = Path(out)
        arrears = arrears_sheet(found, month=first)
        written = [path]
        if csv:
            write_csv(arrears, path)
            if collectors:
                extra = path.with_name(f"{path.stem}-collectors{path.suffix or '.csv'}")
                write_csv(collectors_sheet(found, month=first), extra)
                written.append(extra)
        else:
            sheets = [arrears]
            if collectors:
                sheets.append(collectors_sheet(found, month=first))
            write_xlsx(sheets, path)
        units = len(arrears.rows) - 1  # the last row is the total
        self.stdout.write(
            f"{found.name} {month}: {units} units in arrears → " + ", ".join(map(str, written))
        )
