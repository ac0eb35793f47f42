"""The upload page of the ledger import (导入欠费清单), for finance and managers.

A CSV or XLSX file (decided by its content; at most 20 MB) goes through
``cases.imports.ledger_import``, the service behind ``manage.py import_ledger``. A dry run
(the default) checks every row and shows the errors and the counts without writing; the
errors can be downloaded as a CSV file, kept for a day and only for the session that made
it. Wire it with ``path("imports/", include("workflows.imports_views"))``.
"""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from cases.imports import ImportFileError, detect_kind, ledger_import
from cases.models import Estate
from cases.roles import Role, user_roles

MAX_IMPORT_BYTES = 20 * 1024 * 1024
IMPORT_ROLES = frozenset({Role.FINANCE, Role.MANAGER})
SHOWN_ERRORS = 200
ERROR_FILES_SESSION_KEY = "ledger_import_error_files"
ERROR_FILE_HOURS = 24
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def user_may_import(user) -> bool:
    """Finance, managers and superusers import ledgers."""
    return bool(user and user.is_authenticated) and (
        user.is_superuser or bool(user_roles(user) & IMPORT_ROLES)
    )


def _error_files_root() -> Path:
    root = getattr(settings, "IMPORT_ERRORS_ROOT", None)
    return Path(root) if root else Path(settings.MEDIA_ROOT) / "import-errors"


class LedgerImportForm(forms.Form):
    estate = forms.ModelChoiceField(
        queryset=Estate.objects.all(), label=gettext_lazy("Estate (小区)")
    )
    file = forms.FileField(
        label=gettext_lazy("Arrears list, CSV or XLSX, at most 20 MB (欠费清单)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )
    dry_run = forms.BooleanField(
        required=False,
        initial=True,
        label=gettext_lazy("Preview only: check every row, write nothing (仅预览)"),
    )
    valid_only = forms.BooleanField(
        required=False,
        label=gettext_lazy("Import the valid rows even when other rows have errors (仅导入有效行)"),
    )

    def clean_file(self):
        """Size first (before reading), then the kind from the bytes: CSV or XLSX only."""
        upload = self.cleaned_data["file"]
        too_big = _("The file is larger than %(mb)d MB (文件过大).") % {
            "mb": MAX_IMPORT_BYTES // 1024 // 1024
        }
        if upload.size is not None and upload.size > MAX_IMPORT_BYTES:
            raise ValidationError(too_big)
        upload.seek(0)
        content = upload.read(MAX_IMPORT_BYTES + 1)
        if len(content) > MAX_IMPORT_BYTES:
            raise ValidationError(too_big)
        if not content:
            raise ValidationError(_("The file is empty (文件为空)."))
        try:
            detect_kind(content)
        except ImportFileError as exc:
            raise ValidationError(exc.message) from exc
        self.content = content
        return upload


def _keep_error_file(request, data: bytes) -> str:
    """Store the error CSV for this session; returns its token. Files older than a day go."""
    root = _error_files_root()
    root.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - ERROR_FILE_HOURS * 3600
    for old in root.glob("*.csv"):
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    token = secrets.token_urlsafe(24)
    (root / f"{token}.csv").write_bytes(data)
    tokens = request.session.get(ERROR_FILES_SESSION_KEY, [])[-19:]
    request.session[ERROR_FILES_SESSION_KEY] = [*tokens, token]
    return token


@login_required
@require_http_methods(["GET", "POST"])
def ledger_import_view(request):
    """Upload form; on POST the import (or its dry run) and its report on the same page."""
    if not user_may_import(request.user):
        raise PermissionDenied(_("Only finance and managers import ledgers."))
    report = None
    errors_url = ""
    if request.method == "POST":
        form = LedgerImportForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            report = ledger_import(
                form.content,
                estate=data["estate"],
                actor=request.user,
                filename=Path(data["file"].name).name,
                dry_run=data["dry_run"],
                valid_only=data["valid_only"],
            )
            if report.errors:
                token = _keep_error_file(request, report.errors_csv())
                errors_url = reverse("imports:ledger-errors", args=[token])
    else:
        form = LedgerImportForm()
    return render(
        request,
        "workflows/import_ledger.html",
        {
            "form": form,
            "report": report,
            "shown_errors": report.errors[:SHOWN_ERRORS] if report else [],
            "more_errors": max(0, len(report.errors) - SHOWN_ERRORS) if report else 0,
            "errors_url": errors_url,
            "max_mb": MAX_IMPORT_BYTES // 1024 // 1024,
        },
    )


@login_required
@require_http_methods(["GET"])
def ledger_import_errors(request, token: str):
    """The error CSV of an import this session ran."""
    if not user_may_import(request.user):
        raise PermissionDenied(_("Only finance and managers import ledgers."))
    if not _TOKEN.match(token) or token not in request.session.get(ERROR_FILES_SESSION_KEY, []):
        raise Http404(_("No such error file."))
    file = _error_files_root() / f"{token}.csv"
    if not file.exists():
        raise Http404(_("The error file has expired; run the import again."))
    return FileResponse(
        file.open("rb"),
        as_attachment=True,
        filename="import-errors.csv",
        content_type="text/csv; charset=utf-8",
    )


app_name = "imports"
urlpatterns = [
    path("ledger/", ledger_import_view, name="ledger"),
    path("ledger/errors/<str:token>/", ledger_import_errors, name="ledger-errors"),
]
