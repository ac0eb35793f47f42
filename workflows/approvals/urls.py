"""The managers' approval screens: viewflow's task queue, inbox, process lists and the
decision form of each flow, under ``approvals/`` (include this module in config/urls.py)."""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Site
from viewflow.workflow.flow import FlowAppViewset

from workflows.approvals.flows import InstallmentPlanFlow, WaiverFlow, WithdrawalFlow, WriteOffFlow

approvals_site = Site(
    title=_("Approvals"),
    viewsets=[
        FlowAppViewset(WithdrawalFlow, icon="undo"),
        FlowAppViewset(WaiverFlow, icon="money_off"),
        FlowAppViewset(InstallmentPlanFlow, icon="event_repeat"),
        FlowAppViewset(WriteOffFlow, icon="delete_sweep"),
    ],
)

urlpatterns = [path("approvals/", approvals_site.urls)]
