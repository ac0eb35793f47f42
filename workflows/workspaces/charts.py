"""Bar charts drawn by the server: each bar's length as a percentage of the largest value,
rendered by ``workspaces/includes/bars.html`` (no script, readable without CSS too)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal
    percent: Decimal  # of the largest value, 0–100, one decimal
    row: object


def bars(rows, label: str, value: str) -> list[Bar]:
    """One bar per row, ``label`` and ``value`` naming the row's attributes (or keys)."""

    def get(row, name):
        return row[name] if isinstance(row, dict) else getattr(row, name)

    values = [Decimal(get(row, value) or 0) for row in rows]
    top = max(values, default=Decimal(0))
    return [
        Bar(
            label=str(get(row, label)),
            value=v,
            percent=(v * 100 / top).quantize(Decimal("0.1"), ROUND_HALF_UP)
            if top > 0
            else Decimal(0),
            row=row,
        )
        for row, v in zip(rows, values, strict=True)
    ]
