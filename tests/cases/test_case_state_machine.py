"""A unit's collection life, driven at random: people in every role try transitions, log
contacts, record letter deliveries, the owner pays now and then, and the daily sweep runs.
Whatever happens:

- every case's stage is a valid stage, and a paused or pending case knows where to return;
- every chain verifies;
- there is exactly one evidence entry per operation that succeeded (the openings included)
  and none for the refused ones;
- no case is closed while principal is owed, unless it was written off;
- one person working alone never gets a "someone else changed it" conflict.

Each example runs in a savepoint that is rolled back afterwards.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)

from cases.models import Case, Channel, EvidenceEntry, EvidenceKind, Letter, Outcome, Stage
from cases.models.case import ESCALATION_STAGES, TRANSITIONS
from cases.models.contact import DeliveryStatus
from cases.selectors.ledger import arrears_for_unit
from cases.services.case import CaseError, TransitionConflict
from cases.services.evidence import evidence_verify
from cases.services.sweep import sweep_run

pytestmark = pytest.mark.django_db

ROLE_KEYS = (
    "collector_assigned",
    "collector_unassigned",
    "legal_officer",
    "manager",
    "finance",
    "system",
)
CHANNELS = (Channel.PHONE, Channel.SMS, Channel.HOME_VISIT, Channel.NOTICE_POSTED)
OUTCOMES = (
    Outcome.REACHED,
    Outcome.NO_ANSWER,
    Outcome.REFUSED,
    Outcome.DISPUTED,
    Outcome.WRONG_NUMBER,
)
OWED = ("2000.00", "1500.00")  # 3,500.00 in all, the oldest 400 days overdue
PAYMENTS = ("100.00", "1200.00", "2000.00", "3500.00")
RETURNING = (Stage.WITHDRAWAL_PENDING, Stage.PAYMENT_PLAN, Stage.ON_HOLD)
FORWARD = {
    Stage.NEW: "start_reminding",
    Stage.REMINDING: "issue_demand",
    Stage.DEMAND_LETTER: "issue_lawyer_letter",
    Stage.LAWYER_LETTER: "file_litigation",
    Stage.LITIGATION: "record_judgment",
    Stage.JUDGMENT: "apply_enforcement",
}


class CaseLifecycle(RuleBasedStateMachine):
    kit = None  # the test's Kit, set on a subclass by the test function

    def __init__(self):
        super().__init__()
        self._savepoint = transaction.atomic()
        self._savepoint.__enter__()
        kit = self.kit
        self.unit = kit.unit()
        kit.charge(self.unit, OWED[0], days_overdue=400)
        kit.charge(self.unit, OWED[1], days_overdue=100)
        kit.case(unit=self.unit, owing=None, legal_officer=None)
        self.succeeded = 1  # the opening

    def teardown(self):
        transaction.set_rollback(True)
        self._savepoint.__exit__(None, None, None)

    # --- helpers ---------------------------------------------------------------------

    def _case(self) -> Case:
        return Case.objects.filter(unit=self.unit).order_by("-pk").first()

    def _try(self, operation, *, entries: int = 1) -> None:
        """Count the entries of the operation if it succeeds; a refusal is fine, a conflict
        is not."""
        try:
            operation()
        except TransitionConflict as conflict:
            raise AssertionError(f"conflict without a concurrent user: {conflict}") from conflict
        except (CaseError, ValidationError):
            return
        self.succeeded += entries

    # --- rules -------------------------------------------------------------------------

    @rule(name=st.sampled_from(sorted(TRANSITIONS)), role=st.sampled_from(ROLE_KEYS))
    def any_step_by_anyone(self, name, role):
        actor = self.kit.people.for_key(role)
        self._try(lambda: self.kit.transition(self._case(), name, actor=actor))

    @rule(data=st.data())
    def a_possible_step_by_someone_allowed(self, data):
        case = self._case()
        possible = sorted(n for n, spec in TRANSITIONS.items() if case.stage in spec.sources)
        if not possible:
            return
        name = data.draw(st.sampled_from(possible), label="step")
        actor = self.kit.people.for_transition(name)
        self._try(lambda: self.kit.transition(case, name, actor=actor))

    @rule()
    def escalate_diligently(self):
        """What a diligent team does next: the proof the step needs, then the step."""
        kit, case = self.kit, self._case()
        if case.stage == Stage.REMINDING:
            for channel in (Channel.PHONE, Channel.SMS):
                self._try(lambda c=channel: kit.contact(case, c))
        elif case.stage == Stage.DEMAND_LETTER:
            self._try(lambda: kit.deliver(case, Letter.DEMAND_LETTER, days_ago=40))
        elif case.stage == Stage.LAWYER_LETTER:
            self._try(lambda: kit.deliver(case, Letter.LAWYER_LETTER, days_ago=20))
        if case.stage in FORWARD:
            self._try(lambda: kit.transition(case, FORWARD[case.stage]))

    @rule(
        role=st.sampled_from(ROLE_KEYS),
        channel=st.sampled_from(CHANNELS),
        outcome=st.sampled_from(OUTCOMES),
    )
    def contact(self, role, channel, outcome):
        actor = self.kit.people.for_key(role)
        self._try(lambda: self.kit.contact(self._case(), channel, outcome, actor=actor))

    @rule(
        letter=st.sampled_from((Letter.DEMAND_LETTER, Letter.LAWYER_LETTER)),
        status=st.sampled_from((DeliveryStatus.SERVED, DeliveryStatus.RETURNED)),
        days_ago=st.sampled_from((5, 20, 40)),
        role=st.sampled_from(("legal_officer", "collector_assigned")),
    )
    def delivery(self, letter, status, days_ago, role):
        actor = self.kit.people.for_key(role)
        self._try(
            lambda: self.kit.deliver(
                self._case(), letter, days_ago=days_ago, status=status, actor=actor
            )
        )

    @rule(amount=st.sampled_from(PAYMENTS))
    def payment(self, amount):
        # A payment to a unit without an open case touches no chain; on an open case it is
        # one payment entry, and one more when it settles the case or asks for a withdrawal.
        case = self._case()
        before = case.stage
        self._try(lambda: self.kit.pay(self.unit, amount), entries=0)
        if before != Stage.CLOSED:
            self.succeeded += 1 + int(self._case().stage != before)

    @rule()
    def daily_sweep(self):
        report = sweep_run(as_of=self.kit.as_of)
        assert report.errors == []
        self.succeeded += (
            report.opened + report.settled + report.withdrawal_requested + report.closed
        )

    # --- invariants --------------------------------------------------------------------

    @invariant()
    def stages_are_valid(self):
        for stage, return_stage in Case.objects.values_list("stage", "return_stage"):
            assert stage in Stage.values
            if stage in RETURNING:
                assert return_stage in ESCALATION_STAGES, (stage, return_stage)

    @invariant()
    def chains_verify(self):
        assert evidence_verify() == []

    @invariant()
    def one_entry_per_successful_operation(self):
        assert EvidenceEntry.objects.count() == self.succeeded

    @invariant()
    def nothing_closed_with_principal_owed_unless_written_off(self):
        closings = [
            json.loads(body)["data"]
            for body in EvidenceEntry.objects.filter(
                case__stage=Stage.CLOSED, kind=EvidenceKind.TRANSITION
            ).values_list("body", flat=True)
        ]
        closings = [data for data in closings if data["to"] == Stage.CLOSED]
        if not closings:
            return
        owed = arrears_for_unit(self.unit, as_of=self.kit.as_of).principal
        for data in closings:
            assert data["from"] == Stage.WRITTEN_OFF or owed == Decimal(0), (data, owed)


def test_the_case_lifecycle_holds_its_invariants(kit):
    class Lifecycle(CaseLifecycle):
        pass

    Lifecycle.kit = kit
    run_state_machine_as_test(
        Lifecycle,
        settings=settings(
            max_examples=25,
            stateful_step_count=20,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
