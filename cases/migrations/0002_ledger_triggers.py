"""Database triggers that keep allocations within what is owed, whatever writes them
(a service, a raw bulk insert, a SQL console). Model validation says the same earlier."""

from django.db import migrations

OVER_CHARGE = "allocation exceeds the principal the charge still owes"
OVER_PAYMENT = "allocation exceeds what is left of the payment"
OVER_ADJUSTMENT = "allocation exceeds what is left of the adjustment"

POSTGRES = f"""
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
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER cases_allocation_within_owed BEFORE INSERT ON cases_allocation
    FOR EACH ROW EXECUTE FUNCTION cases_allocation_within_owed();
CREATE OR REPLACE FUNCTION cases_allocation_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'allocations are append-only: % refused', TG_OP USING ERRCODE = '23514';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER cases_allocation_immutable BEFORE UPDATE ON cases_allocation
    FOR EACH ROW EXECUTE FUNCTION cases_allocation_immutable();
"""

POSTGRES_REVERSE = """
DROP TRIGGER IF EXISTS cases_allocation_within_owed ON cases_allocation;
DROP FUNCTION IF EXISTS cases_allocation_within_owed();
DROP TRIGGER IF EXISTS cases_allocation_immutable ON cases_allocation;
DROP FUNCTION IF EXISTS cases_allocation_immutable();
"""

SQLITE = [
    f"""
CREATE TRIGGER cases_allocation_within_charge BEFORE INSERT ON cases_allocation
WHEN NEW.target = 'principal' AND
     (SELECT COALESCE(SUM(amount), 0) FROM cases_allocation
       WHERE charge_id = NEW.charge_id AND target = 'principal') + NEW.amount
     > (SELECT amount FROM cases_charge WHERE id = NEW.charge_id) + 0.000001
BEGIN SELECT RAISE(ABORT, '{OVER_CHARGE}'); END;
""",
    f"""
CREATE TRIGGER cases_allocation_within_payment BEFORE INSERT ON cases_allocation
WHEN NEW.payment_id IS NOT NULL AND
     (SELECT COALESCE(SUM(amount), 0) FROM cases_allocation
       WHERE payment_id = NEW.payment_id) + NEW.amount
     > (SELECT amount FROM cases_payment WHERE id = NEW.payment_id) + 0.000001
BEGIN SELECT RAISE(ABORT, '{OVER_PAYMENT}'); END;
""",
    f"""
CREATE TRIGGER cases_allocation_within_adjustment BEFORE INSERT ON cases_allocation
WHEN NEW.adjustment_id IS NOT NULL AND
     (SELECT COALESCE(SUM(amount), 0) FROM cases_allocation
       WHERE adjustment_id = NEW.adjustment_id) + NEW.amount
     > (SELECT amount FROM cases_adjustment WHERE id = NEW.adjustment_id) + 0.000001
BEGIN SELECT RAISE(ABORT, '{OVER_ADJUSTMENT}'); END;
""",
    """
CREATE TRIGGER cases_allocation_immutable BEFORE UPDATE ON cases_allocation
BEGIN SELECT RAISE(ABORT, 'allocations are append-only: UPDATE refused'); END;
""",
]

SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS cases_allocation_within_charge;",
    "DROP TRIGGER IF EXISTS cases_allocation_within_payment;",
    "DROP TRIGGER IF EXISTS cases_allocation_within_adjustment;",
    "DROP TRIGGER IF EXISTS cases_allocation_immutable;",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor)
        if statements is None:
            raise RuntimeError(
                f"No ledger triggers for database vendor {schema_editor.connection.vendor!r}"
            )
        for sql in [statements] if isinstance(statements, str) else statements:
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRES, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRES_REVERSE, "sqlite": SQLITE_REVERSE}),
        ),
    ]
