"""``python manage.py import_ledger FILE --estate X``: import a billing system's arrears list.

Checks every row first; with errors nothing is written (``--valid-only`` writes the valid
rows). ``--dry-run`` checks and counts only. ``--errors-out`` writes the errors as CSV.
The mapping of columns and values is documented in ``cases.imports``.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from tqdm import tqdm

from cases.imports import ledger_import
from cases.models import Estate
from cases.services.case import system_user

SHOWN_ERRORS = 50


def estate_named(value: str) -> Estate:
    """The estate with this id, code or name; ``CommandError`` when there is none."""
    found = Estate.objects.filter(
        Q(code=value) | Q(name=value) | Q(pk=int(value) if value.isdigit() else None)
    ).first()
    if found is None:
        raise CommandError(f"no estate with id, code or name {value!r}")
    return found


class Command(BaseCommand):
    help = (
        "Import charges and payments from a billing system's monthly arrears list "
        "(每月业主欠费清单), CSV (UTF-8, UTF-8 with BOM, GBK) or XLSX."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .csv or .xlsx file")
        parser.add_argument("--estate", required=True, help="estate id, code or name")
        parser.add_argument("--dry-run", action="store_true", help="check and count only")
        parser.add_argument(
            "--valid-only",
            action="store_true",
            help="import the valid rows even when other rows have errors",
        )
        parser.add_argument("--errors-out", help="write the errors to this CSV file")
        parser.add_argument(
            "--actor", help="username recorded on the payments (default: the system user)"
        )
        parser.add_argument("--batch-rows", type=int, default=5000, help="rows per transaction")

    def handle(self, *args, file, estate, dry_run, valid_only, errors_out, actor, batch_rows, **o):
        path = Path(file)
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc}") from exc
        found = estate_named(estate)
        if actor:
            user = get_user_model().objects.filter(username=actor).first()
            if user is None:
                raise CommandError(f"no user {actor!r}")
        else:
            user = system_user()

        def bar(description: str, total: int):
            return tqdm(total=total, desc=description, unit="row", disable=None, leave=False)

        report = ledger_import(
            content,
            estate=found,
            actor=user,
            filename=path.name,
            dry_run=dry_run,
            valid_only=valid_only,
            batch_rows=batch_rows,
            progress=bar,
        )
        for error in report.errors[:SHOWN_ERRORS]:
            column = f", {error.column}" if error.column else ""
            value = f" [{error.value}]" if error.value else ""
            self.stderr.write(f"row {error.row}{column}{value}: {error.message}")
        if len(report.errors) > SHOWN_ERRORS:
            self.stderr.write(f"… and {len(report.errors) - SHOWN_ERRORS} more errors")
        if errors_out:
            Path(errors_out).write_bytes(report.errors_csv())
            self.stderr.write(f"errors written to {errors_out}")
        kind = report.kind.upper() + (f" ({report.encoding})" if report.encoding else "")
        mode = " [dry run]" if dry_run else ""
        self.stdout.write(f"{found.name}: {path.name} {kind}{mode}, {report.seconds:.1f} s")
        for line in report.lines():
            self.stdout.write(f"  {line}")
        if report.refused and not dry_run:
            raise CommandError(
                f"{report.error_rows} rows have errors; nothing was imported. "
                "Fix them, or import the valid rows with --valid-only."
            )
        if report.interrupted:
            raise CommandError("the import was interrupted; run it again to finish it")
