from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    """Manager approvals (viewflow processes) and the tables the clocks work on."""

    name = "workflows.approvals"
    label = "approvals"
    verbose_name = _("Approvals and clocks")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from cases.signals import case_stage_changed
        from workflows.approvals import flows  # noqa: F401  (registers the flow classes)
        from workflows.approvals.receivers import on_stage_changed

        case_stage_changed.connect(on_stage_changed, dispatch_uid="approvals.withdrawal")
