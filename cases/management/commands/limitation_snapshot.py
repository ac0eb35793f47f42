import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from cases.services.limitation import limitation_snapshot


class Command(BaseCommand):
    help = (
        "Check every open case's limitation clock (诉讼时效) and write its earliest expiry and "
        "amount at risk for the dashboards (nightly by Celery beat; safe to run again)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="YYYY-MM-DD (default: today in Asia/Shanghai)")

    def handle(self, *args, as_of=None, **options):
        try:
            day = dt.date.fromisoformat(as_of) if as_of else None
        except ValueError as exc:
            raise CommandError(f"--as-of must be YYYY-MM-DD, not {as_of!r}") from exc
        with tqdm(total=0, unit="case", file=self.stderr, disable=None) as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            report = limitation_snapshot(as_of=day, progress=progress)
        self.stdout.write(
            f"诉讼时效检查 Limitation check as of {report.as_of}: {report.checked} open cases, "
            f"{report.changed} updated."
        )
