"""Reference data of the legal rules that change every year (DESIGN.md section 6)."""

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class SmallClaimsThreshold(models.Model):
    """The small-claims ceiling (小额诉讼标的额上限) of one province for one year.

    Civil Procedure Law art. 165: a simple money case whose claim is at most 50% of the
    province's previous-year average annual wage of employed persons (上年度就业人员年平均
    工资百分之五十) is heard under the small-claims procedure. The figures are published every
    year (statistics bureau, then the provincial high court): update this table yearly."""

    province = models.CharField(_("province (省份)"), max_length=20)
    year = models.PositiveSmallIntegerField(
        _("year it applies to"),
        validators=[MinValueValidator(2000)],
        help_text=_("The filing year; the wage figure is the previous year's."),
    )
    amount = models.DecimalField(
        _("ceiling (CNY)"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(0)],
        help_text=_("Half of the previous-year average annual wage of employed persons."),
    )
    average_wage = models.DecimalField(
        _("previous-year average annual wage (CNY)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
    )
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("small-claims threshold")
        verbose_name_plural = _("small-claims thresholds")
        ordering = ["province", "-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["province", "year"],
                name="smallclaims_unique_province_year",
                violation_error_message=_("This province already has a ceiling for that year."),
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gte=0),
                name="smallclaims_amount_not_negative",
                violation_error_message=_("The ceiling cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.province} {self.year}: {self.amount}"
