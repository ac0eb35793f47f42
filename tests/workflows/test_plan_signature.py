"""Installment agreements the owner signed (issue 12, part 5): an approved plan waits for the
signature; only the signed agreement (date and scan) restarts the limitation period — from the
signing date — and moves the case to payment_plan. The plan's progress counts only payments
to its own charges. Whether late fee accrues during a plan is printed in the agreement."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from cases.limitation import RestartKind
from cases.models import EvidenceKind, InstallmentPlan, Stage, StoredFile
from cases.selectors.limitation import charge_clocks
from cases.services.ledger import charge_issue, payment_record
from cases.services.plan import plan_paid_towards, plan_sign
from legal_docs.kinds import DocumentKind
from legal_docs.models import LegalDocument
from tests.cases.conftest import png_image

pytestmark = pytest.mark.usefixtures("system_actor_may_log_contacts")

SHANGHAI = ZoneInfo("Asia/Shanghai")
APPROVED_AT = dt.datetime(2026, 6, 15, 10, tzinfo=SHANGHAI)
APPROVED_ON = APPROVED_AT.date()


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(APPROVED_AT, tick=False):
        yield


@pytest.fixture
def approved(desk, staff, django_capture_on_commit_callbacks):
    """A plan for 1,200.00 due 100 days ago (120.00 of late fee), in two parts, proposed and
    approved on 2026-06-15."""
    from workflows.approvals.services import approval_decide, installment_plan_propose

    case = desk.case(stage=Stage.DEMAND_LETTER, owing="1200.00", days_overdue=100)
    request = installment_plan_propose(
        case,
        actor=staff.collector,
        installments=[
            (1, APPROVED_ON + dt.timedelta(days=30), Decimal("660.00")),
            (2, APPROVED_ON + dt.timedelta(days=60), Decimal("660.00")),
        ],
        reason="业主失业，家庭困难",
    )
    with django_capture_on_commit_callbacks(execute=True):
        approval_decide(request, actor=staff.manager, approve=True)
    return case, InstallmentPlan.objects.get(pk=request.plan_id)


def _restart(case, on: dt.date):
    (clock,) = charge_clocks(case, as_of=on)
    return clock.event_kind, clock.event_on


def _sign(plan, staff, on: dt.date, **kwargs):
    return plan_sign(
        plan,
        actor=kwargs.pop("actor", staff.legal),
        signed_on=on,
        scan=kwargs.pop("scan", png_image(11)),
        scan_name="分期付款协议-签字.png",
        **kwargs,
    )


def test_an_approved_plan_waits_for_the_signature(desk, approved):
    case, plan = approved

    assert plan.status == InstallmentPlan.Status.APPROVED
    assert plan.get_status_display() == "Approved, awaiting signature"
    assert desk.stage(case) == Stage.DEMAND_LETTER  # no payment_plan stage yet
    assert _restart(case, APPROVED_ON)[0] != RestartKind.INSTALLMENT_AGREEMENT  # no restart
    (agreement,) = LegalDocument.objects.filter(case=case)
    assert agreement.kind == DocumentKind.INSTALLMENT_AGREEMENT  # generated for signing
    assert list(plan.charges.all()) == list(case.unit.charges.all())


def test_signed_on_d_restarts_the_period_at_d_and_starts_the_plan(desk, staff, approved):
    case, plan = approved
    signed_on = APPROVED_ON + dt.timedelta(days=3)

    with time_machine.travel(APPROVED_AT + dt.timedelta(days=5), tick=False):
        _sign(plan, staff, signed_on)

    plan.refresh_from_db()
    assert (plan.status, plan.signed_on) == (InstallmentPlan.Status.SIGNED, signed_on)
    assert plan.signed_scan is not None and plan.signature_recorded_by == staff.legal
    fresh = desk.fresh(case)
    assert (fresh.stage, fresh.return_stage) == (Stage.PAYMENT_PLAN, Stage.DEMAND_LETTER)
    assert _restart(case, signed_on + dt.timedelta(days=10)) == (
        RestartKind.INSTALLMENT_AGREEMENT,
        signed_on,
    )
    entry = desk.entries(case, EvidenceKind.TRANSITION)[-1]
    data = desk.data(entry)
    assert (data["transition"], data["signed_on"]) == ("start_payment_plan", "2026-06-18")
    assert data["signed_scan"] == plan.signed_scan_id
    assert entry.file_sha256 == plan.signed_scan_id or plan.signed_scan_id in entry.body


@pytest.mark.parametrize(
    ("signed_on", "says"),
    [
        (APPROVED_ON - dt.timedelta(days=1), "before the plan was approved on 2026-06-15"),
        (APPROVED_ON + dt.timedelta(days=1), "is in the future"),
    ],
)
def test_a_signing_date_before_approval_or_in_the_future_is_refused(
    desk, staff, approved, signed_on, says
):
    case, plan = approved
    files = StoredFile.objects.count()

    with pytest.raises(ValidationError) as refused:
        _sign(plan, staff, signed_on)

    assert says in refused.value.message_dict["signed_on"][0]
    plan.refresh_from_db()
    assert (plan.status, plan.signed_on) == (InstallmentPlan.Status.APPROVED, None)
    assert desk.stage(case) == Stage.DEMAND_LETTER
    assert StoredFile.objects.count() == files


def test_the_signed_scan_is_required(desk, staff, approved):
    _case, plan = approved
    with pytest.raises(ValidationError) as refused:
        _sign(plan, staff, APPROVED_ON, scan=None)
    assert "signed_scan" in refused.value.message_dict


def test_a_collector_cannot_record_the_signature(staff, approved):
    from cases.services.case import CaseForbidden

    _case, plan = approved
    with pytest.raises(CaseForbidden):
        _sign(plan, staff, APPROVED_ON, actor=staff.collector)


def test_progress_ignores_a_new_monthly_fee_payment(desk, staff, approved):
    case, plan = approved
    _sign(plan, staff, APPROVED_ON)
    july = charge_issue(
        case.unit,
        item="management_fee",
        period_start=dt.date(2026, 6, 1),
        period_end=dt.date(2026, 6, 30),
        amount=Decimal("300.00"),
        due_date=APPROVED_ON,
        issued_on=dt.date(2026, 6, 1),
    )

    payment_record(
        case.unit,
        amount=Decimal("300.00"),
        paid_on=APPROVED_ON,
        actor=staff.legal,
        designated_charges=[july],
    )
    assert plan_paid_towards(plan, as_of=APPROVED_ON) == Decimal("0")

    payment_record(case.unit, amount=Decimal("660.00"), paid_on=APPROVED_ON, actor=staff.legal)
    assert plan_paid_towards(plan, as_of=APPROVED_ON) == Decimal("660.00")


def test_the_case_page_shows_the_plan_and_takes_the_signature(desk, staff, approved):
    case, plan = approved
    client = Client()
    client.force_login(staff.legal)
    detail = reverse("workspaces:case:detail", kwargs={"pk": case.pk})

    html = client.get(detail).content.decode()
    assert "Approved, awaiting signature" in html
    url = reverse("workspaces:case:plan_sign", kwargs={"pk": case.pk, "plan_pk": plan.pk})
    assert url in html

    refused = client.post(
        url,
        {
            "signed_on": (APPROVED_ON - dt.timedelta(days=2)).isoformat(),
            "signed_scan": SimpleUploadedFile("scan.png", png_image(12), "image/png"),
        },
    )
    assert refused.status_code == 200
    assert "before the plan was approved on 2026-06-15" in refused.content.decode()

    response = client.post(
        url,
        {
            "signed_on": APPROVED_ON.isoformat(),
            "signed_scan": SimpleUploadedFile("scan.png", png_image(12), "image/png"),
        },
    )
    assert response.status_code == 302
    assert desk.stage(case) == Stage.PAYMENT_PLAN
    assert "Signed (in force)" in client.get(detail).content.decode()


@pytest.mark.parametrize(
    ("accrues", "clause"),
    [(True, "继续按约定计收滞纳金"), (False, "不再计收滞纳金")],
)
def test_the_agreement_states_whether_late_fee_accrues_during_the_plan(
    desk, staff, django_capture_on_commit_callbacks, accrues, clause
):
    from cases.storage import blob_read
    from legal_docs.rendering import docx_text
    from workflows.approvals.services import approval_decide, installment_plan_propose

    desk.estate.late_fee_accrues_during_plan = accrues
    desk.estate.save()
    case = desk.case(stage=Stage.REMINDING, owing="1000.00", days_overdue=10)
    request = installment_plan_propose(
        case,
        actor=staff.collector,
        installments=[(1, APPROVED_ON + dt.timedelta(days=30), Decimal("1010.00"))],
        reason="困难",
    )
    with django_capture_on_commit_callbacks(execute=True):
        approval_decide(request, actor=staff.manager, approve=True)

    (agreement,) = LegalDocument.objects.filter(case=case)
    assert agreement.context["late_fee_accrues_during_plan"] is accrues
    assert clause in docx_text(blob_read(agreement.sha256))
