"""Fixtures for the approvals, clocks, reminders and worker tests (run them with
``--ds=tests.workflows.approvals_settings`` until config/settings/base.py installs the
approvals app). Nothing here is autouse, and nothing imports the approvals app at import
time, so the API tests in this folder (other settings) are unaffected.

``desk`` builds cases relative to today through the services (``case_open``, ``charge_issue``,
``payment_record``) and then, for tests that need a case in the middle of the state machine,
puts it there with a queryset update — a setup shortcut, never what the product does.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from django.db.models import Q
from django.utils import timezone

from cases.models import Case, EvidenceEntry, Stage
from cases.roles import Role
from cases.services.case import case_open, system_user
from cases.services.ledger import payment_record
from tests.factories import (
    EstateFactory,
    PartyFactory,
    UnitFactory,
    UnitPartyFactory,
    charge_for,
    user_in_role,
)

APPROVALS_REASON = "needs the approvals app: run with --ds=tests.workflows.approvals_settings"


def needs_approvals_app() -> None:
    from django.apps import apps

    if not apps.is_installed("workflows.approvals"):
        pytest.skip(APPROVALS_REASON)


@pytest.fixture
def system_actor_may_log_contacts(monkeypatch):
    """The system user logs the SMS it sends as contacts. Until cases/permissions.py lets
    the ``system`` role do so itself, apply that rule for the test (a no-op afterwards)."""
    import cases.services.case as case_services
    from cases import permissions

    try:
        from tests.workflows.approvals_settings import system_actor_rule
    except ImportError:  # the overlay is gone once base.py and permissions.py are merged
        return
    rule = system_actor_rule()
    if rule is not None:
        monkeypatch.setattr(permissions, "user_may_work_case", rule)
        monkeypatch.setattr(case_services, "user_may_work_case", rule)


@pytest.fixture
def sms_outbox(settings, tmp_path) -> Path:
    """The outbox file of this test (``SMS_BACKEND`` = the outbox backend)."""
    settings.SMS_BACKEND = "workflows.sms.OutboxSmsBackend"
    settings.SMS_OUTBOX = str(tmp_path / "sms-outbox.jsonl")
    return Path(settings.SMS_OUTBOX)


def outbox_lines(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


@dataclass
class Staff:
    collector: object
    legal: object
    manager: object
    other_manager: object
    system: object


@pytest.fixture
def staff(db) -> Staff:
    needs_approvals_app()
    return Staff(
        collector=user_in_role(Role.COLLECTOR, username="collector_li"),
        legal=user_in_role(Role.LEGAL_OFFICER, username="legal_zhao"),
        manager=user_in_role(Role.MANAGER, username="manager_chen"),
        other_manager=user_in_role(Role.MANAGER, username="manager_wu"),
        system=system_user(),
    )


class Desk:
    """Cases of one estate (翠湖花园), dated relative to today."""

    def __init__(self, staff: Staff):
        self.staff = staff
        self.today = timezone.localdate()
        self.estate = EstateFactory(
            name="翠湖花园",
            code="cuihu",
            company_name="翠湖物业服务有限公司",
            office_phone="0571-88886667",
            court_name="杭州市西湖区人民法院",
            law_firm_name="浙江明法律师事务所",
            lawyer_name="陈明",
        )

    def days_ago(self, days: int) -> dt.date:
        return self.today - dt.timedelta(days=days)

    def case(
        self,
        *,
        stage: str = Stage.REMINDING,
        return_stage: str = "",
        owing: str | Decimal | None = "1200.00",
        days_overdue: int = 90,
        due_date: dt.date | None = None,
        phone: str = "13800138000",
        email: str = "",
        filed: bool = False,
    ) -> Case:
        unit = UnitFactory(estate=self.estate)
        if phone or email:
            UnitPartyFactory(unit=unit, party=PartyFactory(phone=phone, email=email))
        if owing:
            charge_for(unit, owing, due_date=due_date or self.days_ago(days_overdue))
        case = case_open(
            unit, actor=self.staff.system, on=self.days_ago(30), collector=self.staff.collector
        )
        extra = {"filed_on": self.days_ago(20), "court": "杭州市西湖区人民法院"} if filed else {}
        Case.objects.filter(pk=case.pk).update(
            stage=stage, return_stage=return_stage, legal_officer=self.staff.legal, **extra
        )
        return self.fresh(case)

    def pay_in_full(self, case: Case, *, capture=None):
        from cases.selectors.ledger import arrears_for_unit

        amount = arrears_for_unit(case.unit, as_of=self.today).remainder

        def pay():
            return payment_record(
                case.unit, amount=amount, paid_on=self.today, actor=self.staff.manager
            )

        if capture is None:
            return pay()
        with capture(execute=True):
            return pay()

    @staticmethod
    def fresh(case: Case) -> Case:
        return Case.objects.select_related("unit__estate").get(pk=case.pk)

    @staticmethod
    def stage(case: Case) -> str:
        return Case.objects.values_list("stage", flat=True).get(pk=case.pk)

    @staticmethod
    def entries(case: Case, kind: str | None = None) -> list[EvidenceEntry]:
        qs = EvidenceEntry.objects.filter(case_id=case.pk).order_by("seq")
        return list(qs.filter(kind=kind) if kind else qs)

    @staticmethod
    def data(entry: EvidenceEntry) -> dict:
        return json.loads(entry.body)["data"]

    def decision_entries(self, case: Case, request) -> list[EvidenceEntry]:
        """Entries that record the decision on ``request`` (its transition or approval)."""
        found = []
        for entry in self.entries(case):
            data = self.data(entry)
            params = data.get("params", {})
            if str(data.get("approval_request", params.get("approval_request"))) == str(request.pk):
                found.append(entry)
        return found

    @staticmethod
    def open_cases() -> int:
        return Case.objects.filter(~Q(stage=Stage.CLOSED)).count()


def ensure_builtin_templates() -> None:
    """The shipped document templates as versions whose files are in this session's store
    (post_migrate made them; re-synced when a transactional test's flush removed them)."""
    from cases.storage import blob_path
    from legal_docs.kinds import DocumentKind
    from legal_docs.models import DocumentTemplate
    from legal_docs.services import templates_sync_builtin

    templates = DocumentTemplate.objects.all()
    if len(templates) < len(DocumentKind) or any(
        not blob_path(t.sha256).exists() for t in templates
    ):
        templates_sync_builtin()


@pytest.fixture
def desk(staff, frozen_clock) -> Desk:
    ensure_builtin_templates()
    return Desk(staff)
