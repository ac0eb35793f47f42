"""Reads of an estate's contracts and fee standards."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from cases.models import FeeStandard, ServiceContract


def fee_standards_in_force(estate_id: int, *, item: str, on: dt.date) -> list[FeeStandard]:
    """The estate's standards for ``item`` in force on ``on`` (one per segment at most)."""
    return list(
        FeeStandard.objects.filter(estate_id=estate_id, item=item, valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .select_related("contract")
    )


def pick_standard(standards, *, item: str, segment: str, on: dt.date) -> FeeStandard | None:
    """From ``standards`` (already loaded), the one for ``item`` in force on ``on`` for a
    unit of ``segment``: the segment's own standard, else the all-segments one."""
    found = None
    for standard in standards:
        if standard.item != item or standard.valid_from > on:
            continue
        if standard.valid_to is not None and standard.valid_to < on:
            continue
        if standard.segment == segment:
            return standard
        if standard.segment == "":
            found = standard
    return found


def fee_standard_for(unit, *, item: str, on: dt.date) -> FeeStandard | None:
    """The fee standard a charge of ``unit`` for ``item`` in a period starting ``on`` is
    computed from, or None."""
    return pick_standard(
        fee_standards_in_force(unit.estate_id, item=item, on=on),
        item=item,
        segment=unit.segment,
        on=on,
    )


def contract_in_force(estate_id: int, *, on: dt.date) -> ServiceContract | None:
    """The estate's service contract in force on ``on``."""
    return (
        ServiceContract.objects.filter(estate_id=estate_id, valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .first()
    )
