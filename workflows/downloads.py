"""How every file leaves the system (the API and the workspaces): as an attachment, never
sniffed, never kept by a shared cache, tagged with its SHA-256."""

from __future__ import annotations

import hashlib

from django.http import HttpResponse
from django.utils.http import content_disposition_header


def attachment_response(
    content: bytes, *, filename: str, content_type: str, sha256: str = ""
) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["ETag"] = f'"{sha256 or hashlib.sha256(content).hexdigest()}"'
    return response
