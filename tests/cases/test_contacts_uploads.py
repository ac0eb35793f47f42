"""Logging a contact with its proof: attachments are checked by what they are (not by their
name), by size and emptiness before anything is written; accepted files are stored under
their SHA-256 with the user's file name kept as metadata; the proof grade is derived."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.models import (
    Channel,
    ContactAttachment,
    ContactAttempt,
    EvidenceKind,
    Outcome,
    ProofGrade,
    Stage,
    StoredFile,
)
from cases.storage import MAX_UPLOAD_BYTES, blob_path, sha256_hex

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(kit):
    return kit.case(stage=Stage.REMINDING)


def _stored_files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def _refused_upload(kit, case, attachments, *, channel=Channel.NOTICE_POSTED) -> str:
    """Log a contact with ``attachments``: it is refused and nothing is written, neither
    rows nor files. Returns the message."""
    before, files = kit.written_counts(), _stored_files(kit.store)
    with pytest.raises(ValidationError) as refused:
        kit.contact(case, channel, attachments=attachments)
    assert kit.written_counts() == before  # no contact, no evidence, no StoredFile row
    assert not ContactAttempt.objects.exists()
    assert _stored_files(kit.store) == files
    return " ".join(refused.value.messages)


def test_a_linux_program_renamed_jpg_is_refused_for_what_it_is(kit, case):
    elf = Path("/bin/ls").read_bytes()
    message = _refused_upload(kit, case, [("photo", elf, "门口照片.jpg")])
    assert "门口照片.jpg is application/x-executable" in message
    assert "not an allowed file type" in message


def test_a_windows_program_renamed_jpg_is_refused_for_what_it_is(kit, case):
    exe = SimpleUploadedFile("receipt.jpg", b"MZ\x90\x00\x03" + bytes(300), "image/jpeg")
    message = _refused_upload(kit, case, [("photo", exe, "")])
    assert "receipt.jpg is application/x-msdownload" in message


def test_text_pretending_to_be_a_photo_is_refused(kit, case):
    message = _refused_upload(kit, case, [("photo", b"just some text", "photo.png")])
    assert "photo.png is unrecognised content" in message


def test_an_oversized_upload_is_refused_with_the_limit(kit, case):
    big = SimpleUploadedFile("night.jpg", b"\xff\xd8\xff\xe0" + bytes(MAX_UPLOAD_BYTES - 3))
    assert big.size == MAX_UPLOAD_BYTES + 1
    message = _refused_upload(kit, case, [("photo", big, "")])
    assert "night.jpg is 25.0 MB; the limit is 25 MB" in message


def test_oversized_bytes_are_refused_too(kit, case):
    message = _refused_upload(kit, case, [("photo", bytes(MAX_UPLOAD_BYTES + 1), "x.jpg")])
    assert "the limit is 25 MB" in message


@pytest.mark.parametrize("empty", [b"", SimpleUploadedFile("blank.jpg", b"")])
def test_an_empty_file_is_refused(kit, case, empty):
    message = _refused_upload(kit, case, [("photo", empty, "blank.jpg")])
    assert message == "blank.jpg is empty."


def test_one_bad_file_refuses_the_whole_contact_and_stores_none_of_it(kit, case, png):
    message = _refused_upload(
        kit, case, [("photo", png, "door.png"), ("photo", b"MZ" + bytes(200), "door2.jpg")]
    )
    assert "door2.jpg" in message
    assert not blob_path(sha256_hex(png)).exists()


def test_an_unknown_attachment_kind_is_refused(kit, case, png):
    assert "Unknown attachment kind" in _refused_upload(kit, case, [("selfie", png, "a.png")])


def test_a_photo_is_stored_under_its_sha256_with_the_users_name_as_metadata(kit, case, png):
    upload = SimpleUploadedFile("../../etc/门口 照片.png", png, "image/png")
    files = _stored_files(kit.store)

    contact = kit.contact(
        case, Channel.NOTICE_POSTED, Outcome.NO_ANSWER, attachments=[("photo", upload, "")]
    )

    sha = sha256_hex(png)
    path = blob_path(sha)
    assert path == kit.store / sha[:2] / sha[2:4] / sha
    assert path.read_bytes() == png
    assert _stored_files(kit.store) - files == {path}  # nothing named after the user's file
    assert path.stat().st_mode & 0o777 == 0o444  # written once, read-only
    stored = StoredFile.objects.get(pk=sha)
    assert (stored.sha256, stored.size, stored.content_type) == (sha, len(png), "image/png")
    attachment = contact.attachments.get()
    assert attachment.original_name == "门口 照片.png"
    assert attachment.uploaded_by == kit.people.collector
    entry = kit.entries(case)[-1]
    assert entry.kind == EvidenceKind.CONTACT
    assert entry.file_sha256 == sha
    body = json.loads(entry.body)
    assert body["files"] == [sha]
    assert body["data"]["attachments"] == [
        {"kind": "photo", "sha256": sha, "name": "门口 照片.png"}
    ]


def test_the_same_photo_twice_is_stored_once(kit, case, png):
    rows, files = StoredFile.objects.count(), _stored_files(kit.store)
    kit.contact(case, Channel.NOTICE_POSTED, attachments=[("photo", png, "a.png")])
    kit.contact(case, Channel.HOME_VISIT, attachments=[("photo", png, "b.png")])

    assert StoredFile.objects.count() == rows + 1
    assert _stored_files(kit.store) - files == {blob_path(sha256_hex(png))}
    assert sorted(ContactAttachment.objects.values_list("original_name", flat=True)) == [
        "a.png",
        "b.png",
    ]


@pytest.mark.parametrize(
    ("channel", "outcome", "extra", "attachment", "grade"),
    [
        (Channel.PHONE, Outcome.REACHED, {}, "recording", ProofGrade.CALL_RECORDING),
        (Channel.PHONE, Outcome.REACHED, {}, None, ProofGrade.NOTE_ONLY),
        (Channel.NOTICE_POSTED, Outcome.NO_ANSWER, {}, "photo", ProofGrade.POSTED_WITH_PHOTO),
        (Channel.NOTICE_POSTED, Outcome.NO_ANSWER, {}, None, ProofGrade.NOTE_ONLY),
        (
            Channel.HOME_VISIT,
            Outcome.REFUSED,
            {"witness": "保安 王师傅"},
            None,
            ProofGrade.CLAIMED_UNPROVEN,  # a witness's name, no record of the refusal
        ),
        (
            Channel.HOME_VISIT,
            Outcome.REFUSED,
            {"witness": "保安 王师傅"},
            "photo",
            ProofGrade.SIGNED_OR_WITNESSED,
        ),
        (Channel.HOME_VISIT, Outcome.REFUSED, {"witness": "  "}, None, ProofGrade.NOTE_ONLY),
        (
            Channel.NOTICE_SIGNED,
            Outcome.REACHED,
            {},
            "signed_receipt",
            ProofGrade.SIGNED_OR_WITNESSED,
        ),
        (
            Channel.SMS,
            Outcome.REACHED,
            {"delivery_confirmed": True},
            None,
            ProofGrade.CLAIMED_UNPROVEN,  # the tick alone; the gateway's report proves it
        ),
        (Channel.SMS, Outcome.REACHED, {}, None, ProofGrade.NOTE_ONLY),
        (
            Channel.REGISTERED_MAIL,
            Outcome.REACHED,
            {"delivery_confirmed": True},
            None,
            ProofGrade.CLAIMED_UNPROVEN,
        ),
        (
            Channel.REGISTERED_MAIL,
            Outcome.REACHED,
            {"tracking_number": "EM123456789CN", "tracking_status": "delivered"},
            None,
            ProofGrade.REGISTERED_DELIVERED,
        ),
        (
            Channel.REGISTERED_MAIL,
            Outcome.REACHED,
            {"tracking_number": "EM123456789CN", "tracking_status": "in_transit"},
            None,
            ProofGrade.CLAIMED_UNPROVEN,
        ),
        (Channel.WECHAT, Outcome.REACHED, {}, "photo", ProofGrade.NOTE_ONLY),
    ],
)
def test_the_proof_grade_is_derived_from_channel_outcome_and_proof(
    kit, case, png, mp3, channel, outcome, extra, attachment, grade
):
    files = {
        "photo": (png, "p.png"),
        "recording": (mp3, "call.mp3"),
        "signed_receipt": (png, "s.png"),
    }
    attachments = [(attachment, *files[attachment])] if attachment else []

    contact = kit.contact(case, channel, outcome, attachments=attachments, **extra)

    assert ContactAttempt.objects.get(pk=contact.pk).proof_grade == grade
    assert json.loads(kit.entries(case)[-1].body)["data"]["proof_grade"] == grade


def test_a_recording_is_stored_as_audio(kit, case, mp3):
    kit.contact(case, Channel.PHONE, attachments=[("recording", mp3, "call.mp3")])
    assert StoredFile.objects.get(pk=sha256_hex(mp3)).content_type == "audio/mpeg"


def test_a_contact_records_the_stage_it_was_made_in(kit, case):
    contact = kit.contact(case, Channel.PHONE, notes="业主说下周来交")
    assert contact.stage == Stage.REMINDING
    assert contact.notes == "业主说下周来交"
    assert json.loads(kit.entries(case)[-1].body)["data"]["notes"] == "业主说下周来交"
