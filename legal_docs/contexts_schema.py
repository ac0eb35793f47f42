"""The documented context of every document kind.

``SAMPLE_CONTEXTS[kind]`` is both the documentation (every variable a template of that kind
may use, with a realistic value) and the yardstick an uploaded template is checked against:
a template that uses a variable not in its kind's sample is refused. The context builders in
``legal_docs.contexts`` produce exactly this shape from a case. All values are already
formatted strings (amounts with thousands separators, dates as 2026年11月28日), lists are
lists of dicts, so templates do no arithmetic.
"""

from __future__ import annotations

import copy

from legal_docs.kinds import DocumentKind as K

# --- parts shared by several kinds -------------------------------------------------------

COMPANY = {
    "name": "翠湖物业服务有限公司",
    "address": "杭州市西湖区翠湖路88号",
    "phone": "0571-88886666",
    "credit_code": "91330106MA2XXXXX0Q",
    "legal_representative": "王建国",
    "office_address": "翠湖花园物业服务中心（3幢1楼）",
    "office_phone": "0571-88886667",
}
ESTATE = {"name": "翠湖花园", "city": "杭州市", "address": "杭州市西湖区翠湖路88号"}
UNIT = {
    "label": "3幢-1201",
    "building": "3幢",
    "number": "1201",
    "area": "89.50",
    "segment": "已入住",
    "address": "杭州市西湖区翠湖路88号翠湖花园3幢1201室",
}
OWNER = {
    "name": '张三 & 李四 <联名> "业主"',
    "id_number": "330106198001011234",
    "phone": "13812345678",
    "address": "杭州市西湖区翠湖路88号翠湖花园3幢1201室",
    "kind": "自然人",
}
ARREARS = {
    "items": [
        {
            "item": "物业管理费",
            "months": "2025年1月至2025年12月",
            "month_count": 12,
            "amount": "2,685.00",
        },
        {
            "item": "公共维修金",
            "months": "2025年1月至2025年12月",
            "month_count": 12,
            "amount": "268.50",
        },
        {"item": "水费", "months": "2025年3月至2025年6月", "month_count": 4, "amount": "156.00"},
    ],
    "periods": [
        {
            "period": "2025年01月",
            "item": "物业管理费",
            "due_date": "2025年01月15日",
            "amount": "223.75",
        },
    ],
    "principal": "3,109.50",
    "principal_capital": "人民币叁仟壹佰零玖元伍角",
    "late_fee": "409.12",
    "late_fee_capital": "人民币肆佰零玖元壹角贰分",
    "total": "3,518.62",
    "total_capital": "人民币叁仟伍佰壹拾捌元陆角贰分",
    # the contractual late fee, and the claimed one (``late_fee``) with its basis; they differ
    # (``late_fee_capped``) when the estate's claim policy caps the claim (cases.claims)
    "late_fee_contractual": "409.12",
    "late_fee_contractual_capital": "人民币肆佰零玖元壹角贰分",
    "late_fee_basis": "按合同约定日千分之一计算",
    "late_fee_capped": False,
    "late_fee_rate": "千分之一",
    "late_fee_in_contract": True,
    # charges past their limitation period, left out of every amount above
    "time_barred": [
        {
            "period": "2022年01月",
            "item": "物业管理费",
            "due_date": "2022年1月15日",
            "amount": "223.75",
            "late_fee": "0.00",
        },
    ],
    "time_barred_total": "223.75",
    "oldest_due_date": "2025年01月15日",
    "days_overdue": 683,
    "as_of": "2026年11月28日",
}
CASE = {"number": "CS-000123", "opened_on": "2026年01月31日", "stage": "律师函"}
COMMON = {
    "company": COMPANY,
    "estate": ESTATE,
    "unit": UNIT,
    "owner": OWNER,
    "arrears": ARREARS,
    "case": CASE,
    "doc_number": "翠湖催〔2026〕第0123号",
    "doc_date": "2026年11月28日",
}
LAW_FIRM = {
    "name": "浙江明法律师事务所",
    "address": "杭州市上城区解放路100号",
    "phone": "0571-87001234",
}
LAWYER = {"name": "陈律师", "license_no": "13301200810012345", "phone": "13900001111"}
COURT = {"name": "杭州市西湖区人民法院"}
COURT_FEE = {
    "claim": "3,518.62",
    "full": "50.00",
    "payable": "50.00",
    "basis": "《诉讼费用交纳办法》第十三条：不超过1万元的，每件交纳50元",
}

LATE_FEE_CLAIM = "逾期付款违约金（滞纳金，按合同约定日千分之一计算，计至2026年11月28日）"

# --- the kinds ----------------------------------------------------------------------------

# What a withdrawal states about the settlement (``contexts.withdrawal_settlement``): the
# payments received during the case, the approved waivers, and the sentence built from them.
WITHDRAWAL_SETTLEMENT = {
    "payments": [{"paid_on": "2026年11月20日", "amount": "3,000.00", "reference": "R-1001"}],
    "waivers": [
        {
            "what": "滞纳金",
            "amount": "358.17",
            "approved_on": "2026年11月25日",
            "approved_by": "王经理",
            "reason_category": "困难减免",
        }
    ],
    "paid_in_full_without_waiver": False,
    "settlement": "已于2026年11月20日缴纳人民币3,000.00元（收据号R-1001）；其余滞纳金人民币"
    "358.17元经委托人于2026年11月25日同意予以减免，本案欠费已结清",
}


