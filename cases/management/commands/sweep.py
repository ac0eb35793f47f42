from django.core.management.base import BaseCommand

from cases.management.dates import add_as_of
from cases.services.sweep import sweep_run


class Command(BaseCommand):
    help = (
        "Run the daily sweep (每日巡检): open cases, move paid ones, flag broken promises, "
        "mark next steps."
    )

    def add_arguments(self, parser):
        add_as_of(parser)

    def handle(self, *args, as_of=None, **options):
        report = sweep_run(as_of=as_of, progress=lambda m: self.stdout.write(f"  … {m}"))
        for line in report.lines():
            self.stdout.write(line)
        for error in report.errors:
            self.stderr.write(self.style.WARNING(error))
