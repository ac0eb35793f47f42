"""Time-barred charges a legal officer decided to claim anyway, each with its reason."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .case import Case
from .ledger import Charge


class ClaimInclusion(models.Model):
    """A time-barred charge (its limitation clock expired) included in the case's claims.

    Without a row here an expired charge is listed apart and left out of the complaint, the
    payment-order application and the lawyer letter's demand. Written only by
    ``cases.services.claims.claim_include_time_barred``, with its evidence entry."""

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="claim_inclusions", verbose_name=_("case")
    )
    charge = models.ForeignKey(
        Charge, on_delete=models.PROTECT, related_name="claim_inclusions", verbose_name=_("charge")
    )
    reason = models.TextField(_("reason"))
    included_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("included by"),
    )
    included_at = models.DateTimeField(_("included at"), auto_now_add=True)

    class Meta:
        verbose_name = _("time-barred charge included in the claim")
        verbose_name_plural = _("time-barred charges included in the claim")
        ordering = ["case", "charge__due_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "charge"],
                name="claiminclusion_unique_case_charge",
                violation_error_message=_("This charge is already included in the claim."),
            ),
            models.CheckConstraint(
                condition=~Q(reason=""),
                name="claiminclusion_reason_required",
                violation_error_message=_("A reason is required."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.charge_id}"
