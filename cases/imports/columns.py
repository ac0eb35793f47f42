"""The columns of a billing-system arrears list and the words its cells use.

Headers are matched after ``normalize_header``: case, blanks, ``_ - / : *`` and a bracketed
unit such as ``(元)`` or ``（㎡）`` are ignored, so ``应收金额(元)``, ``Amount due`` and
``amount_due`` all name the same column. Columns that match nothing are ignored (序号, 备注 …).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from cases.models import ChargeItem, Unit


@dataclass(frozen=True)
class Column:
    """One field of an import row: its canonical name, the headers that name it."""

    field: str
    label: str  # how messages name it when the file lacks it: Chinese/English
    aliases: tuple[str, ...]
    required: bool = False


COLUMNS: tuple[Column, ...] = (
    Column(
        "unit",
        "房号/unit",
        ("房号", "房屋", "房屋编号", "房间号", "房号编码", "unit", "unitno", "room"),
        required=True,
    ),
    Column("building", "楼栋/building", ("楼栋", "楼号", "栋号", "楼栋号", "幢号", "building")),
    Column(
        "owner",
        "业主/owner",
        ("业主", "业主姓名", "业主名称", "客户名称", "客户姓名", "owner", "ownername"),
    ),
    Column(
        "phone",
        "电话/phone",
        ("电话", "联系电话", "手机", "手机号", "手机号码", "联系方式", "phone", "mobile", "tel"),
    ),
    Column(
        "item",
        "费用项目/item",
        ("费用项目", "收费项目", "费项", "费用名称", "费用类型", "项目", "item", "chargeitem"),
        required=True,
    ),
    Column(
        "period",
        "所属期间/period",
        ("所属期间", "所属期", "所属月份", "期间", "账期", "计费月份", "费用期间", "period"),
        required=True,
    ),
    Column(
        "amount_due",
        "应收金额/amount_due",
        ("应收金额", "应收", "应缴金额", "应收款", "amountdue", "dueamount"),
        required=True,
    ),
    Column(
        "amount_paid",
        "已收金额/amount_paid",
        ("已收金额", "已收", "实收金额", "实收", "已缴金额", "amountpaid", "paidamount"),
    ),
    Column(
        "due_date",
        "应缴日期/due_date",
        ("应缴日期", "应收日期", "缴费期限", "到期日", "到期日期", "截止日期", "duedate"),
        required=True,
    ),
    Column(
        "paid_on",
        "缴费日期/paid_on",
        ("缴费日期", "收款日期", "实收日期", "付款日期", "paidon", "paiddate", "paymentdate"),
    ),
    Column("area", "面积/area", ("面积", "建筑面积", "计费面积", "area")),
    Column(
        "segment",
        "类型/segment",
        ("类型", "房屋类型", "房屋状态", "业态", "segment", "unittype"),
    ),
    # The record behind the claim (optional): the price the row was billed at, the unit's
    # ownership record and the owner's identity.
    Column(
        "unit_price",
        "单价/unit_price",
        ("单价", "收费单价", "计费单价", "收费标准", "unitprice", "price"),
    ),
    Column(
        "title_certificate_no",
        "不动产权证号/title_certificate_no",
        ("不动产权证号", "不动产权证", "产权证号", "房产证号", "titlecertificateno"),
    ),
    Column(
        "purchase_contract_no",
        "购房合同编号/purchase_contract_no",
        ("购房合同编号", "购房合同号", "合同编号", "purchasecontractno"),
    ),
    Column(
        "owner_id_number",
        "证件号码/owner_id_number",
        (
            "证件号码",
            "身份证号",
            "身份证号码",
            "业主身份证号",
            "业主证件号码",
            "统一社会信用代码",
            "ownerid",
            "owneridnumber",
            "idnumber",
        ),
    ),
)
# The optional columns of the record behind the claim, parsed apart from the ledger's own.
RECORD_FIELDS = ("unit_price", "title_certificate_no", "purchase_contract_no", "owner_id_number")
COLUMN_BY_FIELD = {c.field: c for c in COLUMNS}

_BRACKETED = re.compile(r"[（(【\[].*?[)）】\]]")
_IGNORED = re.compile(r"[\s_\-/:：*·.]+")


def normalize_header(text: object) -> str:
    """The comparable form of a header cell: ``应收金额(元)`` → ``应收金额``."""
    if text is None:
        return ""
    return _IGNORED.sub("", _BRACKETED.sub("", str(text))).lower()


HEADER_ALIASES: dict[str, str] = {
    normalize_header(alias): column.field for column in COLUMNS for alias in column.aliases
}


# Item names billing systems use → ChargeItem; the English codes are accepted as they are.
ITEM_WORDS: dict[str, tuple[str, ...]] = {
    ChargeItem.MANAGEMENT_FEE: (
        "物业管理费",
        "物业费",
        "管理费",
        "物管费",
        "物业服务费",
        "management fee",
    ),
    ChargeItem.MAINTENANCE_FUND: (
        "公共维修金",
        "维修基金",
        "公共维修基金",
        "维修金",
        "专项维修资金",
        "住宅专项维修资金",
    ),
    ChargeItem.WATER: ("水费", "自来水费"),
    ChargeItem.ELECTRICITY: ("电费",),
    ChargeItem.GAS: ("燃气费", "煤气费", "天然气费"),
    ChargeItem.PARKING: ("停车费", "车位费", "车位管理费", "停车管理费"),
    ChargeItem.OTHER: ("其他", "其它", "其他费用"),
}


def normalize_word(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()


ITEMS: dict[str, str] = {
    normalize_word(word): item for item, words in ITEM_WORDS.items() for word in words
} | {normalize_word(item.value): item.value for item in ChargeItem}

SEGMENT_WORDS: dict[str, tuple[str, ...]] = {
    Unit.Segment.OCCUPIED: ("已入住", "入住", "住宅", "自住", "出租"),
    Unit.Segment.VACANT: ("空置", "未入住", "空置房", "未装修"),
    Unit.Segment.SHOP: ("商铺", "商业", "底商", "门面"),
    Unit.Segment.VILLA: ("别墅",),
}
SEGMENTS: dict[str, str] = {
    normalize_word(word): segment for segment, words in SEGMENT_WORDS.items() for word in words
} | {normalize_word(segment.value): segment.value for segment in Unit.Segment}

# A row whose unit cell says one of these is the file's total line, not a unit.
TOTAL_WORDS = frozenset({"合计", "总计", "小计", "total", "subtotal"})

ITEM_HINT = _("物业管理费, 公共维修金, 水费, 电费, 燃气费, 停车费, 其他, or an English code")
