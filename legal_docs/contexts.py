"""Context builders: a case (or a unit) → the documented context of a document kind.

The shape of every kind's context is documented by its sample in
``legal_docs.contexts_schema``; these builders fill it from the database. Values are
formatted for print (amounts in figures and capitals, dates as 2026年11月28日)."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.claims import Claim
from cases.legal_rules import court_fee
from cases.models import (
    Adjustment,
    Case,
    ChargeItem,
    Delivery,
    DeliveryStatus,
    EvidenceEntry,
    InstallmentPlan,
    Letter,
    LitigationKind,
    Unit,
)
from cases.policy import court_case_number_refusal, late_fees_claimable
from cases.policy import liable_party as liable_party
from cases.selectors.claims import claim_for_unit
from cases.selectors.ledger import UnitArrears, arrears_for_unit, money, payment_lines
from cases.services.evidence import evidence_status
from legal_docs.formatting import (
    amount_figures,
    amount_in_capitals,
    date_cn,
    date_cn_plain,
    months_span,
    rate_per_mille,
)
from legal_docs.kinds import DocumentKind as K

ITEM_ZH = {
    ChargeItem.MANAGEMENT_FEE: "物业管理费",
    ChargeItem.MAINTENANCE_FUND: "公共维修金",
    ChargeItem.WATER: "水费",
    ChargeItem.ELECTRICITY: "电费",
    ChargeItem.GAS: "燃气费",
    ChargeItem.PARKING: "停车费",
    ChargeItem.OTHER: "其他费用",
}
BUILDING_SUFFIXES = ("幢", "栋", "座", "楼", "区", "号", "铺")
SEGMENT_ZH = {"occupied": "已入住", "vacant": "空置", "shop": "商铺", "villa": "别墅"}
KIND_ABBR = {
    K.PAYMENT_NOTICE: "催",
    K.DEMAND_LETTER: "函",
    K.LAWYER_LETTER: "律",
    K.PAYMENT_ORDER_APPLICATION: "督",
    K.CIVIL_COMPLAINT: "诉",
    K.EVIDENCE_LIST: "证",
    K.LAWYER_LETTER_WITHDRAWAL: "撤律",
    K.LAWSUIT_WITHDRAWAL: "撤诉",
    K.INSTALLMENT_AGREEMENT: "分",
    K.WAIVER_APPROVAL: "减",
    K.SERVICE_ADDRESS_CONFIRMATION: "送",
    K.POWER_OF_ATTORNEY: "委",
}
KIND_ABBR[K.CALCULATION_TABLE] = "算"
EVIDENCE_KIND_ZH = {
    "opened": "立案",
    "transition": "程序推进",
    "assignment": "案件分配",
    "contact": "催收记录",
    "attachment": "催收证据",
    "promise_broken": "承诺未履行",
    "promise_kept": "承诺已履行",
    "payment": "缴费记录",
    "delivery": "文书送达",
    "document": "法律文书",
    "approval": "审批",
    "adjustment": "减免调整",
    "claim_inclusion": "超时效费用纳入请求",
}
# What a generated document proves, by its kind; the filing itself only keeps the chain whole.
DOCUMENT_PROVES = {
    K.PAYMENT_NOTICE: "催告内容",
    K.DEMAND_LETTER: "催告内容及期限",
    K.LAWYER_LETTER: "催告内容及期限",
    K.INSTALLMENT_AGREEMENT: "被告承认欠费并同意分期履行",
    K.WAIVER_APPROVAL: "减免滞纳金的审批",
}
CHAIN_ONLY = "案件办理过程（证据链完整性）"
EVIDENCE_PROVES = {
    "contact": "物业服务人已多次催告",
    "attachment": "催告的事实及送达",
    "delivery": "催告已送达被告",
    "promise_broken": "被告承认欠费但未履行",
    "payment": "欠费及部分履行情况",
}
LEGAL_BASIS = [
    "《中华人民共和国民法典》第九百三十七条：物业服务合同是物业服务人在物业服务区域内，为业主提供"
    "建筑物及其附属设施的维修养护、环境卫生和相关秩序的管理维护等物业服务，业主支付物业费的合同。",
    "《中华人民共和国民法典》第九百四十四条：业主违反约定逾期不支付物业费的，物业服务人可以催告其在"
    "合理期限内支付；合理期限届满仍不支付的，物业服务人可以提起诉讼或者申请仲裁。",
    "《物业管理条例》第七条：业主在物业管理活动中，应当按时交纳物业服务费用。",
]


def _money(value: Decimal) -> str:
    return amount_figures(money(value))


def _capitals(value: Decimal) -> str:
    return amount_in_capitals(money(value))


def claimable_rate(estate) -> Decimal:
    """The late-fee rate the documents claim at: 0 when the service contract provides no
    late fee (a payment order or a complaint then asks for the fees alone)."""
    return estate.late_fee_daily_rate if late_fees_claimable(estate) else Decimal(0)


def _period(day: dt.date) -> str:
    return f"{day.year}年{day.month:02d}月"


def _arrears_context(arrears: UnitArrears, claim: Claim, *, rate: Decimal) -> dict:
    """The statement: the charges in the claim (time-barred ones apart, in ``time_barred``),
    the contractual late fee and the one claimed under the estate's policy, with its basis."""
    open_charges = [c for c in claim.claimed if c.facts.outstanding > 0]
    by_item: dict[str, list] = defaultdict(list)
    for charge in open_charges:
        by_item[charge.item].append(charge)
    items = [
        {
            "item": ITEM_ZH.get(item, item),
            "months": months_span([c.period_start for c in charges]),
            "month_count": len(charges),
            "amount": _money(sum((c.facts.outstanding for c in charges), Decimal(0))),
        }
        for item, charges in by_item.items()
    ]
    periods = [
        {
            "period": _period(c.period_start),
            "item": ITEM_ZH.get(c.item, c.item),
            "due_date": date_cn(c.due_date),
            "amount": _money(c.facts.outstanding),
        }
        for c in open_charges
    ]
    time_barred = [
        {
            "period": _period(c.period_start),
            "item": ITEM_ZH.get(c.item, c.item),
            "due_date": date_cn(c.due_date),
            "amount": _money(c.facts.outstanding),
            "late_fee": _money(c.contractual_exact),
        }
        for c in claim.time_barred
    ]
    late_fee, contractual = claim.late_fee_claimed, claim.late_fee_contractual
    total = claim.total
    # "unpaid since" speaks of the charges in the statement; time-barred ones are listed apart
    oldest = min((c.due_date for c in open_charges), default=arrears.oldest_due_date)
    return {
        "items": items,
        "periods": periods,
        "principal": _money(claim.principal),
        "principal_capital": _capitals(claim.principal),
        "late_fee": _money(late_fee),
        "late_fee_capital": _capitals(late_fee),
        "late_fee_contractual": _money(contractual),
        "late_fee_contractual_capital": _capitals(contractual),
        "late_fee_basis": claim.basis,
        "late_fee_capped": claim.capped,
        "total": _money(total),
        "total_capital": _capitals(total),
        "late_fee_rate": rate_per_mille(rate),
        "late_fee_in_contract": rate > 0,
        "time_barred": time_barred,
        "time_barred_total": _money(claim.time_barred_principal),
        "oldest_due_date": date_cn(oldest) if oldest else "",
        "days_overdue": (arrears.as_of - oldest).days if oldest else 0,
        "as_of": date_cn(arrears.as_of),
    }


