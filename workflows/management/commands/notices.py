import datetime as dt
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from tqdm import tqdm

from cases.models import Estate
from legal_docs.notices import (
    LibreOfficeMissing,
    convert_to_pdf,
    notice_run_finish,
    notice_run_pending,
    notice_run_progress,
    notice_run_start,
)
from workflows.tasks import notices_chunk


class Command(BaseCommand):
    help = (
        "Generate the month's numbered payment notices (催款单) for every delinquent unit of "
        "an estate, in Celery chunks, with a merged .docx for printing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--estate", required=True, help="estate id, code or name")
        parser.add_argument("--month", required=True, help="YYYY-MM")
        parser.add_argument("--pdf", action="store_true", help="also convert with LibreOffice")
        parser.add_argument("--out", help="output folder (default var/notices/<estate>/<month>)")
        parser.add_argument("--chunk", type=int, default=25, help="units per Celery task")
        parser.add_argument("--timeout", type=int, default=3600, help="seconds to wait")

    def handle(self, *args, estate, month, pdf, out, chunk, timeout, **options):
        found = Estate.objects.filter(
            Q(code=estate) | Q(name=estate) | Q(pk=int(estate) if estate.isdigit() else None)
        ).first()
        if found is None:
            raise CommandError(f"no estate with id, code or name {estate!r}")
        try:
            first = dt.date.fromisoformat(f"{month}-01")
        except ValueError as exc:
            raise CommandError(f"--month must be YYYY-MM, not {month!r}") from exc
        run = notice_run_start(found, first)
        pending = notice_run_pending(run)
        if not pending and run.status == run.Status.DONE:
            done, failed, total = notice_run_progress(run)
            self.stdout.write(f"{found.name} {month}: {total} delinquent units, 0 notices to make")
            self.stdout.write(f"run #{run.pk}: done {done} / total {total}, failed {failed}")
            return
        self.stdout.write(
            f"{found.name} {month}: {run.total} delinquent units, {len(pending)} notices to make"
        )
        chunks = [pending[i : i + chunk] for i in range(0, len(pending), chunk)]
        done, failed, total = notice_run_progress(run)
        with tqdm(
            total=total,
            initial=done + failed,
            unit="notice",
            desc="催款单",
            file=self.stdout,
            disable=None,
        ) as bar:
            for part in chunks:
                notices_chunk.delay(run.pk, part)
                bar.update(self._progress(run) - bar.n)  # eager: already done
            deadline = time.monotonic() + timeout
            while self._progress(run) < total and time.monotonic() < deadline:
                time.sleep(0.5)
                bar.update(self._progress(run) - bar.n)
        out_dir = Path(out) if out else Path(settings.VAR_DIR) / "notices" / found.code / month
        merged = notice_run_finish(run, out_dir=out_dir)
        done, failed, total = notice_run_progress(run)
        self.stdout.write(f"run #{run.pk}: done {done} / total {total}, failed {failed}")
        for error in run.errors:
            self.stderr.write(self.style.WARNING(f"  {error['unit']}: {error['error']}"))
        if merged is not None:
            self.stdout.write(f"merged for printing: {merged}")
            if pdf:
                try:
                    self.stdout.write(f"PDF: {convert_to_pdf(merged)}")
                except LibreOfficeMissing as exc:
                    self.stderr.write(self.style.WARNING(str(exc)))
        if done + failed < total:
            raise CommandError(f"timed out with {total - done - failed} notices not made")

    @staticmethod
    def _progress(run) -> int:
        done, failed, _total = notice_run_progress(run)
        return done + failed
