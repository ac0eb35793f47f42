"""The litigation package: the filing, the evidence list, every evidence file and a manifest
that verifies against them; the same case state gives the same bytes."""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cases.models import Channel, EvidenceEntry, LitigationKind, Outcome
from cases.services.case import contact_log
from cases.storage import blob_path
from legal_docs.kinds import DocumentKind
from legal_docs.models import LegalDocument
from legal_docs.package import MANIFEST, litigation_package_build, package_verify
from legal_docs.rendering import docx_text

pytestmark = pytest.mark.django_db


def unpack(zip_bytes: bytes) -> dict[str, bytes]:
    archive = zipfile.ZipFile(io.BytesIO(zip_bytes))
    return {name: archive.read(name) for name in archive.namelist()}


def test_the_package_holds_the_filing_the_list_every_file_and_the_manifest(litigation_story):
    story = litigation_story
    result = litigation_package_build(story.fresh(), actor=story.legal)
    files = unpack(result.zip_bytes)
    manifest = json.loads(files[MANIFEST])
    assert manifest == result.manifest
    assert result.filename == f"litigation-package-CS-{story.case.pk:06d}.zip"
    assert manifest["case"]["number"] == f"CS-{story.case.pk:06d}"

    complaint = story.document(DocumentKind.CIVIL_COMPLAINT)
    assert files["01-civil_complaint.docx"] == story_blob(complaint.sha256)
    assert "民事起诉状" in docx_text(files["01-civil_complaint.docx"])
    assert "证据目录" in docx_text(files["02-evidence_list.docx"])

    # Every file any evidence entry names is in the zip, exactly once.
    named = {sha for e in story.entries() for sha in json.loads(e.body).get("files") or []}
    packed = {f["recorded_sha256"] for f in manifest["files"]}
    assert named <= packed
    assert len(manifest["files"]) == len(files) - 1
    assert any(p.endswith("通话录音.mp3") for p in files)
    assert any(p.endswith("demand_letter-signed.pdf") for p in files)

    # The manifest verifies against the files; the chain verified with its head hash.
    for item in manifest["files"]:
        content = files[item["path"]]
        assert hashlib.sha256(content).hexdigest() == item["sha256"] == item["recorded_sha256"]
        assert len(content) == item["size"]
    head = EvidenceEntry.objects.filter(case=story.case).order_by("-seq").first()
    assert manifest["chain"] == {
        "verified": True,
        "entries": head.seq,
        "head_seq": head.seq,
        "head_hash": head.hash,
        "problem": None,
    }
    assert package_verify(result.zip_bytes).ok


def story_blob(sha: str) -> bytes:
    return blob_path(sha).read_bytes()


def test_the_same_case_state_gives_the_same_bytes(litigation_story):
    story = litigation_story
    first = litigation_package_build(story.fresh(), actor=story.legal)
    entries = EvidenceEntry.objects.filter(case=story.case).count()
    documents = LegalDocument.objects.filter(case=story.case).count()
    second = litigation_package_build(story.fresh(), actor=story.legal)
    assert second.zip_bytes == first.zip_bytes
    assert second.manifest == first.manifest
    # Building it again wrote nothing: no evidence entry, no document.
    assert EvidenceEntry.objects.filter(case=story.case).count() == entries
    assert LegalDocument.objects.filter(case=story.case).count() == documents


def test_a_new_piece_of_evidence_changes_the_manifest_and_refreshes_the_list(litigation_story):
    story = litigation_story
    first = litigation_package_build(story.fresh(), actor=story.legal)
    lists = LegalDocument.objects.filter(case=story.case, kind=DocumentKind.EVIDENCE_LIST)
    made = lists.count()  # the filing's list, and the package's after its calculation table
    contact_log(
        story.fresh(),
        actor=story.legal,
        channel=Channel.SMS,
        outcome=Outcome.REACHED,
        delivery_confirmed=True,
    )
    second = litigation_package_build(story.fresh(), actor=story.legal)
    assert second.manifest["chain"]["head_hash"] != first.manifest["chain"]["head_hash"]
    assert lists.count() == made + 1
    assert package_verify(second.zip_bytes).ok


