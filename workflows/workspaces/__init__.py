"""The role workspaces: the web UI for collectors (催收), legal officers (法务) and managers
(审批), one viewflow Material ``Site`` with the approval processes beside the case screens.

Views read through ``cases.selectors`` and write through the services; they hold no rules."""
