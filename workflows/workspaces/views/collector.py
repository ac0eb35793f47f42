"""The collector's workspace (催收): the worklist, highest priority first, with filters."""

from __future__ import annotations

from django.views import generic

from cases.models import Estate
from workflows.workspaces import forms
from workflows.workspaces.selectors import (
    WORKLIST_PAGE_SIZE,
    paginate,
    with_limitation,
    worklist_for,
)
from workflows.workspaces.views.common import WorkspaceMixin


class WorklistView(WorkspaceMixin, generic.TemplateView):
    template_name = "workspaces/collector_worklist.html"

    def get_context_data(self, **kwargs):
        form = forms.CaseFilterForm(
            self.request.GET or None, estates=Estate.objects.order_by("name")
        )
        filters = form.cleaned_data if form.is_valid() else {}
        cases = worklist_for(self.request.user, filters=filters)
        page = paginate(cases, self.request.GET.get("page"), WORKLIST_PAGE_SIZE)
        page.object_list = with_limitation(page.object_list)
        query = self.request.GET.copy()
        query.pop("page", None)
        return super().get_context_data(form=form, page=page, query=query.urlencode(), **kwargs)
