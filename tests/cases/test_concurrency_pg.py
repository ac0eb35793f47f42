"""PostgreSQL only: real concurrent sessions and committed data.

- 50 people take the same step on the same case at once: exactly one wins, the others get a
  clear conflict (or refusal), and the chain gets exactly one entry and does not fork.
- 50 contacts logged at once append 50 entries in one unforked chain.
- UPDATE and DELETE on the evidence table are refused by the trigger; with the trigger
  dropped, ``verify_evidence`` names the altered entry, and a flipped byte in a stored file.

These are transactional tests (committed data, one connection per thread). On SQLite they
are skipped: its test database flushes tables with DELETE, which the evidence trigger
refuses, and an in-memory SQLite database is not shared between threads.
"""

from __future__ import annotations

import io
import os
import threading

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from cases.models import Case, Channel, ContactAttachment, EvidenceEntry, Stage
from cases.services.case import (
    CaseError,
    TransitionConflict,
    TransitionRefused,
    case_open,
    case_transition,
    contact_log,
)
from cases.services.evidence import evidence_verify
from cases.storage import blob_path

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: set DATABASE_URL=postgres://…",
    ),
    # serialized_rollback: the flush after a transactional test empties every table,
    # including the role groups and the system user of the data migrations.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

THREADS = 50


def _at_once(work) -> list:
    """Run ``work(i)`` in THREADS threads released together; each thread closes its own
    database connection. Returns what each returned or raised."""
    barrier = threading.Barrier(THREADS)
    results: list = [None] * THREADS

    def run(i: int) -> None:
        try:
            results[i] = work(i, barrier)
        except Exception as exc:  # collected and asserted on by the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results


def _chain_is_whole(case: Case) -> list[int]:
    seqs = list(
        EvidenceEntry.objects.filter(case=case).order_by("seq").values_list("seq", flat=True)
    )
    assert seqs == list(range(1, len(seqs) + 1))
    assert evidence_verify([case.pk]) == []
    return seqs


def test_fifty_people_take_the_same_step_at_once_and_exactly_one_wins(kit):
    case = kit.case(stage=Stage.NEW)
    before = kit.entry_count(case)
    User = get_user_model()
    # The assigned collector, the legal officer and the manager may all start reminders.
    people = [kit.people.collector, kit.people.legal_officer, kit.people.manager]

    def start_reminding(i, barrier):
        actor = User.objects.get(pk=people[i % len(people)].pk)
        seen = Case.objects.get(pk=case.pk)  # everyone looks at the case at "new"
        barrier.wait(timeout=60)
        case_transition(seen, "start_reminding", actor=actor, as_of=kit.as_of)
        return "won"

    results = _at_once(start_reminding)

    assert results.count("won") == 1, [r for r in results if r != "won"][:3]
    losers = [r for r in results if r != "won"]
    assert len(losers) == THREADS - 1
    for loser in losers:
        assert isinstance(loser, TransitionConflict | TransitionRefused), repr(loser)
        assert "Reload the case" in loser.message or "not possible while" in loser.message
    assert kit.stage(case) == Stage.REMINDING
    assert len(_chain_is_whole(case)) == before + 1


def test_fifty_contacts_logged_at_once_append_fifty_entries_without_a_fork(kit):
    case = kit.case(stage=Stage.REMINDING)
    before = kit.entry_count(case)
    User = get_user_model()

    def log_contact(i, barrier):
        actor = User.objects.get(pk=kit.people.collector.pk)
        seen = Case.objects.get(pk=case.pk)
        barrier.wait(timeout=60)
        return contact_log(seen, actor=actor, channel=Channel.PHONE, outcome="no_answer").pk

    results = _at_once(log_contact)

    assert all(isinstance(r, int) for r in results), [r for r in results if not isinstance(r, int)]
    assert len(_chain_is_whole(case)) == before + THREADS


def test_fifty_openings_of_the_same_unit_at_once_make_one_case(kit):
    unit = kit.unit()
    kit.charge(unit, "500.00", days_overdue=30)

    def open_case(i, barrier):
        barrier.wait(timeout=60)
        return case_open(unit, actor=kit.people.system, on=kit.as_of).pk

    results = _at_once(open_case)

    opened = [r for r in results if isinstance(r, int)]
    assert len(opened) == 1
    for refused in (r for r in results if not isinstance(r, int)):
        assert isinstance(refused, CaseError), repr(refused)
        assert "already has an open case" in refused.message
    assert Case.objects.filter(unit=unit).count() == 1
    assert _chain_is_whole(Case.objects.get(unit=unit)) == [1]


# --- the trigger and the verifier on committed data -------------------------------------


@pytest.mark.parametrize(
    ("sql", "operation"),
    [
        ("UPDATE cases_evidenceentry SET summary = 'nothing happened' WHERE id = %s", "UPDATE"),
        ("DELETE FROM cases_evidenceentry WHERE id = %s", "DELETE"),
    ],
)
def test_the_trigger_refuses_update_and_delete(kit, sql, operation):
    case = kit.case()
    entry = kit.entries(case)[0]

    with pytest.raises(IntegrityError) as refused, connection.cursor() as cursor:
        cursor.execute(sql, [entry.pk])

    message = str(refused.value)
    assert "evidence entries are append-only" in message
    assert f"{operation} refused" in message
    assert kit.entries(case) == [entry]


def test_with_the_trigger_dropped_verify_evidence_names_the_altered_entry_and_file(
    kit, png, triggers_dropped
):
    altered = kit.case(stage=Stage.REMINDING)
    kit.contact(altered, Channel.PHONE, notes="业主承诺月底前缴清")
    kit.contact(altered, Channel.SMS)
    photographed = kit.case(stage=Stage.REMINDING)
    kit.contact(photographed, Channel.NOTICE_POSTED, attachments=[("photo", png, "door.png")])
    entry = EvidenceEntry.objects.get(case=altered, seq=2)

    # Committed at once (no test transaction here); the triggers are recreated afterwards.
    with triggers_dropped(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cases_evidenceentry SET body = %s WHERE id = %s",
            [entry.body.replace("月底前缴清", "不缴"), entry.pk],
        )
    path = blob_path(ContactAttachment.objects.get().file_id)
    os.chmod(path, 0o644)
    content = bytearray(png)
    content[len(content) // 2] ^= 0xFF
    path.write_bytes(bytes(content))

    err = io.StringIO()
    try:
        with pytest.raises(CommandError) as broken:
            call_command("verify_evidence", stderr=err)
    finally:
        path.write_bytes(png)

    assert f"2 broken chain(s); first: case {altered.pk} seq 2" in str(broken.value)
    report = err.getvalue()
    assert f"BROKEN: case {altered.pk} seq 2: hash does not match the stored body" in report
    assert f"BROKEN: case {photographed.pk} seq 2: stored file" in report
    assert "no longer matches its SHA-256" in report
    # The trigger is back.
    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE cases_evidenceentry SET summary = 'x' WHERE id = %s", [entry.pk])
