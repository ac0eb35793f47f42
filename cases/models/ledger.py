"""The fee ledger: charges, payments, adjustments and their allocation to charges.

Nothing here is a mutable balance. What a unit owes is derived from these rows by
``cases.selectors.ledger`` in the database; late fees are never stored.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q, Sum
from django.utils.translation import gettext_lazy as _

from cases.fee_basis import Basis

from .estate import Unit

MONEY = {"max_digits": 14, "decimal_places": 2}


class ChargeItem(models.TextChoices):
    MANAGEMENT_FEE = "management_fee", _("Property management fee (物业管理费)")
    MAINTENANCE_FUND = "maintenance_fund", _("Public maintenance fund (公共维修金)")
    WATER = "water", _("Water (水费)")
    ELECTRICITY = "electricity", _("Electricity (电费)")
    GAS = "gas", _("Gas (燃气费)")
    PARKING = "parking", _("Parking (停车费)")
    OTHER = "other", _("Other (其他)")


class IssuedChargeError(ValidationError):
    pass


class Charge(models.Model):
    """One billed item for one period. Issued charges are never edited: corrections are
    adjustments (down) or a supplementary charge (up)."""

    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="charges", verbose_name=_("unit")
    )
    item = models.CharField(_("item"), max_length=20, choices=ChargeItem.choices)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    amount = models.DecimalField(_("amount"), **MONEY)
    due_date = models.DateField(_("due date"))
    issued_on = models.DateField(_("issued on"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # What the amount was computed from (set at issue time, never changed): the fee
    # standard, the area billed and the number of months. Empty for a charge not computed
    # from a standard (metered water, an adjusted amount from an imported ledger).
    fee_standard = models.ForeignKey(
        "FeeStandard",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="charges",
        verbose_name=_("fee standard"),
    )
    billed_area = models.DecimalField(
        _("area billed (m²)"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    billed_months = models.PositiveSmallIntegerField(_("months billed"), null=True, blank=True)

    class Meta:
        verbose_name = _("charge")
        verbose_name_plural = _("charges")
        ordering = ["unit", "due_date", "item"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "item", "period_start"], name="charge_unique_unit_item_period"
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="charge_amount_positive",
                violation_error_message=_("A charge amount must be greater than zero."),
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="charge_period_ordered",
                violation_error_message=_("A billing period cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=Q(due_date__gte=models.F("period_start")),
                name="charge_due_not_before_period",
                violation_error_message=_("The due date cannot be before the billing period."),
            ),
        ]
        indexes = [models.Index(fields=["unit", "due_date"], name="charge_unit_due_idx")]

    def __str__(self) -> str:
        return f"{self.unit.label} {self.get_item_display()} {self.period_start:%Y-%m}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise IssuedChargeError(
                _("Charge %(id)s is issued and cannot be edited; record an adjustment instead."),
                params={"id": self.pk},
            )
        super().save(*args, **kwargs)

    @property
    def basis(self):
        """The ``cases.fee_basis.Basis`` (area, price, months) this charge was computed from,
        or None when no fee standard is recorded for it."""
        if self.fee_standard_id is None or self.billed_months is None:
            return None
        standard = self.fee_standard
        if standard.unit_price is not None:
            return Basis(self.billed_area, standard.unit_price, self.billed_months)
        return Basis(None, standard.monthly_amount, self.billed_months)

    @property
    def basis_text(self) -> str:
        """``89.36㎡ × 2.8000元/㎡/月 × 1个月 = 250.21元``, or a sentence saying no standard
        is recorded."""
        basis = self.basis
        if basis is None:
            return str(_("no fee standard recorded for this charge (amount as billed)"))
        return basis.text


class Payment(models.Model):
    """Money received for a unit. Its allocation to charges is in ``Allocation``; what is
    left unallocated is credit on the unit."""

    class Method(models.TextChoices):
        CASH = "cash", _("Cash")
        BANK = "bank", _("Bank transfer")
        WECHAT = "wechat", _("WeChat Pay")
        ALIPAY = "alipay", _("Alipay")
        CARD = "card", _("Bank card")
        OTHER = "other", _("Other")

    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="payments", verbose_name=_("unit")
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    paid_on = models.DateField(_("paid on"))
    method = models.CharField(_("method"), max_length=10, choices=Method.choices, default="bank")
    reference = models.CharField(_("receipt or transaction no."), max_length=80, blank=True)
    payer_name = models.CharField(_("payer"), max_length=200, blank=True)
    designated_charges = models.ManyToManyField(
        Charge,
        blank=True,
        related_name="designating_payments",
        verbose_name=_("designated charges"),
        help_text=_(
            "The charges the payer said this payment is for (Civil Code art. 560): they are "
            "paid first, principal then late fee; the rest goes by the usual order."
        ),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["unit", "paid_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="payment_amount_positive",
                violation_error_message=_("A payment amount must be greater than zero."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit.label} {self.amount} @ {self.paid_on}"


class Adjustment(models.Model):
    """A signed-off reduction of what a unit owes: a late-fee or principal waiver (减免), or a
    correction of a wrongly issued charge. Always with a reason and an approver who is not
    the requester. Amounts are positive: the amount by which the debt goes down."""

    class Kind(models.TextChoices):
        LATE_FEE_WAIVER = "late_fee_waiver", _("Late-fee waiver (滞纳金减免)")
        PRINCIPAL_WAIVER = "principal_waiver", _("Principal waiver (本金减免)")
        CORRECTION = "correction", _("Correction (更正冲减)")

    class ReasonCategory(models.TextChoices):
        THEFT = "theft", _("Theft (财物/车辆失窃)")
        QUALITY_DEFECT = "quality_defect", _("Quality defect (房屋质量问题)")
        HARDSHIP = "hardship", _("Hardship (生活困难)")
        DISPUTE_SETTLED = "dispute_settled", _("Dispute settled (纠纷和解)")
        BILLING_ERROR = "billing_error", _("Billing error (开票错误)")
        OTHER = "other", _("Other (其他)")

    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="adjustments", verbose_name=_("unit")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    effective_on = models.DateField(_("effective on"))
    reason_category = models.CharField(
        _("reason category"), max_length=20, choices=ReasonCategory.choices
    )
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
        related_name="+",
        verbose_name=_("approved by"),
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("adjustment")
        verbose_name_plural = _("adjustments")
        ordering = ["unit", "effective_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="adjustment_amount_positive",
                violation_error_message=_(
                    "An adjustment amount must be greater than zero (it is the reduction)."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(reason=""),
                name="adjustment_reason_required",
                violation_error_message=_("An adjustment needs a reason."),
            ),
            models.CheckConstraint(
                condition=~Q(approved_by=models.F("requested_by")),
                name="adjustment_not_self_approved",
                violation_error_message=_("The requester cannot approve their own adjustment."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit.label} {self.get_kind_display()} {self.amount}"


class Allocation(models.Model):
    """Part of a payment or of an adjustment applied to one charge's principal or late fee.

    ``allocated_on`` is the day from which that part of the principal stops accruing late
    fees. Database triggers refuse an allocation that would take a charge's principal below
    zero or use more of a payment or adjustment than it has.
    """

    class Target(models.TextChoices):
        PRINCIPAL = "principal", _("Principal")
        LATE_FEE = "late_fee", _("Late fee")

    charge = models.ForeignKey(
        Charge, on_delete=models.PROTECT, related_name="allocations", verbose_name=_("charge")
    )
    payment = models.ForeignKey(
        Payment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="allocations",
        verbose_name=_("payment"),
    )
    adjustment = models.ForeignKey(
        Adjustment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="allocations",
        verbose_name=_("adjustment"),
    )
    target = models.CharField(_("applied to"), max_length=10, choices=Target.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    allocated_on = models.DateField(_("allocated on"))

    class Meta:
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        ordering = ["charge", "allocated_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="allocation_amount_positive",
                violation_error_message=_("An allocated amount must be greater than zero."),
            ),
            models.CheckConstraint(
                condition=(Q(payment__isnull=False) & Q(adjustment__isnull=True))
                | (Q(payment__isnull=True) & Q(adjustment__isnull=False)),
                name="allocation_one_source",
                violation_error_message=_(
                    "An allocation comes from exactly one payment or one adjustment."
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["charge", "target", "allocated_on"], name="alloc_charge_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} → {self.charge} ({self.get_target_display()})"

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.target == self.Target.PRINCIPAL and self.charge_id and self.amount:
            taken = (
                Allocation.objects.filter(charge_id=self.charge_id, target=self.Target.PRINCIPAL)
                .exclude(pk=self.pk)
                .aggregate(s=Sum("amount"))["s"]
                or 0
            )
            charge_amount = Charge.objects.values_list("amount", flat=True).get(pk=self.charge_id)
            if taken + self.amount > charge_amount:
                errors["amount"] = _(
                    "Allocating %(amount)s exceeds what charge %(charge)s still owes "
                    "(%(owed)s of %(total)s)."
                ) % {
                    "amount": self.amount,
                    "charge": self.charge_id,
                    "owed": charge_amount - taken,
                    "total": charge_amount,
                }
        source = self.payment or self.adjustment
        if source is not None and self.amount:
            used = source.allocations.exclude(pk=self.pk).aggregate(s=Sum("amount"))["s"] or 0
            if used + self.amount > source.amount:
                errors["amount"] = _(
                    "Allocating %(amount)s exceeds what is left of %(source)s (%(left)s)."
                ) % {"amount": self.amount, "source": source, "left": source.amount - used}
        if errors:
            raise ValidationError(errors)
