"""Storing uploaded files in the content-addressed store (``cases.storage``) and registering
them as ``StoredFile`` rows: the one path every upload takes (contact attachments, contract
and ownership scans)."""

from __future__ import annotations

from cases.models import StoredFile
from cases.storage import blob_put, read_upload, sniff_content_type


def check_uploads(uploads) -> list[tuple[bytes, str, str]]:
    """(content, content type, name) of each (upload, name) pair, checked by content (photos,
    recordings, PDFs), size (≤ 25 MB) and emptiness. Raises ``ValidationError`` on the first
    refused file; nothing is stored."""
    checked = []
    for upload, name in uploads:
        name = name or getattr(upload, "name", "") or ""
        content = read_upload(upload, name=name)
        checked.append((content, sniff_content_type(content, name=name), name))
    return checked


def store_checked(checked: list[tuple[bytes, str, str]]) -> list[tuple[StoredFile, str]]:
    """Store files ``check_uploads`` accepted: each blob once under its SHA-256, one
    ``StoredFile`` row per distinct content. Returns (stored file, name) pairs."""
    stored = []
    for content, content_type, name in checked:
        sha = blob_put(content)
        file, _created = StoredFile.objects.get_or_create(
            sha256=sha, defaults={"size": len(content), "content_type": content_type}
        )
        stored.append((file, name))
    return stored


def store_upload(upload, *, name: str = "") -> tuple[StoredFile, str]:
    """Check and store one upload; (stored file, the name it came with)."""
    return store_checked(check_uploads([(upload, name)]))[0]
