"""A realistic case for the document tests, walked through the stages by the services.

``CaseStory`` builds the estate 翠湖花园 with every field a document prints (company, law firm,
lawyer, court), unit 3幢-1201 whose owner's name carries ``& < > " '``, 14 months of
management fee and three water bills, one user per role, and then walks the case with
``case_transition`` inside ``django_capture_on_commit_callbacks(execute=True)``, so that the
after-commit signal → Celery task (eager) → ``legal_doc_generate`` chain really runs.

The ledger uses fixed past dates (so amounts are known to the cent); the steps of the case
are dated relative to today (``as_of=`` on each transition, delivery dates in the past), since
a delivery cannot be recorded in the future and the documents of a transition are dated the
day its evidence entry was recorded.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import struct
import zlib
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from cases.models import (
    Case,
    Channel,
    ChargeItem,
    DeliveryStatus,
    Estate,
    EvidenceEntry,
    EvidenceKind,
    Installment,
    InstallmentPlan,
    LitigationKind,
    Outcome,
    Party,
    Stage,
    Unit,
    UnitParty,
)
from cases.roles import Role
from cases.selectors.ledger import arrears_for_unit, money
from cases.services.case import case_assign, case_open, case_transition, contact_log
from cases.services.ledger import charge_issue, payment_record
from cases.storage import blob_path, blob_read
from legal_docs.kinds import DocumentKind
from legal_docs.models import DocumentTemplate, LegalDocument
from legal_docs.rendering import docx_text
from legal_docs.services import legal_doc_record_delivery, templates_sync_builtin
from tests.factories import user_in_role

OWNER_NAME = "张三 & 李四 <联名> \"业主\" '甲'"
MONTHLY_FEE = Decimal("795.90")  # 189.50 m² × 4.20 CNY
FEE_MONTHS = [dt.date(2025 + (5 + i) // 12, (5 + i) % 12 + 1, 1) for i in range(14)]
WATER_BILLS = {
    dt.date(2025, 9, 1): Decimal("86.40"),
    dt.date(2025, 10, 1): Decimal("102.15"),
    dt.date(2025, 11, 1): Decimal("93.80"),
}
FEE_TOTAL = MONTHLY_FEE * len(FEE_MONTHS)  # 11,142.60
WATER_TOTAL = sum(WATER_BILLS.values(), Decimal(0))  # 282.35
PRINCIPAL = FEE_TOTAL + WATER_TOTAL  # 11,424.95
COURT = "杭州市西湖区人民法院"
COURT_CASE_NUMBER = "（2026）浙0106民初1234号"
LATE_FEE_RATE = Decimal("0.001")

ESTATE_FIELDS = {
    "company_name": "翠湖物业服务有限公司",
    "company_address": "杭州市西湖区翠湖路88号",
    "company_credit_code": "91330106MA2CUIHU0Q",
    "company_legal_representative": "王建国",
    "office_address": "翠湖花园物业服务中心（3幢1楼）",
    "office_phone": "0571-88886667",
    "city": "杭州市",
    "law_firm_name": "浙江明法律师事务所",
    "law_firm_address": "杭州市上城区解放路100号",
    "law_firm_phone": "0571-87001234",
    "lawyer_name": "陈明",
    "lawyer_license_no": "13301200810012345",
    "lawyer_phone": "13900001111",
    "company_postal_code": "311100",
    "company_legal_representative_title": "执行董事",
    "service_email": "legal@cuihu-wy.example.cn",
    "accepts_electronic_service": True,
    "court_name": COURT,
    "late_fee_daily_rate": LATE_FEE_RATE,
    "grace_days": 0,
}


def make_estate(*, name: str = "翠湖花园", code: str = "cuihu") -> Estate:
    """An estate with every field a document prints filled in."""
    return Estate.objects.create(name=name, code=code, **ESTATE_FIELDS)


def month_end(first: dt.date) -> dt.date:
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def issue_monthly(unit: Unit, first: dt.date, amount: Decimal, *, item=ChargeItem.MANAGEMENT_FEE):
    """One charge for the month starting ``first``, due on the 15th (water on the 25th)."""
    due_day = 25 if item == ChargeItem.WATER else 15
    return charge_issue(
        unit,
        item=item,
        period_start=first,
        period_end=month_end(first),
        amount=amount,
        due_date=first.replace(day=due_day),
        issued_on=first,
    )


def png_image() -> bytes:
    """A valid 2 × 2 PNG (a photo of the posted notice, as far as the sniffing goes)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def mp3_recording(tag: bytes = b"") -> bytes:
    """The start of an MP3 call recording: an ID3v2 tag and one MPEG frame header."""
    return b"ID3\x03\x00\x00\x00\x00\x00\x0f" + b"\xff\xfb\x90\x64" + tag + bytes(413)


