"""The manager's workspace (审批): the approval inbox with the case beside each decision,
and the dashboards."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import generic

from cases.selectors import dashboard
from cases.selectors.limitation import limitation_summary
from workflows.approvals.models import ApprovalRequest, ApprovalStatus
from workflows.approvals.services import approval_decide
from workflows.approvals.views import DecisionForm
from workflows.workspaces import access, charts
from workflows.workspaces.access import case_or_404
from workflows.workspaces.selectors import case_page_for
from workflows.workspaces.views.common import ServiceFormMixin, WorkspaceMixin


class InboxView(WorkspaceMixin, generic.ListView):
    template_name = "workspaces/manager_inbox.html"
    context_object_name = "requests"
    paginate_by = 50

    def get_queryset(self):
        return (
            ApprovalRequest.objects.filter(status=ApprovalStatus.PENDING)
            .select_related("case__unit__estate", "requested_by", "process")
            .order_by("requested_at", "id")
        )


class DecideView(WorkspaceMixin, ServiceFormMixin, generic.FormView):
    """One request: what is asked, the case (arrears, stage, evidence and its chain status)
    and the decision form."""

    template_name = "workspaces/manager_decide.html"
    form_class = DecisionForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.approval = get_object_or_404(
                ApprovalRequest.objects.select_related("case", "requested_by", "plan"),
                pk=kwargs["request_pk"],
            )
            case_or_404(request.user, self.approval.case_id)
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return super().get_form_kwargs() | {"kind": self.approval.kind}

    def get_context_data(self, **kwargs):
        page = case_page_for(self.request.user, self.approval.case)
        return super().get_context_data(approval=self.approval, page=page, **kwargs)

    def get_success_url(self):
        return reverse("workspaces:manager:index")

    def form_invalid(self, form):
        # A refused decision was rolled back: show the request as it is stored (pending),
        # with the form and its errors, not as it was in memory mid-way.
        self.approval.refresh_from_db()
        return super().form_invalid(form)

    def perform(self, form):
        approval_decide(
            self.approval,
            actor=self.request.user,
            approve=form.cleaned_data["decision"] == "approve",
            comment=form.cleaned_data["comment"],
            waive_remainder=form.cleaned_data.get("waive_remainder", False),
        )
        self.success_message = _("Request #%(id)s decided: %(status)s.") % {
            "id": self.approval.pk,
            "status": self.approval.get_status_display(),
        }


class DashboardView(WorkspaceMixin, generic.TemplateView):
    """Arrears aging, the pipeline by stage, amounts recovered per month and per collector,
    collection rate per estate — as bar charts drawn on the server (SVG), no script."""

    template_name = "workspaces/manager_dashboard.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        summary, checked_on = limitation_summary()
        return super().get_context_data(
            summary=summary,
            checked_on=checked_on,
            enforcement=dashboard.enforcement_deadlines(user=user),
            is_legal=access.is_legal(user),
            aging=charts.bars(dashboard.arrears_aging(user=user), "label", "principal"),
            pipeline=charts.bars(dashboard.pipeline_by_stage(user=user), "label", "principal"),
            by_month=charts.bars(
                [
                    {"month": f"{row.month:%Y-%m}", "amount": row.amount}
                    for row in dashboard.recovered_by_month(user=user)
                ],
                "month",
                "amount",
            ),
            by_collector=charts.bars(dashboard.recovered_by_collector(user=user), "name", "amount"),
            rates=charts.bars(dashboard.collection_rate_by_estate(), "name", "rate"),
            **kwargs,
        )
