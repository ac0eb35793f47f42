"""The manager's decision form (a viewflow task view). It calls the services and holds no
rules: the decision is recorded and the flow applies it in one transaction; a refusal comes
back as a form error."""

from __future__ import annotations

from django import forms
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.views import generic
from viewflow.workflow.flow.views.mixins import TaskSuccessUrlMixin, TaskViewTemplateNames

from workflows.approvals.models import ApprovalKind
from workflows.approvals.services import approval_record_decision
from workflows.workspaces.selectors import settlement_for
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
    waive_remainder = forms.BooleanField(
        label=_("Waive what remains"),
        required=False,
        help_text=_(
            "Approve the withdrawal together with a waiver of the principal and late fee "
            "still owed. Without it, a withdrawal is approved only when nothing remains; "
            "reject to keep the case open."
        ),
    )

    def __init__(self, *args, kind: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if kind != ApprovalKind.WITHDRAWAL:
            del self.fields["waive_remainder"]


class DecisionView(TaskSuccessUrlMixin, TaskViewTemplateNames, ServiceFormMixin, generic.FormView):
    """Approve or reject, with a comment."""

    form_class = DecisionForm
    template_filename = "task.html"
    success_message = _("Decision recorded.")

    def get_form_kwargs(self):
        kind = self.request.activation.process.request.kind
        return super().get_form_kwargs() | {"kind": kind}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["approval"] = approval = self.request.activation.process.request
        context["settlement"] = settlement_for(approval.case)
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
                waive_remainder=form.cleaned_data.get("waive_remainder", False),
            )
            activation.execute()
