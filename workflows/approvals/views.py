"""The manager's decision form (a viewflow task view). It calls the services and holds no
rules: the decision is recorded and the flow applies it in one transaction; a refusal comes
back as a form error."""

from __future__ import annotations

from django import forms
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.views import generic
from viewflow.workflow.flow.views.mixins import TaskSuccessUrlMixin, TaskViewTemplateNames

from workflows.approvals.services import approval_record_decision
from workflows.workspaces.views.common import ServiceFormMixin


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("reject", _("Reject"))],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when rejecting; recorded in the case's evidence."),
    )


class DecisionView(TaskSuccessUrlMixin, TaskViewTemplateNames, ServiceFormMixin, generic.FormView):
    """Approve or reject, with a comment."""

    form_class = DecisionForm
    template_filename = "task.html"
    success_message = _("Decision recorded.")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["approval"] = self.request.activation.process.request
        return context

    def perform(self, form):
        activation = self.request.activation
        # transaction ensures the decision is kept only if applying it succeeded.
        with transaction.atomic():
            approval_record_decision(
                activation.process.request,
                actor=self.request.user,
                approve=form.cleaned_data["decision"] == "approve",
                comment=form.cleaned_data["comment"],
            )
            activation.execute()
