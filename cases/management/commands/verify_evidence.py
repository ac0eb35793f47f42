from django.core.management.base import BaseCommand, CommandError

from cases.models import Case, EvidenceEntry
from cases.services.evidence import evidence_verify


class Command(BaseCommand):
    help = (
        "Re-hash every evidence entry and every stored file it names; print OK or the first "
        "broken case and seq. Exits non-zero when anything is broken."
    )

    def add_arguments(self, parser):
        parser.add_argument("--case", type=int, help="verify one case only")

    def handle(self, *args, case=None, **options):
        if case is not None and not Case.objects.filter(pk=case).exists():
            raise CommandError(f"case {case} does not exist")
        problems = evidence_verify([case] if case is not None else None)
        entries = EvidenceEntry.objects.filter(**({"case_id": case} if case else {})).count()
        if not problems:
            self.stdout.write(self.style.SUCCESS(f"OK: {entries} evidence entries verified"))
            return
        for problem in problems:
            self.stderr.write(self.style.ERROR(f"BROKEN: {problem}"))
        raise CommandError(
            f"{len(problems)} broken chain(s); first: case {problems[0].case_id} "
            f"seq {problems[0].seq}"
        )
