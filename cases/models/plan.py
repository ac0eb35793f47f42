"""Installment plans (分期付款) for hardship households: the proposal and its schedule."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from .case import Case
from .evidence import StoredFile
from .ledger import Charge


class InstallmentPlan(models.Model):
    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        APPROVED = "approved", _("Approved, awaiting signature")
        SIGNED = "signed", _("Signed (in force)")
        REJECTED = "rejected", _("Rejected")
        COMPLETED = "completed", _("Completed")
        DEFAULTED = "defaulted", _("Defaulted")

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="installment_plans", verbose_name=_("case")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED
    )
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2)
    reason = models.TextField(_("reason"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    charges = models.ManyToManyField(
        Charge,
        blank=True,
        related_name="installment_plans",
        verbose_name=_("charges"),
        help_text=_("The charges owed when the plan was proposed: what the plan pays."),
    )
    signed_on = models.DateField(_("signed by the owner on"), null=True, blank=True)
    signed_scan = models.ForeignKey(
        StoredFile,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("signed agreement (scan)"),
    )
    signature_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("signature recorded by"),
    )
    ended_on = models.DateField(
        _("ended on"),
        null=True,
        blank=True,
        help_text=_("The day the plan was completed or defaulted."),
    )

    class Meta:
        verbose_name = _("installment plan")
        verbose_name_plural = _("installment plans")
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(total__gt=0),
                name="plan_total_positive",
                violation_error_message=_("A plan's total must be greater than zero."),
            ),
            models.CheckConstraint(
                condition=~Q(approved_by=F("requested_by")),
                name="plan_not_self_approved",
                violation_error_message=_("The requester cannot approve their own plan."),
            ),
            models.CheckConstraint(
                condition=Q(signed_on__isnull=True) | Q(signed_scan__isnull=False),
                name="plan_signed_with_scan",
                violation_error_message=_("A signed plan keeps the scan of the signed agreement."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} {self.total} ({self.get_status_display()})"


class Installment(models.Model):
    plan = models.ForeignKey(
        InstallmentPlan,
        on_delete=models.CASCADE,
        related_name="installments",
        verbose_name=_("plan"),
    )
    number = models.PositiveSmallIntegerField(_("number"))
    due_date = models.DateField(_("due date"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("installment")
        verbose_name_plural = _("installments")
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="installment_unique_number"),
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="installment_amount_positive",
                violation_error_message=_("An installment must be greater than zero."),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.due_date} {self.amount}"
