"""What every workspace view shares: the workspace permission, the case lookup (404 for a
case the user may not see), downloads served as attachments."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.views import generic

from cases.models import Case
from cases.services.case import CaseError
from workflows.workspaces.access import case_or_404, home_url_name
from workflows.workspaces.forms import apply_errors


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


class ServiceFormMixin:
    """A form that calls one service (``perform``): the service's ``ValidationError`` comes
    back as field errors and its ``CaseError`` as a form error, and nothing is written;
    on success, ``success_message`` and a redirect."""

    success_message = ""
    title = ""

    def perform(self, form) -> None:
        raise NotImplementedError

    def get_context_data(self, **kwargs):
        if self.title:
            kwargs.setdefault("title", self.title)
        return super().get_context_data(**kwargs)

    def form_valid(self, form):
        try:
            self.perform(form)
        except ValidationError as exc:
            apply_errors(form, exc)
            return self.form_invalid(form)
        except CaseError as exc:
            form.add_error(None, exc.message)
            return self.form_invalid(form)
        if self.success_message:
            messages.success(self.request, self.success_message)
        return HttpResponseRedirect(self.get_success_url())


class HomeView(generic.View):
    """``/``: each user lands in their own workspace."""

    def get(self, request):
        return redirect(home_url_name(request.user))
