"""The period to apply for enforcement (Civil Procedure Law art. 250): two years from the last
day of the performance period, warned at 90 / 30 / 7 days on the case page, the at-risk page and
the manager dashboard, and ended by the application. Every date is fixed."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from cases.enforcement import enforcement_clock, enforcement_last_day
from cases.models import Case, JudgmentKind, LitigationKind, Stage
from cases.selectors.dashboard import enforcement_deadlines
from cases.selectors.enforcement import enforcement_at_risk, enforcement_clock_for
from cases.services.case import TransitionRefused

pytestmark = pytest.mark.django_db

D = dt.date
SERVED = D(2026, 3, 1)
OBJECTION_DEADLINE = D(2026, 3, 16)  # served + 15: the last day to pay (or object)
LAST_DAY_PO = D(2028, 3, 16)  # two years later, same calendar day
EFFECTIVE = D(2026, 4, 10)
PERFORM_BY = D(2026, 4, 30)
LAST_DAY_JUDGMENT = D(2028, 4, 30)


def _litigating(kit, kind) -> Case:
    case = kit.case(stage=Stage.LITIGATION, owing="3000.00", days_overdue=300)
    Case.objects.filter(pk=case.pk).update(litigation_kind=kind, filed_on=D(2026, 2, 10))
    return kit.fresh(case)


@pytest.fixture
def effective_order(kit) -> Case:
    """A payment order served 2026-03-01, no objection: effective on 2026-03-17."""
    case = _litigating(kit, LitigationKind.PAYMENT_ORDER)
    case = kit.transition(case, "record_payment_order_service", served_on=SERVED)
    assert case.objection_deadline == OBJECTION_DEADLINE
    case = kit.transition(case, "payment_order_effective", as_of=D(2026, 3, 17))
    assert case.stage == Stage.JUDGMENT
    return case


@pytest.fixture
def judgment(kit) -> Case:
    """A judgment effective 2026-04-10 that gives the owner until 2026-04-30 to pay."""
    case = _litigating(kit, LitigationKind.LAWSUIT)
    return kit.transition(
        case,
        "record_judgment",
        kind=JudgmentKind.JUDGMENT,
        effective_on=EFFECTIVE,
        performance_deadline=PERFORM_BY,
    )


def test_payment_order_served_1_march_must_be_enforced_by_16_march_two_years_on(
    effective_order,
):
    clock = enforcement_clock_for(effective_order, as_of=D(2026, 6, 30))

    assert clock.performance_ends_on == OBJECTION_DEADLINE
    assert clock.last_day == LAST_DAY_PO
    assert clock.days_left == (LAST_DAY_PO - D(2026, 6, 30)).days == 625
    assert clock.level == "ok" and not clock.warning
    assert "支付令" in clock.basis_label


def test_a_judgment_counts_from_the_performance_deadline_it_states(judgment):
    assert judgment.performance_deadline == PERFORM_BY
    clock = enforcement_clock_for(judgment, as_of=D(2026, 6, 30))

    assert (clock.performance_ends_on, clock.last_day) == (PERFORM_BY, LAST_DAY_JUDGMENT)
    assert "履行期限" in clock.basis_label


def test_a_mediation_without_a_performance_deadline_counts_from_its_effective_date(kit):
    case = _litigating(kit, LitigationKind.LAWSUIT)
    case = kit.transition(
        case, "record_judgment", kind=JudgmentKind.MEDIATION, effective_on=EFFECTIVE
    )

    clock = enforcement_clock_for(case, as_of=D(2026, 6, 30))
    assert (clock.performance_ends_on, clock.last_day) == (EFFECTIVE, D(2028, 4, 10))


def test_a_performance_deadline_before_the_effective_date_is_refused_naming_both(kit):
    case = _litigating(kit, LitigationKind.LAWSUIT)
    before = kit.written_counts()

    with pytest.raises(TransitionRefused, match=r"2026-04-09.*2026-04-10"):
        kit.transition(
            case,
            "record_judgment",
            kind=JudgmentKind.JUDGMENT,
            effective_on=EFFECTIVE,
            performance_deadline=D(2026, 4, 9),
        )
    assert kit.written_counts() == before
    assert kit.stage(case) == Stage.LITIGATION


@pytest.mark.parametrize(
    ("as_of", "days_left", "level"),
    [
        (D(2027, 12, 16), 91, "ok"),
        (D(2027, 12, 17), 90, "90"),
        (D(2028, 2, 14), 31, "90"),
        (D(2028, 2, 15), 30, "30"),
        (D(2028, 3, 8), 8, "30"),
        (D(2028, 3, 9), 7, "7"),
        (LAST_DAY_PO, 0, "7"),
        (D(2028, 3, 17), -1, "expired"),
    ],
)
def test_warnings_at_90_30_and_7_days_and_expiry_the_day_after(
    effective_order, as_of, days_left, level
):
    clock = enforcement_clock_for(effective_order, as_of=as_of)

    assert (clock.days_left, clock.level) == (days_left, level)
    at_risk = [case.pk for case, _clock in enforcement_at_risk(as_of=as_of)]
    assert at_risk == ([] if level == "ok" else [effective_order.pk])


def test_calendar_counting_a_29_february_ends_on_28_february():
    assert enforcement_last_day(D(2028, 2, 29)) == D(2030, 2, 28)
    assert enforcement_last_day(D(2026, 3, 16)) == D(2028, 3, 16)
    clock = enforcement_clock(D(2028, 2, 29), as_of=D(2030, 2, 28), basis="effective_on")
    assert (clock.days_left, clock.level) == (0, "7")


def test_no_clock_and_no_warning_once_enforcement_is_applied_for(effective_order, kit):
    near = D(2028, 3, 10)
    assert enforcement_clock_for(effective_order, as_of=near).level == "7"

    case = kit.transition(effective_order, "apply_enforcement", as_of=D(2026, 7, 1))

    assert case.stage == Stage.ENFORCEMENT
    assert enforcement_clock_for(case, as_of=near) is None
    assert enforcement_at_risk(as_of=near) == []
    assert enforcement_deadlines(as_of=near) == []


def test_no_clock_before_the_instrument(kit):
    case = _litigating(kit, LitigationKind.PAYMENT_ORDER)
    assert enforcement_clock_for(case, as_of=D(2026, 6, 30)) is None


def test_the_case_page_the_at_risk_page_and_the_dashboard_warn(
    effective_order, judgment, kit, client
):
    """On 2028-02-20 the payment order has 25 days left (level 30), the judgment 70 (90)."""
    at = dt.datetime(2028, 2, 20, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(at, tick=False):
        client.force_login(kit.people.manager)
        page = client.get(reverse("workspaces:case:detail", kwargs={"pk": effective_order.pk}))
        dashboard = client.get(reverse("workspaces:manager:dashboard"))
        client.force_login(kit.people.legal_officer)
        at_risk = client.get(reverse("workspaces:legal:limitation"))

    assert page.status_code == 200
    shown = page.content.decode().split('data-testid="enforcement"', 1)[1].split("</dd>")[0]
    assert 'data-level="30"' in shown and "2028-03-16" in shown and "(25 d)" in shown
    assert "2026-03-16" in shown  # the performance period ended on the objection deadline
    for response in (dashboard, at_risk):
        assert response.status_code == 200
        body = response.content.decode()
        section = body.split('data-testid="enforcement-at-risk"', 1)[1].split("</section>")[0]
        assert f"#{effective_order.pk}" in section and f"#{judgment.pk}" in section
        assert section.index(f"#{effective_order.pk}") < section.index(f"#{judgment.pk}")
        assert "2028-03-16" in section and "2028-04-30" in section


def test_the_api_records_the_performance_deadline_and_refuses_one_before_the_judgment(
    kit, frozen_clock
):
    from rest_framework.test import APIClient

    case = _litigating(kit, LitigationKind.LAWSUIT)
    client = APIClient()
    client.force_authenticate(kit.people.legal_officer)
    url = f"/api/cases/{case.pk}/transitions/record_judgment/"

    early = client.post(
        url,
        {"kind": "judgment", "effective_on": "2026-04-10", "performance_deadline": "2026-04-01"},
        format="json",
    )
    assert early.status_code == 409
    assert "2026-04-01" in str(early.json()) and kit.stage(case) == Stage.LITIGATION

    done = client.post(
        url,
        {"kind": "judgment", "effective_on": "2026-04-10", "performance_deadline": "2026-04-30"},
        format="json",
    )
    assert done.status_code == 200, done.json()
    recorded = kit.fresh(case)
    assert (recorded.stage, recorded.performance_deadline) == (Stage.JUDGMENT, PERFORM_BY)
    assert enforcement_clock_for(recorded, as_of=D(2026, 6, 30)).last_day == LAST_DAY_JUDGMENT
