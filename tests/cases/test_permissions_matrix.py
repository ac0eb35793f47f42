"""Who may do what, generated from ``cases.models.case.TRANSITIONS``; and what each role
sees: a collector only the cases assigned to them, phones masked for anyone not on the case,
the company's call scripts for the case's step."""

from __future__ import annotations

import pytest

from cases.models import Case, Channel, ContactAttempt, Stage
from cases.models.case import TRANSITIONS
from cases.permissions import user_may_transition
from cases.roles import Role
from cases.selectors.case import (
    call_scripts_for,
    case_list_for,
    case_view_for,
    party_contacts_for,
)
from cases.services.case import (
    CaseForbidden,
    TransitionRefused,
    case_assign,
    case_for_user,
    contact_log,
)

pytestmark = pytest.mark.django_db

ROLE_KEYS = (
    "collector_assigned",
    "collector_unassigned",
    "legal_officer",
    "manager",
    "finance",
    "system",
)


def _allowed(role_key: str, name: str) -> bool:
    """The table's answer: the role is listed, and a collector only on their own case."""
    if role_key == "collector_unassigned":
        return False
    role = Role.COLLECTOR if role_key == "collector_assigned" else role_key
    return role in TRANSITIONS[name].roles


MATRIX = [
    pytest.param(role_key, name, _allowed(role_key, name), id=f"{role_key}-{name}")
    for name in TRANSITIONS
    for role_key in ROLE_KEYS
]


def test_the_matrix_covers_every_role_and_transition():
    assert {str(r) for r in Role} <= {
        Role.COLLECTOR if k.startswith("collector") else k for k in ROLE_KEYS
    }
    assert len(MATRIX) == len(ROLE_KEYS) * len(TRANSITIONS)
    # Every transition is allowed to somebody and denied to somebody.
    for name in TRANSITIONS:
        verdicts = {allowed for _r, n, allowed in (p.values for p in MATRIX) if n == name}
        assert verdicts == {True, False}, name


@pytest.mark.parametrize(("role_key", "name", "allowed"), MATRIX)
def test_the_permission_matrix(kit, role_key, name, allowed):
    spec = TRANSITIONS[name]
    case = kit.case(stage=spec.sources[0], owing="6000.00", days_overdue=400)
    user = kit.people.for_key(role_key)

    assert user_may_transition(user, case, spec) is allowed

    before = kit.written_counts()
    if not allowed:
        with pytest.raises(CaseForbidden) as forbidden:
            kit.transition(case, name, actor=user)
        assert "Your role may not" in forbidden.value.message
        assert kit.stage(case) == spec.sources[0]
        assert kit.written_counts() == before
        return
    try:
        done = kit.transition(case, name, actor=user)
    except TransitionRefused as refused:  # the guard may say no; the role was not the issue
        assert refused.message
        assert kit.written_counts() == before
    else:
        assert done.stage == (spec.target or case.return_stage) == kit.stage(case)
        assert kit.entry_count() == before["evidence"] + 1


def test_a_superuser_may_take_any_step(kit):
    from tests.factories import UserFactory

    boss = UserFactory(is_superuser=True)
    case = kit.case(stage=Stage.REMINDING)
    for spec in TRANSITIONS.values():
        assert user_may_transition(boss, case, spec)


# --- what each role sees ---------------------------------------------------------------


def test_a_collector_lists_only_the_cases_assigned_to_them(kit):
    mine = [kit.case(), kit.case()]
    theirs = kit.case(collector=kit.people.other_collector)
    nobodys = kit.case(collector=None)

    assert {c.pk for c in case_list_for(kit.people.collector)} == {c.pk for c in mine}
    assert {c.pk for c in case_list_for(kit.people.other_collector)} == {theirs.pk}
    everyone = {c.pk for c in [*mine, theirs, nobodys]}
    for role in ("legal_officer", "manager", "finance", "system"):
        assert {c.pk for c in case_list_for(getattr(kit.people, role))} == everyone


def test_another_collectors_case_does_not_exist_for_a_collector(kit):
    theirs = kit.case(collector=kit.people.other_collector)

    with pytest.raises(Case.DoesNotExist):
        case_for_user(kit.people.collector, theirs.pk)
    with pytest.raises(Case.DoesNotExist):
        case_view_for(kit.people.collector, theirs)
    assert case_for_user(kit.people.other_collector, theirs.pk).pk == theirs.pk
    assert case_for_user(kit.people.manager, theirs.pk).pk == theirs.pk


def test_a_collector_not_on_the_case_cannot_log_a_contact(kit):
    theirs = kit.case(collector=kit.people.other_collector, stage=Stage.REMINDING)
    before = kit.written_counts()

    with pytest.raises(CaseForbidden, match="not assigned"):
        contact_log(theirs, actor=kit.people.collector, channel=Channel.PHONE, outcome="reached")

    assert kit.written_counts() == before
    assert not ContactAttempt.objects.filter(case=theirs).exists()


def test_after_reassignment_the_new_collector_works_the_case_and_the_old_one_cannot(kit):
    case = kit.case()
    case_assign(case, actor=kit.people.manager, collector=kit.people.other_collector)

    kit.contact(case, actor=kit.people.other_collector)
    with pytest.raises(CaseForbidden):
        kit.contact(case, actor=kit.people.collector)
    with pytest.raises(Case.DoesNotExist):
        case_for_user(kit.people.collector, case.pk)


def test_phones_are_masked_for_a_manager_not_on_the_case_and_shown_to_its_collector(kit):
    unit = kit.unit(phone="13812345678")
    case = kit.case(unit=unit)

    for_manager = party_contacts_for(kit.people.manager, case)
    for_collector = party_contacts_for(kit.people.collector, case)
    for_other_collector_view = party_contacts_for(kit.people.other_collector, case)

    assert [p.phone for p in for_manager] == ["138****5678"]
    assert for_manager[0].masked and for_manager[0].email == ""
    assert [p.phone for p in for_collector] == ["13812345678"]
    assert not for_collector[0].masked and for_collector[0].email == "owner@example.com"
    assert [p.phone for p in for_other_collector_view] == ["138****5678"]


def test_the_legal_officer_on_the_case_sees_phones_unmasked(kit):
    case = kit.case(unit=kit.unit(phone="+86 139-0000-1234"))
    assert [p.phone for p in party_contacts_for(kit.people.legal_officer, case)] == [
        "+86 139-0000-1234"
    ]


def test_a_reminding_case_gets_the_demand_scripts_steps_1_and_2(kit):
    case = kit.case(stage=Stage.REMINDING)

    scripts = call_scripts_for(case)

    assert [s.title for s in scripts] == [
        "催缴函 第一步：友情提示",
        "催缴函 第二步：催缴函即将发出",
    ]
    assert all("第944条" in s.note for s in scripts)  # no threats to cut water or power


def test_a_litigation_case_gets_the_summons_script_for_its_moment(kit):
    case = kit.case(stage=Stage.LITIGATION)
    assert [s.title for s in call_scripts_for(case)] == ["法院传票 下达前"]
    Case.objects.filter(pk=case.pk).update(summons_served_on=kit.as_of)
    assert [s.title for s in call_scripts_for(kit.fresh(case))] == ["法院传票 送达后"]
