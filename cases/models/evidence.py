"""The tamper-evident trail (DESIGN.md section 5) and the content-addressed file registry."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .case import Case

GENESIS_HASH = "0" * 64


class EvidenceKind(models.TextChoices):
    OPENED = "opened", _("Case opened")
    TRANSITION = "transition", _("Stage change")
    ASSIGNMENT = "assignment", _("Assignment")
    CONTACT = "contact", _("Contact attempt")
    ATTACHMENT = "attachment", _("Attachment added")
    PROMISE_BROKEN = "promise_broken", _("Promise to pay broken")
    PROMISE_KEPT = "promise_kept", _("Promise to pay kept")
    PAYMENT = "payment", _("Payment")
    DELIVERY = "delivery", _("Letter delivery")
    DOCUMENT = "document", _("Document generated")
    APPROVAL = "approval", _("Approval decision")
    ADJUSTMENT = "adjustment", _("Adjustment")
    CLAIM_INCLUSION = "claim_inclusion", _("Time-barred charge included in the claim")


class StoredFile(models.Model):
    """A file kept once under its SHA-256 (photos, recordings, receipts, documents).
    The name a user gave it is metadata of whatever refers to it, never the storage key."""

    sha256 = models.CharField(_("SHA-256"), max_length=64, primary_key=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("content type"), max_length=100)
    stored_at = models.DateTimeField(_("stored at"), auto_now_add=True)

    class Meta:
        verbose_name = _("stored file")
        verbose_name_plural = _("stored files")

    def __str__(self) -> str:
        return f"{self.sha256[:12]}… ({self.content_type}, {self.size} B)"


class EvidenceEntry(models.Model):
    """One link of a case's hash chain. ``body`` holds the exact canonical bytes that were
    hashed (UTF-8 JSON, which carries prev_hash, seq, case id, actor, time and file hash);
    verification re-hashes them and never re-serialises. UPDATE and DELETE are refused by
    database triggers."""

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="evidence", verbose_name=_("case")
    )
    seq = models.PositiveIntegerField(_("sequence"))
    kind = models.CharField(_("kind"), max_length=20, choices=EvidenceKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    recorded_at = models.DateTimeField(_("recorded at"))
    summary = models.CharField(_("summary"), max_length=300)
    body = models.TextField(_("hashed body (canonical JSON)"))
    file_sha256 = models.CharField(_("file SHA-256"), max_length=64, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("evidence entry")
        verbose_name_plural = _("evidence entries")
        ordering = ["case", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["case", "seq"], name="evidence_unique_case_seq"),
            models.UniqueConstraint(
                fields=["case", "prev_hash"],
                name="evidence_no_fork",
                violation_error_message=_("The evidence chain cannot fork."),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.case_id}.{self.seq} {self.get_kind_display()}: {self.summary}"
