"""The evidence trail (DESIGN.md section 5): one entry per successful operation and none for a
refused one; a hash chain per case; UPDATE and DELETE refused by database triggers; and
``verify_evidence`` naming the first altered entry or file."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
from contextlib import contextmanager

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from cases.models import (
    Channel,
    ContactAttachment,
    EvidenceEntry,
    EvidenceKind,
    Letter,
    Outcome,
    Stage,
)
from cases.models.evidence import GENESIS_HASH
from cases.services.case import (
    CaseError,
    CaseForbidden,
    TransitionConflict,
    TransitionRefused,
    case_assign,
    case_open,
    case_transition,
    delivery_record,
)
from cases.services.evidence import evidence_verify
from cases.storage import IntegrityError as BlobIntegrityError
from cases.storage import blob_path, blob_read

pytestmark = pytest.mark.django_db


@contextmanager
def adds_entries(kit, n: int, *, kind: str | None = None):
    """The block appends exactly ``n`` evidence entries (of ``kind``)."""
    before = EvidenceEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    yield
    new = list(EvidenceEntry.objects.filter(pk__gt=before))
    assert len(new) == n, [str(e) for e in new]
    if kind is not None:
        assert {e.kind for e in new} == {kind}


@contextmanager
def refused(kit, error, match: str = ""):
    """The block raises ``error`` and writes nothing at all."""
    before = kit.written_counts()
    with pytest.raises(error, match=match or None):
        yield
    assert kit.written_counts() == before


# --- exactly one entry per successful operation, none for a refused one -----------------


def test_opening_a_case_writes_one_entry_and_a_second_opening_none(kit):
    unit = kit.unit()
    kit.charge(unit, "300.00", days_overdue=20)
    with adds_entries(kit, 1, kind=EvidenceKind.OPENED):
        case = case_open(unit, actor=kit.people.manager, on=kit.as_of)
    with refused(kit, CaseError, "already has an open case"):
        case_open(unit, actor=kit.people.manager, on=kit.as_of)
    data = json.loads(kit.entries(case)[0].body)["data"]
    assert data == {"unit": unit.pk, "principal": "300", "as_of": kit.as_of.isoformat()}


def test_a_transition_writes_one_entry_and_a_refused_forbidden_or_stale_one_none(kit):
    case = kit.case()
    stale = kit.fresh(case)
    with adds_entries(kit, 1, kind=EvidenceKind.TRANSITION):
        kit.transition(case, "start_reminding", actor=kit.people.collector)
    with refused(kit, TransitionRefused):
        kit.transition(case, "issue_demand")
    with refused(kit, CaseForbidden):
        kit.transition(case, "issue_demand", actor=kit.people.collector)
    with refused(kit, TransitionConflict):
        case_transition(stale, "hold", actor=kit.people.manager, as_of=kit.as_of)


def test_a_contact_writes_one_entry_and_a_refused_one_none(kit):
    case = kit.case(stage=Stage.REMINDING)
    with adds_entries(kit, 1, kind=EvidenceKind.CONTACT):
        kit.contact(case, Channel.PHONE, Outcome.NO_ANSWER, notes="rang twice")
    with refused(kit, CaseForbidden):
        kit.contact(case, actor=kit.people.other_collector)
    with refused(kit, CaseForbidden):
        kit.contact(case, actor=kit.people.finance)
    with refused(kit, ValidationError):  # a promise needs a date and an amount
        kit.contact(case, Channel.PHONE, Outcome.PROMISED)
    with refused(kit, ValidationError, "in the future"):
        kit.contact(case, occurred_at=timezone.now() + dt.timedelta(hours=2))
    with refused(kit, ValidationError):
        kit.contact(case, "carrier_pigeon")


def test_no_contact_on_a_closed_case(kit):
    case = kit.case(stage=Stage.CLOSED)
    with refused(kit, CaseError, "is closed"):
        kit.contact(case)


def test_a_delivery_writes_one_entry_and_a_refused_one_none(kit):
    case = kit.case(stage=Stage.DEMAND_LETTER)
    with adds_entries(kit, 1, kind=EvidenceKind.DELIVERY):
        delivery = kit.deliver(case, Letter.DEMAND_LETTER, days_ago=3)
    assert delivery.deadline == kit.as_of + dt.timedelta(days=12)
    with refused(kit, CaseForbidden, "Only legal officers"):
        kit.deliver(case, actor=kit.people.collector)
    with refused(kit, ValidationError, "cannot be in the future"):
        delivery_record(
            case,
            actor=kit.people.legal_officer,
            letter=Letter.DEMAND_LETTER,
            status="served",
            delivered_on=timezone.localdate() + dt.timedelta(days=1),
            method=Channel.REGISTERED_MAIL,
        )


def test_an_assignment_writes_one_entry_a_refused_one_and_a_no_change_one_none(kit):
    case = kit.case(collector=None)
    with adds_entries(kit, 1, kind=EvidenceKind.ASSIGNMENT):
        case_assign(case, actor=kit.people.manager, collector=kit.people.collector)
    with refused(kit, CaseForbidden, "Only managers and legal officers"):
        case_assign(case, actor=kit.people.collector, collector=kit.people.other_collector)
    with adds_entries(kit, 0):
        case_assign(case, actor=kit.people.manager, collector=kit.people.collector)
    assert kit.fresh(case).collector == kit.people.collector


def test_a_payment_writes_one_entry_on_the_units_case(kit):
    case = kit.case(stage=Stage.REMINDING, owing="1000.00")
    with adds_entries(kit, 1, kind=EvidenceKind.PAYMENT):
        kit.pay(case.unit, "300.00")


def test_a_payment_that_settles_writes_its_entry_and_the_stage_change(kit):
    case = kit.case(stage=Stage.REMINDING, owing="1000.00")
    with adds_entries(kit, 2):
        kit.pay_in_full(case.unit)
    assert [e.kind for e in kit.entries(case)[-2:]] == [
        EvidenceKind.PAYMENT,
        EvidenceKind.TRANSITION,
    ]


# --- the chain ----------------------------------------------------------------------


def test_each_entry_hashes_its_exact_body_and_links_to_the_previous_one(kit):
    case = kit.case()
    kit.transition(case, "start_reminding", actor=kit.people.collector)
    kit.contact(case, Channel.SMS, delivery_confirmed=True, notes="短信已送达")
    kit.pay(case.unit, "10.00")

    entries = kit.entries(case)
    assert [e.seq for e in entries] == [1, 2, 3, 4]
    assert [e.prev_hash for e in entries] == [GENESIS_HASH] + [e.hash for e in entries[:-1]]
    for entry in entries:
        assert hashlib.sha256(entry.body.encode()).hexdigest() == entry.hash
        body = json.loads(entry.body)
        assert (body["case"], body["seq"], body["kind"]) == (case.pk, entry.seq, entry.kind)
        assert body["actor"] == entry.actor_id
    assert "短信已送达" in entries[2].body  # UTF-8 text kept as is, not \\u-escaped
    assert evidence_verify([case.pk]) == []


def test_verify_evidence_says_ok_for_an_intact_trail(kit, png):
    case = kit.case(stage=Stage.REMINDING)
    kit.contact(case, Channel.NOTICE_POSTED, attachments=[("photo", png, "door.png")])
    out = io.StringIO()

    call_command("verify_evidence", stdout=out)
    call_command("verify_evidence", "--case", str(case.pk), stdout=out)

    assert "OK: 2 evidence entries verified" in out.getvalue()
    with pytest.raises(CommandError, match="case 999999 does not exist"):
        call_command("verify_evidence", "--case", "999999")


# --- append-only, enforced by the database ---------------------------------------------


def _entry(kit):
    case = kit.case(stage=Stage.REMINDING)
    kit.contact(case, Channel.PHONE, notes="owner promised to call back")
    return EvidenceEntry.objects.get(case=case, seq=2)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE cases_evidenceentry SET summary = 'nothing happened' WHERE id = %s",
        "UPDATE cases_evidenceentry SET body = '{}', hash = 'x' WHERE id = %s",
        "DELETE FROM cases_evidenceentry WHERE id = %s",
    ],
)
def test_raw_sql_cannot_update_or_delete_an_entry(kit, sql):
    entry = _entry(kit)

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [entry.pk])

    assert EvidenceEntry.objects.get(pk=entry.pk).body == entry.body


def test_the_orm_cannot_update_or_delete_an_entry_either(kit):
    entry = _entry(kit)
    entry.summary = "nothing happened"
    for write in (
        entry.save,
        entry.delete,
        lambda: EvidenceEntry.objects.filter(pk=entry.pk).update(summary="x"),
        lambda: EvidenceEntry.objects.filter(pk=entry.pk).delete(),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            write()
    assert EvidenceEntry.objects.get(pk=entry.pk).summary != "nothing happened"


@contextmanager
def tampering_allowed(triggers_dropped):
    """Without the UPDATE trigger, inside a savepoint that is rolled back afterwards: the
    trigger and the untouched rows are back for everything that follows."""
    with transaction.atomic():
        with triggers_dropped():
            yield
        transaction.set_rollback(True)


def _tamper(entry, **columns) -> None:
    sets = ", ".join(f"{column} = %s" for column in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE cases_evidenceentry SET {sets} WHERE id = %s", [*columns.values(), entry.pk]
        )


def _verify_fails_naming(case_id: int, seq: int, *, says: str = "") -> None:
    err = io.StringIO()
    with pytest.raises(CommandError) as broken:
        call_command("verify_evidence", stderr=err)
    assert f"first: case {case_id} seq {seq}" in str(broken.value)
    assert says in err.getvalue()


def _tampered_body(entry) -> str:
    return entry.body.replace("owner promised to call back", "owner was never called")


TAMPERING = {
    "body": lambda e, other: {"body": _tampered_body(e)},
    "kind": lambda e, other: {"kind": EvidenceKind.PAYMENT},
    "actor": lambda e, other: {"actor_id": other.pk},
    "file hash": lambda e, other: {"file_sha256": "ab" * 32},
    "summary shown in the admin": lambda e, other: {"summary": "Phone call: Refused"},
    "time shown in the admin": lambda e, other: {
        "recorded_at": e.recorded_at - dt.timedelta(days=30)
    },
}


@pytest.mark.parametrize("what", list(TAMPERING))
def test_verify_evidence_names_the_tampered_entry(kit, triggers_dropped, what):
    entry = _entry(kit)
    with tampering_allowed(triggers_dropped):
        _tamper(entry, **TAMPERING[what](entry, kit.people.manager))

        assert [p.seq for p in evidence_verify()] == [2]
        _verify_fails_naming(entry.case_id, 2, says=f"BROKEN: case {entry.case_id} seq 2")

    # The savepoint is gone: the trigger refuses again and the trail verifies.
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _tamper(entry, summary="x")
    assert evidence_verify() == []


def test_rewriting_an_entry_with_a_matching_hash_breaks_the_next_link(kit, triggers_dropped):
    entry = _entry(kit)
    kit.contact(entry.case, Channel.SMS)
    body = _tampered_body(entry)
    with tampering_allowed(triggers_dropped):
        _tamper(entry, body=body, hash=hashlib.sha256(body.encode()).hexdigest())

        _verify_fails_naming(entry.case_id, 3, says="prev_hash does not match")


def test_only_the_broken_case_is_reported(kit, triggers_dropped):
    intact = kit.case()
    entry = _entry(kit)
    with tampering_allowed(triggers_dropped):
        _tamper(entry, body=_tampered_body(entry))
        problems = evidence_verify()
        assert [(p.case_id, p.seq) for p in problems] == [(entry.case_id, 2)]
        assert evidence_verify([intact.pk]) == []
        call_command("verify_evidence", "--case", str(intact.pk), stdout=io.StringIO())


# --- stored files ----------------------------------------------------------------------


def _photo_contact(kit, png):
    case = kit.case(stage=Stage.REMINDING)
    kit.contact(case, Channel.NOTICE_POSTED, attachments=[("photo", png, "door.png")])
    return case, ContactAttachment.objects.get().file_id


def test_a_flipped_byte_in_a_stored_file_is_found(kit, png):
    case, sha = _photo_contact(kit, png)
    path = blob_path(sha)
    assert path.stat().st_mode & 0o777 == 0o444  # written once, read-only
    os.chmod(path, 0o644)
    content = bytearray(png)
    content[-1] ^= 0x01
    path.write_bytes(bytes(content))
    try:
        with pytest.raises(BlobIntegrityError):
            blob_read(sha)
        _verify_fails_naming(case.pk, 2, says="no longer matches its SHA-256")
    finally:
        path.write_bytes(png)


def test_a_missing_stored_file_is_found(kit, png):
    case, sha = _photo_contact(kit, png)
    blob_path(sha).unlink()

    _verify_fails_naming(case.pk, 2, says=f"file {sha} is missing")
