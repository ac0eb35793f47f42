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
