"""Shared benchmark set-up: Django on PostgreSQL, and a large, deterministic fee ledger.

The ledger is generated with set-based SQL (``INSERT … SELECT`` over ``generate_series``),
never the ORM row by row, and is reused when the database already holds one of the same
specification (``ensure_dataset``). What it holds, per unit, for ``units`` units spread over
four estates with different late-fee terms (one with none) and all four segments:

* one management-fee charge per month for ``months`` months, due on the 15th;
* payments of five payer profiles: prompt (65 % of units: pay nearly every month, a few days
  before or after the due date; 3 % of them round up and leave credit), late (15 %: pay in full
  up to 75 days late, 40 % of those payments also pay the late fee accrued so far), partial
  (10 %: pay 30–90 % of most charges, half of the time the rest later), stopped (5 %: pay the
  first 2–8 months, then nothing), never (5 %); 1 % of units also prepay 500.00 that stays
  unallocated (credit);
* each payment allocated to the charge of its own month (principal, then the late fee when it
  pays one), dated the day it was paid — a simplification of the oldest-first rule of the
  services that keeps every amount within what is owed, which is all the selectors rely on;
* a few late-fee waivers (adjustments) of half the late fee a late payment accrued, and of
  30 % of the late fee accrued by the first charge of some units that never pay, each with its
  allocation.

Payments run past the last due date, so an ``as_of`` inside the last month sees payments,
allocations and waivers after it as well as a last charge not yet due.

Rows are written in the order a live system writes them — charges month by month, payments
and their allocations by date — so a unit's rows are spread over the tables as they would be.
Everything derives from a hash of the row's key, so the same specification always gives the
same rows. The database must be dedicated to benchmarks: generation truncates the ledger
tables (it refuses when they hold estates it did not make).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import NoReturn
from urllib.parse import urlsplit

POSTGRES_SCHEMES = {"postgres", "postgresql", "pgsql", "psql", "postgis"}
EXAMPLE_URL = "postgres://postgres@127.0.0.1:5432/fees_bench"
ESTATE_CODE_PREFIX = "bench-"
META_TABLE = "benchmark_dataset"
DATASET_NAME = "ledger"

# (code suffix, late-fee daily rate, grace days, allocation rule)
ESTATES = [
    ("a", Decimal("0.001"), 0, "oldest_first"),
    ("b", Decimal("0.0005"), 15, "oldest_first"),
    ("c", Decimal("0.0003"), 30, "newest_first"),
    ("d", Decimal("0"), 0, "oldest_first"),
]

Log = Callable[[str], None]


@dataclass(frozen=True)
class DatasetSpec:
    """What ``ensure_dataset`` generates; bump ``version`` when the generator changes."""

    units: int = 100_000
    months: int = 12
    first_period: str = "2025-01-01"
    version: int = 2

    @property
    def charges(self) -> int:
        return self.units * self.months

    @property
    def last_period(self) -> dt.date:
        first = dt.date.fromisoformat(self.first_period)
        months = first.month - 1 + self.months - 1
        return first.replace(year=first.year + months // 12, month=months % 12 + 1)

    @property
    def default_as_of(self) -> dt.date:
        """Inside the last month, before its due date (the 15th)."""
        return self.last_period + dt.timedelta(days=9)

    def as_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


@dataclass(frozen=True)
class Dataset:
    spec: DatasetSpec
    counts: dict[str, int]
    generated: bool  # False when an existing dataset was reused
    seconds: float


def fail(message: str, status: int = 2) -> NoReturn:
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(status)


def require_postgres_url() -> str:
    """``DATABASE_URL`` when it names a PostgreSQL database; exits with a message otherwise."""
    url = os.environ.get("DATABASE_URL", "")
    scheme = urlsplit(url).scheme.split("+")[0].lower()
    if scheme not in POSTGRES_SCHEMES:
        shown = f"{scheme}://…" if scheme else "not set"
        fail(
            "the benchmarks run on PostgreSQL only: set DATABASE_URL to a PostgreSQL database "
            f"dedicated to benchmarks, e.g. DATABASE_URL={EXAMPLE_URL} (DATABASE_URL is {shown})"
        )
    return url


def setup_django(*, migrate: bool = True, log: Log = print) -> None:
    """Django with ``config.settings.base`` unless DJANGO_SETTINGS_MODULE says otherwise, on
    the PostgreSQL database of DATABASE_URL, migrated."""
    require_postgres_url()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        fail(f"DATABASE_URL gave a {connection.vendor} connection, not PostgreSQL")
    if migrate:
        from django.core.management import call_command

        started = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False)
        settings = connection.settings_dict
        log(
            f"database {settings['NAME']} on {settings['HOST'] or 'localhost'}:"
            f"{settings['PORT'] or 5432} migrated ({time.perf_counter() - started:.1f} s)"
        )


def rnd(key: str, salt: int, n: int) -> str:
    """SQL for a deterministic pseudo-random integer in [0, n) from a bigint ``key``."""
    return f"mod(hashint8extended(({key})::bigint, {salt}) & 2147483647, {n})::int"


def _counts(cursor) -> dict[str, int]:
    counts = {}
    for table in ("unit", "charge", "payment", "adjustment", "allocation"):
        cursor.execute(f"SELECT count(*) FROM cases_{table}")
        counts[table] = cursor.fetchone()[0]
    return counts


def _stored_spec(cursor) -> str | None:
    cursor.execute("SELECT to_regclass(%s)", [META_TABLE])
    if cursor.fetchone()[0] is None:
        return None
    cursor.execute(f"SELECT spec::text FROM {META_TABLE} WHERE name = %s", [DATASET_NAME])
    row = cursor.fetchone()
    return json.dumps(json.loads(row[0]), sort_keys=True) if row else None


def ensure_dataset(
    spec: DatasetSpec | None = None, *, regenerate: bool = False, log: Log = print
) -> Dataset:
    """The dataset of ``spec`` in the database: reused when present with the right size,
    generated (after truncating the ledger tables) when missing, different or ``regenerate``."""
    from django.db import connection

    spec = spec or DatasetSpec()
    with connection.cursor() as cursor:
        stored = _stored_spec(cursor)
        counts = _counts(cursor)
    expected = {"unit": spec.units, "charge": spec.charges}
    if not regenerate and stored == spec.as_json():
        if all(counts[table] == n for table, n in expected.items()):
            log(f"reusing dataset {spec.as_json()}: {_describe(counts)}")
            return Dataset(spec, counts, generated=False, seconds=0.0)
        log(f"dataset marker found but sizes differ ({_describe(counts)}): regenerating")
    elif not regenerate and stored:
        log(f"database holds another dataset ({stored}): regenerating")
    started = time.perf_counter()
    _generate(spec, log)
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        counts = _counts(cursor)
    log(f"dataset generated in {seconds:.1f} s: {_describe(counts)}")
    return Dataset(spec, counts, generated=True, seconds=seconds)


def _describe(counts: dict[str, int]) -> str:
    return ", ".join(f"{n:,} {table}s" for table, n in counts.items())


class _Steps:
    """Runs SQL steps, printing what each did and how long it took."""

    def __init__(self, cursor, log: Log):
        self.cursor, self.log = cursor, log

    def __call__(self, label: str, sql: str, params=None) -> int:
        started = time.perf_counter()
        self.cursor.execute(sql, params)
        rows = self.cursor.rowcount
        shown = f"{rows:>10,} rows" if rows is not None and rows >= 0 else " " * 15
        self.log(f"  {label:<44}{shown}  {time.perf_counter() - started:6.1f} s")
        return rows


def _bench_users():
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    users = []
    for username in ("bench-requester", "bench-approver"):
        user, created = user_model.objects.get_or_create(username=username)
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        users.append(user.pk)
    return users


def insert_select(model, values: dict[str, str], source: str, params: dict) -> str:
    """``INSERT INTO <model's table> (…) SELECT … <source>``: ``values`` maps columns to SQL
    expressions over ``source``; every other column gets what the ORM would write — the
    field's default (``''`` for text), ``now()`` for ``auto_now(_add)``, NULL when nullable —
    so that fields added to the models later need no change here. Defaults go in ``params``."""
    from django.db import connection

    columns, expressions = [], []
    for f in model._meta.concrete_fields:
        if f.column in values:
            expression = values[f.column]
        elif f.primary_key:
            continue  # the identity column numbers the rows
        elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            expression = "now()"
        elif f.has_default() or (f.empty_strings_allowed and not f.null):
            key = f"default_{model._meta.db_table}_{f.column}"
            params[key] = f.get_db_prep_save(f.get_default(), connection)
            expression = f"%({key})s"
        elif f.null:
            expression = "NULL"
        else:
            raise RuntimeError(
                f"benchmarks._data has no value for the required column {f.column} of "
                f"{model._meta.db_table}: add one to the generator"
            )
        columns.append(connection.ops.quote_name(f.column))
        expressions.append(expression)
    return (
        f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({', '.join(columns)})"
        f"\nSELECT {', '.join(expressions)}\n{source}"
    )


def _generate(spec: DatasetSpec, log: Log) -> None:
    from django.db import connection, transaction

    from cases.models import Charge, Estate, Unit

    log(f"generating dataset {spec.as_json()} …")
    requester, approver = _bench_users()
    with transaction.atomic(), connection.cursor() as cursor:
        step = _Steps(cursor, log)
        ours = [ESTATE_CODE_PREFIX + code for code, *_ in ESTATES]
        if Estate.objects.exclude(code__in=ours).exists():
            fail(
                "the database holds estates the benchmark generator did not make; "
                "point DATABASE_URL at a database dedicated to benchmarks"
            )
        step(
            "truncate ledger tables",
            "TRUNCATE cases_allocation, cases_adjustment, cases_payment, cases_charge,"
            " cases_unitparty, cases_unit, cases_estate RESTART IDENTITY CASCADE",
        )
        # The BEFORE INSERT trigger checks every allocation against the sums already inserted
        # (three aggregate look-ups a row). Disabled for this transaction only: every amount
        # below is within what its charge, payment or adjustment has by construction, and the
        # set-based check before commit proves it (any excess rolls everything back, the
        # ALTER TABLE included). Foreign keys and CHECK constraints stay on.
        step("disable allocation triggers", "ALTER TABLE cases_allocation DISABLE TRIGGER USER")
        # The foreign keys are deferred; checked at the end of each statement instead, so no
        # check is still pending when the triggers are re-enabled.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for code, rate, grace, rule in ESTATES:
            Estate.objects.create(
                name=f"Bench estate {code.upper()}",
                code=ESTATE_CODE_PREFIX + code,
                company_name="Bench Property Management Co.",
                city="Bench City",
                late_fee_daily_rate=rate,
                grace_days=grace,
                allocation_rule=rule,
            )
        # Units 1..N in contiguous blocks per estate; segment 70 % occupied, 15 % vacant,
        # 10 % shops, 5 % villas.
        segment = rnd("g", 1, 100)
        params = {"units": spec.units, "prefix": ESTATE_CODE_PREFIX}
        step(
            "units",
            insert_select(
                Unit,
                {
                    "id": "g",
                    "estate_id": "e.id",
                    "building": "'B' || ((g - 1) / 200 + 1)",
                    "number": "(mod(g - 1, 200) + 1)::text",
                    "area": f"""CASE s.segment
                        WHEN 'shop' THEN 20 + {rnd("g", 2, 13000)} / 100.0
                        WHEN 'villa' THEN 200 + {rnd("g", 2, 25000)} / 100.0
                        ELSE 50 + {rnd("g", 2, 13000)} / 100.0 END""",
                    "segment": "s.segment",
                },
                f"""
                  FROM generate_series(1, %(units)s) g
                  JOIN cases_estate e ON e.code = %(prefix)s
                       || chr(97 + ((g - 1)::bigint * {len(ESTATES)} / %(units)s)::int)
                 CROSS JOIN LATERAL (
                       SELECT CASE WHEN {segment} < 70 THEN 'occupied'
                                   WHEN {segment} < 85 THEN 'vacant'
                                   WHEN {segment} < 95 THEN 'shop'
                                   ELSE 'villa' END AS segment) s
                 ORDER BY g""",
                params,
            ),
            params,
        )
        # Charge id (m - 1) × units + u for unit u and month m (1-based), issued month by
        # month as a live system would; monthly fee by segment (CNY per m²), due on the 15th.
        params = {"months": spec.months, "units": spec.units, "first": spec.first_period}
        step(
            "charges",
            insert_select(
                Charge,
                {
                    "id": "(m - 1) * %(units)s + u.id",
                    "unit_id": "u.id",
                    "item": "'management_fee'",
                    "period_start": "p.start",
                    "period_end": "(p.start + interval '1 month - 1 day')::date",
                    "amount": """round(u.area * CASE u.segment WHEN 'occupied' THEN 2.80
                                                     WHEN 'vacant' THEN 1.96
                                                     WHEN 'shop' THEN 6.50
                                                     ELSE 4.20 END, 2)""",
                    "due_date": "p.start + 14",
                    "issued_on": "p.start",
                },
                """
                  FROM generate_series(1, %(months)s) m
                 CROSS JOIN cases_unit u
                 CROSS JOIN LATERAL (
                       SELECT (%(first)s::date + (m - 1) * interval '1 month')::date AS start) p
                 ORDER BY m, u.id""",
                params,
            ),
            params,
        )
        _payments(step, spec)
        _waivers(step, spec, requester=requester, approver=approver)
        _check(cursor, log)
        for table in ("unit", "charge", "payment", "adjustment", "allocation"):
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), GREATEST(max(id), 1))"
                f" FROM cases_{table}",
                [f"cases_{table}"],
            )
        step("re-enable allocation triggers", "ALTER TABLE cases_allocation ENABLE TRIGGER USER")
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {META_TABLE} (name text PRIMARY KEY, spec jsonb NOT"
            " NULL, generated_at timestamptz NOT NULL DEFAULT now())"
        )
        cursor.execute(
            f"INSERT INTO {META_TABLE} (name, spec) VALUES (%s, %s) ON CONFLICT (name)"
            " DO UPDATE SET spec = EXCLUDED.spec, generated_at = now()",
            [DATASET_NAME, spec.as_json()],
        )
    # Outside the transaction: VACUUM sets hint bits and the visibility map, so the timed
    # queries neither write pages nor skip index-only scans on their first runs.
    with connection.cursor() as cursor:
        _Steps(cursor, log)(
            "vacuum analyze",
            "VACUUM (ANALYZE) cases_estate, cases_unit, cases_charge, cases_payment,"
            " cases_adjustment, cases_allocation",
        )


def _payments(step: _Steps, spec: DatasetSpec) -> None:
    """Payments and their allocations, planned in a temporary table of payment pieces."""
    from cases.models import Allocation, Payment

    profile = rnd("c.unit_id", 10, 100)
    draw = rnd("c.id", 11, 100)
    prompt_pieces = f"""
        SELECT c.unit_id, c.id AS charge_id, 1 AS k,
               c.due_date + {rnd("c.id", 12, 25)} - 14 AS paid_on,
               c.amount AS principal, 0 AS late_fee,
               CASE WHEN {rnd("c.unit_id", 13, 100)} < 3
                    THEN ceil(c.amount / 100) * 100 - c.amount ELSE 0 END AS extra
          FROM charges c WHERE c.profile < 65 AND {draw} < 97"""
    late_pieces = f"""
        SELECT c.unit_id, c.id, 1, c.due_date + d.days, c.amount,
               CASE WHEN {rnd("c.id", 14, 100)} < 40
                    THEN trunc(c.amount * c.rate * GREATEST(0, d.days - c.grace), 2)
                    ELSE 0 END,
               0
          FROM charges c CROSS JOIN LATERAL (SELECT {rnd("c.id", 12, 76)} AS days) d
         WHERE c.profile >= 65 AND c.profile < 80 AND {draw} < 92"""
    partial = f"""
        SELECT c.*, c.due_date + {rnd("c.id", 12, 36)} - 5 AS first_on,
               round(c.amount * (30 + {rnd("c.id", 15, 61)}) / 100, 2) AS first_part,
               {rnd("c.id", 16, 100)} < 50 AS rest_later,
               10 + {rnd("c.id", 17, 51)} AS rest_after
          FROM charges c WHERE c.profile >= 80 AND c.profile < 90 AND {draw} < 85"""
    stopped_pieces = f"""
        SELECT c.unit_id, c.id, 1, c.due_date + {rnd("c.id", 12, 31)} - 10, c.amount, 0, 0
          FROM charges c
         WHERE c.profile >= 90 AND c.profile < 95 AND c.m <= 2 + {rnd("c.unit_id", 18, 7)}"""
    step(
        "plan payment pieces (temporary table)",
        f"""
        CREATE TEMPORARY TABLE bench_piece ON COMMIT DROP AS
        WITH charges AS (
            SELECT c.id, c.unit_id, c.amount, c.due_date, (c.id - 1) / %(units)s + 1 AS m,
                   e.late_fee_daily_rate AS rate, e.grace_days AS grace, {profile} AS profile
              FROM cases_charge c
              JOIN cases_unit u ON u.id = c.unit_id
              JOIN cases_estate e ON e.id = u.estate_id
        ), partial AS ({partial}),
        pieces AS (
            {prompt_pieces}
            UNION ALL {late_pieces}
            UNION ALL SELECT unit_id, id, 1, first_on, first_part, 0, 0 FROM partial
            UNION ALL SELECT unit_id, id, 2, first_on + rest_after, amount - first_part, 0, 0
                        FROM partial WHERE rest_later
            UNION ALL {stopped_pieces}
            UNION ALL SELECT u.id, NULL, 1, %(prepaid_on)s, 0, 0, 500
                        FROM cases_unit u WHERE {rnd("u.id", 19, 100)} < 1
        )
        SELECT row_number() OVER (ORDER BY paid_on, unit_id, charge_id, k) AS payment_id,
               unit_id, charge_id, paid_on::date AS paid_on,
               principal::numeric(14, 2) AS principal, late_fee::numeric(14, 2) AS late_fee,
               extra::numeric(14, 2) AS extra
          FROM pieces
        """,
        {"units": spec.units, "prepaid_on": spec.last_period - dt.timedelta(days=11)},
    )
    methods = "(ARRAY['bank', 'wechat', 'alipay', 'cash', 'card'])"
    params: dict = {}
    step(
        "payments",
        insert_select(
            Payment,
            {
                "id": "payment_id",
                "unit_id": "unit_id",
                "amount": "principal + late_fee + extra",
                "paid_on": "paid_on",
                "method": f"{methods}[1 + {rnd('payment_id', 20, 5)}]",
                "reference": "'BENCH-' || payment_id",
            },
            "FROM bench_piece ORDER BY payment_id",
            params,
        ),
        params,
    )
    params = {}
    step(
        "payment allocations",
        insert_select(
            Allocation,
            {
                "charge_id": "charge_id",
                "payment_id": "payment_id",
                "adjustment_id": "NULL",
                "target": "a.target",
                "amount": "a.amount",
                "allocated_on": "paid_on",
            },
            """
              FROM bench_piece
             CROSS JOIN LATERAL (VALUES ('principal', principal), ('late_fee', late_fee))
                     a (target, amount)
             WHERE charge_id IS NOT NULL AND a.amount > 0
             ORDER BY paid_on, payment_id""",
            params,
        ),
        params,
    )


def _waivers(step: _Steps, spec: DatasetSpec, *, requester: int, approver: int) -> None:
    """Late-fee waivers, each no more than the late fee its charge had accrued by then."""
    from cases.models import Adjustment, Allocation

    step(
        "plan late-fee waivers (temporary table)",
        f"""
        CREATE TEMPORARY TABLE bench_waiver ON COMMIT DROP AS
        WITH paid_late AS (
            -- Half the late fee of a charge paid late in one piece without its late fee;
            -- it stopped accruing the day it was paid.
            SELECT c.unit_id, c.id AS charge_id, p.paid_on + 7 AS effective_on,
                   trunc(c.amount * e.late_fee_daily_rate
                         * (p.paid_on - c.due_date - e.grace_days) / 2, 2) AS amount,
                   'hardship' AS reason_category
              FROM bench_piece p
              JOIN cases_charge c ON c.id = p.charge_id
              JOIN cases_unit u ON u.id = c.unit_id
              JOIN cases_estate e ON e.id = u.estate_id
             WHERE p.late_fee = 0 AND p.principal = c.amount
               AND p.paid_on - c.due_date > e.grace_days + 10
               AND {rnd("c.id", 21, 100)} < 4
        ), never_paid AS (
            -- 30 %% of the late fee accrued by an unpaid first charge by the first of
            -- month 9 (the unit never pays, so all of it is still accruing).
            SELECT c.unit_id, c.id, %(effective_on)s::date,
                   trunc(c.amount * e.late_fee_daily_rate
                         * GREATEST(0, %(effective_on)s::date - c.due_date - e.grace_days)
                         * 0.3, 2),
                   'dispute_settled'
              FROM cases_charge c
              JOIN cases_unit u ON u.id = c.unit_id
              JOIN cases_estate e ON e.id = u.estate_id
             WHERE c.id = c.unit_id
               AND NOT EXISTS (SELECT FROM bench_piece p WHERE p.unit_id = c.unit_id)
               AND {rnd("c.unit_id", 22, 100)} < 20
        )
        SELECT row_number() OVER (ORDER BY effective_on, unit_id, charge_id) AS adjustment_id,
               w.*
          FROM (SELECT * FROM paid_late UNION ALL SELECT * FROM never_paid) w
         WHERE amount > 0
        """,
        {
            "effective_on": dt.date.fromisoformat(spec.first_period).replace(day=1)
            + dt.timedelta(days=243),
        },
    )
    params = {"requester": requester, "approver": approver}
    step(
        "adjustments (late-fee waivers)",
        insert_select(
            Adjustment,
            {
                "id": "adjustment_id",
                "unit_id": "unit_id",
                "kind": "'late_fee_waiver'",
                "amount": "amount",
                "effective_on": "effective_on",
                "reason_category": "reason_category",
                "reason": "'Benchmark waiver'",
                "requested_by_id": "%(requester)s",
                "approved_by_id": "%(approver)s",
            },
            "FROM bench_waiver ORDER BY adjustment_id",
            params,
        ),
        params,
    )
    params = {}
    step(
        "adjustment allocations",
        insert_select(
            Allocation,
            {
                "charge_id": "charge_id",
                "payment_id": "NULL",
                "adjustment_id": "adjustment_id",
                "target": "'late_fee'",
                "amount": "amount",
                "allocated_on": "effective_on",
            },
            "FROM bench_waiver ORDER BY adjustment_id",
            params,
        ),
        params,
    )


def _check(cursor, log: Log) -> None:
    """What the disabled trigger enforces, checked once for the whole table."""
    started = time.perf_counter()
    checks = {
        "charges over-allocated": """
            SELECT count(*) FROM (
                SELECT charge_id, sum(amount) AS used FROM cases_allocation
                 WHERE target = 'principal' GROUP BY charge_id) a
              JOIN cases_charge c ON c.id = a.charge_id WHERE a.used > c.amount""",
        "payments over-allocated": """
            SELECT count(*) FROM (
                SELECT payment_id, sum(amount) AS used FROM cases_allocation
                 WHERE payment_id IS NOT NULL GROUP BY payment_id) a
              JOIN cases_payment p ON p.id = a.payment_id WHERE a.used > p.amount""",
        "adjustments over-allocated": """
            SELECT count(*) FROM (
                SELECT adjustment_id, sum(amount) AS used FROM cases_allocation
                 WHERE adjustment_id IS NOT NULL GROUP BY adjustment_id) a
              JOIN cases_adjustment j ON j.id = a.adjustment_id WHERE a.used > j.amount""",
    }
    bad = {}
    for label, sql in checks.items():
        cursor.execute(sql)
        bad[label] = cursor.fetchone()[0]
    if any(bad.values()):
        raise RuntimeError(f"generated ledger is inconsistent, rolled back: {bad}")
    log(
        f"  {'check allocations within amounts':<44}{'ok':>15}  "
        f"{time.perf_counter() - started:6.1f} s"
    )