def pdf_receipt(text: str = "EMS 1234567890 signed") -> bytes:
    """A small PDF: the scanned receipt of a registered letter."""
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n% "
        + text.encode()
        + b"\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )


def ensure_builtin_templates() -> None:
    """The shipped templates are versions (post_migrate made them) whose files are in this
    session's store; re-synced only when a file is missing (a reused test database)."""
    templates = DocumentTemplate.objects.all()
    if len(templates) < len(DocumentKind) or any(
        not blob_path(t.sha256).exists() for t in templates
    ):
        templates_sync_builtin()


def cn_date(day: dt.date) -> str:
    """A date as documents write it, computed here independently: 2026年01月05日."""
    return f"{day.year}年{day.month:02d}月{day.day:02d}日"


def figures(amount: Decimal) -> str:
    """An amount in figures as documents write it: 11,424.95."""
    return f"{amount:,.2f}"


def document_text(document: LegalDocument) -> str:
    """What the owner (or the court) reads in the stored .docx."""
    return docx_text(blob_read(document.sha256), headers_footers=True)


def entry_data(entry: EvidenceEntry) -> dict:
    """The payload of an evidence entry, from the exact bytes that were hashed."""
    return json.loads(entry.body)["data"]


class CaseStory:
    """The estate, the unit, its owner, the staff, and the case walked step by step.

    Every step goes through the services; steps that change the stage run inside
    ``django_capture_on_commit_callbacks(execute=True)`` so the documents are generated."""

    def __init__(self, capture):
        ensure_builtin_templates()
        self.capture = capture
        self.today = timezone.localdate()
        self.estate = make_estate()
        self.collector = user_in_role(Role.COLLECTOR, username="zhao_cs", first_name="赵催收")
        self.legal = user_in_role(Role.LEGAL_OFFICER, username="li_fw", first_name="李法务")
        self.manager = user_in_role(Role.MANAGER, username="wang_jl", first_name="王经理")
        self.finance = user_in_role(Role.FINANCE, username="sun_cw", first_name="孙财务")
        # Buildings are written 3幢, as in the documented sample context (contexts_schema).
        self.unit = Unit.objects.create(
            estate=self.estate, building="3幢", number="1201", area=Decimal("189.50")
        )
        self.owner = Party.objects.create(
            name=OWNER_NAME,
            id_number="330106198001011234",
            phone="13812345678",
            address="杭州市西湖区翠湖路88号翠湖花园3幢1201室",
        )
        UnitParty.objects.create(unit=self.unit, party=self.owner, role=UnitParty.Role.OWNER)
        for first in FEE_MONTHS:
            issue_monthly(self.unit, first, MONTHLY_FEE)
        for first, amount in WATER_BILLS.items():
            issue_monthly(self.unit, first, amount, item=ChargeItem.WATER)
        self.case: Case | None = None

    # --- the clock -----------------------------------------------------------------------

    def days_ago(self, days: int) -> dt.date:
        return self.today - dt.timedelta(days=days)

    # --- steps ---------------------------------------------------------------------------

    def transition(self, name: str, *, actor, as_of: dt.date | None = None, **params) -> Case:
        """``case_transition`` on a fresh read of the case, its after-commit work executed,
        with the clock at ``as_of`` (its documents bear that date, so a letter delivered
        after ``as_of`` is delivered after its document)."""
        day = as_of or self.today
        moment = dt.datetime.combine(day, dt.time(10), tzinfo=timezone.get_current_timezone())
        with time_machine.travel(moment, tick=False), self.capture(execute=True):
            self.case = case_transition(self.fresh(), name, actor=actor, as_of=day, **params)
        return self.case

    def open(self) -> Case:
        self.case = case_open(self.unit, actor=self.manager, on=self.days_ago(130))
        case_assign(
            self.case, actor=self.manager, collector=self.collector, legal_officer=self.legal
        )
        return self.fresh()

    def remind(self) -> Case:
        """Friendly reminders: a recorded call, a delivered SMS, a visit with photo and
        recording (two files in one entry), so the demand guard is met."""
        self.transition("start_reminding", actor=self.collector, as_of=self.days_ago(120))
        contact_log(
            self.fresh(),
            actor=self.collector,
            channel=Channel.PHONE,
            outcome=Outcome.REACHED,
            notes="业主称资金紧张 & 要求减免 <滞纳金>",
            attachments=[("recording", mp3_recording(b"call"), "通话录音.mp3")],
        )
        contact_log(
            self.fresh(),
            actor=self.collector,
            channel=Channel.SMS,
            outcome=Outcome.NO_ANSWER,
            delivery_confirmed=True,
        )
        contact_log(
            self.fresh(),
            actor=self.collector,
            channel=Channel.HOME_VISIT,
            outcome=Outcome.REFUSED,
            witness="保安 刘某",
            attachments=[
                ("photo", png_image(), "上门照片.png"),
                ("recording", mp3_recording(b"visit"), "上门录音.mp3"),
            ],
        )
        return self.fresh()

    def deliver(self, document: LegalDocument, *, days_ago: int, status=DeliveryStatus.SIGNED):
        return legal_doc_record_delivery(
            document,
            actor=self.legal,
            status=status,
            delivered_on=self.days_ago(days_ago),
            method=Channel.REGISTERED_MAIL,
            proof=pdf_receipt(f"{document.kind} {status}"),
            proof_name="签收回执.pdf",
        )

    def demand(self, *, deliver: bool = True) -> Case:
        """The demand letter, issued 90 days ago and signed for two days later."""
        self.transition("issue_demand", actor=self.legal, as_of=self.days_ago(90))
        if deliver:
            self.deliver(self.document(DocumentKind.DEMAND_LETTER), days_ago=88)
        return self.fresh()

    def lawyer_letter(self, *, deliver: bool = True) -> Case:
        """The lawyer letter, after the demand's 15 days expired; signed for 68 days ago."""
        self.transition("issue_lawyer_letter", actor=self.legal, as_of=self.days_ago(70))
        if deliver:
            self.deliver(self.document(DocumentKind.LAWYER_LETTER), days_ago=68)
        return self.fresh()

    def litigate(self, kind: str = LitigationKind.LAWSUIT) -> Case:
        return self.transition(
            "file_litigation",
            actor=self.legal,
            as_of=self.days_ago(50),
            kind=kind,
            court=COURT,
            filed_on=self.days_ago(50),
            court_case_number=COURT_CASE_NUMBER,
        )

    def walk_to_litigation(self, kind: str = LitigationKind.LAWSUIT) -> Case:
        self.open()
        self.remind()
        self.demand()
        self.lawyer_letter()
        return self.litigate(kind)

    def pay_in_full(self):
        """The owner pays principal and late fee today; the case asks for a withdrawal."""
        owed = arrears_for_unit(self.unit, as_of=self.today)
        with self.capture(execute=True):
            payment = payment_record(
                self.unit,
                amount=owed.remainder,  # what is still to settle, to the fen
                paid_on=self.today,
                actor=self.finance,
                reference="POS-20261128-0001",
                payer_name=OWNER_NAME,
            )
        return payment

    def approved_plan(self, *, count: int = 3) -> InstallmentPlan:
        """An approved installment plan of what is owed today, in ``count`` monthly parts."""
        owed = arrears_for_unit(self.unit, as_of=self.today)
        total = money(owed.principal + owed.late_fee)
        part = (total / count).quantize(Decimal("0.01"))
        plan = InstallmentPlan.objects.create(
            case=self.fresh(),
            status=InstallmentPlan.Status.APPROVED,
            total=total,
            reason="业主失业，家庭生活困难 & 申请分期",
            requested_by=self.legal,
            approved_by=self.manager,
            decided_at=timezone.now(),
        )
        for number in range(1, count + 1):
            amount = part if number < count else total - part * (count - 1)
            Installment.objects.create(
                plan=plan,
                number=number,
                due_date=self.today + dt.timedelta(days=30 * number),
                amount=amount,
            )
        return plan

    # --- reading -------------------------------------------------------------------------

    def fresh(self) -> Case:
        return Case.objects.select_related("unit__estate").get(pk=self.case.pk)

    def documents(self, kind: str | None = None) -> list[LegalDocument]:
        qs = LegalDocument.objects.filter(case=self.case).order_by("id")
        return list(qs.filter(kind=kind) if kind else qs)

    def document(self, kind: str) -> LegalDocument:
        found = self.documents(kind)
        assert found, f"no {kind} document on case {self.case.pk}"
        return found[-1]

    def entries(self, kind: str | None = None) -> list[EvidenceEntry]:
        qs = EvidenceEntry.objects.filter(case=self.case).order_by("seq")
        return list(qs.filter(kind=kind) if kind else qs)

    def transition_entry(self, to: str) -> EvidenceEntry:
        """The latest evidence entry of a transition into stage ``to``."""
        found = [e for e in self.entries(EvidenceKind.TRANSITION) if entry_data(e)["to"] == to]
        assert found, f"no transition to {to}"
        return found[-1]


@pytest.fixture
def story(db, django_capture_on_commit_callbacks, frozen_clock) -> CaseStory:
    """The estate, unit, owner, charges and staff; no case opened yet."""
    return CaseStory(django_capture_on_commit_callbacks)


@pytest.fixture
def litigation_story(story) -> CaseStory:
    """The case walked new → reminding → demand letter (signed) → lawyer letter (signed) →
    litigation (a lawsuit filed 50 days ago)."""
    story.walk_to_litigation()
    assert story.fresh().stage == Stage.LITIGATION
    return story
