"""The manager's withdrawal decision after a principal-only payment (issue 12, part 4): the
decision page shows the payments and what remains; approving without waiving it is refused,
naming it; approving with the waiver leaves 0.00 due, the case withdrawn and closed, with the
waiver's and the decision's evidence entries; rejecting keeps the case open."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from cases.models import Adjustment, EvidenceKind, Stage
from cases.selectors.ledger import arrears_for_unit
from cases.services.ledger import payment_record
from cases.storage import blob_read
from legal_docs.kinds import DocumentKind
from legal_docs.models import LegalDocument
from legal_docs.rendering import docx_text

pytestmark = pytest.mark.usefixtures("system_actor_may_log_contacts")

NOW = dt.datetime(2026, 6, 15, 10, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def paid_principal(desk, staff, django_capture_on_commit_callbacks):
    """1,200.00 due 90 days ago at 1‰ a day (108.00 of late fee); after the lawyer letter
    the owner pays the 1,200.00 of principal only, with receipt RC-0615."""
    from workflows.approvals.models import ApprovalKind, ApprovalRequest

    case = desk.case(stage=Stage.LAWYER_LETTER, owing="1200.00", days_overdue=90)
    with django_capture_on_commit_callbacks(execute=True):
        payment_record(
            case.unit,
            amount=Decimal("1200.00"),
            paid_on=desk.today,
            actor=staff.legal,
            reference="RC-0615",
        )
    request = ApprovalRequest.objects.get(case=case, kind=ApprovalKind.WITHDRAWAL)
    return case, request


def _manager(staff) -> Client:
    client = Client()
    client.force_login(staff.manager)
    return client


def _decide_url(request) -> str:
    return reverse("workspaces:manager:decide", kwargs={"request_pk": request.pk})


def test_principal_paid_after_the_lawyer_letter_asks_the_manager(desk, staff, paid_principal):
    case, request = paid_principal
    assert desk.stage(case) == Stage.WITHDRAWAL_PENDING
    assert request.requested_by == staff.system
    owed = arrears_for_unit(case.unit, as_of=desk.today)
    assert (owed.principal, owed.late_fee_payable) == (Decimal(0), Decimal("108.00"))


def test_the_decision_page_shows_the_payments_and_the_remainder(desk, staff, paid_principal):
    _case, request = paid_principal

    html = _manager(staff).get(_decide_url(request)).content.decode()

    assert 'data-testid="remainder-late-fee">¥108.00' in html
    assert 'data-testid="remainder-principal">¥0.00' in html
    assert 'data-testid="remainder-total"><strong>¥108.00' in html
    assert "RC-0615" in html and "1,200.00" in html
    assert 'name="waive_remainder"' in html


def test_approving_without_the_waiver_is_refused_naming_the_remainder(desk, staff, paid_principal):
    case, request = paid_principal

    response = _manager(staff).post(_decide_url(request), {"decision": "approve", "comment": ""})

    assert response.status_code == 200
    html = response.content.decode()
    assert "Not paid in full: 108.00 remains (principal 0.00, late fee 108.00)" in html
    request.refresh_from_db()
    assert request.status == "pending"
    assert desk.stage(case) == Stage.WITHDRAWAL_PENDING
    assert not Adjustment.objects.filter(unit=case.unit).exists()


def test_approving_with_the_waiver_leaves_nothing_due_and_closes_the_case(
    desk, staff, paid_principal, django_capture_on_commit_callbacks
):
    case, request = paid_principal

    with django_capture_on_commit_callbacks(execute=True):
        response = _manager(staff).post(
            _decide_url(request),
            {
                "decision": "approve",
                "comment": "业主已缴清本金，滞纳金予以减免",
                "waive_remainder": "on",
            },
        )

    assert response.status_code == 302
    owed = arrears_for_unit(case.unit, as_of=desk.today)
    assert owed.remainder == Decimal("0.00") and owed.paid_in_full
    assert desk.stage(case) == Stage.CLOSED
    (waiver,) = Adjustment.objects.filter(unit=case.unit)
    assert (waiver.kind, waiver.amount) == (Adjustment.Kind.LATE_FEE_WAIVER, Decimal("108.00"))
    assert (waiver.requested_by, waiver.approved_by) == (staff.system, staff.manager)
    kinds = [e.kind for e in desk.entries(case)]
    at = kinds.index(EvidenceKind.ADJUSTMENT)
    assert kinds[at + 1] == EvidenceKind.TRANSITION
    decision = desk.data(desk.entries(case)[at + 1])
    assert (decision["transition"], decision["params"]["waived"]) == (
        "approve_withdrawal",
        "{'late_fee': '108.00'}",
    )
    assert desk.data(desk.entries(case)[at])["amount"] == "108.00"
    (notice,) = LegalDocument.objects.filter(case=case)
    assert notice.kind == DocumentKind.LAWYER_LETTER_WITHDRAWAL
    text = docx_text(blob_read(notice.sha256))
    # The payment with its date and amount, then the waiver with the day it was approved.
    assert re.search(r"您已于\d{4}年\d{1,2}月\d{1,2}日缴纳人民币[\d,]+\.\d\d元", text)
    assert "其余滞纳金人民币108.00元经委托人于2026年6月15日同意予以减免" in text
    assert "缴清全部欠费" not in text


def test_rejecting_keeps_the_case_open(desk, staff, paid_principal):
    case, request = paid_principal

    response = _manager(staff).post(
        _decide_url(request), {"decision": "reject", "comment": "滞纳金应缴"}
    )

    assert response.status_code == 302
    assert desk.stage(case) == Stage.LAWYER_LETTER
    assert arrears_for_unit(case.unit, as_of=desk.today).remainder == Decimal("108.00")


def test_the_case_page_lists_the_payment_and_what_it_paid(desk, staff, paid_principal):
    case, _request = paid_principal
    client = Client()
    client.force_login(staff.legal)

    html = client.get(reverse("workspaces:case:detail", kwargs={"pk": case.pk})).content.decode()

    assert 'data-testid="payments"' in html
    assert "RC-0615" in html
    assert 'data-testid="remainder-total"><strong>¥108.00' in html
