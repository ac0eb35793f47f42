from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = _("Workflows")

    def ready(self):
        from cases.signals import case_stage_changed
        from workflows.escalation import on_stage_changed

        case_stage_changed.connect(on_stage_changed, dispatch_uid="workflows.escalation")
