"""Benchmark: ``ledger_import`` of 100,000 charge rows against COPY of the same rows.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fees_bench python -m benchmarks.imports

DATABASE_URL names the PostgreSQL server (any database on it): the benchmark works in its
own database ``fees_bench_import`` on that server (``--database``), which it creates and
migrates when missing and never drops. In it, an estate of its own (code ``bench-import``)
gets 8,334 units with owners (set-based, untimed); a CSV (UTF-8 with BOM, Chinese headers,
as a billing system exports it) of 8,334 units × 12 months = 100,008 charge rows without
payments is written to a temporary folder. Then, per run:

* the import: ``ledger_import`` of the file's bytes — reading, checking every row, the
  snapshot queries, the batches (lock, re-check, bulk insert) — timed whole;
* the floor: the same rows, already resolved (unit ids, item codes, dates), loaded with one
  ``COPY`` into a scratch copy of the charge table (``CREATE TABLE … (LIKE cases_charge
  INCLUDING ALL)`` plus the foreign key to the unit), committed;
* (once, untimed for the ratio) a re-import of the same file, which must change nothing.

The estate's charges are deleted between runs (then ``VACUUM ANALYZE``) and everything the
benchmark made in the database is deleted at the end (``--keep`` keeps it). The last line is
``ratio=<median over the runs of import seconds / COPY seconds of the same run>``. Target:
the import under 30 s and ``ratio`` ≤ 5.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gc
import io
import os
import platform
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from benchmarks._data import fail, require_postgres_url, setup_django

DATABASE = "fees_bench_import"
ESTATE_CODE = "bench-import"
UNITS = 8_334
MONTHS = 12
FIRST_MONTH = dt.date(2025, 1, 1)
TARGET_SECONDS = 30.0
TARGET_RATIO = 5.0
SCRATCH = "bench_import_floor"
HEADERS = ["房号", "业主", "电话", "费用项目", "所属期间", "应收金额", "已收金额", "应缴日期"]


def _database_url(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def ensure_database(url: str, name: str) -> bool:
    """Create database ``name`` on the server of ``url`` unless it exists; True if created."""
    import psycopg

    parts = urlsplit(url)
    with psycopg.connect(
        host=parts.hostname or "localhost",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        dbname=(parts.path or "/postgres").lstrip("/") or "postgres",
        autocommit=True,
    ) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists:
            return False
        conn.execute(f'CREATE DATABASE "{name}"')
        return True


def _months() -> list[dt.date]:
    return [
        dt.date(FIRST_MONTH.year + (FIRST_MONTH.month - 1 + m) // 12,
                (FIRST_MONTH.month - 1 + m) % 12 + 1, 1)
        for m in range(MONTHS)
    ]  # fmt: skip


def _label(i: int) -> tuple[str, str]:
    """Unit ``i`` (0-based): building 1…42, 200 units a building, number 0101…1020."""
    return str(i // 200 + 1), f"{(i % 200) // 10 + 1:02d}{i % 10 + 1:02d}"


def _area(i: int) -> Decimal:
    return Decimal(60 + (i * 37) % 90) + Decimal((i * 13) % 100) / 100


def write_csv(folder: Path) -> Path:
    """The arrears list: every unit, every month, management fee = 2.50/m², nothing paid."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    months = _months()
    for i in range(UNITS):
        building, number = _label(i)
        amount = (_area(i) * Decimal("2.50")).quantize(Decimal("0.01"))
        for month in months:
            writer.writerow(
                [
                    f"{building}-{number}",
                    f"业主{i:05d}",
                    f"139{i:08d}",
                    "物业管理费",
                    f"{month.year}年{month.month}月",
                    f"{amount}",
                    "0",
                    f"{month:%Y-%m}-15",
                ]
            )
    path = folder / "每月业主欠费清单.csv"
    path.write_bytes(out.getvalue().encode("utf-8-sig"))
    return path


