"""Content-addressed, write-once file store for evidence (photos, recordings, receipts,
generated documents). A file lives at ``<root>/ab/cd/<sha256>``; the name a user gave it is
metadata. Reading re-hashes, so a flipped byte is noticed."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MAX_UPLOAD_BYTES = 25 * 1024 * 1024

# What collectors and legal officers may attach: photos, recordings, PDFs.
ALLOWED_CONTENT_TYPES = {
    "image/jpeg": gettext_lazy("JPEG photo"),
    "image/png": gettext_lazy("PNG image"),
    "image/webp": gettext_lazy("WebP image"),
    "image/heic": gettext_lazy("HEIC photo"),
    "image/gif": gettext_lazy("GIF image"),
    "application/pdf": gettext_lazy("PDF"),
    "audio/mpeg": gettext_lazy("MP3 recording"),
    "audio/mp4": gettext_lazy("M4A recording"),
    "audio/x-m4a": gettext_lazy("M4A recording"),
    "audio/m4a": gettext_lazy("M4A recording"),
    "audio/aac": gettext_lazy("AAC recording"),
    "audio/amr": gettext_lazy("AMR recording"),
    "audio/x-wav": gettext_lazy("WAV recording"),
    "audio/ogg": gettext_lazy("OGG recording"),
    "audio/webm": gettext_lazy("WebM recording"),
    "video/mp4": gettext_lazy("MP4 video"),
    "video/quicktime": gettext_lazy("QuickTime video"),
    "video/webm": gettext_lazy("WebM video"),
}
DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class IntegrityError(Exception):
    """A stored file no longer matches its SHA-256."""


def store_root() -> Path:
    return Path(getattr(settings, "EVIDENCE_STORE_ROOT", Path(settings.MEDIA_ROOT) / "store"))


def sha256_hex(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def blob_path(sha256: str) -> Path:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
    return store_root() / sha256[:2] / sha256[2:4] / sha256


def read_upload(upload, *, name: str = "") -> bytes:
    """Read an uploaded file (Django ``UploadedFile``, file object or bytes), refusing an
    empty or oversized one before reading more than the cap."""
    label = name or getattr(upload, "name", "") or _("the file")
    if isinstance(upload, bytes | bytearray):
        content = bytes(upload)
    else:
        size = getattr(upload, "size", None)
        if size is not None and size > MAX_UPLOAD_BYTES:
            raise ValidationError(_too_big(label, size))
        if hasattr(upload, "seek"):
            upload.seek(0)
        content = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(content) > MAX_UPLOAD_BYTES:
        raise ValidationError(_too_big(label, len(content)))
    if not content:
        raise ValidationError(_("%(name)s is empty.") % {"name": label})
    return content


def _too_big(label: str, size: int) -> str:
    return _("%(name)s is %(mb).1f MB; the limit is %(limit)d MB.") % {
        "name": label,
        "mb": size / 1024 / 1024,
        "limit": MAX_UPLOAD_BYTES // 1024 // 1024,
    }


def sniff_content_type(content: bytes, *, name: str = "") -> str:
    """The content type from the bytes themselves (never from the file name); refuses
    anything that is not an allowed photo, recording or PDF."""
    kind = filetype.guess(content)
    mime = kind.mime if kind else ""
    if mime not in ALLOWED_CONTENT_TYPES:
        found = mime or _("unrecognised content")
        raise ValidationError(
            _(
                "%(name)s is %(found)s, not an allowed file type; attach a photo, a "
                "recording or a PDF."
            )
            % {"name": name or _("the file"), "found": found}
        )
    return mime


def blob_put(content: bytes) -> str:
    """Store ``content`` once; returns its SHA-256. An existing blob is never rewritten."""
    digest = sha256_hex(content)
    path = blob_path(digest)
    if path.exists():
        return digest
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o444)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return digest


def blob_read(sha256: str) -> bytes:
    """The stored bytes, re-hashed: raises ``IntegrityError`` if they no longer match and
    ``FileNotFoundError`` if the file is gone."""
    content = blob_path(sha256).read_bytes()
    if sha256_hex(content) != sha256:
        raise IntegrityError(f"stored file {sha256} no longer matches its SHA-256")
    return content


def blob_problem(sha256: str) -> str:
    """'' when the stored file is intact, else what is wrong with it."""
    try:
        blob_read(sha256)
    except FileNotFoundError:
        return f"file {sha256} is missing"
    except IntegrityError as exc:
        return str(exc)
    return ""
