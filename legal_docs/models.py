"""Versioned templates, generated documents (immutable records) and monthly notice runs."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.models import Case, Estate, EvidenceEntry, StoredFile, Unit
from legal_docs.kinds import DocumentKind


class ImmutableRecordError(Exception):
    pass


class DocumentTemplate(models.Model):
    """One version of a kind's .docx template, kept forever for the documents made from it."""

    class Source(models.TextChoices):
        BUILTIN = "builtin", _("Shipped with the product")
        UPLOADED = "uploaded", _("Uploaded by a legal officer")

    kind = models.CharField(_("kind"), max_length=30, choices=DocumentKind.choices)
    version = models.PositiveIntegerField(_("version"))
    file = models.ForeignKey(
        StoredFile, on_delete=models.PROTECT, related_name="+", verbose_name=_("file")
    )
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    variables = models.JSONField(_("variables used"), default=list, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("document template")
        verbose_name_plural = _("document templates")
        ordering = ["kind", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="template_unique_version"),
            models.UniqueConstraint(fields=["kind", "sha256"], name="template_unique_content"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.version}"


class NoticeRun(models.Model):
    """A monthly 催款单 run for one estate: what was done, what is left, what failed."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Finished with failures")

    estate = models.ForeignKey(
        Estate, on_delete=models.PROTECT, related_name="notice_runs", verbose_name=_("estate")
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.RUNNING
    )
    total = models.PositiveIntegerField(_("units to notify"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    merged_file = models.ForeignKey(
        StoredFile,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("merged file for printing"),
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notice run")
        verbose_name_plural = _("notice runs")
        ordering = ["-month", "estate"]
        constraints = [
            models.UniqueConstraint(fields=["estate", "month"], name="noticerun_unique_month"),
        ]

    def __str__(self) -> str:
        return f"{self.estate} {self.month:%Y-%m}"


class LegalDocument(models.Model):
    """A generated document: immutable; regenerating makes a new version."""

    kind = models.CharField(_("kind"), max_length=30, choices=DocumentKind.choices)
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="documents", verbose_name=_("unit")
    )
    case = models.ForeignKey(
        Case,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name=_("case"),
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    number = models.CharField(_("document number"), max_length=60, blank=True)
    template = models.ForeignKey(
        DocumentTemplate,
        on_delete=models.PROTECT,
        related_name="documents",
        verbose_name=_("template version"),
    )
    context = models.JSONField(_("context snapshot"))
    file = models.ForeignKey(
        StoredFile, on_delete=models.PROTECT, related_name="+", verbose_name=_("file")
    )
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    trigger = models.ForeignKey(
        EvidenceEntry,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("triggering evidence entry"),
        help_text=_("The transition that made this document; one document per kind each."),
    )
    notice_run = models.ForeignKey(
        NoticeRun,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name=_("notice run"),
    )
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("generated by"),
    )
    generated_at = models.DateTimeField(_("generated at"), auto_now_add=True)

    class Meta:
        verbose_name = _("legal document")
        verbose_name_plural = _("legal documents")
        ordering = ["-generated_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "trigger", "kind"],
                condition=Q(trigger__isnull=False),
                name="document_once_per_transition",
            ),
            models.UniqueConstraint(
                fields=["notice_run", "unit"],
                condition=Q(notice_run__isnull=False),
                name="document_once_per_notice_run",
            ),
            models.UniqueConstraint(
                fields=["unit", "kind", "version"],
                name="document_unique_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number or self.pk} v{self.version}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableRecordError(
                "generated documents are immutable; generate a new version instead"
            )
        super().save(*args, **kwargs)

    @property
    def filename(self) -> str:
        return f"{self.kind}-{self.unit.label}-v{self.version}.docx"
