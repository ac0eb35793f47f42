"""The nightly limitation snapshot: each open case's earliest limitation expiry and the
amount at risk, written on the case so that dashboards can sum them in one query.

Computing every unit's clocks (``cases.selectors.limitation``) costs a pass over every
unpaid charge and its restart events; the dashboards and the at-risk page cannot pay that
per request on a large estate. The case page and the worklists still compute their cases'
clocks live. These are derived figures, like the sweep's snapshots: no evidence entry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from cases.db import bulk_update_rows
from cases.models import Case, Stage
from cases.selectors.limitation import earliest_expiry_by_case

FIELDS = ["limitation_checked_on", "limitation_expires_on", "limitation_at_risk"]


@dataclass(frozen=True)
class SnapshotReport:
    as_of: dt.date
    checked: int
    changed: int


def limitation_snapshot(
    *,
    as_of: dt.date | None = None,
    chunk_size: int = 2000,
    progress: Callable[[int, int], None] | None = None,
) -> SnapshotReport:
    """Write the limitation figures of every open case as of ``as_of`` (today), in chunks
    of ``chunk_size`` cases; ``progress(done, total)`` after each chunk. Only rows whose
    figures changed are written; a second run the same day writes nothing."""
    as_of = as_of or timezone.localdate()
    ids = list(Case.objects.exclude(stage=Stage.CLOSED).order_by("id").values_list("id", flat=True))
    changed = 0
    for start in range(0, len(ids), chunk_size):
        chunk = ids[start : start + chunk_size]
        clocks = earliest_expiry_by_case(chunk, as_of=as_of)
        rows = []
        for case in Case.objects.filter(pk__in=chunk).only("id", *FIELDS):
            clock = clocks.get(case.pk)
            wanted = (
                as_of,
                clock.expires_on if clock else None,
                clock.amount_at_risk if clock else Decimal(0),
            )
            current = (
                case.limitation_checked_on,
                case.limitation_expires_on,
                case.limitation_at_risk,
            )
            if wanted != current:
                (
                    case.limitation_checked_on,
                    case.limitation_expires_on,
                    case.limitation_at_risk,
                ) = wanted
                rows.append(case)
        changed += bulk_update_rows(rows, FIELDS)
        if progress is not None:
            progress(min(start + chunk_size, len(ids)), len(ids))
    return SnapshotReport(as_of=as_of, checked=len(ids), changed=changed)
