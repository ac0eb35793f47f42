"""The contracts behind an estate's claims: the property service contract (物业服务合同),
the management rules (管理规约) and the fee standards (收费标准) they set."""

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .estate import Estate, Unit
from .evidence import StoredFile
from .ledger import ChargeItem


def _overlapping(queryset, valid_from, valid_to):
    """Rows of ``queryset`` whose [valid_from, valid_to] (open end: None) meets the given one."""
    queryset = queryset.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from))
    if valid_to is not None:
        queryset = queryset.filter(valid_from__lte=valid_to)
    return queryset


def _period_text(valid_from, valid_to) -> str:
    end = f"{valid_to:%Y-%m-%d}" if valid_to else ""
    return f"{valid_from:%Y-%m-%d} – {end}".rstrip()


class ServiceContract(models.Model):
    """A property service contract of an estate, in force from ``valid_from`` to
    ``valid_to`` (open when None). An estate's contracts never overlap in time."""

    class Kind(models.TextChoices):
        PRELIMINARY = "preliminary", _("Preliminary property service contract (前期物业服务合同)")
        REGULAR = "regular", _("Property service contract (物业服务合同)")

    class PartyAKind(models.TextChoices):
        DEVELOPER = "developer", _("Developer (建设单位)")
        OWNERS_COMMITTEE = "owners_committee", _("Owners' committee (业主委员会)")

    estate = models.ForeignKey(
        Estate, on_delete=models.PROTECT, related_name="contracts", verbose_name=_("estate")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    number = models.CharField(_("contract number"), max_length=60, blank=True)
    party_a_kind = models.CharField(
        _("party A is"), max_length=20, choices=PartyAKind.choices, default=PartyAKind.DEVELOPER
    )
    party_a_name = models.CharField(
        _("party A (甲方)"),
        max_length=200,
        help_text=_("The developer or the owners' committee that signed; party B is the company."),
    )
    signed_on = models.DateField(_("signed on"))
    valid_from = models.DateField(_("term starts"))
    valid_to = models.DateField(_("term ends"), null=True, blank=True)
    fee_clause = models.CharField(
        _("clause on the fee standard"), max_length=60, blank=True, help_text=_("e.g. 第五条第二款")
    )
    payment_clause = models.CharField(
        _("clause on the payment period (缴费期限)"), max_length=60, blank=True
    )
    late_fee_clause = models.CharField(
        _("clause on the late fee (违约金/滞纳金)"),
        max_length=60,
        blank=True,
        help_text=_("Empty when the contract has none."),
    )
    scan = models.ForeignKey(
        StoredFile,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("scan"),
    )
    scan_name = models.CharField(_("scan file name"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("property service contract")
        verbose_name_plural = _("property service contracts")
        ordering = ["estate", "valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="contract_term_ordered",
                violation_error_message=_("A contract's term cannot end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        label = f"{self.get_kind_display()} {self.number}".strip()
        return f"{label} ({_period_text(self.valid_from, self.valid_to)})"

    def clean(self) -> None:
        super().clean()
        if self.valid_from is None or self.estate_id is None:
            return
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": _("A contract's term cannot end before it starts.")})
        other = (
            _overlapping(
                ServiceContract.objects.filter(estate_id=self.estate_id),
                self.valid_from,
                self.valid_to,
            )
            .exclude(pk=self.pk)
            .first()
        )
        if other is not None:
            raise ValidationError(
                {
                    "valid_from": _(
                        "This term overlaps the estate's contract “%(other)s”; an estate has "
                        "one service contract at a time."
                    )
                    % {"other": other}
                }
            )


class ManagementRules(models.Model):
    """The estate's management rules (管理规约), as adopted, with a scan."""

    estate = models.ForeignKey(
        Estate, on_delete=models.PROTECT, related_name="management_rules", verbose_name=_("estate")
    )
    title = models.CharField(_("title"), max_length=200, default="管理规约")
    adopted_on = models.DateField(_("adopted on"))
    scan = models.ForeignKey(
        StoredFile,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("scan"),
    )
    scan_name = models.CharField(_("scan file name"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("management rules (管理规约)")
        verbose_name_plural = _("management rules (管理规约)")
        ordering = ["estate", "adopted_on"]

    def __str__(self) -> str:
        return f"{self.title} ({self.adopted_on:%Y-%m-%d})"


class FeeStandard(models.Model):
    """A fee standard (收费标准) of an estate for one charge item and one unit segment (or
    every segment, ``segment`` empty): a price per m² and month, or a fixed amount per
    month, in force from ``valid_from`` to ``valid_to`` (open when None). Standards of the
    same estate, item and segment never overlap in time; a segment's own standard comes
    before an all-segments one."""

    estate = models.ForeignKey(
        Estate, on_delete=models.PROTECT, related_name="fee_standards", verbose_name=_("estate")
    )
    contract = models.ForeignKey(
        ServiceContract,
        on_delete=models.PROTECT,
        related_name="fee_standards",
        verbose_name=_("contract"),
    )
    clause = models.CharField(
        _("clause"),
        max_length=60,
        blank=True,
        help_text=_(
            "Where the contract sets it, e.g. 第五条第二款; the contract's fee clause if empty."
        ),
    )
    item = models.CharField(_("item"), max_length=20, choices=ChargeItem.choices)
    segment = models.CharField(
        _("segment"),
        max_length=10,
        choices=Unit.Segment.choices,
        blank=True,
        help_text=_("Empty: every segment without a standard of its own."),
    )
    unit_price = models.DecimalField(
        _("price per m² and month (元/㎡/月)"),
        max_digits=10,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    monthly_amount = models.DecimalField(
        _("fixed amount per month (元/月)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("fee standard")
        verbose_name_plural = _("fee standards")
        ordering = ["estate", "item", "segment", "valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(unit_price__isnull=False) & Q(monthly_amount__isnull=True))
                | (Q(unit_price__isnull=True) & Q(monthly_amount__isnull=False)),
                name="feestandard_one_price",
                violation_error_message=_(
                    "A fee standard is either a price per m² and month or a fixed monthly amount."
                ),
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="feestandard_validity_ordered",
                violation_error_message=_("A fee standard cannot end before it starts."),
            ),
        ]
        indexes = [
            models.Index(fields=["estate", "item", "valid_from"], name="feestandard_lookup_idx")
        ]

    def __str__(self) -> str:
        segment = self.get_segment_display() if self.segment else _("all segments")
        return (
            f"{self.get_item_display()} {segment} {self.price_text} "
            f"({_period_text(self.valid_from, self.valid_to)})"
        )

    @property
    def price_text(self) -> str:
        if self.unit_price is not None:
            return f"{self.unit_price}元/㎡/月"
        return f"{self.monthly_amount}元/月"

    @property
    def cited_clause(self) -> str:
        return self.clause or self.contract.fee_clause

    def clean(self) -> None:
        super().clean()
        errors = {}
        if (self.unit_price is None) == (self.monthly_amount is None):
            errors["unit_price"] = _(
                "Give either a price per m² and month or a fixed monthly amount, not both."
            )
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            errors["valid_to"] = _("A fee standard cannot end before it starts.")
        if self.contract_id and self.estate_id and self.contract.estate_id != self.estate_id:
            errors["contract"] = _("The contract is another estate's.")
        if errors:
            raise ValidationError(errors)
        if self.valid_from is None or self.estate_id is None or not self.item:
            return
        other = (
            _overlapping(
                FeeStandard.objects.filter(
                    estate_id=self.estate_id, item=self.item, segment=self.segment
                ),
                self.valid_from,
                self.valid_to,
            )
            .exclude(pk=self.pk)
            .first()
        )
        if other is not None:
            raise ValidationError(
                {
                    "valid_from": _(
                        "This validity overlaps the fee standard “%(other)s”; end that one "
                        "first or choose other dates."
                    )
                    % {"other": other}
                }
            )
