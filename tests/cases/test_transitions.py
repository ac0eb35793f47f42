"""The case state machine through ``case_transition``: the whole escalation path, the
"back to where it came from" steps, stale reads, wrong stages, and the after-commit signal."""

from __future__ import annotations

import json

import pytest

from cases.models import Case, DeliveryStatus, EvidenceKind, Letter, Stage
from cases.services.case import (
    CaseError,
    TransitionConflict,
    TransitionRefused,
    case_open,
    case_transition,
)
from cases.services.evidence import evidence_verify
from cases.signals import case_stage_changed

pytestmark = pytest.mark.django_db


def _data(entry) -> dict:
    return json.loads(entry.body)["data"]


def test_a_case_walks_from_new_to_enforcement_leaving_one_entry_per_step(kit):
    case = kit.case(owing="6000.00", days_overdue=400)
    people = kit.people

    steps = [
        ("start_reminding", people.collector, Stage.REMINDING),
        ("issue_demand", people.legal_officer, Stage.DEMAND_LETTER),
        ("issue_lawyer_letter", people.legal_officer, Stage.LAWYER_LETTER),
        ("file_litigation", people.legal_officer, Stage.LITIGATION),
        ("record_summons", people.legal_officer, Stage.LITIGATION),
        ("record_judgment", people.legal_officer, Stage.JUDGMENT),
        ("apply_enforcement", people.legal_officer, Stage.ENFORCEMENT),
    ]
    for name, actor, target in steps:
        if name == "issue_demand":
            kit.documented_contacts(case)
        if name == "issue_lawyer_letter":
            kit.deliver(case, Letter.DEMAND_LETTER, days_ago=40)
        if name == "file_litigation":
            kit.deliver(case, Letter.LAWYER_LETTER, days_ago=20)
        source = kit.stage(case)
        before = kit.entry_count(case)
        case = kit.transition(case, name, actor=actor)

        assert case.stage == target == kit.stage(case)
        entries = kit.entries(case)
        assert len(entries) == before + 1
        last = entries[-1]
        assert last.kind == EvidenceKind.TRANSITION
        assert last.actor_id == actor.pk
        assert _data(last) | {"transition": name, "from": source, "to": target} == _data(last)

    case.refresh_from_db()
    assert case.court == "杭州市西湖区人民法院"
    assert case.filed_on == kit.as_of
    assert case.summons_served_on == kit.as_of
    assert case.judgment_on == kit.as_of
    assert [e.seq for e in kit.entries(case)] == list(range(1, kit.entry_count(case) + 1))
    assert evidence_verify([case.pk]) == []


@pytest.mark.parametrize(
    ("stage", "away", "back"),
    [
        (Stage.REMINDING, "hold", "resume"),
        (Stage.LITIGATION, "hold", "resume"),
        (Stage.DEMAND_LETTER, "start_payment_plan", "default_payment_plan"),
        (Stage.JUDGMENT, "start_payment_plan", "default_payment_plan"),
        (Stage.LITIGATION, "request_withdrawal", "reject_withdrawal"),
    ],
)
def test_a_paused_case_returns_to_the_stage_it_came_from(kit, stage, away, back):
    case = kit.case(stage=stage)
    case = kit.transition(case, away)
    assert case.stage != stage
    assert case.return_stage == stage

    case = kit.transition(case, back)

    assert case.stage == stage == kit.stage(case)
    assert [e.kind for e in kit.entries(case)][-2:] == [EvidenceKind.TRANSITION] * 2


def test_a_stale_read_is_a_conflict_and_writes_nothing(kit):
    case = kit.case()
    seen_by_legal = kit.fresh(case)  # both read the case at "new"
    kit.transition(case, "start_reminding", actor=kit.people.collector)
    before = kit.entry_count(case)

    with pytest.raises(TransitionConflict) as conflict:
        case_transition(seen_by_legal, "hold", actor=kit.people.legal_officer, as_of=kit.as_of)

    assert "Reload the case" in conflict.value.message
    assert kit.stage(case) == Stage.REMINDING
    assert kit.entry_count(case) == before


def test_expected_stage_overrides_the_stage_of_the_object_passed(kit):
    case = kit.case(stage=Stage.REMINDING)

    with pytest.raises(TransitionConflict):
        kit.transition(case, "hold", expected_stage=Stage.NEW)
    assert kit.stage(case) == Stage.REMINDING


