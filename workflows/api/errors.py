"""Domain refusals mapped to HTTP, every error as JSON with a ``detail`` a person can read.

The services raise; this is the one place that turns what they raise into a status code:
``CaseForbidden`` 403, ``TransitionRefused`` / ``TransitionConflict`` / other ``CaseError``
409, a model ``ValidationError`` 400, a case the user may not see 404.
"""

from __future__ import annotations

import logging

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from cases.services.case import CaseError, CaseForbidden, TransitionConflict, TransitionRefused
from cases.storage import IntegrityError as StoredFileIntegrityError

logger = logging.getLogger(__name__)


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("The request conflicts with the current state.")
    default_code = "conflict"


class Unprocessable(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = gettext_lazy("The request cannot be processed.")
    default_code = "unprocessable"


class StoredFileDamaged(exceptions.APIException):
    """A stored file is missing or no longer matches its SHA-256: the server's fault, and
    a reason to run ``manage.py verify_evidence`` rather than to retry."""

    status_code = status.HTTP_500_INTERNAL_SERVER_ERROR
    default_code = "stored_file_damaged"


def _flat_messages(detail) -> list[str]:
    """Every message of a DRF error detail (dict, list or string), field names prefixed."""
    if isinstance(detail, dict):
        out = []
        for field, value in detail.items():
            for message in _flat_messages(value):
                prefix = "" if field in ("non_field_errors", "__all__", "detail") else f"{field}: "
                out.append(f"{prefix}{message}")
        return out
    if isinstance(detail, list):
        return [m for item in detail for m in _flat_messages(item)]
    return [str(detail)]


def _validation_response(errors) -> Response:
    messages = _flat_messages(errors)
    body = {
        "detail": " ".join(messages) or _("Invalid input."),
        "code": "invalid",
        "errors": errors,
    }
    return Response(body, status=status.HTTP_400_BAD_REQUEST)


def _django_validation_errors(exc: DjangoValidationError):
    if hasattr(exc, "error_dict"):
        return {field: [str(m) for m in msgs] for field, msgs in exc.message_dict.items()}
    return {"non_field_errors": [str(m) for m in exc.messages]}


def _case_error(exc: CaseError) -> Response:
    if isinstance(exc, CaseForbidden):
        code, http = "forbidden", status.HTTP_403_FORBIDDEN
    elif isinstance(exc, TransitionRefused):
        code, http = "transition_refused", status.HTTP_409_CONFLICT
    elif isinstance(exc, TransitionConflict):
        code, http = "transition_conflict", status.HTTP_409_CONFLICT
    else:
        code, http = "refused", status.HTTP_409_CONFLICT
    body = {"detail": exc.message, "code": code}
    if exc.case is not None and http == status.HTTP_409_CONFLICT:
        body["stage"] = exc.case.stage
    return Response(body, status=http)


def exception_handler(exc, context):
    """DRF's handler, extended with the domain errors; unexpected errors become a JSON 500
    (logged with their traceback) instead of an HTML page."""
    if isinstance(exc, CaseError):
        set_rollback()
        return _case_error(exc)
    if isinstance(exc, DjangoValidationError):
        set_rollback()
        return _validation_response(_django_validation_errors(exc))
    if isinstance(exc, exceptions.ValidationError):
        set_rollback()
        return _validation_response(exc.detail)
    if isinstance(exc, ObjectDoesNotExist | Http404):
        exc = exceptions.NotFound(_("Not found."))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, StoredFileIntegrityError | FileNotFoundError):
        logger.error("stored file damaged: %s", exc)
        exc = StoredFileDamaged(
            _("The stored file is missing or damaged (%(problem)s); run verify_evidence.")
            % {"problem": exc}
        )
    if isinstance(exc, exceptions.APIException):
        headers = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        detail = exc.detail
        if isinstance(detail, dict | list):
            body = {"detail": " ".join(_flat_messages(detail)), "errors": detail}
        else:
            body = {"detail": str(detail), "code": getattr(detail, "code", exc.default_code)}
        set_rollback()
        return Response(body, status=exc.status_code, headers=headers)
    logger.exception("unhandled API error", exc_info=exc)
    return Response(
        {"detail": _("Internal server error."), "code": "server_error"},
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )
