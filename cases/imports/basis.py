"""The record behind an import's charges: the fee standard, area and months each new charge
is computed from, and the unit's ownership record and owner's identity the rows carry.

A billing system's amounts may legitimately differ from the standard (a pro-rated first
month, a negotiated discount), so a row *without* a 单价 column gets a basis only when its
amount agrees with area × price × months of the standard in force (within a fen), and is
imported as billed, without a basis, otherwise. A row that *states* its unit price is held to
it: no standard of that price in force for the item, the unit's segment and the period, or an
amount that disagrees with area × price × months, is a row error naming the expected figure.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from cases.models import Estate, FeeStandard, Unit
from cases.selectors.contract import pick_standard
from cases.services.ledger import charge_basis

from .plan import Plan
from .rows import RowError


def check_bases(estate: Estate, plan: Plan, *, header) -> list[RowError]:
    """Set ``row.basis`` on every row that issues a charge, take the record columns onto
    each unit's plan, and return the errors of rows refused (their actions are dropped from
    ``plan``). Two queries."""
    standards = list(FeeStandard.objects.filter(estate=estate).select_related("contract"))
    known = {
        pk: (area, segment)
        for pk, area, segment in Unit.objects.filter(
            pk__in=[u.unit_id for u in plan.units if u.unit_id is not None]
        ).values_list("pk", "area", "segment")
    }
    errors: list[RowError] = []
    for unit_plan in plan.units:
        area, segment = known.get(unit_plan.unit_id, (unit_plan.area, unit_plan.segment))
        unit = Unit(pk=unit_plan.unit_id, estate=estate, area=area, segment=segment)
        kept = []
        for action in unit_plan.actions:
            row = action.row
            for name in ("title_certificate_no", "purchase_contract_no", "owner_id_number"):
                if getattr(row, name) and not getattr(unit_plan, name):
                    setattr(unit_plan, name, getattr(row, name))
            if action.create_charge:
                error = _row_basis(row, unit, standards, header)
                if error is not None:
                    errors.append(error)
                    continue
            kept.append(action)
        unit_plan.actions = kept
    plan.units = [u for u in plan.units if u.actions]
    return errors


def _row_basis(row, unit: Unit, standards: list[FeeStandard], header) -> RowError | None:
    stated = row.unit_price
    standard = pick_standard(standards, item=row.item, segment=unit.segment, on=row.period_start)
    if stated is not None and (standard is None or standard.unit_price != stated):
        return RowError(
            row.row,
            header("unit_price"),
            str(stated),
            _(
                "no fee standard of %(price)s元/㎡/月 is in force for this item and unit on "
                "%(date)s (the estate's: %(found)s); record the standard first "
                "(无此单价的收费标准)"
            )
            % {
                "price": stated,
                "date": row.period_start.isoformat(),
                "found": standard.price_text if standard else _("none"),
            },
        )
    try:
        row.basis = charge_basis(
            unit,
            item=row.item,
            period_start=row.period_start,
            period_end=row.period_end,
            amount=row.amount_due,
            billed_area=row.area,
            standards=standards,
            strict=stated is not None,
        )
    except ValidationError as exc:
        return RowError(row.row, header("amount_due"), str(row.amount_due), exc.messages[0])
    return None
