"""Appending to and verifying the per-case hash chain (DESIGN.md section 5)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.utils import timezone

from cases.models import Case, EvidenceEntry
from cases.models.evidence import GENESIS_HASH
from cases.storage import blob_problem

BODY_VERSION = 1


def canonical_json(data: dict) -> str:
    """One spelling per value: sorted keys, no spaces, UTF-8 text kept as is."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _username(actor) -> str:
    return actor.get_username() if actor is not None else ""


def build_entry(
    *,
    case_id: int,
    seq: int,
    prev_hash: str,
    kind: str,
    actor,
    summary: str,
    payload: dict,
    files: Iterable[str] = (),
    at: dt.datetime | None = None,
) -> EvidenceEntry:
    """An unsaved entry whose ``body`` is the canonical bytes hashed into ``hash``."""
    recorded_at = timezone.localtime(at or timezone.now())
    files = sorted(set(files))
    body = canonical_json(
        {
            "v": BODY_VERSION,
            "case": case_id,
            "seq": seq,
            "prev": prev_hash,
            "kind": kind,
            "actor": actor.pk if actor is not None else None,
            "actor_name": _username(actor),
            "at": recorded_at.isoformat(),
            "files": files,
            "summary": summary,
            "data": payload,
        }
    )
    return EvidenceEntry(
        case_id=case_id,
        seq=seq,
        kind=kind,
        actor=actor,
        recorded_at=recorded_at,
        summary=summary[:300],
        body=body,
        file_sha256=files[0] if files else "",
        prev_hash=prev_hash,
        hash=hashlib.sha256(body.encode("utf-8")).hexdigest(),
    )


def evidence_append(
    case: Case,
    *,
    kind: str,
    actor,
    summary: str,
    payload: dict | None = None,
    files: Iterable[str] = (),
    at: dt.datetime | None = None,
) -> EvidenceEntry:
    """Append one entry to the case's chain. The caller holds the case row lock
    (``case_lock``), so the chain never forks; the unique (case, prev_hash) constraint
    would refuse a fork anyway."""
    last = (
        EvidenceEntry.objects.filter(case_id=case.pk)
        .order_by("-seq")
        .values_list("seq", "hash")
        .first()
    )
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
    entry = build_entry(
        case_id=case.pk,
        seq=seq,
        prev_hash=prev,
        kind=kind,
        actor=actor,
        summary=summary,
        payload=payload or {},
        files=files,
        at=at,
    )
    entry.save(force_insert=True)
    return entry


@dataclass(frozen=True)
class ChainProblem:
    case_id: int
    seq: int
    reason: str

    def __str__(self) -> str:
        return f"case {self.case_id} seq {self.seq}: {self.reason}"


def _entry_problem(entry: EvidenceEntry, expected_seq: int, expected_prev: str) -> str:
    if entry.seq != expected_seq:
        return f"sequence gap: expected seq {expected_seq}"
    if entry.prev_hash != expected_prev:
        return "prev_hash does not match the previous entry's hash"
    if hashlib.sha256(entry.body.encode("utf-8")).hexdigest() != entry.hash:
        return "hash does not match the stored body (the entry was altered)"
    try:
        body = json.loads(entry.body)
    except ValueError:
        return "body is not valid JSON"
    expected = {
        "case": entry.case_id,
        "seq": entry.seq,
        "prev": entry.prev_hash,
        "kind": entry.kind,
        "actor": entry.actor_id,
    }
    for key, value in expected.items():
        if body.get(key) != value:
            return f"column {key!r} differs from the hashed body"
    if str(body.get("summary", ""))[:300] != entry.summary:
        return "column 'summary' differs from the hashed body"
    try:
        hashed_at = dt.datetime.fromisoformat(body.get("at", ""))
    except (TypeError, ValueError):
        return "the hashed time is not a valid timestamp"
    if hashed_at != entry.recorded_at:
        return "column 'recorded_at' differs from the hashed body"
    files = body.get("files") or []
    if (files[0] if files else "") != entry.file_sha256:
        return "file_sha256 differs from the hashed body"
    for sha in files:
        problem = blob_problem(sha)
        if problem:
            return problem
    return ""


def _chains(entries: Iterator[EvidenceEntry]) -> Iterator[ChainProblem | None]:
    """Walk entries ordered by (case, seq); yield the first problem of each broken case."""
    current, expected_seq, prev, broken = None, 1, GENESIS_HASH, False
    for entry in entries:
        if entry.case_id != current:
            current, expected_seq, prev, broken = entry.case_id, 1, GENESIS_HASH, False
        if broken:
            continue
        problem = _entry_problem(entry, expected_seq, prev)
        if problem:
            broken = True
            yield ChainProblem(entry.case_id, entry.seq, problem)
        expected_seq, prev = entry.seq + 1, entry.hash


def evidence_verify(case_ids: Iterable[int] | None = None) -> list[ChainProblem]:
    """Re-hash every entry (and every file they name) of the given cases, or of all cases;
    returns the first broken entry of each broken chain (empty when everything holds)."""
    entries = EvidenceEntry.objects.order_by("case_id", "seq")
    if case_ids is not None:
        entries = entries.filter(case_id__in=list(case_ids))
    return [p for p in _chains(entries.iterator(chunk_size=2000)) if p is not None]


def evidence_status(case: Case) -> ChainProblem | None:
    """None when the case's chain verifies, else its first broken entry."""
    problems = evidence_verify([case.pk])
    return problems[0] if problems else None
