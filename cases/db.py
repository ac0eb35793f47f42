"""Portable SQL expressions for money and dates (SQLite and PostgreSQL).

Money is summed as integer fen (分) in the database so that SQLite, which has no decimal
type, gives the same exact result as PostgreSQL. Python turns the integers back into
``Decimal``.
"""

from django.db import models
from django.db.models import Func


class DaysBetween(Func):
    """Whole days from ``earlier`` to ``later`` (negative when ``later`` is earlier)."""

    output_field = models.IntegerField()
    arity = 2

    def __init__(self, later, earlier, **extra):
        super().__init__(later, earlier, **extra)

    def as_postgresql(self, compiler, connection, **extra):
        # date - date is an integer number of days in PostgreSQL.
        return self.as_sql(
            compiler,
            connection,
            template="((%(expressions)s)::date)",
            arg_joiner=")::date - (",
            **extra,
        )

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra,
        )


class ScaledInt(Func):
    """``ROUND(expression × factor)`` as a 64-bit integer: fen for money (factor 100), parts
    per million for rates (factor 1,000,000)."""

    output_field = models.BigIntegerField()
    arity = 1

    def __init__(self, expression, factor: int, **extra):
        self.factor = int(factor)
        super().__init__(expression, **extra)

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template=f"CAST((%(expressions)s) * {self.factor} AS bigint)",
            **extra,
        )

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template=f"CAST(ROUND((%(expressions)s) * {self.factor}) AS INTEGER)",
            **extra,
        )

    def as_sql(self, compiler, connection, **extra):
        extra.setdefault("template", f"CAST(ROUND((%(expressions)s) * {self.factor}) AS BIGINT)")
        return super().as_sql(compiler, connection, **extra)


def Fen(expression) -> ScaledInt:
    return ScaledInt(expression, 100)


def bulk_update_rows(objs, fields: list[str], *, batch_size: int = 5000) -> int:
    """Write ``fields`` of many rows of one model. On PostgreSQL one
    ``UPDATE … FROM (VALUES …)`` per batch (Django's ``bulk_update`` builds a CASE per field
    whose cost grows with the square of the batch); elsewhere ``bulk_update``."""
    from django.db import connections, router

    objs = list(objs)
    if not objs:
        return 0
    model = type(objs[0])
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        return model.objects.bulk_update(objs, fields, batch_size=1000)
    meta = model._meta
    pk = meta.pk
    columns = [meta.get_field(name) for name in fields]
    table = connection.ops.quote_name(meta.db_table)
    assignments = ", ".join(
        f"{connection.ops.quote_name(f.column)} = v.{connection.ops.quote_name(f.column)}"
        for f in columns
    )
    names = ", ".join(connection.ops.quote_name(f.column) for f in [pk, *columns])
    row = "(" + ", ".join(f"%s::{f.db_type(connection)}" for f in [pk, *columns]) + ")"
    updated = 0
    with connection.cursor() as cursor:
        for start in range(0, len(objs), batch_size):
            batch = objs[start : start + batch_size]
            params = []
            for obj in batch:
                params.append(pk.get_db_prep_save(obj.pk, connection))
                params.extend(
                    f.get_db_prep_save(getattr(obj, f.attname), connection) for f in columns
                )
            cursor.execute(
                f"UPDATE {table} AS t SET {assignments} "  # noqa: S608 - names quoted above
                f"FROM (VALUES {', '.join([row] * len(batch))}) AS v({names}) "
                f"WHERE t.{connection.ops.quote_name(pk.column)} = "
                f"v.{connection.ops.quote_name(pk.column)}",
                params,
            )
            updated += cursor.rowcount
    return updated
