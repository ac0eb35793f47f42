"""Payment orders (支付令): eligibility with its reasons, the 15-day objection timer on fixed
clocks, and demand before suit (Civil Code art. 944)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from cases.models import (
    Case,
    Delivery,
    EvidenceEntry,
    JudgmentKind,
    Letter,
    LitigationKind,
    Party,
    Stage,
)
from cases.policy import payment_order_eligibility, payment_order_eligible
from cases.services.case import TransitionRefused

pytestmark = pytest.mark.django_db

FILED = dt.date(2026, 5, 20)
SERVED = dt.date(2026, 6, 1)
DAY_15 = dt.date(2026, 6, 16)
DAY_16 = dt.date(2026, 6, 17)


@pytest.fixture
def ready(kit):
    """A case at the lawyer-letter stage, demand and lawyer letter served and expired, the
    owner in China at a known address: ready for a payment order."""
    unit = kit.unit(phone="13800000001")
    case = kit.case(stage=Stage.LAWYER_LETTER, owing="6000.00", days_overdue=400, unit=unit)
    kit.deliver(case, Letter.DEMAND_LETTER, days_ago=60)
    kit.deliver(case, Letter.LAWYER_LETTER, days_ago=30)
    return kit.fresh(case)


def codes(conditions, *, ok):
    return {c.code for c in conditions if c.ok is ok}


def test_an_eligible_case_meets_every_condition(ready, kit):
    conditions = payment_order_eligibility(ready, as_of=kit.as_of)
    assert codes(conditions, ok=False) == set()
    assert {c.code for c in conditions} >= {
        "debt_due",
        "no_counter_obligation",
        "debtor_in_china",
        "known_address",
        "no_preservation",
        "late_fees",
    }
    assert payment_order_eligible(ready, as_of=kit.as_of).ok


@pytest.mark.parametrize(
    ("change", "code", "says"),
    [
        ("owes", "no_counter_obligation", "owes the owner something in return"),
        ("abroad", "debtor_in_china", "does not live in mainland China"),
        ("no_address", "known_address", "No address for service"),
        ("preservation", "no_preservation", "preservation"),
        ("paid", "debt_due", "Nothing is due"),
        ("no_party", "debtor_known", "No liable party"),
    ],
)
def test_each_failing_condition_gives_its_reason(ready, kit, change, code, says):
    party = Party.objects.get(unit_links__unit=ready.unit)
    if change == "owes":
        Case.objects.filter(pk=ready.pk).update(company_owes_debtor=True)
    elif change == "preservation":
        Case.objects.filter(pk=ready.pk).update(preservation_applied=True)
    elif change == "abroad":
        Party.objects.filter(pk=party.pk).update(lives_in_china=False)
    elif change == "no_address":
        Party.objects.filter(pk=party.pk).update(address=" ")
    elif change == "paid":
        kit.pay(ready.unit, "6000.00", on=kit.as_of)
    elif change == "no_party":
        ready.unit.unit_parties.all().delete()
    case = kit.fresh(ready)
    failing = [c for c in payment_order_eligibility(case, as_of=kit.as_of) if not c.ok]
    assert [c.code for c in failing] == [code]
    assert says in failing[0].reason
    verdict = payment_order_eligible(case, as_of=kit.as_of)
    assert not verdict.ok and says in verdict.reason


def test_late_fees_are_left_out_when_the_contract_has_none(ready, kit):
    from legal_docs.contexts import build_context
    from legal_docs.kinds import DocumentKind

    def claims():
        context = build_context(
            DocumentKind.PAYMENT_ORDER_APPLICATION,
            unit=kit.fresh(ready).unit,
            case=ready,
            as_of=kit.as_of,
        )
        return [c["text"] for c in context["claims"]], context["claim_total"]

    with_fees, total_with = claims()
    assert len(with_fees) == 2 and "违约金" in with_fees[1]
    kit.estate.contract_provides_late_fees = False
    kit.estate.save()
    without, total_without = claims()
    assert len(without) == 1 and "违约金" not in without[0]
    assert total_without == "6,000.00" and total_with != total_without
    (late_fees,) = [c for c in payment_order_eligibility(kit.fresh(ready)) if c.code == "late_fees"]
    assert late_fees.ok and "provides none" in late_fees.reason


def test_filing_a_payment_order_is_refused_with_the_reasons(ready, kit):
    Case.objects.filter(pk=ready.pk).update(company_owes_debtor=True, preservation_applied=True)
    before = kit.written_counts()
    with pytest.raises(TransitionRefused) as refused:
        kit.transition(ready, "file_litigation", kind=LitigationKind.PAYMENT_ORDER)
    assert "owes the owner something in return" in refused.value.message
    assert "preservation" in refused.value.message
    assert kit.stage(ready) == Stage.LAWYER_LETTER
    assert kit.written_counts() == before
    # A lawsuit is still open to the company.
    done = kit.transition(ready, "file_litigation", kind=LitigationKind.LAWSUIT)
    assert done.stage == Stage.LITIGATION


# --- demand before suit (Civil Code art. 944) -------------------------------------------------


@pytest.mark.parametrize(
    ("demand_days_ago", "says"),
    [(None, "No demand letter has been proven served yet."), (10, "has not passed yet")],
)
def test_no_litigation_without_a_served_expired_demand(kit, demand_days_ago, says):
    case = kit.case(stage=Stage.LAWYER_LETTER, owing="6000.00", days_overdue=400)
    if demand_days_ago is not None:
        kit.deliver(case, Letter.DEMAND_LETTER, days_ago=demand_days_ago)
    kit.deliver(case, Letter.LAWYER_LETTER, days_ago=30)
    before = kit.written_counts()
    for kind in LitigationKind.values:
        with pytest.raises(TransitionRefused) as refused:
            kit.transition(case, "file_litigation", kind=kind)
        assert says in refused.value.message
        assert (
            "art. 944" in refused.value.message and "民法典第九百四十四条" in refused.value.message
        )
    assert kit.written_counts() == before


def test_a_returned_demand_is_no_demand(kit):
    case = kit.case(stage=Stage.LAWYER_LETTER, owing="6000.00", days_overdue=400)
    kit.deliver(case, Letter.DEMAND_LETTER, days_ago=60, status="returned")
    kit.deliver(case, Letter.LAWYER_LETTER, days_ago=30)
    with pytest.raises(TransitionRefused, match=r"art\. 944"):
        kit.transition(case, "file_litigation")


# --- the 15-day objection timer ---------------------------------------------------------------


@pytest.fixture
def served(ready, kit):
    """A payment order filed on 2026-05-20 and served on the debtor on 2026-06-01."""
    kit.transition(ready, "file_litigation", kind=LitigationKind.PAYMENT_ORDER, filed_on=FILED)
    case = kit.transition(ready, "record_payment_order_service", served_on=SERVED)
    assert (case.payment_order_served_on, case.objection_deadline) == (SERVED, DAY_15)
    return case


def test_service_is_recorded_once_and_only_for_a_payment_order(served, kit):
    with pytest.raises(TransitionRefused, match="already recorded as served"):
        kit.transition(served, "record_payment_order_service", served_on=SERVED)
    lawsuit = kit.case(stage=Stage.LITIGATION)
    Case.objects.filter(pk=lawsuit.pk).update(litigation_kind="lawsuit", filed_on=FILED)
    with pytest.raises(TransitionRefused, match="No payment order"):
        kit.transition(lawsuit, "record_payment_order_service", served_on=SERVED)


def test_a_service_date_before_the_filing_is_refused(ready, kit):
    kit.transition(ready, "file_litigation", kind=LitigationKind.PAYMENT_ORDER, filed_on=FILED)
    with pytest.raises(TransitionRefused, match="before the application was filed"):
        kit.transition(ready, "record_payment_order_service", served_on=FILED - dt.timedelta(1))


def test_no_objection_by_day_15_makes_the_order_effective_on_day_16(served, kit):
    from workflows.clocks import payment_orders_effective

    entries = kit.entry_count(served)
    assert payment_orders_effective(as_of=DAY_15).effective == 0
    assert kit.stage(served) == Stage.LITIGATION
    with pytest.raises(TransitionRefused, match="may still pay or object until 2026-06-16"):
        kit.transition(served, "payment_order_effective", as_of=DAY_15)

    report = payment_orders_effective(as_of=DAY_16)
    assert (report.effective, report.errors) == (1, [])
    case = kit.fresh(served)
    assert case.stage == Stage.JUDGMENT
    assert (case.judgment_kind, case.judgment_on) == (JudgmentKind.PAYMENT_ORDER_EFFECTIVE, DAY_16)
    assert kit.entry_count(case) == entries + 1
    last = EvidenceEntry.objects.filter(case=case).order_by("-seq").first()
    assert '"transition":"payment_order_effective"' in last.body
    # Run again: nothing more to do; enforcement may now be applied for.
    assert payment_orders_effective(as_of=DAY_16).effective == 0
    assert kit.entry_count(case) == entries + 1
    assert kit.transition(case, "apply_enforcement").stage == Stage.ENFORCEMENT


def test_an_objection_on_day_15_turns_the_case_into_a_lawsuit(served, kit):
    from workflows.clocks import payment_orders_effective

    entries = kit.entry_count(served)
    case = kit.transition(served, "record_objection", on=DAY_15)
    assert (case.stage, case.litigation_kind, case.objected_on) == (
        Stage.LITIGATION,
        LitigationKind.LAWSUIT,
        DAY_15,
    )
    assert kit.entry_count(case) == entries + 1
    assert payment_orders_effective(as_of=DAY_16 + dt.timedelta(days=30)).effective == 0
    assert kit.stage(case) == Stage.LITIGATION
    with pytest.raises(TransitionRefused, match="objected"):
        kit.transition(case, "payment_order_effective")
    # It goes on as a lawsuit: summons, then judgment.
    case = kit.transition(case, "record_summons", served_on=kit.as_of)
    assert case.summons_served_on == kit.as_of


def test_an_objection_after_day_15_is_refused_and_the_order_stands(served, kit):
    before = kit.written_counts()
    with pytest.raises(TransitionRefused, match="after the 15-day deadline"):
        kit.transition(served, "record_objection", on=DAY_16)
    assert kit.written_counts() == before
    assert kit.fresh(served).litigation_kind == LitigationKind.PAYMENT_ORDER


def test_the_sweep_names_the_payment_order_steps(served, kit):
    from cases.services.sweep import sweep_run

    sweep_run(as_of=DAY_15)
    case = kit.fresh(served)
    assert (case.next_step, case.next_step_eligible) == ("payment_order_effective", False)
    sweep_run(as_of=DAY_16)
    case = kit.fresh(served)
    assert (case.next_step, case.next_step_eligible) == ("payment_order_effective", True)


def test_the_served_demand_letters_are_unchanged_by_the_payment_order(served):
    assert Delivery.objects.filter(case=served).count() == 2
    assert Decimal(str(served.principal_snapshot)) >= 0
