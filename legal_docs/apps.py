from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_builtin_templates(sender, **kwargs):
    from legal_docs.services import templates_sync_builtin

    templates_sync_builtin()


class LegalDocsConfig(AppConfig):
    name = "legal_docs"
    verbose_name = _("Legal documents")

    def ready(self):
        # The shipped templates become (new) versions after every migrate.
        post_migrate.connect(_sync_builtin_templates, sender=self)