def doc_number(kind: str, unit: Unit, *, case: Case | None, version: int, as_of: dt.date) -> str:
    serial = f"{case.pk:06d}" if case else f"{unit.pk:06d}"
    suffix = f"-{version}" if version > 1 else ""
    return f"{unit.estate.name}{KIND_ABBR[kind]}〔{as_of.year}〕第{serial}号{suffix}"


def common_context(
    kind: str, unit: Unit, *, case: Case | None, as_of: dt.date, version: int = 1
) -> tuple[dict, UnitArrears, Claim]:
    estate = unit.estate
    party = liable_party(unit)
    arrears = arrears_for_unit(unit, as_of=as_of)
    claim = claim_for_unit(unit, as_of=as_of, case=case)
    building = unit.building if unit.building.endswith(BUILDING_SUFFIXES) else f"{unit.building}幢"
    # 1201 → 1201室; a villa numbered 3号 stays 3号 (not 3号室).
    room = unit.number if unit.number.endswith(("号", "室")) else f"{unit.number}室"
    unit_address = f"{estate.city}{estate.name}{building}{room}"
    context = {
        "company": {
            "name": estate.company_name,
            "address": estate.company_address or estate.office_address,
            "phone": estate.office_phone,
            "credit_code": estate.company_credit_code,
            "legal_representative": estate.company_legal_representative,
            "office_address": estate.office_address,
            "office_phone": estate.office_phone,
        },
        "estate": {"name": estate.name, "city": estate.city, "address": estate.office_address},
        "unit": {
            "label": unit.label,
            "building": unit.building,
            "number": unit.number,
            "area": amount_figures(unit.area),
            "segment": SEGMENT_ZH.get(unit.segment, unit.segment),
            "address": unit_address,
        },
        "owner": {
            "name": party.name if party else "",
            "id_number": party.id_number if party else "",
            "phone": party.phone if party else "",
            "address": (party.address if party and party.address else unit_address),
            "kind": "单位" if party and party.kind == "company" else "自然人",
        },
        "arrears": _arrears_context(arrears, claim, rate=claimable_rate(estate)),
        "case": {
            "number": f"CS-{case.pk:06d}" if case else "",
            "opened_on": date_cn(case.opened_on) if case else "",
            "stage": str(case.get_stage_display()) if case else "",
        },
        "doc_number": doc_number(kind, unit, case=case, version=version, as_of=as_of),
        "doc_date": date_cn(as_of),
    }
    return context, arrears, claim


