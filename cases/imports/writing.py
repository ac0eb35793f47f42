"""Writing an import's plan: batches of whole units, one transaction each.

Per batch: the units and owners the rows create; the batch's units locked and the ledger
rules applied again to a fresh read (a concurrent writer ends the import with that row's
error); charges of units without credit inserted in bulk (COPY on PostgreSQL,
``bulk_create`` elsewhere), the others through ``charge_issue``, which applies the credit;
each positive difference of 已收金额 through ``payment_record``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connections, router, transaction
from django.db.models import DecimalField, F, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Charge, Estate, Party, Payment, Unit, UnitParty
from cases.services.ledger import charge_issue, payment_record

from .plan import (
    LedgerState,
    Plan,
    RowAction,
    RowRefused,
    UnitPlan,
    ledger_state,
    payment_reference,
)
from .report import ImportReport, Progress
from .rows import LedgerRow, RowError

INSERT_BATCH = 2000


class ImportConflict(Exception):
    """The ledger changed between the check and the write of a batch."""

    def __init__(self, error: RowError):
        super().__init__(error.message)
        self.error = error


def _batches(units: list[UnitPlan], batch_rows: int):
    batch: list[UnitPlan] = []
    rows = 0
    for unit in units:
        batch.append(unit)
        rows += len(unit.actions)
        if rows >= batch_rows:
            yield batch, rows
            batch, rows = [], 0
    if batch:
        yield batch, rows


def plan_write(
    plan: Plan,
    *,
    estate: Estate,
    actor,
    filename: str,
    report: ImportReport,
    progress: Progress | None,
    batch_rows: int,
    header: Callable[[str], str],
) -> None:
    """Write ``plan`` batch by batch, adding what each batch did to ``report``; a batch
    that fails is rolled back, its error added, and the import stops there."""
    total = sum(len(unit.actions) for unit in plan.units)
    bar = progress(_("importing"), total) if progress else None
    parties = dict(plan.parties)
    template = _("imported from %(file)s, row %(row)d")  # translated once, not per row
    source = filename or _("a file")

    def note(row: int) -> str:
        return (template % {"file": source, "row": row})[:200]

    try:
        for batch, rows in _batches(plan.units, batch_rows):
            counts = ImportReport()
            try:
                _write_batch(
                    batch,
                    estate=estate,
                    actor=actor,
                    note=note,
                    parties=parties,
                    counts=counts,
                    header=header,
                    planned=plan.state,
                    periods=plan.periods,
                )
            except ImportConflict as conflict:
                report.errors.append(conflict.error)
                report.interrupted = True
                return
            except (IntegrityError, ValidationError) as exc:
                first = batch[0].actions[0].row.row
                report.errors.append(
                    RowError(
                        first,
                        "",
                        "",
                        _("batch starting at this row not imported: %(e)s")
                        % {"e": "; ".join(getattr(exc, "messages", [str(exc)]))},
                    )
                )
                report.interrupted = True
                return
            report.add(counts)
            report.written = True
            if bar:
                bar.update(rows)
    finally:
        if bar:
            bar.close()


def _units_lock(ids: list[int]) -> None:
    """Lock a batch's unit rows, in id order (so two imports never deadlock): the same
    lock ``unit_lock`` takes for one unit, taken for many in one statement."""
    list(Unit.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk"))


def _units_with_credit(ids: list[int]) -> set[int]:
    """Units holding a payment not wholly allocated: their new charges take the credit."""
    used = Coalesce(Sum("allocations__amount"), Value(Decimal(0)), output_field=DecimalField())
    return set(
        Payment.objects.filter(unit_id__in=ids)
        .values("pk", "unit_id", "amount")
        .annotate(used=used)
        .filter(amount__gt=F("used"))
        .values_list("unit_id", flat=True)
    )


def _create_units(estate: Estate, plans: list[UnitPlan], counts: ImportReport) -> None:
    if not plans:
        return
    created = Unit.objects.bulk_create(
        Unit(
            estate=estate,
            building=plan.building,
            number=plan.number,
            area=plan.area,
            segment=plan.segment,
        )
        for plan in plans
    )
    if any(unit.pk is None for unit in created):  # a backend that returns no ids
        found = Unit.objects.filter(estate=estate, number__in={plan.number for plan in plans})
        ids = {(b, n): pk for pk, b, n in found.values_list("pk", "building", "number")}
        for plan in plans:
            plan.unit_id = ids[(plan.building, plan.number)]
    else:
        for plan, unit in zip(plans, created, strict=True):
            plan.unit_id = unit.pk
    counts.units_created += len(plans)


def _link_owners(plans: list[UnitPlan], parties: dict, counts: ImportReport) -> None:
    """Create the owners the rows name (one party per name + phone) and link them."""
    owning = [plan for plan in plans if plan.owner is not None]
    if not owning:
        return
    new: dict[object, Party] = {}
    for plan in owning:
        name, phone = plan.owner
        key = (name, phone) if phone else ("unit", plan.unit_id)
        if key not in parties and key not in new:
            new[key] = Party(name=name, phone=phone, **_identity(plan.owner_id_number))
    for key, party in zip(new, Party.objects.bulk_create(new.values()), strict=True):
        parties[key] = party.pk
    counts.parties_created += len(new)
    UnitParty.objects.bulk_create(
        (
            UnitParty(
                unit_id=plan.unit_id,
                party_id=parties[plan.owner if plan.owner[1] else ("unit", plan.unit_id)],
                role=UnitParty.Role.OWNER,
                liable=True,
            )
            for plan in owning
        ),
        ignore_conflicts=True,
    )


def _identity(number: str) -> dict:
    """Party fields for an owner's ID number as the import checked it: 18 digits (or X) a
    resident ID, else a company's credit code."""
    if not number:
        return {}
    if number[:17].isdigit():
        return {"id_number": number, "id_type": Party.IdType.RESIDENT_ID}
    return {"id_number": number, "id_type": Party.IdType.CREDIT_CODE, "kind": Party.Kind.COMPANY}


