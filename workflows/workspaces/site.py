"""The one viewflow Material ``Site``: the three role workspaces, the case screens and the
four approval processes (their inboxes, task lists and process pages). Each ``Application``
lets in the roles named by its ``permission``; the views check it too (``WorkspaceMixin``)."""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Application, Site
from viewflow.workflow.flow import FlowAppViewset

from workflows.approvals.flows import InstallmentPlanFlow, WaiverFlow, WithdrawalFlow, WriteOffFlow
from workflows.workspaces import access
from workflows.workspaces.views import case, collector, legal, manager
from workflows.workspaces.views.common import HomeView

MENU_TEMPLATE = "workspaces/app_menu.html"


class Workspace(Application):
    """An application whose menu lists its own pages (``menu_links``: url name, label,
    icon) rather than child viewsets."""

    menu_template_name = MENU_TEMPLATE
    turbo_disabled = True
    menu_links: tuple[tuple[str, str, str], ...] = ()


class CollectorWorkspace(Workspace):
    app_name = "collector"
    title = _("Collection (催收)")
    icon = "phone_in_talk"
    permission = staticmethod(access.is_collector)
    menu_links = (("index", _("My worklist"), "checklist"),)

    index_path = path("", collector.WorklistView.as_view(), name="index")


class LegalWorkspace(Workspace):
    app_name = "legal"
    title = _("Legal (法务)")
    icon = "gavel"
    permission = staticmethod(access.is_legal)
    menu_links = (
        ("index", _("Board by stage"), "view_kanban"),
        ("queue", _("Next-step queue"), "pending_actions"),
        ("limitation", _("Limitation at risk"), "hourglass_bottom"),
    )

    index_path = path("", legal.BoardView.as_view(), name="index")
    queue_path = path("queue/", legal.QueueView.as_view(), name="queue")
    limitation_path = path("limitation/", legal.LimitationView.as_view(), name="limitation")


class ManagerWorkspace(Workspace):
    app_name = "manager"
    title = _("Approvals (审批)")
    icon = "approval"
    permission = staticmethod(access.is_manager)
    menu_links = (
        ("index", _("Approval inbox"), "inbox"),
        ("dashboard", _("Dashboards"), "insights"),
    )

    index_path = path("", manager.InboxView.as_view(), name="index")
    decide_path = path("requests/<int:request_pk>/", manager.DecideView.as_view(), name="decide")
    dashboard_path = path("dashboard/", manager.DashboardView.as_view(), name="dashboard")


class CaseScreens(Workspace):
    """The case page and its actions, shared by every role that works cases; which actions
    a user sees and may take is decided per case by ``cases.permissions``."""

    app_name = "case"
    title = _("Cases")
    icon = "folder_shared"
    permission = staticmethod(access.works_cases)
    menu_template_name = None

    index_path = path("", HomeView.as_view(), name="index")
    detail_path = path("<int:pk>/", case.CaseDetailView.as_view(), name="detail")
    contact_path = path("<int:pk>/contact/", case.ContactLogView.as_view(), name="contact")
    waiver_path = path("<int:pk>/waiver/", case.WaiverRequestView.as_view(), name="waiver")
    plan_path = path("<int:pk>/plan/", case.PlanProposeView.as_view(), name="plan")
    plan_sign_path = path(
        "<int:pk>/plans/<int:plan_pk>/sign/", case.PlanSignView.as_view(), name="plan_sign"
    )
    withdrawal_path = path(
        "<int:pk>/withdrawal/", case.WithdrawalRequestView.as_view(), name="withdrawal"
    )
    advance_path = path(
        "<int:pk>/advance/<slug:transition>/", case.AdvanceView.as_view(), name="advance"
    )
    delivery_path = path("<int:pk>/delivery/", case.DeliveryRecordView.as_view(), name="delivery")
    claim_include_path = path(
        "<int:pk>/claim/include/<int:charge_pk>/",
        case.ClaimIncludeView.as_view(),
        name="claim_include",
    )
    package_path = path("<int:pk>/package/", case.PackageView.as_view(), name="package")
    calculation_table_path = path(
        "<int:pk>/calculation-table.xlsx",
        case.CalculationTableView.as_view(),
        name="calculation_table",
    )
    document_path = path(
        "<int:pk>/documents/<int:document_pk>/",
        case.DocumentDownloadView.as_view(),
        name="document",
    )
    file_path = path(
        "<int:pk>/files/<str:sha256>/", case.EvidenceFileDownloadView.as_view(), name="file"
    )


class WorkspaceSite(Site):
    app_name = "workspaces"
    title = _("Fee recovery (物业费催收)")
    primary_color = "#00695c"
    secondary_color = "#ef6c00"

    index_path = path("", HomeView.as_view(), name="index")


site = WorkspaceSite(
    viewsets=[
        CollectorWorkspace(),
        LegalWorkspace(),
        ManagerWorkspace(),
        CaseScreens(),
        FlowAppViewset(WithdrawalFlow, icon="undo"),
        FlowAppViewset(WaiverFlow, icon="money_off"),
        FlowAppViewset(InstallmentPlanFlow, icon="event_repeat"),
        FlowAppViewset(WriteOffFlow, icon="delete_sweep"),
    ],
)