def _law_firm(unit: Unit) -> tuple[dict, dict]:
    e = unit.estate
    return (
        {"name": e.law_firm_name, "address": e.law_firm_address, "phone": e.law_firm_phone},
        {"name": e.lawyer_name, "license_no": e.lawyer_license_no, "phone": e.lawyer_phone},
    )


# A fact the record does not hold is printed as a visible gap, never as a silent blank that
# turns a sentence into a false statement ("已于向您送达…").
NOT_RECORDED = "〔未记录〕"


class MissingFact(ValidationError):
    """A fact the document must state is not in the record: generation stops and says which,
    rather than print a blank or a zero that would make a sentence false."""


def _served_on(case: Case | None, letter: str) -> str:
    if case is None:
        return NOT_RECORDED
    # The day it happened (not the day it was recorded), of a delivery the record proves.
    days = [
        d.delivered_on
        for d in Delivery.objects.filter(
            case=case,
            letter=letter,
            status__in=[DeliveryStatus.SERVED, DeliveryStatus.SIGNED, DeliveryStatus.REFUSED],
        )
        if d.proven_served
    ]
    return date_cn(max(days)) if days else NOT_RECORDED


def withdrawal_settlement(
    unit: Unit, case: Case | None, arrears: UnitArrears, *, creditor: str
) -> dict:
    """What a withdrawal may tell the owner or the court, from the record only: the payments
    received while ``case`` was open (date, amount, receipt number where recorded) and the
    approved waivers (amount, what, approver, date, reason category), and one sentence built
    from them. "缴清全部欠费" is said only when nothing was waived and the ledger shows 0.00 due
    (``UnitArrears.paid_in_full``); otherwise the sentence names what was paid and what was
    waived. Raises ``MissingFact`` naming the remainder when something is still owed unwaived
    (a withdrawal is approved only when nothing remains, so this is a guard)."""
    if not arrears.paid_in_full:
        raise MissingFact(
            _(
                "Not settled on %(date)s: %(amount)s yuan still due and not waived. A withdrawal "
                "states a settled debt; approve a waiver of the remainder or wait for payment."
            )
            % {"date": arrears.as_of.isoformat(), "amount": _money(money(arrears.remainder))}
        )
    since = case.opened_on if case is not None else None
    lines = [
        line
        for line in reversed(payment_lines(unit, limit=500))
        if (since is None or line.payment.paid_on >= since)
        and line.payment.paid_on <= arrears.as_of
    ]
    payments = [
        {
            "paid_on": date_cn_plain(line.payment.paid_on),
            "amount": _money(line.payment.amount),
            "reference": line.payment.reference,
        }
        for line in lines
    ]
    adjustments = (
        Adjustment.objects.filter(
            unit=unit,
            kind__in=[Adjustment.Kind.LATE_FEE_WAIVER, Adjustment.Kind.PRINCIPAL_WAIVER],
            effective_on__gte=since,
            effective_on__lte=arrears.as_of,
        )
        .select_related("approved_by")
        .order_by("effective_on", "id")
        if since is not None
        else Adjustment.objects.none()
    )
    waivers = [
        {
            "what": "滞纳金" if a.kind == Adjustment.Kind.LATE_FEE_WAIVER else "欠费本金",
            "amount": _money(a.amount),
            "approved_on": date_cn_plain(a.effective_on),
            "approved_by": _person(a.approved_by),
            "reason_category": str(a.get_reason_category_display()),
        }
        for a in adjustments
    ]
    paid_text = "、".join(
        f"{p['paid_on']}缴纳人民币{p['amount']}元"
        + (f"（收据号{p['reference']}）" if p["reference"] else "")
        for p in payments
    )
    if not waivers:
        last = payments[-1]["paid_on"] if payments else ""
        statement = (
            f"已于{last}缴清全部欠费" + (f"（{paid_text}）" if len(payments) > 1 else "")
            if last
            else "已缴清全部欠费"
        )
    else:
        waived_text = "、".join(f"{w['what']}人民币{w['amount']}元" for w in waivers)
        approved = waivers[-1]
        statement = (
            (f"已于{paid_text}；" if paid_text else "")
            + f"其余{waived_text}经{creditor}于{approved['approved_on']}同意予以减免"
            + "，本案欠费已结清"
        )
    return {
        "payments": payments,
        "waivers": waivers,
        "paid_in_full_without_waiver": not waivers,
        "settlement": statement,
    }