SAMPLE_CONTEXTS: dict[str, dict] = {
    K.PAYMENT_NOTICE: COMMON
    | {
        "notice_count": 2,
        "pay_by": "2026年12月15日",
        "notice_month": "2026年11月",
    },
    K.DEMAND_LETTER: COMMON
    | {
        "deadline": "2026年12月13日",
        "deadline_days": 15,
    },
    K.LAWYER_LETTER: COMMON
    | {
        "law_firm": LAW_FIRM,
        "lawyer": LAWYER,
        "deadline": "2026年12月13日",
        "deadline_days": 15,
        "legal_basis": [
            "《中华人民共和国民法典》第九百四十四条：业主违反约定逾期不支付物业费的，物业服务人"
            "可以催告其在合理期限内支付；合理期限届满仍不支付的，物业服务人可以提起诉讼或者申请"
            "仲裁。",
            "《物业管理条例》第七条：业主在物业管理活动中，应当按时交纳物业服务费用。",
        ],
        "demand_served_on": "2026年10月01日",
    },
    K.PAYMENT_ORDER_APPLICATION: COMMON
    | {
        "court": COURT,
        "court_fee": COURT_FEE
        | {"payable": "16.67", "basis": "支付令申请费按财产案件受理费标准的三分之一交纳"},
        "claims": [
            {
                "no": 1,
                "text": "请求法院向被申请人发出支付令，督促被申请人支付拖欠的物业服务费等费用",
                "amount": "3,109.50",
            },
            {"no": 2, "text": "支付" + LATE_FEE_CLAIM, "amount": "409.12"},
        ],
        "claim_total": "3,518.62",
        "claim_total_capital": "人民币叁仟伍佰壹拾捌元陆角贰分",
        "facts": [
            "申请人为翠湖花园提供物业服务，被申请人系3幢-1201室业主。",
            "被申请人自2025年01月15日起未按约缴纳物业服务费，经多次催告仍未支付。",
        ],
        "demand_served_on": "2026年10月01日",
    },
    K.CIVIL_COMPLAINT: COMMON
    | {
        "court": COURT,
        "court_fee": COURT_FEE,
        "claims": [
            {"no": 1, "text": "判令被告支付拖欠的物业服务费等费用", "amount": "3,109.50"},
            {"no": 2, "text": "判令被告支付" + LATE_FEE_CLAIM, "amount": "409.12"},
            {"no": 3, "text": "本案诉讼费用由被告承担", "amount": ""},
        ],
        "claim_total": "3,518.62",
        "claim_total_capital": "人民币叁仟伍佰壹拾捌元陆角贰分",
        "facts": [
            "原告为翠湖花园提供物业服务，被告系3幢-1201室业主。",
            "被告自2025年01月15日起未按约缴纳物业服务费，原告多次催告，被告仍未支付。",
        ],
        "reasons": [
            "依据《中华人民共和国民法典》第九百三十七条、第九百四十四条，被告应当按约支付物业费。",
        ],
        "demand_served_on": "2026年10月01日",
        "lawyer_letter_served_on": "2026年10月20日",
    },
    K.EVIDENCE_LIST: COMMON
    | {
        "court": COURT,
        "items": [
            {
                "no": 1,
                "date": "2026年01月31日 10:00",
                "kind": "立案",
                "description": "案件立案",
                "sha256": "a" * 64,
                "proves": "欠费事实",
            },
        ],
        "chain_status": "证据链校验通过（共1条）",
    },
    K.LAWYER_LETTER_WITHDRAWAL: COMMON
    | WITHDRAWAL_SETTLEMENT
    | {
        "law_firm": LAW_FIRM,
        "lawyer": LAWYER,
        "lawyer_letter_date": "2026年10月15日",
        "reason": "业主已于2026年11月20日缴纳人民币3,000.00元；其余滞纳金人民币358.17元经委托人"
        "于2026年11月25日同意予以减免，本案欠费已结清",
    },
    K.LAWSUIT_WITHDRAWAL: COMMON
    | WITHDRAWAL_SETTLEMENT
    | {
        "court": COURT,
        "court_case_number": "（2026）浙0106民初1234号",
        "filed_on": "2026年11月1日",
        "procedure": "lawsuit",  # or "payment_order": the 撤回支付令申请书 wording
        "reason": "被告已于2026年11月20日缴清全部欠费，原告申请撤回起诉",
        # a lawsuit: full and halved (art. 15); a payment order: payable is the art. 14
        # third, not halved
        "court_fee": COURT_FEE | {"payable": "25.00", "basis": "撤诉减半交纳"},
    },
    K.INSTALLMENT_AGREEMENT: COMMON
    | {
        "schedule": [
            {
                "no": 1,
                "due_date": "2026年12月15日",
                "amount": "1,172.88",
                "amount_capital": "人民币壹仟壹佰柒拾贰元捌角捌分",
            },
            {
                "no": 2,
                "due_date": "2027年01月15日",
                "amount": "1,172.87",
                "amount_capital": "人民币壹仟壹佰柒拾贰元捌角柒分",
            },
            {
                "no": 3,
                "due_date": "2027年02月15日",
                "amount": "1,172.87",
                "amount_capital": "人民币壹仟壹佰柒拾贰元捌角柒分",
            },
        ],
        "installment_count": 3,
        "plan_total": "3,518.62",
        "plan_total_capital": "人民币叁仟伍佰壹拾捌元陆角贰分",
        "default_days": 10,
        "reason": "家庭生活困难",
        # Estate term: does late fee keep accruing on the plan's arrears while it runs?
        "late_fee_accrues_during_plan": True,
    },
    K.WAIVER_APPROVAL: COMMON
    | {
        "waiver": {
            "amount": "409.12",
            "amount_capital": "人民币肆佰零玖元壹角贰分",
            "reason_category": "生活困难",
            "reason": "业主失业，家庭生活困难，申请减免滞纳金",
            "requested_by": "李法务",
            "requested_on": "2026年11月20日",
            "approved_by": "王经理",
            "approved_on": "2026年11月21日",
            "late_fee_before": "409.12",
            "late_fee_after": "0.00",
        },
    },
}

