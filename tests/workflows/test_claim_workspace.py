"""The case page shows the late fee as the contract accrues it and as claimed, with the
basis and the LPR row used; time-barred charges are listed apart, and a legal officer (only)
includes one in the claim with a reason (issue 12 part 6)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from cases.models import ChargeItem, ClaimInclusion, EvidenceEntry
from cases.roles import Role
from cases.services.case import case_open
from tests.factories import EstateFactory, UnitFactory, charge_for, user_in_role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(
        dt.datetime(2026, 6, 30, 10, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False
    ):
        yield


@pytest.fixture
def barred():
    estate = EstateFactory(
        late_fee_daily_rate=Decimal("0.001"),
        grace_days=0,
        late_fee_claim_policy="cap_lpr",
        late_fee_lpr_multiple=Decimal("1.30"),
    )
    unit = UnitFactory(estate=estate)
    charge_for(unit, "10000.00", due_date=dt.date(2025, 6, 30))
    old = charge_for(unit, "800.00", due_date=dt.date(2022, 1, 25), item=ChargeItem.WATER)
    collector = user_in_role(Role.COLLECTOR, username="collector_li")
    legal = user_in_role(Role.LEGAL_OFFICER, username="legal_zhao")
    case = case_open(unit, actor=legal, on=dt.date(2026, 6, 30), collector=collector)
    return case, old, collector, legal


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_case_page_shows_both_figures_the_basis_the_lpr_row_and_the_time_barred(barred):
    case, old, _collector, legal = barred
    html = client_for(legal).get(reverse("workspaces:case:detail", args=[case.pk])).content
    html = html.decode()

    # 365 days: contract 10,000 × 0.001 × 365 = 3,650.00; cap 10,000 × 365 × 3.90% ÷ 365 = 390.00
    assert 'data-testid="late-fee-contractual">¥3,650.00' in html
    assert 'data-testid="late-fee-claimed">¥390.00' in html
    assert "按一年期贷款市场报价利率3.00%的1.3倍（年利率3.90%）计算" in html
    assert "2025-05-20" in html  # the LPR row used
    assert 'data-testid="claim-total">¥10,390.00' in html
    assert 'data-testid="time-barred"' in html
    assert "800.00" in html
    include_url = reverse("workspaces:case:claim_include", args=[case.pk, old.pk])
    assert include_url in html


def test_a_legal_officer_includes_it_with_a_reason_a_collector_may_not(barred):
    case, old, collector, legal = barred
    url = reverse("workspaces:case:claim_include", args=[case.pk, old.pk])

    assert client_for(collector).get(url).status_code == 403
    assert client_for(collector).post(url, {"reason": "x"}).status_code == 403
    blank = client_for(legal).post(url, {"reason": ""})
    assert blank.status_code == 200 and not ClaimInclusion.objects.exists()

    response = client_for(legal).post(url, {"reason": "业主2025年书面确认欠费"})

    assert response.status_code == 302
    inclusion = ClaimInclusion.objects.get()
    assert (inclusion.charge, inclusion.included_by) == (old, legal)
    assert EvidenceEntry.objects.filter(case=case, kind="claim_inclusion").count() == 1
    html = client_for(legal).get(reverse("workspaces:case:detail", args=[case.pk])).content
    assert "业主2025年书面确认欠费" in html.decode()
    assert 'data-testid="claim-total">¥11,' in html.decode()