def _claims(context: dict, claim: Claim, *, payment_order: bool):
    """The numbered requests: the principal in the claim (time-barred charges left out unless
    included) and the late fee claimed under the estate's policy, with its basis."""
    late_fee = claim.late_fee_claimed
    total = claim.total
    if payment_order:
        texts = [
            "请求法院向被申请人发出支付令，督促被申请人支付拖欠的物业服务费等费用",
            "支付逾期付款违约金",
        ]
    else:
        texts = ["判令被告支付拖欠的物业服务费等费用", "判令被告支付逾期付款违约金"]
    claims = [{"no": 1, "text": texts[0], "amount": _money(claim.principal)}]
    if late_fee > 0:  # late fees only where the contract provides them
        basis = f"{claim.basis}，计至{date_cn(claim.as_of)}"
        claims.append(
            {"no": 2, "text": f"{texts[1]}（滞纳金，{basis}）", "amount": _money(late_fee)}
        )
    if not payment_order:
        claims.append({"no": len(claims) + 1, "text": "本案诉讼费用由被告承担", "amount": ""})
    fee = court_fee(money(total), procedure="payment_order" if payment_order else "lawsuit")
    return (
        claims,
        total,
        {
            "claim": _money(total),
            "full": _money(fee.full),
            "payable": _money(fee.payable),
            "basis": fee.basis,
        },
    )


def _late_fee_fact(claim: Claim, *, role_self: str) -> list[str]:
    """The late fee as the contract accrues it and as claimed, when they differ."""
    if not claim.capped:
        return []
    return [
        f"依照物业服务合同的约定，{claim.contract_basis}，截至{date_cn(claim.as_of)}，"
        f"滞纳金为{_money(claim.late_fee_contractual)}元；{role_self}{claim.basis}，"
        f"主张滞纳金{_money(claim.late_fee_claimed)}元。"
    ]


