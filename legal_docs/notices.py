"""The monthly notice run (催款单): one numbered notice per delinquent unit of an estate,
generated in chunks (Celery), with a run record, one merged .docx for printing plus the
single files, and an optional PDF through LibreOffice."""

from __future__ import annotations

import calendar
import datetime as dt
import io
import shutil
import subprocess
import tempfile
from pathlib import Path

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from cases.models import Case, Estate, Stage, Unit
from cases.selectors.ledger import arrears_as_of
from cases.storage import DOCX_CONTENT_TYPE, blob_read
from legal_docs.kinds import DocumentKind
from legal_docs.models import LegalDocument, NoticeRun
from legal_docs.services import _stored, legal_doc_generate


def month_as_of(month: dt.date) -> dt.date:
    """Notices for a month speak as of its last day, or today within the current month."""
    last = month.replace(day=calendar.monthrange(month.year, month.month)[1])
    return min(last, timezone.localdate())


def delinquent_unit_ids(estate: Estate, *, as_of: dt.date) -> list[int]:
    owed = arrears_as_of(Unit.objects.filter(estate=estate), as_of=as_of, breakdown=False)
    return sorted(uid for uid, a in owed.items() if a.principal > 0)


def notice_run_start(estate: Estate, month: dt.date, *, actor=None) -> NoticeRun:
    """The run for (estate, month): created, or the existing one to resume."""
    month = month.replace(day=1)
    run, created = NoticeRun.objects.get_or_create(
        estate=estate, month=month, defaults={"started_by": actor}
    )
    if created or run.status != NoticeRun.Status.DONE:
        total = len(delinquent_unit_ids(estate, as_of=month_as_of(month)))
        NoticeRun.objects.filter(pk=run.pk).update(total=total)
        run.refresh_from_db()
    return run


def notice_run_pending(run: NoticeRun) -> list[int]:
    """Delinquent units without a notice in this run yet (what is left to do)."""
    done = set(run.documents.values_list("unit_id", flat=True))
    return [
        uid
        for uid in delinquent_unit_ids(run.estate, as_of=month_as_of(run.month))
        if uid not in done
    ]


def notice_generate(run_id: int, unit_id: int, *, actor=None) -> LegalDocument | None:
    """One unit's notice in the run; a failure is recorded on the run, not raised."""
    run = NoticeRun.objects.select_related("estate").get(pk=run_id)
    unit = Unit.objects.select_related("estate").get(pk=unit_id)
    case = Case.objects.filter(unit=unit).exclude(stage=Stage.CLOSED).first()
    try:
        return legal_doc_generate(
            DocumentKind.PAYMENT_NOTICE,
            unit=unit,
            case=case,
            notice_run=run,
            actor=actor,
            as_of=month_as_of(run.month),
        )
    except Exception as exc:  # recorded on the run for the operator, never lost
        with transaction.atomic():
            locked = NoticeRun.objects.select_for_update().get(pk=run_id)
            locked.errors = [*locked.errors, {"unit": unit.label, "error": str(exc)[:300]}]
            locked.failed = F("failed") + 1
            locked.save(update_fields=["errors", "failed"])
        return None


def notice_run_progress(run: NoticeRun) -> tuple[int, int, int]:
    """(done, failed, total)."""
    run.refresh_from_db(fields=["failed", "total"])
    return run.documents.count(), run.failed, run.total


def merge_documents(contents: list[bytes]) -> bytes:
    """One .docx with every document, each starting on a new page (docxcompose)."""
    from docx import Document
    from docxcompose.composer import Composer

    master = Document(io.BytesIO(contents[0]))
    composer = Composer(master)
    for content in contents[1:]:
        master.add_page_break()
        composer.append(Document(io.BytesIO(content)))
    out = io.BytesIO()
    composer.save(out)
    return out.getvalue()


def notice_run_finish(run: NoticeRun, *, out_dir: Path | None = None) -> Path | None:
    """Merge the run's notices into one file for printing, record it, and write the single
    files and the merged one under ``out_dir`` when given. Returns the merged file's path."""
    documents = list(
        run.documents.select_related("unit").order_by("unit__building", "unit__number")
    )
    done, failed, total = len(documents), run.failed, run.total
    merged_path = None
    merged = None
    if documents:
        merged = _stored(
            merge_documents([blob_read(d.sha256) for d in documents]), DOCX_CONTENT_TYPE
        )
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        for document in documents:
            (out_dir / f"催款单-{document.unit.label}.docx").write_bytes(blob_read(document.sha256))
        if merged is not None:
            merged_path = out_dir / f"催款单-{run.estate.code}-{run.month:%Y-%m}-合并打印.docx"
            merged_path.write_bytes(blob_read(merged.sha256))
    status = NoticeRun.Status.DONE if done >= total and not failed else NoticeRun.Status.FAILED
    NoticeRun.objects.filter(pk=run.pk).update(
        merged_file=merged, status=status, finished_at=timezone.now()
    )
    run.refresh_from_db()
    return merged_path


class LibreOfficeMissing(RuntimeError):
    pass


def convert_to_pdf(docx_path: Path, *, timeout: int = 300) -> Path:
    """Convert with LibreOffice (``soffice --headless``); ``LibreOfficeMissing`` when it is
    not installed."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise LibreOfficeMissing(
            "LibreOffice (soffice) is not installed; install it (e.g. apt-get install "
            "libreoffice-writer) to get PDFs. The .docx files were written."
        )
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(  # noqa: S603 - fixed executable, our own file paths
            [
                soffice,
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(docx_path.parent),
                str(docx_path),
            ],
            check=True,
            capture_output=True,
            timeout=timeout,
        )
    pdf = docx_path.with_suffix(".pdf")
    if not pdf.exists():
        raise RuntimeError(f"LibreOffice did not produce {pdf.name}")
    return pdf
