import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from cases.services.sweep import sweep_run


class Command(BaseCommand):
    help = (
        "Run the daily sweep (每日巡检): open cases, move paid ones, flag broken promises, "
        "mark next steps."
    )

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="YYYY-MM-DD (default: today in Asia/Shanghai)")

    def handle(self, *args, as_of=None, **options):
        try:
            day = dt.date.fromisoformat(as_of) if as_of else None
        except ValueError as exc:
            raise CommandError(f"--as-of must be YYYY-MM-DD, not {as_of!r}") from exc
        report = sweep_run(as_of=day, progress=lambda m: self.stdout.write(f"  … {m}"))
        for line in report.lines():
            self.stdout.write(line)
        for error in report.errors:
            self.stderr.write(self.style.WARNING(error))