def test_a_payment_order_case_packs_the_application(story):
    story.walk_to_litigation(LitigationKind.PAYMENT_ORDER)
    result = litigation_package_build(story.fresh(), actor=story.legal)
    files = unpack(result.zip_bytes)
    assert "支付令申请书" in docx_text(files["01-payment_order_application.docx"])


def test_a_case_without_a_filing_gets_one_generated(story):
    story.open()
    story.remind()
    story.demand()
    story.lawyer_letter()
    result = litigation_package_build(story.fresh(), actor=story.legal)
    assert "01-civil_complaint.docx" in unpack(result.zip_bytes)
    assert story.documents(DocumentKind.CIVIL_COMPLAINT)


def test_no_package_before_the_lawyer_letter(story):
    from cases.services.case import CaseError

    story.open()
    story.remind()
    with pytest.raises(CaseError, match="from the lawyer letter on"):
        litigation_package_build(story.fresh(), actor=story.legal)
    assert not story.documents(DocumentKind.CIVIL_COMPLAINT)


def test_a_changed_file_in_the_zip_is_found(litigation_story):
    result = litigation_package_build(litigation_story.fresh(), actor=litigation_story.legal)
    files = unpack(result.zip_bytes)
    victim = next(p for p in files if p.endswith(".mp3"))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content + b"x" if name == victim else content)
    check = package_verify(buffer.getvalue())
    assert not check.ok
    assert check.problems == [f"{victim}: SHA-256 or size differs from the manifest"]
    assert not package_verify(b"not a zip").ok


def test_a_tampered_stored_file_changes_the_manifest_and_breaks_verification(litigation_story):
    story = litigation_story
    first = litigation_package_build(story.fresh(), actor=story.legal)
    item = next(f for f in first.manifest["files"] if f["path"].endswith(".mp3"))
    path = blob_path(item["recorded_sha256"])
    original = path.read_bytes()
    os.chmod(path, 0o644)
    try:
        path.write_bytes(original + b"tampered")
        second = litigation_package_build(story.fresh(), actor=story.legal)
    finally:
        path.write_bytes(original)
        os.chmod(path, 0o444)
    assert second.manifest != first.manifest
    changed = next(f for f in second.manifest["files"] if f["path"] == item["path"])
    assert changed["sha256"] != changed["recorded_sha256"] and not changed["intact"]
    assert second.manifest["chain"]["verified"] is False
    check = package_verify(second.zip_bytes)
    assert not check.ok
    assert any("evidence chain broken" in p for p in check.problems)
    assert any("differs from the file the evidence chain recorded" in p for p in check.problems)


def test_the_command_writes_the_zip_and_reports(litigation_story, tmp_path):
    number = f"CS-{litigation_story.case.pk:06d}"
    out = StringIO()
    call_command("litigation_package", number, "--out", str(tmp_path), stdout=out)
    path = tmp_path / f"litigation-package-{number}.zip"
    assert path.exists() and package_verify(path.read_bytes()).ok
    text = out.getvalue()
    assert str(path) in text and "evidence chain verified" in text and "package check: ok" in text
    # By id too: the same state, the same bytes.
    again = tmp_path / "again"
    again.mkdir()
    call_command("litigation_package", str(litigation_story.case.pk), "--out", str(again))
    assert (again / path.name).read_bytes() == path.read_bytes()


def test_the_command_names_an_unknown_case():
    with pytest.raises(CommandError, match="no case 'CS-999999'"):
        call_command("litigation_package", "CS-999999")
    with pytest.raises(CommandError, match="case id or number"):
        call_command("litigation_package", "nonsense")
