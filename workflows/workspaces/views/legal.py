"""The legal officer's workspace (法务): the board by stage, and the queue of cases for the
next step with the guard's reason for those not eligible yet."""

from __future__ import annotations

from django.views import generic

from cases.models import Stage, Unit
from cases.selectors import dashboard
from cases.selectors.enforcement import enforcement_at_risk
from cases.selectors.limitation import at_risk_report, cases_at_risk, limitation_summary
from workflows.workspaces import charts
from workflows.workspaces.selectors import (
    WORKLIST_PAGE_SIZE,
    paginate,
    with_limitation,
    worklist_for,
)
from workflows.workspaces.views.common import WorkspaceMixin

QUEUE_STAGES = [
    Stage.REMINDING,
    Stage.DEMAND_LETTER,
    Stage.LAWYER_LETTER,
    Stage.LITIGATION,
    Stage.JUDGMENT,
]


class BoardView(WorkspaceMixin, generic.TemplateView):
    template_name = "workspaces/legal_board.html"

    def get_context_data(self, **kwargs):
        rows = dashboard.pipeline_by_stage(user=self.request.user)
        return super().get_context_data(
            rows=rows, chart=charts.bars(rows, "label", "principal"), **kwargs
        )


class QueueView(WorkspaceMixin, generic.TemplateView):
    """Cases with a next step, the eligible first (by priority), then the others with the
    reason the policy gives (from the daily sweep)."""

    template_name = "workspaces/legal_queue.html"

    def get_context_data(self, **kwargs):
        stage = self.request.GET.get("stage", "")
        cases = (
            worklist_for(self.request.user, filters={"stage": stage} if stage else {})
            .filter(stage__in=QUEUE_STAGES)
            .exclude(next_step="")
            .order_by("-next_step_eligible", "-priority", "id")
        )
        eligible_only = self.request.GET.get("eligible") == "1"
        if eligible_only:
            cases = cases.filter(next_step_eligible=True)
        page = paginate(cases, self.request.GET.get("page"), WORKLIST_PAGE_SIZE)
        page.object_list = with_limitation(page.object_list)
        query = self.request.GET.copy()
        query.pop("page", None)
        return super().get_context_data(
            page=page,
            query=query.urlencode(),
            stage=stage,
            stages=[(s, Stage(s).label) for s in QUEUE_STAGES],
            eligible_only=eligible_only,
            **kwargs,
        )


class LimitationView(WorkspaceMixin, generic.TemplateView):
    """The amounts at risk of time-barring: every unpaid charge whose three-year period ends
    within 90 days, or has ended (flagged, never dropped), earliest first — of the cases the
    nightly snapshot flagged, computed live."""

    template_name = "workspaces/legal_limitation.html"

    def get_context_data(self, **kwargs):
        flagged = Unit.objects.filter(cases__in=cases_at_risk(within_days=90))
        rows = at_risk_report(within_days=90, units=flagged)
        page = paginate(rows, self.request.GET.get("page"), 100)
        summary, checked_on = limitation_summary()
        return super().get_context_data(
            page=page,
            summary=summary,
            checked_on=checked_on,
            enforcement=enforcement_at_risk(within_days=90),
            **kwargs,
        )
