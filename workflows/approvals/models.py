"""Approval requests and their viewflow processes, and the tables the clocks claim work from.

- ``ApprovalRequest``: what a collector, legal officer or the system asks a manager to decide
  (withdrawal 撤回, late-fee waiver 减免, installment plan 分期付款, write-off 核销). A request is
  never decided by the person who asked: refused by the service and by a check constraint.
- ``ApprovalProcess``: the viewflow process of one request (its tasks give the managers' queue
  and inboxes); ``overdue`` is set when the decision has waited more than three days.
- ``Reminder``: one SMS due to an owner on one day (the 14-day 催收信息 cadence, or the
  follow-up of a broken promise). The row is the due date in the database that the hourly
  dispatcher claims with ``SELECT … FOR UPDATE SKIP LOCKED``; its unique key is what makes a
  redelivered task send nothing twice.
- ``SystemAlert``: something an operator must look at (a broken evidence chain).

The clock tables live here, beside the approvals, so that the data migration installing the
periodic tasks and the tables those tasks work on share one migration history.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Process

from cases.models import Adjustment, Case, ContactAttempt, EvidenceEntry, InstallmentPlan

MONEY = {"max_digits": 14, "decimal_places": 2}


class ApprovalKind(models.TextChoices):
    WITHDRAWAL = "withdrawal", _("Withdrawal (撤回)")
    WAIVER = "waiver", _("Late-fee waiver (减免)")
    INSTALLMENT_PLAN = "installment_plan", _("Installment plan (分期付款)")
    WRITE_OFF = "write_off", _("Write-off (核销)")


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a manager")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


# The reasons a late fee may be waived for (a billing error is a correction, not a waiver).
WAIVER_REASONS = [
    (value, label)
    for value, label in Adjustment.ReasonCategory.choices
    if value != Adjustment.ReasonCategory.BILLING_ERROR
]


class ApprovalRequest(models.Model):
    """A request for a manager's decision on one case."""

    kind = models.CharField(_("kind"), max_length=20, choices=ApprovalKind.choices)
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="approval_requests", verbose_name=_("case")
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ApprovalStatus.choices,
        default=ApprovalStatus.PENDING,
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    reason = models.TextField(_("reason"), blank=True)
    reason_category = models.CharField(
        _("reason category"), max_length=20, choices=WAIVER_REASONS, blank=True
    )
    amount = models.DecimalField(_("amount"), null=True, blank=True, **MONEY)
    good_faith = models.BooleanField(
        _("debtor is not refusing in bad faith"),
        default=False,
        help_text=_("The requester confirms the owner is not a malicious defaulter (恶意欠费)."),
    )
    plan = models.ForeignKey(
        InstallmentPlan,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="approval_requests",
        verbose_name=_("installment plan"),
    )
    trigger = models.ForeignKey(
        EvidenceEntry,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("triggering evidence entry"),
        help_text=_("The transition into “withdrawal pending” this request was started by."),
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    comment = models.TextField(_("manager's comment"), blank=True)
    waive_remainder = models.BooleanField(
        _("waive what remains"),
        default=False,
        help_text=_(
            "Withdrawal only: approve together with a waiver of the principal and late fee "
            "still owed."
        ),
    )
    decision_evidence = models.ForeignKey(
        EvidenceEntry,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decision evidence entry"),
    )
    adjustment = models.ForeignKey(
        Adjustment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("adjustment recorded"),
    )

    class Meta:
        verbose_name = _("approval request")
        verbose_name_plural = _("approval requests")
        ordering = ["-requested_at"]
        permissions = [
            (
                "can_approve",
                _("Can decide withdrawals, waivers, installment plans and write-offs"),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(approved_by=F("requested_by")),
                name="approval_not_self_decided",
                violation_error_message=_("The requester cannot decide their own request."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "cancelled"])
                | (Q(approved_by__isnull=False) & Q(decided_at__isnull=False)),
                name="approval_decision_has_decider",
                violation_error_message=_("A decided request names who decided it and when."),
            ),
            models.CheckConstraint(
                condition=~Q(kind="waiver") | (Q(amount__isnull=False) & Q(amount__gt=0)),
                name="approval_waiver_amount_positive",
                violation_error_message=_("A waiver needs an amount greater than zero."),
            ),
            models.CheckConstraint(
                condition=~Q(kind="installment_plan") | Q(plan__isnull=False),
                name="approval_plan_given",
                violation_error_message=_("An installment-plan request needs its plan."),
            ),
            models.UniqueConstraint(
                fields=["case", "kind"],
                condition=Q(status="pending"),
                name="approval_one_pending_per_case_kind",
                violation_error_message=_("This case already has a request of this kind waiting."),
            ),
            models.UniqueConstraint(
                fields=["trigger"],
                condition=Q(trigger__isnull=False),
                name="approval_once_per_trigger",
            ),
        ]
        indexes = [models.Index(fields=["status", "kind"], name="approval_status_kind_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} {self.case_id} ({self.get_status_display()})"

    @property
    def is_pending(self) -> bool:
        return self.status == ApprovalStatus.PENDING


class ApprovalProcess(Process):
    """The viewflow process of one approval request."""

    request = models.OneToOneField(
        ApprovalRequest,
        on_delete=models.PROTECT,
        related_name="process",
        verbose_name=_("request"),
    )
    overdue = models.BooleanField(
        _("overdue"), default=False, help_text=_("Waiting for a decision for more than 3 days.")
    )
    overdue_since = models.DateTimeField(_("overdue since"), null=True, blank=True)

    class Meta:
        verbose_name = _("approval process")
        verbose_name_plural = _("approval processes")
        # viewflow adds "manage" to every process model it runs; declared here so that the
        # migrations do not depend on whether the flows were imported.
        default_permissions = ("add", "change", "delete", "view", "manage")


class Reminder(models.Model):
    """One SMS due to a case's owner on ``due_on`` (sent from ``not_before`` on)."""

    class Kind(models.TextChoices):
        CADENCE = "cadence", _("Friendly reminder (催收信息)")
        PROMISE_BROKEN = "promise_broken", _("Broken promise follow-up (失信回访)")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    class Delivery(models.TextChoices):
        UNKNOWN = "", _("No report yet")
        DELIVERED = "delivered", _("Delivered")
        UNDELIVERED = "undelivered", _("Not delivered")

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="sms_reminders", verbose_name=_("case")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.CADENCE)
    due_on = models.DateField(_("due on"))
    not_before = models.DateTimeField(
        _("not before"), help_text=_("No SMS leaves before this moment (quiet hours).")
    )
    promise = models.ForeignKey(
        ContactAttempt,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("broken promise"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    text = models.TextField(_("text"), blank=True)
    backend = models.CharField(_("SMS backend"), max_length=100, blank=True)
    message_id = models.CharField(_("gateway message id"), max_length=100, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    contact = models.ForeignKey(
        ContactAttempt,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("contact logged"),
    )
    delivery = models.CharField(
        _("delivery report"), max_length=12, choices=Delivery.choices, blank=True, default=""
    )
    delivery_reported_at = models.DateTimeField(_("delivery reported at"), null=True, blank=True)
    error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("SMS reminder")
        verbose_name_plural = _("SMS reminders")
        ordering = ["not_before", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "due_on"],
                condition=Q(kind="cadence"),
                name="reminder_once_per_case_due_date",
            ),
            models.UniqueConstraint(
                fields=["promise"],
                condition=Q(promise__isnull=False),
                name="reminder_once_per_broken_promise",
            ),
            models.UniqueConstraint(
                fields=["message_id"],
                condition=~Q(message_id=""),
                name="reminder_unique_message_id",
            ),
        ]
        indexes = [models.Index(fields=["status", "not_before"], name="reminder_due_idx")]

    def __str__(self) -> str:
        return f"#{self.case_id} {self.get_kind_display()} {self.due_on} ({self.status})"


class SystemAlert(models.Model):
    """Something an operator must look at; open until someone resolves it."""

    class Kind(models.TextChoices):
        EVIDENCE_CHAIN_BROKEN = "evidence_chain_broken", _("Evidence chain broken")

    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    key = models.CharField(_("key"), max_length=100, help_text=_("What the alert is about."))
    case = models.ForeignKey(
        Case,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("case"),
    )
    message = models.TextField(_("message"))
    details = models.JSONField(_("details"), default=dict, blank=True)
    raised_at = models.DateTimeField(_("raised at"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("last seen at"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("system alert")
        verbose_name_plural = _("system alerts")
        ordering = ["-raised_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "key"],
                condition=Q(resolved_at__isnull=True),
                name="alert_one_open_per_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.message}"
