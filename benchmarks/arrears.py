"""Benchmark: ``arrears_as_of`` for every unit against one hand-written SQL statement.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fees_bench python -m benchmarks.arrears

Migrates the database, generates the shared dataset (100,000 units × 12 monthly charges,
see ``benchmarks._data``) unless it is already there, then times, in the same process and
interleaved run by run:

* the floor: one SQL statement computing the same per-unit totals (principal of overdue
  charges still owed, oldest unpaid due date, accrued late fee by the formula of
  ``cases.selectors.ledger``, late fee waived and paid, credit), its rows fetched;
* ``arrears_as_of(Unit.objects.all(), as_of=…, breakdown=False)`` and ``breakdown=True``.

The floor's figures must equal the selector's (same units, same amounts to the cent); the
mismatch count is printed and the exit status is 1 when it is not 0. The last line is
``ratio=<selector (breakdown=False) time / floor time>``, the median over the timed runs of
each run's ratio.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import platform
import statistics
import time
from collections.abc import Callable
from decimal import Decimal

from benchmarks._data import DatasetSpec, ensure_dataset, setup_django

TARGET_RATIO = 1.5
TARGET_SECONDS = 15.0

# Same figures as arrears_as_of, in numeric (exact), for the units it returns: those with
# principal owed on an overdue charge or accrued late fee beyond what was waived and paid.
FLOOR_SQL = """
WITH per_charge AS (
    SELECT c.unit_id, c.due_date,
           c.amount - COALESCE(SUM(a.amount) FILTER (WHERE a.target = 'principal'), 0)
               AS outstanding,
           (c.amount * acc.days
            - COALESCE(SUM(a.amount * LEAST(acc.days, %(as_of)s::date - a.allocated_on))
                           FILTER (WHERE a.target = 'principal'), 0))
           * e.late_fee_daily_rate AS accrued,
           COALESCE(SUM(a.amount) FILTER (WHERE a.target = 'late_fee'
                                            AND a.adjustment_id IS NOT NULL), 0) AS waived,
           COALESCE(SUM(a.amount) FILTER (WHERE a.target = 'late_fee'
                                            AND a.payment_id IS NOT NULL), 0) AS paid
      FROM cases_charge c
      JOIN cases_unit u ON u.id = c.unit_id
      JOIN cases_estate e ON e.id = u.estate_id
     CROSS JOIN LATERAL (
           SELECT GREATEST(0, %(as_of)s::date - c.due_date - e.grace_days) AS days) acc
      LEFT JOIN cases_allocation a ON a.charge_id = c.id AND a.allocated_on <= %(as_of)s
     WHERE c.due_date < %(as_of)s
     GROUP BY c.id, e.id, acc.days
), per_unit AS (
    SELECT unit_id, SUM(outstanding) AS principal,
           MIN(due_date) FILTER (WHERE outstanding > 0) AS oldest_due_date,
           SUM(accrued) AS accrued, SUM(waived) AS waived, SUM(paid) AS paid
      FROM per_charge
     GROUP BY unit_id
    HAVING SUM(outstanding) > 0 OR SUM(accrued) > SUM(waived) + SUM(paid)
), credit AS (
    SELECT unit_id, SUM(amount - used) AS credit
      FROM (SELECT p.unit_id, p.amount,
                   COALESCE(SUM(a.amount) FILTER (WHERE a.allocated_on <= %(as_of)s), 0) AS used
              FROM cases_payment p
              LEFT JOIN cases_allocation a ON a.payment_id = p.id
             WHERE p.paid_on <= %(as_of)s
             GROUP BY p.id) per_payment
     WHERE amount > used
     GROUP BY unit_id
)
SELECT pu.unit_id, pu.principal, pu.oldest_due_date, pu.accrued, pu.waived, pu.paid,
       COALESCE(cr.credit, 0)
  FROM per_unit pu
  LEFT JOIN credit cr ON cr.unit_id = pu.unit_id
"""

Figures = tuple  # (principal, oldest due date, accrued, waived, paid, credit), to the cent


def floor(as_of: dt.date) -> dict[int, Figures]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(FLOOR_SQL, {"as_of": as_of})
        return {unit_id: tuple(figures) for unit_id, *figures in cursor.fetchall()}


def selector(as_of: dt.date, *, breakdown: bool):
    from cases.models import Unit
    from cases.selectors.ledger import arrears_as_of

    return arrears_as_of(Unit.objects.all(), as_of=as_of, breakdown=breakdown)


def _cents(value) -> Decimal | None:
    from cases.selectors.ledger import money

    return None if value is None else money(Decimal(value))


def mismatches(selected, floored: dict[int, Figures]) -> list[str]:
    """Units whose figures differ (to the cent), or that only one side returns."""
    found = []
    for unit_id in sorted(selected.keys() | floored.keys()):
        a = selected.get(unit_id)
        mine = (
            None
            if a is None
            else (
                _cents(a.principal),
                a.oldest_due_date,
                _cents(a.late_fee_accrued),
                _cents(a.late_fee_waived),
                _cents(a.late_fee_paid),
                _cents(a.credit),
            )
        )
        row = floored.get(unit_id)
        theirs = None if row is None else (_cents(row[0]), row[1], *map(_cents, row[2:]))
        if mine != theirs:
            found.append(f"unit {unit_id}: selector {mine} != floor {theirs}")
    return found


def breakdown_errors(selected) -> list[str]:
    """Units whose principal by item or by period does not add up to their principal."""
    return [
        f"unit {a.unit_id}: principal {a.principal}, by item {sum(a.by_item.values())}, "
        f"by period {sum(a.by_period.values())}"
        for a in selected.values()
        if sum(a.by_item.values(), Decimal(0)) != a.principal
        or sum(a.by_period.values(), Decimal(0)) != a.principal
    ]


def explain(as_of: dt.date) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the floor and of every statement the selector runs."""
    from django.db import connection

    statements: list[tuple[str, object]] = []

    def record(execute, sql, params, many, context):
        statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        selector(as_of, breakdown=True)
    statements.insert(0, (FLOOR_SQL, {"as_of": as_of}))
    names = ["floor"] + [f"selector statement {i}" for i in range(1, len(statements))]
    with connection.cursor() as cursor:
        for name, (sql, params) in zip(names, statements, strict=True):
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            print(f"--- {name}:\n{cursor.mogrify(sql, params).strip()}\n\n{plan}\n")