def _facts(context: dict, *, role_self: str, role_other: str) -> list[str]:
    a = context["arrears"]
    return [
        f"{role_self}{context['company']['name']}为{context['estate']['name']}提供物业服务，"
        f"{role_other}{context['owner']['name']}系{context['unit']['label']}的业主，"
        f"应当按约缴纳物业服务费等费用。",
        f"{role_other}自{a['oldest_due_date']}起未按约缴纳，截至{a['as_of']}共欠缴"
        f"{a['principal']}元（{a['principal_capital']}）。",
        f"{role_self}已多次通过电话、短信、书面通知等方式催告，并送达催缴函，{role_other}"
        f"在合理期限届满后仍未支付。",
    ]


def build_context(
    kind: str,
    *,
    unit: Unit,
    case: Case | None = None,
    as_of: dt.date,
    version: int = 1,
    notice_count: int = 1,
    adjustment: Adjustment | None = None,
    plan: InstallmentPlan | None = None,
) -> dict:
    """The context of ``kind`` for ``unit`` (and its ``case``) on ``as_of``."""
    context, arrears, claim = common_context(kind, unit, case=case, as_of=as_of, version=version)
    estate = unit.estate
    if kind == K.PAYMENT_NOTICE:
        context |= {
            "notice_count": notice_count,
            "pay_by": date_cn(as_of + dt.timedelta(days=estate.demand_deadline_days)),
            "notice_month": f"{as_of.year}年{as_of.month:02d}月",
        }
    elif kind == K.DEMAND_LETTER:
        days = estate.demand_deadline_days
        context |= {"deadline": date_cn(as_of + dt.timedelta(days=days)), "deadline_days": days}
    elif kind == K.LAWYER_LETTER:
        firm, lawyer = _law_firm(unit)
        days = estate.lawyer_letter_deadline_days
        context |= {
            "law_firm": firm,
            "lawyer": lawyer,
            "deadline": date_cn(as_of + dt.timedelta(days=days)),
            "deadline_days": days,
            "legal_basis": LEGAL_BASIS[1:],
            "demand_served_on": _served_on(case, Letter.DEMAND_LETTER),
        }
    elif kind in (K.PAYMENT_ORDER_APPLICATION, K.CIVIL_COMPLAINT):
        payment_order = kind == K.PAYMENT_ORDER_APPLICATION
        claims, total, fee = _claims(context, claim, payment_order=payment_order)
        role_self, role_other = ("申请人", "被申请人") if payment_order else ("原告", "被告")
        context |= {
            "court": {"name": estate.court_name},
            "court_fee": fee,
            "claims": claims,
            "claim_total": _money(total),
            "claim_total_capital": _capitals(total),
            "facts": _facts(context, role_self=role_self, role_other=role_other)
            + _late_fee_fact(claim, role_self=role_self),
            "demand_served_on": _served_on(case, Letter.DEMAND_LETTER),
        }
        if not payment_order:
            context |= {
                "reasons": LEGAL_BASIS,
                "lawyer_letter_served_on": _served_on(case, Letter.LAWYER_LETTER),
            }
    elif kind == K.CALCULATION_TABLE:
        context |= calculation_table_context(case, as_of=as_of)
    elif kind == K.EVIDENCE_LIST:
        entries = list(EvidenceEntry.objects.filter(case=case).order_by("seq")) if case else []
        problem = evidence_status(case) if case else None
        context |= {
            "court": {"name": estate.court_name},
            "items": _evidence_items(entries),
            "chain_status": (
                f"证据链校验通过（共{len(entries)}条）"
                if problem is None
                else f"证据链在第{problem.seq}条处校验失败：{problem.reason}"
            ),
        }
    elif kind == K.LAWYER_LETTER_WITHDRAWAL:
        firm, lawyer = _law_firm(unit)
        settled = withdrawal_settlement(unit, case, arrears, creditor="委托人")
        context |= settled | {
            "law_firm": firm,
            "lawyer": lawyer,
            "lawyer_letter_date": _lawyer_letter_date(case),
            "doc_date": date_cn_plain(as_of),
            "reason": f"业主{settled['settlement']}",
        }
    elif kind == K.LAWSUIT_WITHDRAWAL:
        refusal = court_case_number_refusal(case) if case is not None else None
        if refusal:
            raise MissingFact(refusal)
        payment_order = case is not None and case.litigation_kind == LitigationKind.PAYMENT_ORDER
        role = "被申请人" if payment_order else "被告"
        settled = withdrawal_settlement(unit, case, arrears, creditor="申请人")
        claim_filed = _claim_filed(case, claim)
        # Art. 15 halves only the 案件受理费 of a withdrawn lawsuit; the payment-order fee
        # (art. 14, a third) is not halved.
        fee = court_fee(claim_filed, procedure="payment_order" if payment_order else "withdrawn")
        context |= settled | {
            "court": {"name": case.court if case and case.court else estate.court_name},
            "court_case_number": case.court_case_number if case else "",
            "filed_on": date_cn_plain(case.filed_on) if case and case.filed_on else "",
            "doc_date": date_cn_plain(as_of),
            "procedure": "payment_order" if payment_order else "lawsuit",
            "reason": (
                f"{role}{settled['settlement']}，"
                + ("申请人申请撤回支付令申请" if payment_order else "原告申请撤回起诉")
            ),
            "court_fee": {
                "claim": _money(claim_filed),
                "full": _money(fee.full),
                "payable": _money(fee.payable),
                "basis": fee.basis,
            },
        }
    elif kind == K.INSTALLMENT_AGREEMENT:
        plan = plan or (
            case.installment_plans.filter(
                status__in=[InstallmentPlan.Status.APPROVED, InstallmentPlan.Status.SIGNED]
            ).first()
            if case
            else None
        )
        if plan is None:
            raise MissingFact(
                _(
                    "No approved installment plan on this case: an installment agreement states "
                    "the agreed schedule, so there is nothing to print yet."
                )
            )
        schedule = list(plan.installments.all())
        total = plan.total
        context |= {
            "schedule": [
                {
                    "no": i.number,
                    "due_date": date_cn(i.due_date),
                    "amount": _money(i.amount),
                    "amount_capital": _capitals(i.amount),
                }
                for i in schedule
            ],
            "installment_count": len(schedule),
            "plan_total": _money(total),
            "plan_total_capital": _capitals(total),
            "default_days": estate.installment_default_days,
            "reason": plan.reason,
            "late_fee_accrues_during_plan": estate.late_fee_accrues_during_plan,
        }
    elif kind in (K.SERVICE_ADDRESS_CONFIRMATION, K.POWER_OF_ATTORNEY):
        context |= filing_form_context(kind, unit=unit, case=case, context=context, as_of=as_of)
    elif kind == K.WAIVER_APPROVAL:
        a = adjustment
        if a is None:
            raise MissingFact(
                _("No approved waiver: a waiver approval form records a decided waiver.")
            )
        before = arrears.late_fee + a.amount
        context |= {
            "waiver": {
                "amount": _money(a.amount),
                "amount_capital": _capitals(a.amount),
                "reason_category": str(a.get_reason_category_display()),
                "reason": a.reason,
                "requested_by": _person(a.requested_by),
                "requested_on": date_cn(timezone.localtime(a.created_at).date()),
                "approved_by": _person(a.approved_by),
                "approved_on": date_cn(a.effective_on),
                "late_fee_before": _money(before),
                "late_fee_after": _money(arrears.late_fee),
            }
        }
    return context


