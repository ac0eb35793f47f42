from django.core.management.base import BaseCommand
from tqdm import tqdm

from cases.management.dates import add_as_of
from cases.services.limitation import limitation_snapshot


class Command(BaseCommand):
    help = (
        "Check every open case's limitation clock (诉讼时效) and write its earliest expiry and "
        "amount at risk for the dashboards (nightly by Celery beat; safe to run again)."
    )

    def add_arguments(self, parser):
        add_as_of(parser)

    def handle(self, *args, as_of=None, **options):
        with tqdm(total=0, unit="case", file=self.stderr, disable=None) as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            report = limitation_snapshot(as_of=as_of, progress=progress)
        self.stdout.write(
            f"诉讼时效检查 Limitation check as of {report.as_of}: {report.checked} open cases, "
            f"{report.changed} updated."
        )
