"""The four approval processes end to end through viewflow: started, in the managers' queue,
assigned, approved or rejected, overdue after three days (timers fired with a shifted clock);
after each, the case's stage, its documents and its evidence.

Side effects run as in production: after-commit signals, Celery tasks (eager), documents
generated through the existing receiver (``django_capture_on_commit_callbacks``)."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal
from unittest import mock

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from cases.models import Adjustment, Case, EvidenceKind, InstallmentPlan, Stage
from cases.selectors.ledger import arrears_for_unit, money
from cases.services.case import CaseForbidden
from legal_docs.kinds import DocumentKind
from legal_docs.models import LegalDocument

pytestmark = pytest.mark.usefixtures("system_actor_may_log_contacts")


def _approvals():
    from workflows.approvals import flows, models, services

    return flows, models, services


def _request_of(case, kind):
    from workflows.approvals.models import ApprovalRequest

    return ApprovalRequest.objects.get(case=case, kind=kind)


def _documents(case, kind=None):
    qs = LegalDocument.objects.filter(case=case).order_by("id")
    return list(qs.filter(kind=kind) if kind else qs)


def _tasks(request, **filters):
    from viewflow.workflow.models import Task

    return Task.objects.filter(process__approvalprocess__request=request, **filters)


# --- withdrawal (撤回) ------------------------------------------------------------------------


def test_paid_case_after_lawyer_letter_is_withdrawn_and_closed_once_a_manager_approves(
    desk, staff, django_capture_on_commit_callbacks
):
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import PROCESS, STATUS

    flows, models, services = _approvals()
    case = desk.case(stage=Stage.LAWYER_LETTER)

    desk.pay_in_full(case, capture=django_capture_on_commit_callbacks)

    assert desk.stage(case) == Stage.WITHDRAWAL_PENDING
    request = _request_of(case, models.ApprovalKind.WITHDRAWAL)
    assert request.status == models.ApprovalStatus.PENDING
    assert request.requested_by == staff.system
    # The managers' queue offers it (group permission), nobody else's.
    queue = Task.objects.queue(flows.APPROVAL_FLOWS, staff.manager)
    assert [t.process.coerced.request for t in queue] == [request]
    assert not Task.objects.queue(flows.APPROVAL_FLOWS, staff.collector).exists()
    assert not Task.objects.queue(flows.APPROVAL_FLOWS, staff.legal).exists()

    services.approval_assign(request, actor=staff.manager)
    inbox = Task.objects.inbox(flows.APPROVAL_FLOWS, staff.manager)
    assert [t.flow_task.name for t in inbox] == ["decide"]
    assert not Task.objects.queue(flows.APPROVAL_FLOWS, staff.other_manager).exists()

    with django_capture_on_commit_callbacks(execute=True):
        services.approval_decide(
            request, actor=staff.manager, approve=True, comment="业主已缴清全部欠费"
        )

    request.refresh_from_db()
    assert request.status == models.ApprovalStatus.APPROVED
    assert request.approved_by == staff.manager
    assert desk.stage(case) == Stage.CLOSED
    assert [d.kind for d in _documents(case)] == [DocumentKind.LAWYER_LETTER_WITHDRAWAL]
    # Exactly one evidence entry records the decision: the transition into withdrawn.
    (decision,) = desk.decision_entries(case, request)
    assert decision == request.decision_evidence
    assert decision.kind == EvidenceKind.TRANSITION and decision.actor == staff.manager
    data = desk.data(decision)
    assert (data["from"], data["to"]) == (Stage.WITHDRAWAL_PENDING, Stage.WITHDRAWN)
    assert data["note"] == "业主已缴清全部欠费"
    assert data["params"]["decision"] == "approved"
    assert data["params"]["approver"] == staff.manager.username
    closing = [e for e in desk.entries(case) if desk.data(e).get("to") == Stage.CLOSED]
    assert len(closing) == 1 and closing[0].actor == staff.system
    assert not desk.entries(case, EvidenceKind.APPROVAL)
    process = request.process
    assert process.status == PROCESS.DONE
    # The 3-day timer was disarmed by the decision.
    assert _tasks(request, flow_task_type="TIMER").get().status == STATUS.CANCELED


def test_withdrawal_of_a_lawsuit_generates_the_application_to_withdraw(
    desk, staff, django_capture_on_commit_callbacks
):
    _flows, models, services = _approvals()
    case = desk.case(stage=Stage.LITIGATION, filed=True)
    Case.objects.filter(pk=case.pk).update(court_case_number="（2026）浙0106民初88号")
    desk.pay_in_full(case, capture=django_capture_on_commit_callbacks)
    request = _request_of(case, models.ApprovalKind.WITHDRAWAL)

    with django_capture_on_commit_callbacks(execute=True):
        services.approval_decide(request, actor=staff.manager, approve=True)

    assert desk.stage(case) == Stage.CLOSED
    assert [d.kind for d in _documents(case)] == [DocumentKind.LAWSUIT_WITHDRAWAL]


def test_withdrawal_of_a_filed_case_without_the_court_case_number_is_refused(
    desk, staff, django_capture_on_commit_callbacks
):
    """The withdrawal application names the court's case number (案号): neither the request
    nor the approval goes through while it is not recorded, and the reason says so."""
    _flows, models, services = _approvals()
    case = desk.case(stage=Stage.LITIGATION, filed=True)
    with pytest.raises(ValidationError) as refused:
        services.withdrawal_request(case, actor=staff.legal, reason="业主已和解")
    assert "case number" in str(refused.value.message_dict["court_case_number"])
    assert desk.stage(case) == Stage.LITIGATION

    desk.pay_in_full(case, capture=django_capture_on_commit_callbacks)  # the payment path
    request = _request_of(case, models.ApprovalKind.WITHDRAWAL)
    with pytest.raises(ValidationError) as refused:
        services.approval_decide(request, actor=staff.manager, approve=True)
    assert "court_case_number" in refused.value.message_dict
    assert desk.stage(case) == Stage.WITHDRAWAL_PENDING
    assert _documents(case) == []


def test_legal_officer_asks_for_a_withdrawal_and_the_same_process_starts(
    desk, staff, django_capture_on_commit_callbacks
):
    _flows, models, services = _approvals()
    case = desk.case(stage=Stage.LAWYER_LETTER)

    with pytest.raises(ValidationError):
        services.withdrawal_request(case, actor=staff.legal, reason="  ")
    with pytest.raises(CaseForbidden):
        services.withdrawal_request(case, actor=staff.collector, reason="业主已和解")
    with django_capture_on_commit_callbacks(execute=True):
        services.withdrawal_request(case, actor=staff.legal, reason="业主与物业达成和解")

    request = _request_of(case, models.ApprovalKind.WITHDRAWAL)
    assert request.requested_by == staff.legal
    assert request.reason == "业主与物业达成和解"
    # Still owing: approving without waiving the remainder is refused, naming it.
    with pytest.raises(ValidationError) as refused:
        services.approval_decide(request, actor=staff.manager, approve=True, comment="同意")
    assert "remains (principal 1200.00" in refused.value.message_dict["waive_remainder"][0]
    assert desk.stage(case) == Stage.WITHDRAWAL_PENDING
    with django_capture_on_commit_callbacks(execute=True):
        services.approval_decide(
            request, actor=staff.manager, approve=True, comment="同意", waive_remainder=True
        )
    # Withdrawn with its document, the remainder waived, so the case closes.
    assert desk.stage(case) == Stage.CLOSED
    assert [d.kind for d in _documents(case)] == [DocumentKind.LAWYER_LETTER_WITHDRAWAL]


def test_rejected_withdrawal_returns_the_case_to_its_earlier_stage(
    desk, staff, django_capture_on_commit_callbacks
):
    from viewflow.workflow.status import PROCESS

    _flows, models, services = _approvals()
    case = desk.case(stage=Stage.JUDGMENT)
    desk.pay_in_full(case, capture=django_capture_on_commit_callbacks)
    request = _request_of(case, models.ApprovalKind.WITHDRAWAL)

    with pytest.raises(ValidationError) as refused:
        services.approval_decide(request, actor=staff.manager, approve=False, comment="")
    assert "comment" in refused.value.message_dict
    assert desk.stage(case) == Stage.WITHDRAWAL_PENDING  # nothing was recorded

    with django_capture_on_commit_callbacks(execute=True):
        services.approval_decide(
            request, actor=staff.manager, approve=False, comment="判决书尚未履行完毕"
        )

    request.refresh_from_db()
    assert request.status == models.ApprovalStatus.REJECTED
    fresh = desk.fresh(case)
    assert fresh.stage == Stage.JUDGMENT and fresh.withdrawal_rejected
    assert _documents(case) == []
    (decision,) = desk.decision_entries(case, request)
    data = desk.data(decision)
    assert (data["to"], data["params"]["decision"]) == (Stage.JUDGMENT, "rejected")
    assert data["note"] == "判决书尚未履行完毕"
    assert request.process.status == PROCESS.DONE


def test_withdrawal_waiting_more_than_three_days_is_flagged_and_the_managers_told(
    desk, staff, django_capture_on_commit_callbacks
):
    from viewflow.workflow.status import PROCESS, STATUS
    from viewflow.workflow.timers import fire_due_timers

    from workflows.tasks_clock import workflow_fire_timers

    _flows, models, services = _approvals()
    staff.manager.email, staff.other_manager.email = "chen@example.com", "wu@example.com"
    staff.manager.save(), staff.other_manager.save()
    case = desk.case(stage=Stage.LAWYER_LETTER)
    desk.pay_in_full(case, capture=django_capture_on_commit_callbacks)
    request = _request_of(case, models.ApprovalKind.WITHDRAWAL)
    timer = _tasks(request, flow_task_type="TIMER").get()
    assert timer.status == STATUS.SCHEDULED
    assert timer.scheduled - request.requested_at == pytest.approx(
        dt.timedelta(days=3), abs=dt.timedelta(seconds=5)
    )

    # Two days and 23 hours later: not yet.
    later = timezone.now() + dt.timedelta(days=2, hours=23)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert fire_due_timers() == 0
    assert not models.ApprovalProcess.objects.get(request=request).overdue

    # Three days and a minute later: the minute's timer task fires it.
    later = timezone.now() + dt.timedelta(days=3, minutes=1)
    with (
        mock.patch("django.utils.timezone.now", return_value=later),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert workflow_fire_timers.apply().get() == 1

    process = models.ApprovalProcess.objects.get(request=request)
    assert process.overdue and process.status == PROCESS.NEW
    (message,) = mail.outbox
    assert sorted(message.to) == ["chen@example.com", "wu@example.com"]
    assert f"case #{case.pk}" in message.subject
    # The decision is still open and can be made; the process then finishes.
    assert _tasks(request, flow_task_type="HUMAN").get().status == STATUS.NEW
    assert fire_due_timers() == 0
    with django_capture_on_commit_callbacks(execute=True):
        services.approval_decide(request, actor=staff.other_manager, approve=True)
    assert desk.stage(case) == Stage.CLOSED
    assert models.ApprovalProcess.objects.get(request=request).status == PROCESS.DONE


# --- nobody decides their own request ---------------------------------------------------------


def test_the_requester_can_never_decide_their_own_request(
    desk, staff, django_capture_on_commit_callbacks
):
    _flows, models, services = _approvals()
    case = desk.case(stage=Stage.LAWYER_LETTER)
    request = services.write_off_request(case, actor=staff.manager, reason="业主下落不明")

    with pytest.raises(services.SelfApprovalRefused) as refused:
        services.approval_decide(request, actor=staff.manager, approve=True)
    assert "another manager" in str(refused.value)
    with pytest.raises(services.SelfApprovalRefused):
        services.approval_assign(request, actor=staff.manager)
    with pytest.raises(services.ApprovalForbidden):
        services.approval_decide(request, actor=staff.legal, approve=True)
    assert desk.stage(case) == Stage.LAWYER_LETTER

    # The database refuses it too, whoever writes the row.
    with pytest.raises(IntegrityError), transaction.atomic():
        models.ApprovalRequest.objects.filter(pk=request.pk).update(
            status=models.ApprovalStatus.APPROVED,
            approved_by=staff.manager,
            decided_at=timezone.now(),
        )
    request.refresh_from_db()
    assert request.status == models.ApprovalStatus.PENDING

    with django_capture_on_commit_callbacks(execute=True):
        services.approval_decide(request, actor=staff.other_manager, approve=True)
    assert desk.stage(case) == Stage.CLOSED


# --- late-fee waiver (减免) -------------------------------------------------------------------


def test_waiver_is_validated_against_the_late_fee_owed_and_approved_with_its_form(
    desk, staff, django_capture_on_commit_callbacks
):
    _flows, _models, services = _approvals()
    case = desk.case(stage=Stage.REMINDING, owing="2000.00", days_overdue=100)
    late_fee = money(arrears_for_unit(case.unit, as_of=desk.today).late_fee)
    assert late_fee == Decimal("200.00")  # 2,000 × 1‰ × 100 days

    with pytest.raises(ValidationError) as refused:
        services.waiver_request(
            case,
            actor=staff.collector,
            reason_category="billing_error",
            reason="",
            good_faith=False,
        )
    assert set(refused.value.message_dict) == {"reason_category", "reason", "good_faith"}
    with pytest.raises(ValidationError) as refused:
        services.waiver_request(
            case,
            actor=staff.collector,
            reason_category="theft",
            reason="车辆失窃",
            good_faith=True,
            amount="200.01",
        )
    assert "exceeds the accrued late fee" in refused.value.message_dict["amount"][0]

    request = services.waiver_request(
        case,
        actor=staff.collector,
        reason_category="theft",
        reason="业主车辆在小区内失窃，情绪抵触，愿意缴清本金",
        good_faith=True,
        amount="150.00",
    )
    with pytest.raises(services.ApprovalError):  # one waiting waiver per case
        services.waiver_request(
            case, actor=staff.legal, reason_category="other", reason="x", good_faith=True
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.approval_decide(request, actor=staff.manager, approve=True, comment="同意减免")

    request.refresh_from_db()
    adjustment = request.adjustment
    assert adjustment.kind == Adjustment.Kind.LATE_FEE_WAIVER
    assert adjustment.amount == Decimal("150.00")
    assert (adjustment.requested_by, adjustment.approved_by) == (staff.collector, staff.manager)
    assert money(arrears_for_unit(case.unit, as_of=desk.today).late_fee) == Decimal("50.00")
    (decision,) = desk.decision_entries(case, request)
    assert decision.kind == EvidenceKind.APPROVAL and decision.actor == staff.manager
    assert desk.data(decision)["decision"] == "approved"
    assert desk.data(decision)["comment"] == "同意减免"
    (document,) = _documents(case)
    assert document.kind == DocumentKind.WAIVER_APPROVAL and document.trigger == decision
    assert document.context["waiver"]["amount"] == "150.00"
    assert desk.stage(case) == Stage.REMINDING


def test_rejected_waiver_is_one_evidence_entry_and_nothing_else(
    desk, staff, django_capture_on_commit_callbacks
):
    _flows, _models, services = _approvals()
    case = desk.case(stage=Stage.DEMAND_LETTER, owing="2000.00", days_overdue=100)
    request = services.waiver_request(
        case, actor=staff.legal, reason_category="hardship", reason="失业", good_faith=True
    )
    assert request.amount == Decimal("200.00")  # the whole late fee by default
    entries_before = len(desk.entries(case))

    with django_capture_on_commit_callbacks(execute=True):
        services.approval_decide(
            request, actor=staff.manager, approve=False, comment="业主有能力缴纳"
        )

    assert not Adjustment.objects.filter(unit=case.unit).exists()
    assert _documents(case) == []
    assert len(desk.entries(case)) == entries_before + 1
    (decision,) = desk.decision_entries(case, request)
    assert decision.kind == EvidenceKind.APPROVAL
    assert desk.data(decision)["decision"] == "rejected"


# --- installment plan (分期付款) ---------------------------------------------------------------


def _schedule(desk, parts: list[str]):
    return [
        (number, desk.today + dt.timedelta(days=30 * number), Decimal(amount))
        for number, amount in enumerate(parts, start=1)
    ]


def test_installment_plan_must_pay_the_debt_to_the_cent_and_waits_for_the_signature(
    desk, staff, django_capture_on_commit_callbacks
):
    _flows, _models, services = _approvals()
    case = desk.case(stage=Stage.DEMAND_LETTER, owing="3000.00", days_overdue=50)
    owed = arrears_for_unit(case.unit, as_of=desk.today)
    assert (money(owed.principal), money(owed.late_fee)) == (Decimal("3000.00"), Decimal("150.00"))

    with pytest.raises(ValidationError) as refused:
        services.installment_plan_propose(
            case,
            actor=staff.collector,
            installments=_schedule(desk, ["1000.00", "1000.00", "1149.99"]),
            reason="家庭困难",
        )
    message = refused.value.message_dict["installments"][0]
    assert "3149.99" in message and "3150.00" in message and "0.01" in message
    assert not InstallmentPlan.objects.exists()

    request = services.installment_plan_propose(
        case,
        actor=staff.collector,
        installments=_schedule(desk, ["1000.00", "1000.00", "1150.00"]),
        reason="业主失业，家庭生活困难",
    )
    plan = request.plan
    assert plan.status == InstallmentPlan.Status.PROPOSED and plan.total == Decimal("3150.00")
    with django_capture_on_commit_callbacks(execute=True):
        services.approval_decide(request, actor=staff.manager, approve=True)

    # Approved, the agreement is generated for the owner to sign; the case waits for it.
    plan.refresh_from_db()
    assert plan.status == InstallmentPlan.Status.APPROVED and plan.approved_by == staff.manager
    assert desk.stage(case) == Stage.DEMAND_LETTER
    (document,) = _documents(case)
    assert document.kind == DocumentKind.INSTALLMENT_AGREEMENT
    assert document.context["installment_count"] == 3
    (decision,) = desk.decision_entries(case, request)
    assert decision.kind == EvidenceKind.APPROVAL
    assert desk.data(decision)["plan_status"] == InstallmentPlan.Status.APPROVED


def test_rejected_installment_plan_leaves_the_case_where_it_was(
    desk, staff, django_capture_on_commit_callbacks
):
    _flows, _models, services = _approvals()
    case = desk.case(stage=Stage.REMINDING, owing="1000.00", days_overdue=10)
    request = services.installment_plan_propose(
        case,
        actor=staff.collector,
        installments=[
            {"number": 1, "due_date": desk.today.isoformat(), "amount": "510.00"},
            {"number": 2, "due_date": desk.today + dt.timedelta(days=30), "amount": "500.00"},
        ],
        reason="收入不稳定",
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.approval_decide(request, actor=staff.manager, approve=False, comment="金额过小")

    assert request.plan.__class__.objects.get(pk=request.plan_id).status == "rejected"
    assert desk.stage(case) == Stage.REMINDING
    assert _documents(case) == []
    (decision,) = desk.decision_entries(case, request)
    assert decision.kind == EvidenceKind.APPROVAL


# --- write-off (核销) --------------------------------------------------------------------------


def test_write_off_approved_closes_the_case_and_rejected_leaves_it(
    desk, staff, django_capture_on_commit_callbacks
):
    _flows, _models, services = _approvals()
    case = desk.case(stage=Stage.ENFORCEMENT)
    with pytest.raises(services.ApprovalForbidden):
        services.write_off_request(case, actor=staff.collector, reason="无财产可供执行")
    request = services.write_off_request(case, actor=staff.legal, reason="法院终结本次执行")
    with django_capture_on_commit_callbacks(execute=True):
        services.approval_decide(request, actor=staff.manager, approve=True, comment="核销")
    assert desk.stage(case) == Stage.CLOSED
    stages = [desk.data(e)["to"] for e in desk.entries(case, EvidenceKind.TRANSITION)]
    assert stages == [Stage.WRITTEN_OFF, Stage.CLOSED]

    other = desk.case(stage=Stage.LAWYER_LETTER)
    request = services.write_off_request(other, actor=staff.legal, reason="金额较小")
    with django_capture_on_commit_callbacks(execute=True):
        services.approval_decide(request, actor=staff.manager, approve=False, comment="继续追收")
    assert desk.stage(other) == Stage.LAWYER_LETTER
    (decision,) = desk.decision_entries(other, request)
    assert decision.kind == EvidenceKind.APPROVAL


# --- the decision form (viewflow's task view) ------------------------------------------------


def test_manager_decides_through_the_task_form(
    desk, staff, client, django_capture_on_commit_callbacks
):
    import workflows.workspaces.urls  # noqa: F401  (builds the flows' URL namespaces)

    _flows, models, services = _approvals()
    case = desk.case(stage=Stage.LAWYER_LETTER)
    request = services.write_off_request(case, actor=staff.legal, reason="业主已去世，无遗产")
    task = _tasks(request, flow_task_type="HUMAN").get()
    execute = task.flow_task.reverse("execute", args=[task.process_id, task.pk])
    assign = task.flow_task.reverse("assign", args=[task.process_id, task.pk])

    client.force_login(staff.legal)  # the requester's colleague without the permission
    assert client.post(assign).status_code == 403
    client.force_login(staff.manager)
    assert client.post(assign).status_code == 302
    page = client.get(execute)
    assert page.status_code == 200
    assert "decision" in page.content.decode()

    # A rejection without a comment comes back as a form error; nothing is recorded.
    answer = client.post(execute, {"decision": "reject", "comment": ""})
    assert answer.status_code == 200
    request.refresh_from_db()
    assert request.status == models.ApprovalStatus.PENDING

    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(execute, {"decision": "approve", "comment": "同意核销"})
    assert answer.status_code == 302
    request.refresh_from_db()
    assert (request.status, request.approved_by) == (models.ApprovalStatus.APPROVED, staff.manager)
    assert desk.stage(case) == Stage.CLOSED


# --- every flow: queue, assign, overdue, decide --------------------------------------------


def _ask(kind, desk, staff, capture):
    """Start one request of ``kind`` the way its requester does."""
    _flows, models, services = _approvals()
    if kind == models.ApprovalKind.WITHDRAWAL:
        case = desk.case(stage=Stage.LAWYER_LETTER)
        desk.pay_in_full(case, capture=capture)
        return _request_of(case, kind)
    if kind == models.ApprovalKind.WAIVER:
        case = desk.case(stage=Stage.REMINDING, days_overdue=60)
        return services.waiver_request(
            case,
            actor=staff.collector,
            reason_category="quality_defect",
            reason="漏水",
            good_faith=True,
        )
    if kind == models.ApprovalKind.INSTALLMENT_PLAN:
        case = desk.case(stage=Stage.REMINDING, owing="1000.00", days_overdue=10)
        return services.installment_plan_propose(
            case,
            actor=staff.legal,
            installments=[
                (desk.today, Decimal("505.00")),  # 1,000 + 10 days × 1‰ late fee = 1,010
                (desk.today + dt.timedelta(days=31), Decimal("505.00")),
            ],
            reason="生活困难",
        )
    case = desk.case(stage=Stage.ON_HOLD, return_stage=Stage.REMINDING)
    return services.write_off_request(case, actor=staff.legal, reason="房屋已被法院拍卖")


@pytest.mark.parametrize("kind", ["withdrawal", "waiver", "installment_plan", "write_off"])
def test_every_flow_queues_assigns_flags_overdue_and_decides(
    kind, desk, staff, django_capture_on_commit_callbacks
):
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import PROCESS, STATUS
    from viewflow.workflow.timers import fire_due_timers

    flows, models, services = _approvals()
    request = _ask(kind, desk, staff, django_capture_on_commit_callbacks)
    process = models.ApprovalProcess.objects.get(request=request)
    assert process.flow_class is flows.FLOW_OF_KIND[kind]

    (queued,) = Task.objects.queue(flows.APPROVAL_FLOWS, staff.manager)
    assert queued.process_id == process.pk and queued.flow_task.name == "decide"
    services.approval_assign(request, actor=staff.manager)
    with pytest.raises(services.ApprovalError):
        services.approval_assign(request, actor=staff.other_manager)

    later = timezone.now() + dt.timedelta(days=3, minutes=1)
    with (
        mock.patch("django.utils.timezone.now", return_value=later),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert fire_due_timers() == 1
    process.refresh_from_db()
    assert process.overdue and len(mail.outbox) == 1
    assert _tasks(request, flow_task_type="HUMAN").get().status == STATUS.ASSIGNED

    with django_capture_on_commit_callbacks(execute=True):
        services.approval_decide(request, actor=staff.manager, approve=True, comment="同意")
    process.refresh_from_db()
    assert process.status == PROCESS.DONE
    assert len(desk.decision_entries(request.case, request)) == 1


# --- two managers at once (PostgreSQL) -------------------------------------------------------


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL (row locks, one connection per thread): set DATABASE_URL=postgres://…",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_managers_deciding_at_once_one_wins_and_the_other_is_told(desk, staff):
    _flows, models, services = _approvals()
    case = desk.case(stage=Stage.LAWYER_LETTER)
    request = services.write_off_request(case, actor=staff.legal, reason="无法追回")
    barrier = threading.Barrier(2)
    outcomes: list = [None, None]

    def decide(i: int, manager) -> None:
        try:
            barrier.wait()
            services.approval_decide(
                models.ApprovalRequest.objects.get(pk=request.pk),
                actor=manager,
                approve=i == 0,
                comment=f"manager {i}",
            )
            outcomes[i] = "decided"
        except Exception as exc:  # asserted below
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=decide, args=(i, m))
        for i, m in enumerate([staff.manager, staff.other_manager])
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert outcomes.count("decided") == 1, outcomes
    loser = next(o for o in outcomes if o != "decided")
    assert isinstance(loser, services.ApprovalError), outcomes
    request.refresh_from_db()
    assert request.status in (models.ApprovalStatus.APPROVED, models.ApprovalStatus.REJECTED)
    assert len(desk.decision_entries(case, request)) == 1