def _evidence_items(entries: list[EvidenceEntry]) -> list[dict]:
    """One row per evidence entry, and one per file it carries (photos, recordings,
    receipts, documents), each with the SHA-256 a court can check."""
    items = []
    for entry in entries:
        at = timezone.localtime(entry.recorded_at)
        files = json.loads(entry.body).get("files") or []
        proves = EVIDENCE_PROVES.get(entry.kind, CHAIN_ONLY)
        if entry.kind == "document":
            document_kind = json.loads(entry.body).get("data", {}).get("kind", "")
            proves = DOCUMENT_PROVES.get(document_kind, CHAIN_ONLY)
        base = {
            "date": f"{date_cn(at.date())} {at:%H:%M}",
            "kind": EVIDENCE_KIND_ZH.get(entry.kind, entry.kind),
            "proves": proves,
        }
        # numbered by the entry's place in the chain; a second file of one entry is 6.2
        if not files:
            items.append(
                base | {"no": entry.seq, "description": entry.summary, "sha256": entry.hash}
            )
        for n, sha in enumerate(files, start=1):
            suffix = f"（附件{n}）" if len(files) > 1 else "（附件）"
            items.append(
                base
                | {
                    "no": entry.seq if n == 1 else f"{entry.seq}.{n}",
                    "description": entry.summary + suffix,
                    "sha256": sha,
                }
            )
    return items