def _fill_records(plans: list[UnitPlan]) -> None:
    """The ownership numbers and owner ID numbers the rows carry, written where the unit (or
    its owner of the same name) has none yet: an import never overwrites the record."""
    for plan in plans:
        for name in ("title_certificate_no", "purchase_contract_no"):
            if getattr(plan, name):
                Unit.objects.filter(pk=plan.unit_id, **{name: ""}).update(
                    **{name: getattr(plan, name)}
                )
        if plan.owner_id_number:
            owner_ids = UnitParty.objects.filter(
                unit_id=plan.unit_id, role=UnitParty.Role.OWNER
            ).values("party_id")
            Party.objects.filter(pk__in=owner_ids, id_number="").update(
                **_identity(plan.owner_id_number)
            )


def _write_batch(
    plans: list[UnitPlan],
    *,
    estate,
    actor,
    note: Callable[[int], str],
    parties: dict,
    counts: ImportReport,
    header,
    planned: LedgerState,
    periods: set[dt.date],
) -> None:
    # transaction ensures a batch lands whole: its units, owners, charges and payments
    with transaction.atomic():
        _create_units(estate, [plan for plan in plans if plan.unit_id is None], counts)
        _link_owners(plans, parties, counts)
        _fill_records(plans)
        ids = [plan.unit_id for plan in plans]
        _units_lock(ids)
        fresh = ledger_state(ids, periods=periods)
        if fresh == planned.of(ids):  # as checked: the planned actions stand
            actions = [(plan.unit_id, action) for plan in plans for action in plan.actions]
        else:
            actions = [
                (plan.unit_id, _again(fresh, plan.unit_id, action.row, header))
                for plan in plans
                for action in plan.actions
            ]
        for _unit_id, action in actions:
            counts.count(action)
        with_credit = _units_with_credit(ids)
        _insert_charges(
            [(u, a.row) for u, a in actions if a.create_charge and u not in with_credit], note
        )
        for unit_id, action in sorted(
            ((u, a) for u, a in actions if a.create_charge and u in with_credit),
            key=lambda pair: (pair[0], pair[1].row.due_date, pair[1].row.row),
        ):
            row = action.row
            charge_issue(
                Unit(pk=unit_id, estate=estate),
                item=row.item,
                period_start=row.period_start,
                period_end=row.period_end,
                amount=row.amount_due,
                due_date=row.due_date,
                issued_on=row.period_start,
                note=note(row.row),
                **_basis_kwargs(row),
            )
        for unit_id, action in sorted(
            ((u, a) for u, a in actions if a.payment > 0),
            key=lambda pair: (pair[0], pair[1].row.payment_date, pair[1].row.row),
        ):
            row = action.row
            payment_record(
                Unit(pk=unit_id, estate=estate),
                amount=action.payment,
                paid_on=row.payment_date,
                actor=actor,
                method=Payment.Method.OTHER,
                reference=payment_reference(row.item, row.period_start),
                payer_name=row.owner,
            )


