"""``Idempotency-Key`` for every POST: a retried request does nothing twice.

The first request with a key claims it by inserting ``IdempotencyKey(user, key)`` in a
transaction of its own, committed before the work starts; the unique (user, key) constraint
decides between two concurrent requests. What the work answered (status and JSON body) is
stored on the row. A later request with the same key and the same request hash (method,
path, body, user) gets that stored answer back, marked ``Idempotent-Replayed: true``; with
another body it gets 422; while the first is still running, 409.

Every answer below 500 is stored, refusals included: retried with its key, a refused step
gets the same refusal (a new attempt takes a new key). A request that ended in a server error
releases its key so that the retry can run.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from workflows.api.errors import Conflict, Unprocessable
from workflows.models import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
REPLAYED_HEADER = "Idempotent-Replayed"

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    name=HEADER,
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "Any unique string (a UUID, say), at most 255 characters. Sent again with the same "
        "body, the stored response is returned and nothing is done again; with another body "
        "the request gets 422."
    ),
)


class IdempotentAutoSchema(AutoSchema):
    """Documents the ``Idempotency-Key`` header on every POST operation."""

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self.method == "POST":
            parameters.append(IDEMPOTENCY_PARAMETER)
        return parameters


def _canonical(value):
    """A JSON-able, order-independent spelling of parsed request data; uploaded files
    count by name and content hash (a multipart boundary differs on every retry)."""
    if isinstance(value, UploadedFile):
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
        return {"file": value.name, "sha256": digest.hexdigest()}
    if hasattr(value, "getlist"):  # QueryDict: form or multipart data
        return {k: [_canonical(v) for v in value.getlist(k)] for k in sorted(value.keys())}
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda kv: kv[0])}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def request_hash(request) -> str:
    """SHA-256 of method, full path, parsed body and user."""
    spelled = json.dumps(
        {
            "method": request.method,
            "path": request.get_full_path(),
            "body": _canonical(request.data),
            "user": request.user.pk,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(spelled.encode("utf-8")).hexdigest()


def _replay(row: IdempotencyKey) -> Response:
    response = Response(row.response, status=row.status)
    response[REPLAYED_HEADER] = "true"
    return response


def _claim(request, key: str) -> tuple[IdempotencyKey | None, Response | None]:
    """The new row when this request is the first with ``key``; else the stored response.
    Raises 422 for the same key with another body, 409 while the first is still running."""
    digest = request_hash(request)
    try:
        # transaction ensures the claim is committed before the work starts (durable: it
        # cannot be swallowed by an outer transaction, such as ATOMIC_REQUESTS would open).
        with transaction.atomic(durable=True):
            row = IdempotencyKey.objects.create(
                user=request.user,
                key=key,
                request_hash=digest,
                method=request.method,
                path=request.get_full_path()[:500],
            )
        return row, None
    except IntegrityError:
        # Another request holds the key; it may also have just released it (server error).
        row = IdempotencyKey.objects.filter(user=request.user, key=key).first()
    if row is None:
        raise Conflict(
            _("A request with Idempotency-Key “%(key)s” has just failed; retry it.") % {"key": key},
            code="idempotency_key_released",
        )
    if row.request_hash != digest:
        raise Unprocessable(
            _(
                "Idempotency-Key “%(key)s” was already used for another request (%(method)s "
                "%(path)s with a different body); use a new key for a new request."
            )
            % {"key": key, "method": row.method, "path": row.path},
            code="idempotency_key_reused",
        )
    if row.status is None:
        raise Conflict(
            _("A request with Idempotency-Key “%(key)s” is still being processed; retry later.")
            % {"key": key},
            code="idempotency_key_in_progress",
        )
    return None, _replay(row)


def _store(row: IdempotencyKey, response: Response) -> None:
    if response.status_code >= 500:
        IdempotencyKey.objects.filter(pk=row.pk).delete()
        return
    body = json.loads(JSONRenderer().render(response.data) or b"null")
    IdempotencyKey.objects.filter(pk=row.pk).update(
        status=response.status_code, response=body, completed_at=timezone.now()
    )


def idempotent(handler):
    """Wrap a DRF view's POST handler (``post`` or ``create``) so that it honours the
    ``Idempotency-Key`` header. Runs after authentication, permissions and throttling."""

    @functools.wraps(handler)
    def wrapped(view, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return handler(view, request, *args, **kwargs)
        if not key.strip() or len(key) > MAX_KEY_LENGTH:
            raise exceptions.ValidationError(
                {
                    HEADER: _("An Idempotency-Key must be 1 to %(n)d characters.")
                    % {"n": MAX_KEY_LENGTH}
                }
            )
        row, stored = _claim(request, key)
        if stored is not None:
            return stored
        try:
            response = handler(view, request, *args, **kwargs)
        except Exception as exc:
            try:
                response = view.handle_exception(exc)
            except Exception:
                IdempotencyKey.objects.filter(pk=row.pk).delete()
                raise
        _store(row, response)
        return response

    wrapped.idempotent = True
    return wrapped


def idempotency_keys_purge(*, older_than: dt.timedelta | None = None) -> int:
    """Delete the stored keys (and their responses) older than ``older_than`` (the
    ``IDEMPOTENCY_KEY_DAYS`` setting, 7 days): a client retrying after that gets a fresh
    request, as the API documentation says. Returns how many were deleted."""
    days = getattr(settings, "IDEMPOTENCY_KEY_DAYS", 7)
    cutoff = timezone.now() - (older_than or dt.timedelta(days=days))
    deleted, _by_model = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
