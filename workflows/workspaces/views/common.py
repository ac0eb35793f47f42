"""What every workspace view shares: the workspace permission, the case lookup (404 for a
case the user may not see), downloads served as attachments."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.http import content_disposition_header
from django.views import generic

from cases.models import Case
from workflows.workspaces.access import case_or_404, home_url_name


class WorkspaceMixin:
    """Allow the view only to users the viewflow ``Application`` it is mounted in lets in
    (``Application.permission``); everyone else gets 403."""

    def dispatch(self, request, *args, **kwargs):
        app = getattr(request.resolver_match, "app", None)
        if app is not None and not app.has_view_permission(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class CaseMixin(WorkspaceMixin):
    """A view about one case: ``self.case`` is it, or the request is a 404."""

    case: Case

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.case = case_or_404(request.user, kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(case=self.case, **kwargs)


class HomeView(generic.View):
    """``/``: each user lands in their own workspace."""

    def get(self, request):
        return redirect(home_url_name(request.user))


def attachment_response(content: bytes, *, filename: str, content_type: str) -> HttpResponse:
    """A download: always an attachment, never sniffed, never cached by a shared cache."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
