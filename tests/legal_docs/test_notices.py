"""The monthly notice run: ``manage.py notices --estate … --month … --out …``."""

from __future__ import annotations

import datetime as dt
import io
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from cases.models import Party, StoredFile, Unit, UnitParty
from cases.services.case import case_open, system_user
from cases.services.ledger import payment_record
from cases.storage import blob_read
from legal_docs.kinds import DocumentKind as K
from legal_docs.models import LegalDocument, NoticeRun
from legal_docs.rendering import docx_text
from tests.legal_docs.conftest import (
    OWNER_NAME,
    ensure_builtin_templates,
    issue_monthly,
    make_estate,
)

MONTHS = [dt.date(2026, m, 1) for m in range(1, 7)]
FEE = Decimal("268.50")
DELINQUENT = ["1幢-0101", "1幢-0102", "2幢-0201"]
PAID_UP = ["1幢-0103", "2幢-0202"]
NO_CHARGES = ["3幢-0301"]


def add_unit(estate, label: str, owner: str) -> Unit:
    building, number = label.split("-")
    unit = Unit.objects.create(estate=estate, building=building, number=number, area=Decimal(90))
    party = Party.objects.create(name=owner, phone="13900000000")
    UnitParty.objects.create(unit=unit, party=party, role=UnitParty.Role.OWNER)
    return unit


@pytest.fixture
def notice_estate(db):
    """望江苑: three units owing six months, two that prepaid them, one with no charges;
    one of the delinquent units already has a case."""
    ensure_builtin_templates()
    estate = make_estate(name="望江苑", code="wangjiang")
    owners = iter([OWNER_NAME, "王五", "赵六", "钱七", "孙八", "周九"])
    for label in DELINQUENT + PAID_UP + NO_CHARGES:
        unit = add_unit(estate, label, next(owners))
        if label in PAID_UP:  # paid ahead: the credit pays each charge as it is issued
            payment_record(unit, amount=FEE * len(MONTHS), paid_on=MONTHS[0], method="wechat")
        if label not in NO_CHARGES:
            for first in MONTHS:
                issue_monthly(unit, first, FEE)
    case_open(Unit.objects.get(estate=estate, building="1幢", number="0102"), actor=system_user())
    return estate


def run(estate, month: str, out: Path, *extra: str) -> tuple[str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command(
        "notices",
        "--estate",
        estate.code,
        "--month",
        month,
        "--out",
        str(out),
        *extra,
        stdout=stdout,
        stderr=stderr,
    )
    return stdout.getvalue(), stderr.getvalue()


def notices(estate) -> list[LegalDocument]:
    return list(
        LegalDocument.objects.filter(unit__estate=estate, kind=K.PAYMENT_NOTICE).order_by("id")
    )


def test_one_numbered_notice_per_delinquent_unit_merged_for_printing(notice_estate, tmp_path):
    out = tmp_path / "2026-11"

    stdout, _stderr = run(notice_estate, "2026-11", out)

    run_record = NoticeRun.objects.get(estate=notice_estate)
    assert run_record.month == dt.date(2026, 11, 1)
    assert (run_record.status, run_record.total, run_record.failed) == (NoticeRun.Status.DONE, 3, 0)
    assert run_record.documents.count() == 3
    assert "done 3 / total 3, failed 0" in stdout
    made = notices(notice_estate)
    assert sorted(d.unit.label for d in made) == DELINQUENT
    for document in made:
        text = docx_text(blob_read(document.sha256))
        assert "第1次催款" in text
        assert document.unit.label in text
        assert (out / f"催款单-{document.unit.label}.docx").read_bytes() == blob_read(
            document.sha256
        )
    # the document of the unit with a case is on that case's evidence trail
    assert [d.unit.label for d in made if d.case_id] == ["1幢-0102"]

    merged = out / "催款单-wangjiang-2026-11-合并打印.docx"
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [merged.name] + [f"催款单-{label}.docx" for label in DELINQUENT]
    )
    text = docx_text(merged.read_bytes())
    for label in DELINQUENT:
        assert label in text
    for label in PAID_UP + NO_CHARGES:
        assert label not in text
    assert OWNER_NAME in text
    assert text.splitlines().count("催款通知单") == 3  # one title per notice
    assert blob_read(run_record.merged_file_id) == merged.read_bytes()


def test_running_the_same_month_again_makes_nothing_new(notice_estate, tmp_path):
    run(notice_estate, "2026-11", tmp_path / "first")
    documents = notices(notice_estate)
    merged = NoticeRun.objects.get(estate=notice_estate).merged_file_id
    files = StoredFile.objects.count()

    stdout, _stderr = run(notice_estate, "2026-11", tmp_path / "again")

    assert notices(notice_estate) == documents
    assert NoticeRun.objects.filter(estate=notice_estate).count() == 1
    assert NoticeRun.objects.get(estate=notice_estate).status == NoticeRun.Status.DONE
    assert "0 notices to make" in stdout
    assert NoticeRun.objects.get(estate=notice_estate).merged_file_id == merged
    assert StoredFile.objects.count() == files
    assert "done 3 / total 3, failed 0" in stdout


def test_next_months_notice_is_the_second(notice_estate, tmp_path):
    run(notice_estate, "2026-11", tmp_path / "11")

    run(notice_estate, "2026-12", tmp_path / "12")

    december = NoticeRun.objects.get(estate=notice_estate, month=dt.date(2026, 12, 1))
    assert (december.status, december.total, december.failed) == (NoticeRun.Status.DONE, 3, 0)
    for document in december.documents.select_related("unit"):
        assert document.version == 2
        assert "第2次催款" in docx_text(blob_read(document.sha256))
    assert len(notices(notice_estate)) == 6


@pytest.mark.parametrize("month", ["2026-13", "2026/11", "November", "2026-1"])
def test_a_bad_month_is_refused_clearly(notice_estate, tmp_path, month):
    with pytest.raises(CommandError) as refused:
        run(notice_estate, month, tmp_path)

    assert str(refused.value) == f"--month must be YYYY-MM, not {month!r}"
    assert not NoticeRun.objects.exists()


def test_an_unknown_estate_is_refused_clearly(notice_estate, tmp_path):
    with pytest.raises(CommandError) as refused:
        call_command("notices", "--estate", "nowhere", "--month", "2026-11", "--out", tmp_path)

    assert str(refused.value) == "no estate with id, code or name 'nowhere'"
    assert not NoticeRun.objects.exists()


SOFFICE = bool(shutil.which("soffice") or shutil.which("libreoffice"))


@pytest.mark.skipif(SOFFICE, reason="LibreOffice is installed: the PDF is made (next test)")
def test_pdf_without_libreoffice_says_how_to_get_it(notice_estate, tmp_path):
    _stdout, stderr = run(notice_estate, "2026-11", tmp_path, "--pdf")

    assert "LibreOffice (soffice) is not installed" in stderr
    assert "apt-get install libreoffice-writer" in stderr
    assert (tmp_path / "催款单-wangjiang-2026-11-合并打印.docx").exists()  # the .docx were written


@pytest.mark.skipif(not SOFFICE, reason="LibreOffice (soffice) is not installed")
def test_pdf_of_the_merged_notices(notice_estate, tmp_path):
    stdout, _stderr = run(notice_estate, "2026-11", tmp_path, "--pdf")

    pdf = tmp_path / "催款单-wangjiang-2026-11-合并打印.pdf"
    assert f"PDF: {pdf}" in stdout
    assert pdf.read_bytes().startswith(b"%PDF")
