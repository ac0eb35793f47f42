"""Fixtures for the case-lifecycle tests: one user per role, a case builder on a fixed clock
(``kit``), files to attach, and a way to drop the evidence UPDATE trigger for tamper tests.

The builder opens cases through ``case_open`` (so each has its opening evidence entry) and
then, for tests that need a case somewhere in the middle of the state machine, puts it
there with a queryset update: a setup shortcut, never what the product does.
"""

from __future__ import annotations

import calendar
import datetime as dt
import itertools
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Q

from cases.models import (
    Case,
    Channel,
    Charge,
    ChargeItem,
    ContactAttempt,
    DeliveryStatus,
    EvidenceEntry,
    JudgmentKind,
    Letter,
    LitigationKind,
    Outcome,
    Stage,
    StoredFile,
    Unit,
)
from cases.models.case import TRANSITIONS
from cases.roles import Role
from cases.services.case import (
    case_open,
    case_transition,
    contact_log,
    system_user,
)
from cases.services.ledger import charge_issue, payment_record
from cases.storage import store_root
from tests.factories import (
    EstateFactory,
    PartyFactory,
    UnitFactory,
    UnitPartyFactory,
    deliver_with_proof,
    user_in_role,
)

# The fixed "today" of the lifecycle tests. It lies in the past so that letters can be
# recorded as delivered on dates before it (a delivery date in the future is refused).
AS_OF = dt.date(2026, 6, 30)

# What the transitions that take arguments are called with.
TRANSITION_PARAMS: dict[str, dict] = {
    "file_litigation": {
        "kind": LitigationKind.LAWSUIT,
        "court": "杭州市西湖区人民法院",
        "filed_on": AS_OF,
    },
    "record_summons": {"served_on": AS_OF},
    "record_judgment": {"kind": JudgmentKind.JUDGMENT, "effective_on": AS_OF},
    "record_payment_order_service": {"served_on": AS_OF},
    "record_objection": {"on": AS_OF},
}

# A return stage that makes each "back to where it came from" source stage meaningful.
RETURN_STAGE_FOR = {
    Stage.WITHDRAWAL_PENDING: Stage.LAWYER_LETTER,
    Stage.PAYMENT_PLAN: Stage.REMINDING,
    Stage.ON_HOLD: Stage.REMINDING,
}


@dataclass
class People:
    """One user per role. ``collector`` is the one the kit assigns its cases to."""

    collector: object
    other_collector: object
    legal_officer: object
    manager: object
    finance: object
    system: object

    def for_key(self, key: str):
        return {
            "collector_assigned": self.collector,
            "collector_unassigned": self.other_collector,
            "legal_officer": self.legal_officer,
            "manager": self.manager,
            "finance": self.finance,
            "system": self.system,
        }[key]

    def for_transition(self, name: str):
        """A user whose role may perform transition ``name`` on a kit case."""
        roles = TRANSITIONS[name].roles
        for role, user in (
            (Role.LEGAL_OFFICER, self.legal_officer),
            (Role.MANAGER, self.manager),
            (Role.SYSTEM, self.system),
            (Role.COLLECTOR, self.collector),
        ):
            if role in roles:
                return user
        raise AssertionError(f"no role may {name}")


def _month_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    start = day.replace(day=1)
    return start, start.replace(day=calendar.monthrange(start.year, start.month)[1])