def _again(fresh: LedgerState, unit_id: int, row: LedgerRow, header) -> RowAction:
    """The row's action against what the ledger holds now; a refusal ends the import."""
    try:
        return fresh.action(unit_id, row)
    except RowRefused as refused:
        raise ImportConflict(
            RowError(
                row.row,
                header(refused.field),
                str(getattr(row, refused.field, "")),
                refused.message
                + " "
                + _("(changed while importing: batch not imported, 导入期间被修改)"),
            )
        ) from refused


# The columns of a charge the bulk path writes; any other column means it must fall back
# to bulk_create (which knows every field's default).
_CHARGE_COLUMNS = (
    "unit_id",
    "item",
    "period_start",
    "period_end",
    "amount",
    "due_date",
    "issued_on",
    "note",
    "created_at",
    "fee_standard_id",
    "billed_area",
    "billed_months",
)
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _insert_charges(rows: list[tuple[int, LedgerRow]], note: Callable[[int], str]) -> None:
    """Insert new charges of units without credit: one COPY on PostgreSQL (psycopg 3),
    ``bulk_create`` elsewhere. The rows were checked against the same rules as
    ``charge_issue``'s model validation, and the database constraints still apply."""
    if not rows:
        return
    connection = connections[router.db_for_write(Charge)]
    columns = tuple(f.column for f in Charge._meta.concrete_fields if not f.primary_key)
    with connection.cursor() as cursor:
        copy = getattr(cursor.cursor, "copy", None)
        if connection.vendor != "postgresql" or copy is None or columns != _CHARGE_COLUMNS:
            Charge.objects.bulk_create(
                (_charge(unit_id, row, note) for unit_id, row in rows), batch_size=INSERT_BATCH
            )
            return
        now = timezone.now().isoformat()
        # COPY's text format escapes backslash, tab and newlines; a note rarely has any
        escape = note(0) != note(0).translate(_COPY_ESCAPES)
        lines = []
        for unit_id, row in rows:
            text = note(row.row).translate(_COPY_ESCAPES) if escape else note(row.row)
            standard, area, months = row.basis or (None, None, None)
            basis = "\t".join(
                "\\N" if v is None else str(v) for v in (standard and standard.pk, area, months)
            )
            lines.append(
                f"{unit_id}\t{row.item}\t{row.period_start}\t{row.period_end}\t{row.amount_due}"
                f"\t{row.due_date}\t{row.period_start}\t{text}\t{now}\t{basis}\n"
            )
        with copy(f"COPY {Charge._meta.db_table} ({', '.join(columns)}) FROM STDIN") as stream:
            stream.write("".join(lines))


def _charge(unit_id: int, row: LedgerRow, note: Callable[[int], str]) -> Charge:
    return Charge(
        unit_id=unit_id,
        item=row.item,
        period_start=row.period_start,
        period_end=row.period_end,
        amount=row.amount_due,
        due_date=row.due_date,
        issued_on=row.period_start,
        note=note(row.row),
        **_basis_kwargs(row),
    )


def _basis_kwargs(row: LedgerRow) -> dict:
    """The charge's basis as ``basis.check_bases`` found it; none (no standard) otherwise."""
    standard, area, months = row.basis or (None, None, None)
    return {"fee_standard": standard, "billed_area": area, "billed_months": months}