def clean(*, keep_estate: bool = False) -> None:
    """Delete what the benchmark wrote: its estate's charges (and, unless ``keep_estate``,
    its units, owners and the estate); the scratch table."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {SCRATCH}")
        cursor.execute("SELECT id FROM cases_estate WHERE code = %s", [ESTATE_CODE])
        row = cursor.fetchone()
        if row is None:
            return
        estate_id = row[0]
        cursor.execute(
            "SELECT count(*) FROM cases_payment p JOIN cases_unit u ON u.id = p.unit_id "
            "WHERE u.estate_id = %s",
            [estate_id],
        )
        if cursor.fetchone()[0]:
            fail(f"estate {ESTATE_CODE} has payments: not made by this benchmark, not touched")
        units = "SELECT id FROM cases_unit WHERE estate_id = %s"
        cursor.execute(f"DELETE FROM cases_charge WHERE unit_id IN ({units})", [estate_id])
        if keep_estate:
            return
        cursor.execute(
            "CREATE TEMPORARY TABLE bench_import_parties ON COMMIT DROP AS "
            f"SELECT party_id FROM cases_unitparty WHERE unit_id IN ({units})",
            [estate_id],
        )
        cursor.execute(f"DELETE FROM cases_unitparty WHERE unit_id IN ({units})", [estate_id])
        cursor.execute(
            "DELETE FROM cases_party WHERE id IN (SELECT party_id FROM bench_import_parties) "
            "AND NOT EXISTS (SELECT FROM cases_unitparty up WHERE up.party_id = cases_party.id)"
        )
        cursor.execute("DELETE FROM cases_unit WHERE estate_id = %s", [estate_id])
        cursor.execute("DELETE FROM cases_estate WHERE id = %s", [estate_id])


def vacuum() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("cases_charge", "cases_unit", "cases_party", "cases_unitparty"):
            cursor.execute(f"VACUUM ANALYZE {table}")


def make_estate():
    """The benchmark's estate with its units and owners, set-based."""
    from django.db import connection, transaction

    from cases.models import Estate

    estate = Estate.objects.create(
        name="Benchmark import estate", code=ESTATE_CODE, company_name="Bench Property Co."
    )
    units = [(*_label(i), _area(i)) for i in range(UNITS)]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO cases_unit (estate_id, building, number, area, segment) "
            "SELECT %s, b, n, a, 'occupied' FROM unnest(%s::text[], %s::text[], %s::numeric[]) "
            "AS t (b, n, a)",
            [estate.pk, *map(list, zip(*units, strict=True))],
        )
        cursor.execute(
            "CREATE TEMPORARY TABLE bench_owner ON COMMIT DROP AS "
            "SELECT u.id AS unit_id, row_number() OVER (ORDER BY u.id) - 1 AS i "
            "FROM cases_unit u WHERE u.estate_id = %s",
            [estate.pk],
        )
        cursor.execute(
            "WITH p AS (INSERT INTO cases_party (name, kind, id_number, phone, alt_phone, "
            "address, email, wechat, lives_in_china) "
            "SELECT '业主' || lpad(i::text, 5, '0'), 'person', '', "
            "'139' || lpad(i::text, 8, '0'), '', '', '', '', true FROM bench_owner ORDER BY i "
            "RETURNING id, phone) "
            "INSERT INTO cases_unitparty (unit_id, party_id, role, liable) "
            "SELECT o.unit_id, p.id, 'owner', true FROM p "
            "JOIN bench_owner o ON '139' || lpad(o.i::text, 8, '0') = p.phone"
        )
    return estate


def resolved_rows(estate) -> bytes:
    """The imported charges as COPY text: the floor loads exactly these rows."""
    from django.db import connection

    out = io.StringIO()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.unit_id, c.item, c.period_start, c.period_end, c.amount, c.due_date, "
            "c.issued_on, c.note, c.created_at FROM cases_charge c "
            "JOIN cases_unit u ON u.id = c.unit_id WHERE u.estate_id = %s ORDER BY c.id",
            [estate.pk],
        )
        for row in cursor.fetchall():
            out.write("\t".join(str(v) for v in row) + "\n")
    return out.getvalue().encode()


COLUMNS = "unit_id, item, period_start, period_end, amount, due_date, issued_on, note, created_at"