class Kit:
    """Builds estates, units, charges and cases relative to ``AS_OF`` and performs the
    usual steps through the services."""

    as_of = AS_OF

    def __init__(self, people: People, store: Path):
        self.people = people
        self.store = store
        self.estate = EstateFactory()

    # --- ledger ------------------------------------------------------------------------

    def unit(self, *, segment: str = Unit.Segment.OCCUPIED, estate=None, phone: str = "") -> Unit:
        unit = UnitFactory(estate=estate or self.estate, segment=segment)
        if phone:
            UnitPartyFactory(unit=unit, party=PartyFactory(phone=phone, email="owner@example.com"))
        return unit

    def charge(
        self,
        unit: Unit,
        amount: str | Decimal,
        *,
        days_overdue: int | None = None,
        due_date: dt.date | None = None,
    ):
        """Issue a charge due ``days_overdue`` days before ``AS_OF`` (or on ``due_date``).
        Each charge of a unit gets its own item or period so the unique key never clashes."""
        due = due_date or (self.as_of - dt.timedelta(days=days_overdue or 0))
        start, end = _month_bounds(due)
        item = list(ChargeItem)[Charge.objects.filter(unit=unit, period_start=start).count()]
        return charge_issue(
            unit,
            item=item,
            period_start=start,
            period_end=end,
            amount=Decimal(amount),
            due_date=due,
            issued_on=start,
        )

    def pay(self, unit: Unit, amount: str | Decimal, *, on: dt.date | None = None, actor=None):
        return payment_record(
            unit,
            amount=Decimal(amount),
            paid_on=on or self.as_of,
            actor=actor or self.people.finance,
        )

    def remainder(self, unit: Unit, *, on: dt.date | None = None) -> Decimal:
        """What the unit must still pay to be paid in full (principal + late fee), to the fen."""
        from cases.selectors.ledger import arrears_for_unit

        return arrears_for_unit(unit, as_of=on or self.as_of).remainder

    def pay_in_full(self, unit: Unit, *, on: dt.date | None = None, actor=None):
        """Pay principal and late fee owed on ``on`` (``AS_OF``): the unit is paid in full."""
        return self.pay(unit, self.remainder(unit, on=on), on=on, actor=actor)

    # --- cases -------------------------------------------------------------------------

    def case(
        self,
        *,
        stage: str = Stage.NEW,
        return_stage: str = "",
        owing: str | Decimal | None = "1000.00",
        days_overdue: int = 60,
        segment: str = Unit.Segment.OCCUPIED,
        unit: Unit | None = None,
        collector="assigned",
        legal_officer="assigned",
    ) -> Case:
        """A case opened through ``case_open`` (one evidence entry), then put at ``stage``."""
        unit = unit or self.unit(segment=segment)
        if owing:
            self.charge(unit, owing, days_overdue=days_overdue)
        collector = self.people.collector if collector == "assigned" else collector
        legal_officer = self.people.legal_officer if legal_officer == "assigned" else legal_officer
        case = case_open(unit, actor=self.people.system, on=self.as_of, collector=collector)
        if stage != Stage.NEW or return_stage or legal_officer is not None:
            if stage in RETURN_STAGE_FOR and not return_stage:
                return_stage = RETURN_STAGE_FOR[stage]
            Case.objects.filter(pk=case.pk).update(
                stage=stage, return_stage=return_stage, legal_officer=legal_officer
            )
        return self.fresh(case)

    @staticmethod
    def fresh(case: Case) -> Case:
        return Case.objects.select_related("unit__estate").get(pk=case.pk)

    def transition(self, case: Case, name: str, *, actor=None, as_of=None, **params) -> Case:
        """Perform ``name`` on a freshly read case as a role that may, on ``AS_OF``."""
        params = {**TRANSITION_PARAMS.get(name, {}), **params}
        return case_transition(
            self.fresh(case),
            name,
            actor=actor or self.people.for_transition(name),
            as_of=as_of or self.as_of,
            **params,
        )

    def contact(
        self, case: Case, channel: str = Channel.PHONE, outcome: str = Outcome.REACHED, **kw
    ):
        kw.setdefault("actor", self.people.collector)
        return contact_log(self.fresh(case), channel=channel, outcome=outcome, **kw)

    def documented_contacts(self, case: Case, channels=(Channel.PHONE, Channel.SMS)) -> None:
        for channel in channels:
            self.contact(case, channel)

    def deliver(
        self,
        case: Case,
        letter: str = Letter.DEMAND_LETTER,
        *,
        days_ago: int = 30,
        status: str = DeliveryStatus.SERVED,
        actor=None,
    ):
        """Record ``letter`` as delivered ``days_ago`` days before ``AS_OF`` (the estate's
        15-day deadline then ends ``days_ago - 15`` days before ``AS_OF``), with proof of
        arrival. The builder's cases open on ``AS_OF`` with no generated letters, so the
        delivery is a paper record with its scan."""
        return deliver_with_proof(
            self.fresh(case),
            actor=actor or self.people.legal_officer,
            letter=letter,
            status=status,
            delivered_on=self.as_of - dt.timedelta(days=days_ago),
        )

    # --- reading -----------------------------------------------------------------------

    @staticmethod
    def entries(case: Case) -> list[EvidenceEntry]:
        return list(EvidenceEntry.objects.filter(case_id=case.pk).order_by("seq"))

    @staticmethod
    def entry_count(case: Case | None = None) -> int:
        qs = EvidenceEntry.objects.all()
        return qs.filter(case_id=case.pk).count() if case is not None else qs.count()

    @staticmethod
    def stage(case: Case) -> str:
        return Case.objects.values_list("stage", flat=True).get(pk=case.pk)

    @staticmethod
    def written_counts() -> dict[str, int]:
        """Rows a refused operation must not add."""
        return {
            "evidence": EvidenceEntry.objects.count(),
            "contacts": ContactAttempt.objects.count(),
            "files": StoredFile.objects.count(),
            "cases": Case.objects.count(),
            "open_cases": Case.objects.filter(~Q(stage=Stage.CLOSED)).count(),
        }


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png_image(width: int = 2, height: int = 2) -> bytes:
    """A small, valid PNG (8-bit RGB, red pixels)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(rows))
        + _png_chunk(b"IEND", b"")
    )


_png_widths = itertools.count(1)


@pytest.fixture
def png() -> bytes:
    """A PNG no other test uses: its blob in the session's store is this test's alone."""
    return png_image(width=next(_png_widths))


@pytest.fixture
def mp3() -> bytes:
    """The start of an MP3 call recording: an ID3v2 tag and one MPEG frame header."""
    return b"ID3\x03\x00\x00\x00\x00\x00\x0f" + b"\xff\xfb\x90\x64" + bytes(413)


# The triggers refusing UPDATE on the evidence table, found by what they do rather than by
# name: PostgreSQL trigger type bit 16 is UPDATE.
_UPDATE_TRIGGERS = {
    "postgresql": (
        "SELECT t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
        "JOIN pg_class c ON c.oid = t.tgrelid "
        "WHERE c.relname = 'cases_evidenceentry' AND NOT t.tgisinternal "
        "AND (t.tgtype & 16) <> 0"
    ),
    "sqlite": (
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
        "AND tbl_name = 'cases_evidenceentry' AND upper(sql) LIKE '%BEFORE UPDATE%'"
    ),
}
_DROP_TRIGGER = {
    "postgresql": 'DROP TRIGGER "{name}" ON cases_evidenceentry',
    "sqlite": 'DROP TRIGGER "{name}"',
}


@contextmanager
def evidence_update_triggers_dropped() -> Iterator[list[str]]:
    """Drop the triggers that refuse UPDATE on evidence entries and put them back exactly
    as they were afterwards (their own CREATE statements), whatever happened inside."""
    with connection.cursor() as cursor:
        cursor.execute(_UPDATE_TRIGGERS[connection.vendor])
        triggers = cursor.fetchall()
        assert triggers, "no trigger refuses UPDATE on cases_evidenceentry"
        for name, _sql in triggers:
            cursor.execute(_DROP_TRIGGER[connection.vendor].format(name=name))
    try:
        yield [name for name, _sql in triggers]
    finally:
        if not connection.needs_rollback:  # else the enclosing rollback brings them back
            with connection.cursor() as cursor:
                for _name, sql in triggers:
                    cursor.execute(sql)


@pytest.fixture
def triggers_dropped():
    """``with triggers_dropped(): …`` runs the block without the evidence UPDATE triggers."""
    return evidence_update_triggers_dropped


@pytest.fixture
def evidence_store() -> Path:
    """The content-addressed store (EVIDENCE_STORE_ROOT; the test settings give each test
    session a fresh one, shared with the document templates stored at migrate time)."""
    return store_root()


@pytest.fixture
def people(db) -> People:
    return People(
        collector=user_in_role(Role.COLLECTOR, username="collector_li"),
        other_collector=user_in_role(Role.COLLECTOR, username="collector_wang"),
        legal_officer=user_in_role(Role.LEGAL_OFFICER, username="legal_zhao"),
        manager=user_in_role(Role.MANAGER, username="manager_chen"),
        finance=user_in_role(Role.FINANCE, username="finance_sun"),
        system=system_user(),
    )


@pytest.fixture
def kit(people, evidence_store) -> Kit:
    return Kit(people, evidence_store)
