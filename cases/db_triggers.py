"""The database triggers that guard the ledger and the evidence trail, for PostgreSQL and
SQLite: whatever writes (a service, a raw bulk insert, a SQL console), allocations stay
within what is owed, issued charges, payments, adjustments and allocations are not edited,
and evidence entries are append-only.

Migrations call ``install``, which always (re)installs the current full set; a change here
needs a new migration that calls ``install`` again so existing databases get it."""

import re

OVER_CHARGE = "allocation exceeds the principal the charge still owes"
OVER_PAYMENT = "allocation exceeds what is left of the payment"
OVER_ADJUSTMENT = "allocation exceeds what is left of the adjustment"
OTHER_UNIT = "allocation joins a charge and a payment or adjustment of different units"
EVIDENCE = "evidence entries are append-only"

# (table, columns that may never change once written, message)
FROZEN = [
    (
        "cases_charge",
        "unit_id, item, period_start, period_end, amount, due_date, fee_standard_id, "
        "billed_area, billed_months",
        "issued charges are never edited; record an adjustment",
    ),
    (
        "cases_payment",
        "unit_id, amount, paid_on",
        "a recorded payment (amount, unit, date) is never edited",
    ),
    (
        "cases_adjustment",
        "unit_id, kind, amount, effective_on",
        "a recorded adjustment is never edited",
    ),
]

POSTGRES_CREATE = [
    f"""
CREATE OR REPLACE FUNCTION cases_allocation_within_owed() RETURNS trigger AS $$
BEGIN
    IF NEW.target = 'principal' AND
       (SELECT COALESCE(SUM(amount), 0) FROM cases_allocation
         WHERE charge_id = NEW.charge_id AND target = 'principal') + NEW.amount
       > (SELECT amount FROM cases_charge WHERE id = NEW.charge_id) THEN
        RAISE EXCEPTION '{OVER_CHARGE} (charge %)', NEW.charge_id USING ERRCODE = '23514';
    END IF;
    IF NEW.payment_id IS NOT NULL AND
       (SELECT COALESCE(SUM(amount), 0) FROM cases_allocation
         WHERE payment_id = NEW.payment_id) + NEW.amount
       > (SELECT amount FROM cases_payment WHERE id = NEW.payment_id) THEN
        RAISE EXCEPTION '{OVER_PAYMENT} (payment %)', NEW.payment_id USING ERRCODE = '23514';
    END IF;
    IF NEW.adjustment_id IS NOT NULL AND
       (SELECT COALESCE(SUM(amount), 0) FROM cases_allocation
         WHERE adjustment_id = NEW.adjustment_id) + NEW.amount
       > (SELECT amount FROM cases_adjustment WHERE id = NEW.adjustment_id) THEN
        RAISE EXCEPTION '{OVER_ADJUSTMENT} (adjustment %)', NEW.adjustment_id
            USING ERRCODE = '23514';
    END IF;
    IF (SELECT unit_id FROM cases_charge WHERE id = NEW.charge_id) <> COALESCE(
           (SELECT unit_id FROM cases_payment WHERE id = NEW.payment_id),
           (SELECT unit_id FROM cases_adjustment WHERE id = NEW.adjustment_id)) THEN
        RAISE EXCEPTION '{OTHER_UNIT} (charge %)', NEW.charge_id USING ERRCODE = '23514';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql""",
    """CREATE TRIGGER cases_allocation_within_owed BEFORE INSERT ON cases_allocation
    FOR EACH ROW EXECUTE FUNCTION cases_allocation_within_owed()""",
    """
CREATE OR REPLACE FUNCTION cases_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '%: % refused on %', TG_ARGV[0], TG_OP, TG_TABLE_NAME
        USING ERRCODE = '23514';
END;
$$ LANGUAGE plpgsql""",
    """CREATE TRIGGER cases_allocation_immutable BEFORE UPDATE OR DELETE ON cases_allocation
    FOR EACH ROW EXECUTE FUNCTION cases_refuse_change('allocations are append-only')""",
    f"""CREATE TRIGGER cases_evidence_append_only BEFORE UPDATE OR DELETE ON cases_evidenceentry
    FOR EACH ROW EXECUTE FUNCTION cases_refuse_change('{EVIDENCE}')""",
    *[
        f"""CREATE TRIGGER {table}_frozen BEFORE UPDATE OF {columns} ON {table}
    FOR EACH ROW EXECUTE FUNCTION cases_refuse_change('{message}')"""
        for table, columns, message in FROZEN
    ],
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS cases_allocation_within_owed ON cases_allocation",
    "DROP TRIGGER IF EXISTS cases_allocation_immutable ON cases_allocation",
    "DROP TRIGGER IF EXISTS cases_evidence_append_only ON cases_evidenceentry",
    *[f"DROP TRIGGER IF EXISTS {table}_frozen ON {table}" for table, _c, _m in FROZEN],
    # names used by earlier migrations
    "DROP TRIGGER IF EXISTS cases_evidence_no_update ON cases_evidenceentry",
    "DROP TRIGGER IF EXISTS cases_evidence_no_delete ON cases_evidenceentry",
    "DROP FUNCTION IF EXISTS cases_evidence_append_only()",
    "DROP FUNCTION IF EXISTS cases_allocation_immutable()",
]