def _person(user) -> str:
    return user.get_full_name() or user.get_username()


def _lawyer_letter_date(case: Case | None) -> str:
    if case is None:
        return NOT_RECORDED
    entry = (
        EvidenceEntry.objects.filter(
            case=case, kind="transition", body__contains='"to":"lawyer_letter"'
        )
        .order_by("-seq")
        .first()
    )
    return date_cn_plain(timezone.localtime(entry.recorded_at).date()) if entry else NOT_RECORDED


def _claim_filed(case: Case | None, claim: Claim) -> Decimal:
    """The claim as filed with the court (from the complaint or application generated at
    filing); by the time of a withdrawal the owner has usually paid, so today's arrears are
    no basis for the fee."""
    from legal_docs.models import LegalDocument

    filed = (
        LegalDocument.objects.filter(
            case=case, kind__in=[K.CIVIL_COMPLAINT, K.PAYMENT_ORDER_APPLICATION]
        )
        .order_by("-version")
        .values_list("context", flat=True)
        .first()
        if case is not None
        else None
    )
    if filed and filed.get("claim_total"):
        return Decimal(filed["claim_total"].replace(",", ""))
    return claim.total


def litigation_document_kind(case: Case) -> str:
    return (
        K.PAYMENT_ORDER_APPLICATION
        if case.litigation_kind == LitigationKind.PAYMENT_ORDER
        else K.CIVIL_COMPLAINT
    )


def calculation_table_context(case: Case | None, *, as_of: dt.date) -> dict:
    """The 欠费明细及滞纳金计算表 of ``case`` (``legal_docs.calculation_table.calculation_rows``):
    rows of formatted strings, the claim's totals, dates without zero padding.
    Raises ``ValidationError`` naming ``case`` without a case (the table is a case's claim)."""
    from legal_docs.calculation_table import calculation_rows, date_zh

    if case is None:
        raise ValidationError({"case": _("The calculation table is made for a case.")})
    table = calculation_rows(case, as_of=as_of)
    return {
        "court": {"name": case.court or case.unit.estate.court_name},
        "table_date": date_zh(as_of),
        "calc": {
            "rows": [
                {
                    "no": n,
                    "item": r.item,
                    "period": r.period,
                    "basis": r.basis,
                    "amount": _money(r.amount),
                    "due_date": r.due_date,
                    "paid": _money(r.paid),
                    "waived": _money(r.waived),
                    "outstanding": _money(r.outstanding),
                    "days_late": "—" if r.days_late is None else str(r.days_late),
                    "rate": r.rate,
                    "late_fee_contractual": _money(r.late_fee_contractual),
                    "late_fee_claimed": _money(r.late_fee_claimed),
                }
                for n, r in enumerate(table.rows, start=1)
            ],
            "remarks": [f"第{n}项：{r.remarks}" for n, r in enumerate(table.rows, 1) if r.remarks],
            "principal": _money(table.principal),
            "late_fee_contractual": _money(table.late_fee_contractual),
            "late_fee_claimed": _money(table.late_fee_claimed),
            "total": _money(table.total),
            "total_capital": _capitals(table.total),
            "basis": table.basis,
            "as_of": table.as_of,
        },
    }


# --- 送达地址确认书 and 授权委托书 (issue 13 part 2) -----------------------------------------

SPECIAL_POWERS = "代为承认、放弃、变更诉讼请求，进行和解，提起反诉或者上诉"
_MOBILE = re.compile(r"^1\d{10}$")


