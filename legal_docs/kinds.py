"""The kinds of legal document the system generates (DESIGN.md sections 2 and 6)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentKind(models.TextChoices):
    PAYMENT_NOTICE = "payment_notice", _("Payment notice (催款单)")
    DEMAND_LETTER = "demand_letter", _("Demand letter (催缴函)")
    LAWYER_LETTER = "lawyer_letter", _("Lawyer letter (律师函)")
    PAYMENT_ORDER_APPLICATION = (
        "payment_order_application",
        _("Payment-order application (支付令申请书)"),
    )
    CIVIL_COMPLAINT = "civil_complaint", _("Civil complaint (民事起诉状)")
    EVIDENCE_LIST = "evidence_list", _("Evidence list (证据目录)")
    LAWYER_LETTER_WITHDRAWAL = (
        "lawyer_letter_withdrawal",
        _("Notice withdrawing a lawyer letter (撤销律师函通知)"),
    )
    LAWSUIT_WITHDRAWAL = "lawsuit_withdrawal", _("Application to withdraw a lawsuit (撤诉申请书)")
    INSTALLMENT_AGREEMENT = "installment_agreement", _("Installment agreement (分期付款协议)")
    WAIVER_APPROVAL = "waiver_approval", _("Waiver approval form (减免审批表)")
    # 欠费明细及滞纳金计算表 (issue 13 part 3): the claim charge by charge, filed as evidence.
    CALCULATION_TABLE = (
        "calculation_table",
        _("Arrears and late-fee calculation table (欠费明细及滞纳金计算表)"),
    )
    # Filing forms generated with the complaint or application (issue 13).
    SERVICE_ADDRESS_CONFIRMATION = (
        "service_address_confirmation",
        _("Address-for-service confirmation (送达地址确认书)"),
    )
    POWER_OF_ATTORNEY = "power_of_attorney", _("Power of attorney (授权委托书)")