# 欠费明细及滞纳金计算表: one row per charge in the claim (time-barred ones left out unless
# included, their reason in ``remarks``); dates without zero padding; totals are the claim's.
SAMPLE_CONTEXTS[K.CALCULATION_TABLE] = COMMON | {
    "court": COURT,
    "table_date": "2026年11月28日",
    "calc": {
        "rows": [
            {
                "no": 1,
                "item": "物业管理费",
                "period": "2025年6月",
                "basis": "89.50㎡ × 2.8000元/㎡/月 × 1个月 = 250.60元",
                "amount": "250.60",
                "due_date": "2025年6月15日",
                "paid": "100.00",
                "waived": "0.00",
                "outstanding": "150.60",
                "days_late": "531",
                "rate": "日千分之一",
                "late_fee_contractual": "84.97",
                "late_fee_claimed": "84.97",
            },
            {
                "no": 2,
                "item": "水费",
                "period": "2025年9月",
                "basis": "按实际用量/账单",
                "amount": "86.40",
                "due_date": "2025年9月25日",
                "paid": "0.00",
                "waived": "0.00",
                "outstanding": "86.40",
                "days_late": "429",
                "rate": "日千分之一",
                "late_fee_contractual": "37.07",
                "late_fee_claimed": "37.07",
            },
        ],
        "remarks": ["第1项：超过诉讼时效，纳入理由：业主曾书面承认该笔欠费"],
        "principal": "237.00",
        "late_fee_contractual": "122.04",
        "late_fee_claimed": "122.04",
        "total": "359.04",
        "total_capital": "人民币叁佰伍拾玖元零肆分",
        "basis": "按合同约定日千分之一计算",
        "as_of": "2026年11月28日",
    },
}


# 送达地址确认书 and 授权委托书 (issue 13): dates unpadded.
FILING_FORM = {
    "court": COURT,
    "procedure": "lawsuit",  # or "payment_order": 申请人/被申请人, 申请支付令
    "role": "原告",  # or "申请人"
    "cause": '原告翠湖物业服务有限公司诉被告张三 & 李四 <联名> "业主"物业服务合同纠纷',
    "doc_date": "2026年12月4日",
}
SAMPLE_CONTEXTS[K.SERVICE_ADDRESS_CONFIRMATION] = (
    COMMON
    | FILING_FORM
    | {
        "lawyer": LAWYER,  # named when the lawyer receives service
        "service": {
            "address": "杭州市西湖区翠湖路88号",  # the company's, or the law firm's
            "recipient": "王建国",  # the legal representative, or the lawyer
            "phone": "0571-88886667",
            "postal_code": "310012",  # "" when not recorded
            "via_lawyer": False,
            "electronic": True,  # accepts 电子送达
            "email": "legal@example.cn",
            "mobile": "",  # the recipient's mobile for SMS service, when it is one
        },
    }
)
SAMPLE_CONTEXTS[K.POWER_OF_ATTORNEY] = (
    COMMON
    | FILING_FORM
    | {
        "legal_representative_title": "执行董事",  # 法定代表人 when not recorded
        "law_firm": LAW_FIRM,
        "lawyer": LAWYER,
        "authority": {
            "special": True,
            "label": "特别授权",  # or "一般授权"
            "powers": "代为承认、放弃、变更诉讼请求，进行和解，提起反诉或者上诉",  # "" if general
        },
        "term": "自本委托书签署之日起至本案一审程序终结之日止",
    }
)


def sample_context(kind: str) -> dict:
    """A deep copy of the documented sample context of ``kind``."""
    return copy.deepcopy(SAMPLE_CONTEXTS[kind])