def _require(facts: dict[str, tuple[str, str]]) -> None:
    """``facts``: field → (value, what it is). A blank one stops generation, naming it."""
    missing = {field: what for field, (value, what) in facts.items() if not str(value).strip()}
    if missing:
        raise MissingFact(
            {
                field: _("Not recorded: %(what)s. Record it before generating this document.")
                % {"what": what}
                for field, what in missing.items()
            }
        )


def filing_form_context(
    kind: str, *, unit: Unit, case: Case | None, context: dict, as_of: dt.date
) -> dict:
    """The 送达地址确认书 or 授权委托书 of the company as plaintiff (applicant) in ``case``.

    Service goes to the company's address (``Estate.company_address``) on its legal
    representative at the office phone, or — when ``Estate.service_via_lawyer`` — to the law
    firm on the lawyer. The power of attorney gives general authority unless
    ``Estate.attorney_special_authority`` grants the special powers (民诉法 art. 62).
    Dates unpadded (2026年12月4日). Raises ``MissingFact`` naming every fact the form
    needs that the estate does not record (company identity, lawyer, address, court)."""
    e = unit.estate
    payment_order = case is not None and case.litigation_kind == LitigationKind.PAYMENT_ORDER
    facts = {
        "company_name": (e.company_name, _("the company's name")),
        "company_credit_code": (e.company_credit_code, _("the company's credit code")),
        "company_legal_representative": (
            e.company_legal_representative,
            _("the company's legal representative"),
        ),
        "court_name": (case.court if case and case.court else e.court_name, _("the court")),
        "owner": (context["owner"]["name"], _("the defendant's name")),
    }
    firm, lawyer = _law_firm(unit)
    lawyer_facts = {
        "lawyer_name": (e.lawyer_name, _("the lawyer (受托人)")),
        "law_firm_name": (e.law_firm_name, _("the lawyer's law firm")),
        "lawyer_license_no": (e.lawyer_license_no, _("the lawyer's licence number")),
        "lawyer_phone": (e.lawyer_phone, _("the lawyer's phone")),
    }
    out = {
        "court": {"name": facts["court_name"][0]},
        "procedure": "payment_order" if payment_order else "lawsuit",
        "role": "申请人" if payment_order else "原告",
        "cause": (
            f"申请人{e.company_name}申请向被申请人{context['owner']['name']}发出支付令"
            if payment_order
            else f"原告{e.company_name}诉被告{context['owner']['name']}物业服务合同纠纷"
        ),
        "doc_date": date_cn_plain(as_of),
    }
    if kind == K.POWER_OF_ATTORNEY:
        _require(facts | lawyer_facts)
        special = e.attorney_special_authority
        return out | {
            "legal_representative_title": e.company_legal_representative_title or "法定代表人",
            "law_firm": firm,
            "lawyer": lawyer,
            "authority": {
                "special": special,
                "label": "特别授权" if special else "一般授权",
                "powers": SPECIAL_POWERS if special else "",
            },
            "term": "自本委托书签署之日起至"
            + ("本案督促程序终结之日止" if payment_order else "本案一审程序终结之日止"),
        }
    if e.service_via_lawyer:
        _require(
            facts
            | lawyer_facts
            | {"law_firm_address": (e.law_firm_address, _("the law firm's address"))}
        )
        address, recipient, phone = e.law_firm_address, e.lawyer_name, e.lawyer_phone
    else:
        _require(
            facts
            | {
                "company_address": (e.company_address, _("the company's address")),
                "office_phone": (e.office_phone, _("the company's phone")),
            }
        )
        address, recipient, phone = (
            e.company_address,
            e.company_legal_representative,
            e.office_phone,
        )
    mobile = phone if _MOBILE.match(phone) else ""
    if e.accepts_electronic_service and not (e.service_email or mobile):
        _require({"service_email": ("", _("the email for electronic service"))})
    return out | {
        "lawyer": lawyer,
        "service": {
            "address": address,
            "recipient": recipient,
            "phone": phone,
            "postal_code": e.company_postal_code if not e.service_via_lawyer else "",
            "via_lawyer": e.service_via_lawyer,
            "electronic": e.accepts_electronic_service,
            "email": e.service_email if e.accepts_electronic_service else "",
            "mobile": mobile if e.accepts_electronic_service else "",
        },
    }
