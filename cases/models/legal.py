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


class LprRate(models.Model):
    """The loan prime rate (贷款市场报价利率, LPR) published by the National Interbank Funding
    Center (全国银行间同业拆借中心), in force from ``effective_on`` until the next row.

    Seeded with the published history from 2019-08-20; later publications must be added here
    (a claim dated after the last row uses the last row, and the case page names the row)."""

    effective_on = models.DateField(
        _("in force from"),
        unique=True,
        help_text=_(
            "Add every new publication (the LPR is published on the 20th of each month): a "
            "claim dated after the last row uses the last row, and the case page names the row."
        ),
    )
    one_year_rate = models.DecimalField(
        _("one-year LPR (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0)],
        help_text=_("Percent per year, e.g. 3.00."),
    )
    five_year_rate = models.DecimalField(
        _("five-year LPR (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("loan prime rate (LPR)")
        verbose_name_plural = _("loan prime rates (LPR)")
        ordering = ["-effective_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(one_year_rate__gt=0),
                name="lpr_one_year_rate_positive",
                violation_error_message=_("The one-year LPR must be above 0."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.effective_on:%Y-%m-%d} {self.one_year_rate}%"