def test_a_step_from_the_wrong_stage_is_refused_naming_the_stage(kit):
    case = kit.case(stage=Stage.REMINDING, owing="9000.00")
    before = kit.written_counts()

    with pytest.raises(TransitionRefused) as refused:
        kit.transition(case, "issue_lawyer_letter")

    assert "not possible while the case is at" in refused.value.message
    assert "Friendly reminders" in refused.value.message
    assert kit.written_counts() == before


def test_an_unknown_step_is_refused(kit):
    case = kit.case()
    with pytest.raises(CaseError, match="Unknown step"):
        kit.transition(case, "cut_the_water", actor=kit.people.manager)
    assert kit.stage(case) == Stage.NEW


def test_the_summons_is_recorded_once(kit):
    case = kit.case(stage=Stage.LITIGATION)
    Case.objects.filter(pk=case.pk).update(filed_on=kit.as_of)
    kit.transition(case, "record_summons")

    with pytest.raises(TransitionRefused, match="already recorded as served"):
        kit.transition(case, "record_summons")


def test_no_judgment_without_a_filing(kit):
    case = kit.case(stage=Stage.LITIGATION)
    with pytest.raises(TransitionRefused, match="Nothing has been filed"):
        kit.transition(case, "record_judgment")
    assert kit.stage(case) == Stage.LITIGATION


def test_a_written_off_case_closes_with_principal_owed(kit):
    case = kit.case(stage=Stage.DEMAND_LETTER, owing="800.00")
    kit.transition(case, "write_off", actor=kit.people.manager)

    case = kit.transition(case, "close", actor=kit.people.manager)

    assert case.stage == Stage.CLOSED
    assert case.closed_on == kit.as_of


def test_a_withdrawn_case_with_principal_owed_cannot_be_closed(kit):
    case = kit.case(stage=Stage.WITHDRAWN, owing="800.00")
    with pytest.raises(TransitionRefused, match=r"Not paid in full: .*principal 800\.00"):
        kit.transition(case, "close", actor=kit.people.manager)
    assert kit.stage(case) == Stage.WITHDRAWN


def test_a_closed_case_takes_no_step_and_the_unit_can_get_a_new_case(kit):
    case = kit.case(stage=Stage.WRITTEN_OFF)
    kit.transition(case, "close", actor=kit.people.manager)
    for name in ("start_reminding", "hold", "write_off", "close"):
        with pytest.raises(TransitionRefused):
            kit.transition(case, name)

    again = case_open(case.unit, actor=kit.people.system, on=kit.as_of)

    assert again.pk != case.pk
    assert again.stage == Stage.NEW


def test_only_one_open_case_per_unit(kit):
    case = kit.case()
    before = kit.written_counts()
    with pytest.raises(CaseError, match="already has an open case"):
        case_open(case.unit, actor=kit.people.system, on=kit.as_of)
    assert kit.written_counts() == before


def test_the_stage_changed_signal_is_sent_after_commit_only_for_done_steps(
    kit, django_capture_on_commit_callbacks
):
    case = kit.case()
    heard = []

    def receiver(sender, **kwargs):
        heard.append(kwargs)

    case_stage_changed.connect(receiver)
    try:
        with (
            django_capture_on_commit_callbacks(execute=True) as refused_callbacks,
            pytest.raises(TransitionRefused),
        ):
            kit.transition(case, "issue_demand")  # not from "new"
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            kit.transition(case, "start_reminding", actor=kit.people.collector)
        assert heard == []  # nothing before the commit
        assert (len(refused_callbacks), len(callbacks)) == (0, 1)
        callbacks[0]()
    finally:
        case_stage_changed.disconnect(receiver)

    entry = kit.entries(case)[-1]
    assert len(heard) == 1
    assert (
        heard[0]
        | {
            "case_id": case.pk,
            "transition": "start_reminding",
            "source": Stage.NEW,
            "target": Stage.REMINDING,
            "evidence_id": entry.pk,
            "actor_id": kit.people.collector.pk,
        }
        == heard[0]
    )


def test_a_refused_letter_counts_as_served(kit):
    """拒收: a refused letter has reached the debtor; its deadline runs."""
    case = kit.case(stage=Stage.DEMAND_LETTER, owing="5000.00", days_overdue=100)
    kit.deliver(case, Letter.DEMAND_LETTER, days_ago=20, status=DeliveryStatus.REFUSED)

    case = kit.transition(case, "issue_lawyer_letter")

    assert case.stage == Stage.LAWYER_LETTER