def floor(data: bytes) -> float:
    """COPY ``data`` into a fresh scratch copy of the charge table; seconds, commit included."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {SCRATCH}")
        cursor.execute(f"CREATE TABLE {SCRATCH} (LIKE cases_charge INCLUDING ALL)")
        cursor.execute(
            f"ALTER TABLE {SCRATCH} ADD FOREIGN KEY (unit_id) REFERENCES cases_unit (id) "
            "DEFERRABLE INITIALLY DEFERRED"
        )
    gc.collect()
    started = time.perf_counter()
    with (
        transaction.atomic(),
        connection.cursor() as cursor,
        cursor.copy(f"COPY {SCRATCH} ({COLUMNS}) FROM STDIN") as copy,
    ):
        copy.write(data)
    return time.perf_counter() - started


def run_import(path: Path, estate, actor, batch_rows: int):
    from cases.imports import ledger_import

    gc.collect()
    started = time.perf_counter()
    report = ledger_import(
        path.read_bytes(), estate=estate, actor=actor, filename=path.name, batch_rows=batch_rows
    )
    return time.perf_counter() - started, report


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.imports", description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each (default 3)")
    parser.add_argument("--database", default=DATABASE, help=f"default {DATABASE}")
    parser.add_argument("--keep", action="store_true", help="keep the estate and its charges")
    parser.add_argument("--profile", action="store_true", help="cProfile one import, then stop")
    parser.add_argument("--batch-rows", type=int, default=5000, help="rows per transaction")
    args = parser.parse_args(argv)

    url = require_postgres_url()
    created = ensure_database(url, args.database)
    os.environ["DATABASE_URL"] = _database_url(url, args.database)
    print(f"database {args.database}: {'created' if created else 'exists'}")
    setup_django()
    from benchmarks.arrears import server_settings
    from cases.services.case import system_user

    print(
        f"machine: {os.cpu_count()} cores, {platform.machine()}, Python "
        f"{platform.python_version()}, {server_settings()}; load average {_load()}"
    )
    clean()
    vacuum()
    estate = make_estate()
    actor = system_user()
    with tempfile.TemporaryDirectory(prefix="bench-import-") as folder:
        path = write_csv(Path(folder))
        size = path.stat().st_size
        print(f"file: {UNITS:,} units × {MONTHS} months = {UNITS * MONTHS:,} rows, {size:,} bytes")
        if args.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.enable()
            run_import(path, estate, actor, args.batch_rows)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
            clean(keep_estate=args.keep)
            return 0

        imports: list[float] = []
        floors: list[float] = []
        data = b""
        for run in range(args.runs):
            if run:
                clean(keep_estate=True)
                vacuum()
            seconds, report = run_import(path, estate, actor, args.batch_rows)
            if report.errors or report.charges_created != UNITS * MONTHS:
                for line in report.lines() + [str(e) for e in report.errors[:10]]:
                    print(f"  {line}")
                fail("the import did not import every row")
            imports.append(seconds)
            data = data or resolved_rows(estate)
            floors.append(floor(data))
            phases = ", ".join(f"{k} {v:.2f}" for k, v in report.timings.items())
            print(
                f"run {run + 1}: import {imports[-1]:6.2f} s ({phases})   COPY {floors[-1]:6.3f} s"
            )

        again, report = run_import(path, estate, actor, args.batch_rows)
        unchanged = report.charges_created == 0 and report.rows_unchanged == UNITS * MONTHS
        print(
            f"re-import of the same file: {again:.2f} s, "
            f"{'nothing changed' if unchanged else 'CHANGED SOMETHING'}"
        )
    if not args.keep:
        clean()
    import_s, floor_s = statistics.median(imports), statistics.median(floors)
    # each run's own ratio: a drift of the shared machine's speed hits both sides of a run
    ratio = statistics.median(i / f for i, f in zip(imports, floors, strict=True))
    rows = UNITS * MONTHS
    runs = " ".join(f"{t:.2f}" for t in imports)
    print(f"import: median {import_s:.2f} s ({rows / import_s:,.0f} rows/s; runs {runs})")
    runs = " ".join(f"{t:.3f}" for t in floors)
    print(f"COPY floor: median {floor_s:.3f} s ({rows / floor_s:,.0f} rows/s; runs {runs})")
    met = import_s < TARGET_SECONDS and ratio <= TARGET_RATIO
    print(f"load average after: {_load()}")
    print(
        f"target (under {TARGET_SECONDS:g} s and within {TARGET_RATIO:g}× the floor): "
        f"{'met' if met else 'NOT met'}"
    )
    print(f"ratio of the medians: {import_s / floor_s:.2f}")
    print(f"ratio={ratio:.2f}")
    return 0 if unchanged else 1


if __name__ == "__main__":
    sys.exit(main())