def server_settings() -> str:
    from django.db import connection

    names = ["work_mem", "shared_buffers", "max_parallel_workers_per_gather", "jit"]
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0].split()[0]
        values = []
        for name in names:
            cursor.execute(f"SHOW {name}")
            values.append(f"{name}={cursor.fetchone()[0]}")
    return f"PostgreSQL {version}, " + ", ".join(values)


def timed(func: Callable[[], object]) -> tuple[float, object]:
    gc.collect()
    started = time.perf_counter()
    result = func()
    return time.perf_counter() - started, result


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _summary(times: list[float]) -> str:
    runs = " ".join(f"{t:.2f}" for t in times)
    return f"median {statistics.median(times):7.3f} s  (runs: {runs})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.arrears", description=__doc__)
    parser.add_argument("--regenerate", action="store_true", help="generate the data anew")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each (default 5)")
    parser.add_argument(
        "--as-of", type=dt.date.fromisoformat, help="date of the arrears (default: the dataset's)"
    )
    parser.add_argument(
        "--units", type=int, default=DatasetSpec.units, help="units to generate (default 100000)"
    )
    parser.add_argument(
        "--server-jit",
        action="store_true",
        help="keep the server's jit setting (default: SET jit = off for the session)",
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="print EXPLAIN ANALYZE of the floor and of the selector's statements, then stop",
    )
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    setup_django()
    spec = DatasetSpec(units=args.units)
    dataset = ensure_dataset(spec, regenerate=args.regenerate)
    as_of = args.as_of or spec.default_as_of
    if not args.server_jit:
        # The floor, one statement, is estimated above jit_inline_above_cost and
        # jit_optimize_above_cost (500,000) and so pays seconds of LLVM inlining and
        # optimization in its leader process; each of the selector's statements stays below
        # and gets at most expression JIT. Without JIT for both, the floor is a floor.
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SET jit = off")
    print(
        f"machine: {os.cpu_count()} cores, {platform.machine()}, Python "
        f"{platform.python_version()}, {server_settings()}; load average {_load()}"
    )
    print(f"as_of={as_of}; {dataset.counts['charge']:,} charges")
    if args.explain:
        explain(as_of)
        return 0

    candidates = {
        "floor (one SQL statement)": lambda: floor(as_of),
        "arrears_as_of(breakdown=False)": lambda: selector(as_of, breakdown=False),
        "arrears_as_of(breakdown=True)": lambda: selector(as_of, breakdown=True),
    }
    # Warm-up run of each, whose results are the ones checked.
    results = {}
    for label, func in candidates.items():
        seconds, results[label] = timed(func)
        print(f"warm-up  {label:<32}{seconds:7.3f} s")
    floor_rows, plain, detailed = results.values()
    wrong = mismatches(plain, floor_rows) + mismatches(detailed, floor_rows)
    wrong += breakdown_errors(detailed)
    for line in wrong[:10]:
        print(f"  {line}")
    print(f"units in arrears: {len(floor_rows):,}; mismatches={len(wrong)}")

    # Interleaved, so that a drift of the machine's speed affects all three alike.
    times: dict[str, list[float]] = {label: [] for label in candidates}
    for _ in range(args.runs):
        for label, func in candidates.items():
            times[label].append(timed(func)[0])
    for label, measured in times.items():
        print(f"{label:<32} {_summary(measured)}")
    floor_t, plain_t, detailed_t = times.values()
    # Each ratio is the median of the runs' own ratios (selector run / the floor run just
    # before it), which holds better than a ratio of medians when the machine's speed drifts.
    ratio = statistics.median(p / f for p, f in zip(plain_t, floor_t, strict=True))
    ratio_breakdown = statistics.median(d / f for d, f in zip(detailed_t, floor_t, strict=True))
    plain_s = statistics.median(plain_t)
    met = ratio <= TARGET_RATIO and plain_s < TARGET_SECONDS
    print(f"load average after: {_load()} (a shared machine: compare ratios, not seconds)")
    print(
        f"target (breakdown=False within {TARGET_RATIO}× the floor and under "
        f"{TARGET_SECONDS:g} s): {'met' if met else 'NOT met'}"
    )
    print(f"ratio_breakdown={ratio_breakdown:.2f}")
    print(f"ratio={ratio:.2f}")
    return 1 if wrong else 0


if __name__ == "__main__":
    raise SystemExit(main())