_TOLERANCE = "0.000001"  # SQLite keeps decimals as REAL
SQLITE_CREATE = [
    f"""CREATE TRIGGER cases_allocation_within_charge BEFORE INSERT ON cases_allocation
WHEN NEW.target = 'principal' AND
     (SELECT COALESCE(SUM(amount), 0) FROM cases_allocation
       WHERE charge_id = NEW.charge_id AND target = 'principal') + NEW.amount
     > (SELECT amount FROM cases_charge WHERE id = NEW.charge_id) + {_TOLERANCE}
BEGIN SELECT RAISE(ABORT, '{OVER_CHARGE}'); END""",
    f"""CREATE TRIGGER cases_allocation_within_payment BEFORE INSERT ON cases_allocation
WHEN NEW.payment_id IS NOT NULL AND
     (SELECT COALESCE(SUM(amount), 0) FROM cases_allocation
       WHERE payment_id = NEW.payment_id) + NEW.amount
     > (SELECT amount FROM cases_payment WHERE id = NEW.payment_id) + {_TOLERANCE}
BEGIN SELECT RAISE(ABORT, '{OVER_PAYMENT}'); END""",
    f"""CREATE TRIGGER cases_allocation_within_adjustment BEFORE INSERT ON cases_allocation
WHEN NEW.adjustment_id IS NOT NULL AND
     (SELECT COALESCE(SUM(amount), 0) FROM cases_allocation
       WHERE adjustment_id = NEW.adjustment_id) + NEW.amount
     > (SELECT amount FROM cases_adjustment WHERE id = NEW.adjustment_id) + {_TOLERANCE}
BEGIN SELECT RAISE(ABORT, '{OVER_ADJUSTMENT}'); END""",
    f"""CREATE TRIGGER cases_allocation_same_unit BEFORE INSERT ON cases_allocation
WHEN (SELECT unit_id FROM cases_charge WHERE id = NEW.charge_id) <> COALESCE(
       (SELECT unit_id FROM cases_payment WHERE id = NEW.payment_id),
       (SELECT unit_id FROM cases_adjustment WHERE id = NEW.adjustment_id))
BEGIN SELECT RAISE(ABORT, '{OTHER_UNIT}'); END""",
    """CREATE TRIGGER cases_allocation_immutable BEFORE UPDATE ON cases_allocation
BEGIN SELECT RAISE(ABORT, 'allocations are append-only: UPDATE refused'); END""",
    """CREATE TRIGGER cases_allocation_no_delete BEFORE DELETE ON cases_allocation
BEGIN SELECT RAISE(ABORT, 'allocations are append-only: DELETE refused'); END""",
    f"""CREATE TRIGGER cases_evidence_no_update BEFORE UPDATE ON cases_evidenceentry
BEGIN SELECT RAISE(ABORT, '{EVIDENCE}: UPDATE refused'); END""",
    f"""CREATE TRIGGER cases_evidence_no_delete BEFORE DELETE ON cases_evidenceentry
BEGIN SELECT RAISE(ABORT, '{EVIDENCE}: DELETE refused'); END""",
    *[
        f"""CREATE TRIGGER {table}_frozen BEFORE UPDATE OF {columns} ON {table}
BEGIN SELECT RAISE(ABORT, '{message}: UPDATE refused'); END"""
        for table, columns, message in FROZEN
    ],
]
# Every trigger SQLITE_CREATE makes, by name: derived, so a new trigger cannot be forgotten.
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {sql.split()[2]}"
    for sql in SQLITE_CREATE
    if sql.startswith("CREATE TRIGGER")
]

STATEMENTS = {
    "postgresql": (POSTGRES_DROP, POSTGRES_CREATE),
    "sqlite": (SQLITE_DROP, SQLITE_CREATE),
}


_FROZEN_COLUMNS = re.compile(r"BEFORE UPDATE OF (?P<columns>.+?) ON (?P<table>\w+)")


def _existing_columns_only(schema_editor, sql: str) -> str:
    """A frozen-columns trigger naming only the columns its table has at this migration: an
    earlier migration installs the triggers before later ones add columns (PostgreSQL
    refuses a trigger on a column that does not exist yet)."""
    match = _FROZEN_COLUMNS.search(sql)
    if match is None:
        return sql
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        present = {
            column.name
            for column in connection.introspection.get_table_description(cursor, match["table"])
        }
    columns = ", ".join(c for c in match["columns"].split(", ") if c in present)
    return sql[: match.start("columns")] + columns + sql[match.end("columns") :]


def install(schema_editor) -> None:
    """(Re)install every guard trigger on this database."""
    vendor = schema_editor.connection.vendor
    if vendor not in STATEMENTS:
        raise RuntimeError(f"no guard triggers for database vendor {vendor!r}")
    drop, create = STATEMENTS[vendor]
    for sql in [*drop, *(_existing_columns_only(schema_editor, sql) for sql in create)]:
        schema_editor.execute(sql, params=None)


def uninstall(schema_editor) -> None:
    drop, _create = STATEMENTS[schema_editor.connection.vendor]
    for sql in drop:
        schema_editor.execute(sql, params=None)
