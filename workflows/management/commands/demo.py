"""``python manage.py demo``: a working system on a fresh machine in one command.

Steps, each idempotent (running the command twice changes nothing):

1. migrate the database;
2. load the demo estate 翠湖花园 (``fixtures.demo_estate``), 24 months of history;
3. create one demo user per role, in the role's group, and print the credentials;
4. print the arrears summary of the demo estate;
5. run the daily sweep (opens the cases, marks next steps) and assign the demo collector
   and legal officer to the demo estate's open cases;
6. escalate the three largest debts to the demand letter (contacts logged, letter
   generated through the Celery task, eager in the demo);
7. generate this month's numbered payment notices (催款单) with a merged file for printing;
8. serve on ``--addrport`` (unless ``--no-serve``).
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.urls import reverse
from django.utils import timezone

from cases.models import (
    Case,
    Channel,
    DeliveryStatus,
    Estate,
    Letter,
    Outcome,
    Stage,
    Unit,
    UnitParty,
)
from cases.roles import Role
from cases.selectors.ledger import (
    UnitArrears,
    arrears_as_of,
    arrears_for_unit,
    money,
)
from cases.services.case import case_assign, case_transition, contact_log, delivery_record
from cases.services.ledger import payment_record
from cases.services.limitation import limitation_snapshot
from cases.services.sweep import sweep_run
from fixtures.demo_estate import (
    HOUSEHOLD_LABELS,
    Household,
    demo_household_types,
    load_demo_estate,
    paper_demand_letter,
)
from legal_docs.kinds import DocumentKind
from legal_docs.models import LegalDocument
from workflows.approvals.models import ApprovalRequest
from workflows.approvals.services import installment_plan_propose, waiver_request
from workflows.workspaces.access import home_url_name

# Demo only: printed on every run, documented in the README. Never use outside the demo.
DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105

# username, role, family name, given name
DEMO_USERS = (
    ("collector", Role.COLLECTOR, "王", "小催"),
    ("legal", Role.LEGAL_OFFICER, "李", "法正"),
    ("manager", Role.MANAGER, "张", "经理"),
    ("finance", Role.FINANCE, "陈", "会计"),
)

# A case at any of these has been through the legal example already.
LEGAL_EXAMPLE_STAGES = (
    Stage.LAWYER_LETTER,
    Stage.WITHDRAWAL_PENDING,
    Stage.WITHDRAWN,
    Stage.LITIGATION,
)

SEGMENT_LABELS = {
    Unit.Segment.OCCUPIED: "已入住 occupied",
    Unit.Segment.VACANT: "空置 vacant",
    Unit.Segment.SHOP: "商铺 shop",
    Unit.Segment.VILLA: "别墅 villa",
}
TOP_DEBTORS = 10


def _yuan(amount: Decimal) -> str:
    return f"¥{money(amount):,}"


class Command(BaseCommand):
    help = (
        "演示 Demo: migrate, load the demo estate 翠湖花园, create one user per role, print the "
        "arrears summary, then serve (unless --no-serve). Running it twice changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-serve", action="store_true", help="Stop after the summary; do not runserver."
        )
        parser.add_argument(
            "--addrport", default="127.0.0.1:8000", help="Where to serve (default 127.0.0.1:8000)."
        )

    def handle(self, *args, no_serve: bool = False, addrport: str = "127.0.0.1:8000", **options):
        self.step_migrate()
        estate = self.step_load_estate()
        self.step_users()
        self.step_summary(estate)
        self.step_sweep(estate)
        self.step_escalate(estate)
        self.step_requests(estate)
        self.step_legal_example(estate)
        self.step_notices(estate)
        if not no_serve:
            self.step_serve(addrport)

    # ------------------------------------------------------------------ steps

    def _heading(self, text: str) -> None:
        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING(f"== {text} =="))

    def step_migrate(self) -> None:
        self._heading("1. 数据库迁移 Migrating the database")
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("数据库已是最新 Database is up to date.")

    def step_load_estate(self) -> Estate:
        self._heading("2. 演示小区 Demo estate")
        started = time.perf_counter()
        estate = load_demo_estate(stdout=self.stdout)
        self.stdout.write(f"用时 Took {time.perf_counter() - started:.1f} s")
        return estate

    def step_users(self) -> None:
        """One login per role, in the role's group; rows are only written when they differ,
        so a second run writes nothing."""
        self._heading("3. 演示账号 Demo users (密码 password: " + DEMO_PASSWORD + ")")
        User = get_user_model()
        for username, role, last_name, first_name in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username,
                # Chinese order, family name first: 王小催 (viewflow shows "first last").
                defaults={
                    "first_name": f"{last_name}{first_name}",
                    "last_name": "",
                    "email": f"{username}@example.com",
                    "is_staff": True,
                },
            )
            if created or not user.check_password(DEMO_PASSWORD):
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            if not user.is_staff:
                user.is_staff = True
                user.save(update_fields=["is_staff"])
            group = Group.objects.get(name=str(role))
            if not user.groups.filter(pk=group.pk).exists():
                user.groups.add(group)
            self.stdout.write(
                f"  {username:<10} / {DEMO_PASSWORD}   {role.label}   {last_name}{first_name}"
                f"   → {reverse(home_url_name(user))}" + ("   (新建 created)" if created else "")
            )
        self.stdout.write(
            f"  登录 Log in at {reverse('login')} — each user lands in their workspace "
            "(催收 collector, 法务 legal, 审批 manager); master data at /admin/"
        )

    def step_sweep(self, estate: Estate) -> None:
        self._heading("5. 每日巡检 Daily sweep")
        report = sweep_run(progress=lambda m: self.stdout.write(f"  … {m}"))
        for line in report.lines():
            self.stdout.write(f"  {line}")
        limitation = limitation_snapshot()
        self.stdout.write(
            f"  诉讼时效检查 Limitation check: {limitation.checked} open cases, "
            f"{limitation.changed} updated"
        )
        User = get_user_model()
        collector = User.objects.get(username="collector")
        legal = User.objects.get(username="legal")
        manager = User.objects.get(username="manager")
        unassigned = Case.objects.filter(unit__estate=estate, collector__isnull=True).exclude(
            stage=Stage.CLOSED
        )
        assigned = 0
        for case in unassigned:
            case_assign(case, actor=manager, collector=collector, legal_officer=legal)
            assigned += 1
        self.stdout.write(
            f"  分配给演示催收员与法务 Assigned to the demo collector and legal: {assigned}"
        )

    def step_escalate(self, estate: Estate) -> None:
        """The largest debts get their friendly contacts and the demand letter (once)."""
        self._heading("6. 升级示例 Escalating the largest debts to the demand letter")
        User = get_user_model()
        collector = User.objects.get(username="collector")
        legal = User.objects.get(username="legal")
        if Case.objects.filter(unit__estate=estate, stage=Stage.DEMAND_LETTER).exists():
            self.stdout.write("  已完成 Already done")
            return
        top = Case.objects.filter(unit__estate=estate, stage=Stage.NEW).order_by(
            "-principal_snapshot"
        )[:3]
        for case in top:
            case = _remind_then_demand(
                case,
                collector=collector,
                legal=legal,
                first={
                    "channel": Channel.PHONE,
                    "outcome": Outcome.NO_ANSWER,
                    "notes": "演示：电话无人接听",
                },
            )
            self.stdout.write(f"  {case.unit.label}: {case.get_stage_display()}")
        documents = LegalDocument.objects.filter(unit__estate=estate).exclude(
            kind=DocumentKind.PAYMENT_NOTICE
        )
        self.stdout.write(f"  文书 Documents on cases: {documents.count()}")

    def step_requests(self, estate: Estate) -> None:
        """Two hardship households' requests wait in the manager's inbox: a late-fee waiver
        and an installment plan (once)."""
        self._heading("6b. 待审批 Requests waiting for the manager")
        if ApprovalRequest.objects.filter(case__unit__estate=estate).exists():
            self.stdout.write("  已完成 Already done")
            return
        collector = get_user_model().objects.get(username="collector")
        cases = _largest_cases_of(
            Household.HARDSHIP, Case.objects.filter(unit__estate=estate).exclude(stage=Stage.CLOSED)
        )
        today = timezone.localdate()
        for case, ask in zip(cases, ("waiver", "plan"), strict=False):
            if ask == "waiver":
                waiver_request(
                    case,
                    actor=collector,
                    reason_category="hardship",
                    reason="演示：低保家庭，本人申请减免滞纳金",
                    good_faith=True,
                    as_of=today,
                )
            else:
                owed = arrears_for_unit(case.unit, as_of=today)
                total = money(owed.principal + owed.late_fee)
                part = money(total / 3)
                installments = [
                    (today + dt.timedelta(days=30 * n), part if n < 3 else total - 2 * part)
                    for n in (1, 2, 3)
                ]
                installment_plan_propose(
                    case,
                    actor=collector,
                    installments=installments,
                    reason="演示：家庭困难，申请分三期缴清",
                    as_of=today,
                )
            label = "减免滞纳金 late-fee waiver" if ask == "waiver" else "分期付款 installment plan"
            self.stdout.write(f"  {case.unit.label}: {label}")

    def step_legal_example(self, estate: Estate) -> None:
        """Two long-term refusers reach the lawyer letter (once): their paper demand letters,
        served before the system went live, are recorded with their dates. One of them then
        pays in full, so the manager finds a withdrawal to approve."""
        self._heading("6c. 律师函与撤回示例 Lawyer letters, and a withdrawal after payment")
        if Case.objects.filter(unit__estate=estate, stage__in=LEGAL_EXAMPLE_STAGES).exists():
            self.stdout.write("  已完成 Already done")
            return
        User = get_user_model()
        collector = User.objects.get(username="collector")
        legal = User.objects.get(username="legal")
        finance = User.objects.get(username="finance")
        cases = _largest_cases_of(
            Household.REFUSER, Case.objects.filter(unit__estate=estate, stage=Stage.NEW)
        )
        today = timezone.localdate()
        for case in cases:
            case = _remind_then_demand(
                case,
                collector=collector,
                legal=legal,
                first={
                    "channel": Channel.HOME_VISIT,
                    "outcome": Outcome.REFUSED,
                    "witness": "保安 刘师傅",
                    "notes": "演示：上门催缴，业主拒绝",
                },
            )
            served_on = today - dt.timedelta(days=20)
            delivery_record(
                case,
                actor=legal,
                letter=Letter.DEMAND_LETTER,
                status=DeliveryStatus.SIGNED,
                delivered_on=served_on,
                method=Channel.REGISTERED_MAIL,
                document_ref="系统上线前送达的纸质催缴函 paper demand served before go-live",
                **paper_demand_letter(case.pk, served_on, f"EM{case.pk:09d}CN"),
            )
            case = case_transition(case, "issue_lawyer_letter", actor=legal)
            self.stdout.write(f"  {case.unit.label}: {case.get_stage_display()}")
        if len(cases) == 2:
            paid = cases[1]
            # Principal and late fee (UnitArrears.remainder): paid in full, so the manager's
            # withdrawal decision shows 0.00 remaining and needs no waiver.
            owed = arrears_for_unit(paid.unit, as_of=today)
            payment_record(
                paid.unit,
                amount=owed.remainder,
                paid_on=today,
                actor=finance,
                reference="演示：业主收到律师函后全额缴清",
            )
            paid.refresh_from_db()
            self.stdout.write(
                f"  {paid.unit.label}: 全额缴清 paid in full → {paid.get_stage_display()}"
            )

    def step_notices(self, estate: Estate) -> None:
        self._heading("7. 本月催款单 This month's payment notices")
        call_command(
            "notices",
            estate=estate.code,
            month=timezone.localdate().strftime("%Y-%m"),
            stdout=self.stdout,
            stderr=self.stderr,
        )

    def step_summary(self, estate: Estate) -> None:
        as_of = timezone.localdate()
        self._heading(f"4. 欠费概况 Arrears summary · {estate.name} · 截至 as of {as_of}")
        units = Unit.objects.filter(estate=estate)
        arrears = arrears_as_of(units, as_of=as_of, breakdown=False)
        owing = {pk: a for pk, a in arrears.items() if a.principal > 0}
        late_fee_only = [a for a in arrears.values() if a.principal <= 0 and money(a.late_fee) > 0]
        total_units = units.count()
        write = self.stdout.write
        write(f"  总户数 Units: {total_units}")
        write(f"  欠费户数 Units in arrears (principal > 0): {len(owing)}")
        write(f"  仅欠滞纳金 Late fee only: {len(late_fee_only)}")
        write(f"  欠费本金合计 Total principal: {_yuan(sum(a.principal for a in owing.values()))}")
        write(f"  滞纳金合计 Total late fee: {_yuan(sum(a.late_fee for a in arrears.values()))}")
        over_a_year = sum(1 for a in owing.values() if a.days_overdue > 365)
        write(f"  逾期超过一年 Over 365 days overdue: {over_a_year}")

        segments = dict(units.values_list("pk", "segment"))
        by_segment: dict[str, list[UnitArrears]] = defaultdict(list)
        for pk, a in owing.items():
            by_segment[segments[pk]].append(a)
        write("")
        write("  按类型 By segment:")
        for segment, label in SEGMENT_LABELS.items():
            rows = by_segment.get(segment, [])
            principal = sum((a.principal for a in rows), Decimal(0))
            late_fee = sum((a.late_fee for a in rows), Decimal(0))
            write(
                f"    {label:<14} {len(rows):4d} 户 units   本金 principal {_yuan(principal):>14}"
                f"   滞纳金 late fee {_yuan(late_fee):>12}"
            )

        households = demo_household_types()
        labels = dict(units.values_list("pk", "building"))
        numbers = dict(units.values_list("pk", "number"))
        counts: dict[str, int] = defaultdict(int)
        for pk in labels:
            counts[households.get(f"{labels[pk]}-{numbers[pk]}", "")] += 1
        write("")
        write("  演示住户类型 Demo household types:")
        for household, label in HOUSEHOLD_LABELS.items():
            write(f"    {label:<32} {counts.get(household, 0):4d}")

        top = sorted(owing.values(), key=lambda a: (-a.principal, a.unit_id))[:TOP_DEBTORS]
        owners = self._liable_names([a.unit_id for a in top])
        write("")
        write(f"  欠费前{TOP_DEBTORS}名 Top {TOP_DEBTORS} debtors:")
        write(
            f"    {'单元 unit':<14} {'业主 owner':<20} {'本金 principal':>14} "
            f"{'滞纳金 late fee':>14} {'逾期天数 days':>12}"
        )
        for a in top:
            unit_label = f"{labels[a.unit_id]}-{numbers[a.unit_id]}"
            write(
                f"    {unit_label:<14} {owners.get(a.unit_id, ''):<20} {_yuan(a.principal):>14} "
                f"{_yuan(a.late_fee):>14} {a.days_overdue:>12}"
            )

    def _liable_names(self, unit_ids: list[int]) -> dict[int, str]:
        """The owner (or developer) of each unit, one query."""
        names: dict[int, str] = {}
        links = (
            UnitParty.objects.filter(
                unit_id__in=unit_ids,
                role__in=[UnitParty.Role.OWNER, UnitParty.Role.DEVELOPER],
            )
            .order_by("unit_id", "pk")
            .values_list("unit_id", "party__name")
        )
        for unit_id, name in links:
            names.setdefault(unit_id, name)
        return names

    def step_serve(self, addrport: str) -> None:
        self._heading(f"8. 启动服务 Serving on http://{addrport}/ (Ctrl-C 停止 to stop)")
        # --insecure: serve the admin's static files although DEBUG is off (demo only).
        call_command("runserver", addrport, use_reloader=False, insecure_serving=True)


def _remind_then_demand(case: Case, *, collector, legal, first: dict) -> Case:
    """Reminders start, two contacts on two channels (``first``, then an SMS the collector
    says arrived — no gateway report is stored, so the timeline shows it as claimed,
    unproven), and the legal officer issues the demand letter."""
    case = case_transition(case, "start_reminding", actor=collector)
    contact_log(case, actor=collector, **first)
    contact_log(
        case,
        actor=collector,
        channel=Channel.SMS,
        outcome=Outcome.REACHED,
        delivery_confirmed=True,
        notes="演示：催收短信已发出，业主称已收到（无送达回执）",
    )
    return case_transition(case, "issue_demand", actor=legal)


def _largest_cases_of(household: str, cases, count: int = 2) -> list[Case]:
    """The ``count`` cases of ``cases`` owing the most whose unit has the demo profile
    ``household`` (钉子户, 困难户 …)."""
    labels = {label for label, kind in demo_household_types().items() if kind == household}
    ordered = cases.select_related("unit").order_by("-principal_snapshot")
    return [case for case in ordered if case.unit.label in labels][:count]
