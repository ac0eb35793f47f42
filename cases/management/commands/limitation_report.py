"""``python manage.py limitation_report [--estate X] [--days 90] [--as-of DATE] [--csv FILE]``.

The unpaid charges whose limitation period (诉讼时效) ends within ``--days`` days, expired
ones included, earliest first: printed as a table, or written as CSV (UTF-8 with BOM, so
Excel opens the Chinese text)."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cases.management.commands.import_ledger import estate_named
from cases.management.dates import add_as_of
from cases.selectors.limitation import at_risk_report

HEADER = [
    "estate",
    "unit",
    "case",
    "charge",
    "item",
    "period",
    "due_on",
    "balance",
    "expires_on",
    "days_left",
    "level",
    "event",
    "event_on",
]


def report_rows(rows) -> list[list[str]]:
    return [
        [
            r.unit.estate.name,
            r.unit.label,
            f"CS-{r.case.pk:06d}" if r.case else "",
            str(r.charge_id),
            r.item_label,
            r.period.strftime("%Y-%m"),
            r.due_on.isoformat(),
            str(r.balance),
            r.expires_on.isoformat(),
            str(r.days_left),
            r.level,
            r.event_label,
            r.event_on.isoformat() if r.event_on else "",
        ]
        for r in rows
    ]


class Command(BaseCommand):
    help = "List the unpaid charges whose limitation period (诉讼时效) is about to end or has."

    def add_arguments(self, parser):
        parser.add_argument("--estate", help="estate id, code or name (default: all)")
        parser.add_argument("--days", type=int, default=90, help="within this many days")
        add_as_of(parser)
        parser.add_argument("--csv", help="write the report to this CSV file")

    def handle(self, *args, estate=None, days=90, as_of=None, csv=None, **options):
        if days < 0:
            raise CommandError(f"--days must not be negative, not {days}")
        found = estate_named(estate) if estate else None
        rows = at_risk_report(as_of=as_of, within_days=days, estate=found)
        table = report_rows(rows)
        total = sum((r.balance for r in rows), Decimal(0))
        expired = sum((r.balance for r in rows if r.level == "expired"), Decimal(0))
        if csv:
            _write_csv(Path(csv), table)
        else:
            for line in table:
                self.stdout.write("\t".join(line))
        self.stdout.write(
            f"{len(rows)} charges at risk within {days} days: {total} "
            f"(of which {expired} already time-barred)" + (f" → {csv}" if csv else "")
        )


def _write_csv(path: Path, table: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(table)
