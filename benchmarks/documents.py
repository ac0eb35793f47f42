"""Benchmark: payment notices through the whole document pipeline against bare docxtpl.

    python -m benchmarks.documents                      # SQLite in a temporary folder
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fees_bench_docs python -m benchmarks.documents

Runs in a temporary ``DJANGO_VAR_DIR`` with its own ``DJANGO_EVIDENCE_STORE`` (so the demo
database and store are never touched; on SQLite the database lives there too), migrates,
creates one estate with ``--units`` (1,000) delinquent units by bulk insert, then times, in
the same process and interleaved block by block:

* the pipeline: ``legal_doc_generate(PAYMENT_NOTICE, unit=…, notice_run=…)`` per unit — the
  context built from the database, the sandboxed render, the hash, the content-addressed
  store (written once, fsynced) and the record, in its own transaction, as a notice run does;
* the floor: bare docxtpl on the same template bytes and the very same context dicts (the
  pipeline's context snapshots): ``DocxTemplate(...).render(context, autoescape=True)`` and
  ``save`` to bytes, i.e. the same document without the sandbox, the database or the store.

Then, on PostgreSQL, a second notice run (the next month) for ``--parallel-units`` (600) of the
units, in rounds: a block made by this process alone, then a block twice as large split in
halves between two worker processes (``multiprocessing``, forked after set-up, starting
together), giving the speed-up of two processes over one; SQLite serialises writers, so there
it only says that it needs PostgreSQL. Rows created in a PostgreSQL database are deleted at the
end.

Targets: pipeline ≥ 0.8 × the floor; two processes ≥ 1.7 × one. The last line is
``ratio=<pipeline docs/s ÷ bare docs/s>``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import multiprocessing
import os
import platform
import shutil
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

TARGET_RATIO = 0.8
TARGET_SPEEDUP = 1.7
ESTATE_CODE = f"docs-benchmark-{os.getpid()}"  # one per run: runs may share a database
MONTHS = 6  # unpaid monthly management-fee charges per unit


def prepare_environment() -> Path:
    """A temporary var dir and evidence store; settings read them when Django starts."""
    if "django" in sys.modules and "django.conf" in sys.modules:
        from django.conf import settings

        if settings.configured:
            raise RuntimeError("prepare_environment() must run before Django is set up")
    tmp = Path(tempfile.mkdtemp(prefix="fee-recovery-bench-docs-"))
    os.environ["DJANGO_VAR_DIR"] = str(tmp)
    os.environ["DJANGO_EVIDENCE_STORE"] = str(tmp / "store")
    os.environ["DJANGO_MEDIA_ROOT"] = str(tmp / "media")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    return tmp


def setup_django() -> float:
    import django

    django.setup()
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    return time.perf_counter() - started


def database_label() -> str:
    from django.db import connection

    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"SQLite {settings['NAME']}"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0].split()[0]
    return f"PostgreSQL {version} {settings['NAME']}@{settings['HOST'] or 'localhost'}"


def remove_estate(code: str) -> None:
    """Delete the benchmark's estate and everything made for it."""
    from django.db import transaction
    from django.db.models import ProtectedError

    from cases.models import Charge, Estate, Party, StoredFile, Unit, UnitParty
    from legal_docs.models import DocumentTemplate, LegalDocument, NoticeRun

    estate = Estate.objects.filter(code=code).first()
    if estate is None:
        return
    with transaction.atomic():
        documents = LegalDocument.objects.filter(unit__estate=estate)
        shas = set(documents.values_list("sha256", flat=True))
        documents.delete()
        NoticeRun.objects.filter(estate=estate).delete()
        Charge.objects.filter(unit__estate=estate).delete()
        parties = set(
            UnitParty.objects.filter(unit__estate=estate).values_list("party_id", flat=True)
        )
        UnitParty.objects.filter(unit__estate=estate).delete()
        Party.objects.filter(pk__in=parties, unit_links__isnull=True).delete()
        Unit.objects.filter(estate=estate).delete()
        estate.delete()
    kept = set(DocumentTemplate.objects.values_list("sha256", flat=True))
    kept |= set(LegalDocument.objects.values_list("sha256", flat=True))
    with contextlib.suppress(ProtectedError):  # referenced from elsewhere: keep them
        StoredFile.objects.filter(sha256__in=shas - kept).delete()


def create_estate(units: int):
    """One estate with ``units`` units, each owing MONTHS monthly charges (bulk inserts)."""
    from cases.models import Charge, ChargeItem, Estate, Party, Unit, UnitParty

    estate = Estate.objects.create(
        name=f"基准测试花园{ESTATE_CODE.rsplit('-', 1)[1]}",
        code=ESTATE_CODE,
        company_name="翠湖物业服务有限公司",
        company_address="杭州市西湖区翠湖路88号",
        company_credit_code="91330106MA2CUIHU0Q",
        company_legal_representative="王建国",
        office_address="基准测试花园物业服务中心（1幢1楼）",
        office_phone="0571-88886667",
        city="杭州市",
        court_name="杭州市西湖区人民法院",
    )
    made = Unit.objects.bulk_create(
        Unit(
            estate=estate,
            building=f"{i // 50 + 1}幢",
            number=f"{(i % 50) // 2 + 1:02d}{i % 2 + 1:02d}",
            area=Decimal(60 + i % 90) + Decimal("0.50"),
        )
        for i in range(units)
    )
    parties = Party.objects.bulk_create(
        Party(
            name=f"张{i:04d} & 李{i:04d} <联名>" if i % 10 == 0 else f"业主{i:04d}",
            phone=f"139{i:08d}",
        )
        for i in range(units)
    )
    UnitParty.objects.bulk_create(
        UnitParty(unit=unit, party=party, role=UnitParty.Role.OWNER)
        for unit, party in zip(made, parties, strict=True)
    )
    today = dt.date.today()
    first = (today.replace(day=1) - dt.timedelta(days=31 * (MONTHS + 1))).replace(day=1)
    periods = []
    for _ in range(MONTHS):
        periods.append(first)
        first = (first + dt.timedelta(days=32)).replace(day=1)
    Charge.objects.bulk_create(
        Charge(
            unit=unit,
            item=ChargeItem.MANAGEMENT_FEE,
            period_start=start,
            period_end=(start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1),
            amount=(unit.area * Decimal("2.80")).quantize(Decimal("0.01")),
            due_date=start.replace(day=15),
            issued_on=start,
        )
        for unit in made
        for start in periods
    )
    return estate


def units_of(estate) -> list:
    from cases.models import Unit

    return list(Unit.objects.filter(estate=estate).select_related("estate").order_by("id"))


def notice_run(estate, month: dt.date, total: int):
    from legal_docs.models import NoticeRun

    return NoticeRun.objects.create(estate=estate, month=month, total=total)


def pipeline_one(unit, run, as_of: dt.date):
    from legal_docs.kinds import DocumentKind
    from legal_docs.services import legal_doc_generate

    return legal_doc_generate(DocumentKind.PAYMENT_NOTICE, unit=unit, notice_run=run, as_of=as_of)


def bare_one(template: bytes, context: dict) -> bytes:
    from docxtpl import DocxTemplate

    document = DocxTemplate(io.BytesIO(template))
    document.render(context, autoescape=True)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _worker(args) -> tuple[int, float, float]:
    """A forked worker: its half of the units of a notice run (its own connection)."""
    unit_ids, run_id, as_of, start_at = args
    from cases.models import Unit
    from legal_docs.models import NoticeRun

    run = NoticeRun.objects.get(pk=run_id)
    units = list(Unit.objects.filter(pk__in=unit_ids).select_related("estate").order_by("id"))
    while time.time() < start_at:  # both start together
        time.sleep(0.001)
    started, cpu = time.perf_counter(), time.process_time()
    for unit in units:
        pipeline_one(unit, run, as_of)
    return len(units), time.perf_counter() - started, time.process_time() - cpu


def two_processes(units: list, run, as_of: dt.date) -> tuple[float, float]:
    """Two forked processes make the run's notices of ``units``, half each: (wall-clock
    seconds, CPU seconds of both)."""
    from django.db import connections

    connections.close_all()  # each child opens its own connection
    halves = [[u.pk for u in units[0::2]], [u.pk for u in units[1::2]]]
    start_at = time.time() + 1.0  # after both children have loaded their units
    with multiprocessing.get_context("fork").Pool(2) as pool:
        results = pool.map(_worker, [(half, run.pk, as_of, start_at) for half in halves])
    if sum(n for n, _wall, _cpu in results) != len(units):
        raise RuntimeError(f"the workers made {results} documents, not {len(units)}")
    return max(wall for _n, wall, _cpu in results), sum(cpu for _n, _wall, cpu in results)


def _spin(n: int) -> float:
    started, x = time.perf_counter(), 0
    for i in range(n):
        x += i * i
    return time.perf_counter() - started


def cpu_parallelism(n: int = 3_000_000) -> tuple[float, float]:
    """Seconds for two busy loops in this process, and in two processes at once: their ratio
    is the ceiling of a two-process speed-up on this (possibly shared) machine right now."""
    one = _spin(n) + _spin(n)
    with multiprocessing.get_context("fork").Pool(2) as pool:
        pool.map(_spin, [1000, 1000])  # the workers are up
        started = time.perf_counter()
        pool.map(_spin, [n, n])
        two = time.perf_counter() - started
    return one, two


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.documents", description=__doc__)
    parser.add_argument("--units", type=int, default=1000, help="delinquent units (1000)")
    parser.add_argument("--block", type=int, default=50, help="units per interleaved block")
    parser.add_argument(
        "--parallel-units",
        type=int,
        default=600,
        help="units of the one- vs two-process comparison (PostgreSQL; default 600)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary folder and the estate"
    )
    args = parser.parse_args(argv)

    tmp = prepare_environment()
    try:
        return run(args, tmp)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


def run(args, tmp: Path) -> int:
    migrated = setup_django()
    from django.db import connection

    from cases.storage import blob_path, blob_read
    from legal_docs.kinds import DocumentKind
    from legal_docs.rendering import docx_text
    from legal_docs.services import template_current, templates_sync_builtin

    print(
        f"machine: {os.cpu_count()} cores, {platform.machine()}, Python "
        f"{platform.python_version()}; {database_label()}; load average {load()}"
    )
    print(f"var dir and evidence store: {tmp} (temporary); migrated in {migrated:.1f} s")
    templates_sync_builtin()  # the shipped templates' files, into this run's store
    template = template_current(DocumentKind.PAYMENT_NOTICE)
    if not blob_path(template.sha256).exists():
        print(f"error: template {template} is not in this run's store", file=sys.stderr)
        return 2
    template_bytes = blob_read(template.sha256)

    started = time.perf_counter()
    estate = create_estate(args.units)
    units = units_of(estate)
    print(
        f"estate {estate.code}: {len(units):,} delinquent units, {len(units) * MONTHS:,} charges "
        f"({time.perf_counter() - started:.1f} s); template {template} "
        f"({template.sha256[:12]}…)"
    )
    try:
        return measure(args, estate, units, template_bytes, connection.vendor, docx_text)
    finally:
        if connection.vendor != "sqlite" and not args.keep:
            remove_estate(ESTATE_CODE)


def measure(args, estate, units, template_bytes, vendor, docx_text) -> int:
    from legal_docs.notices import month_as_of

    month = dt.date.today().replace(day=1)
    as_of = month_as_of(month)
    first_run = notice_run(estate, month, len(units))
    pipeline_s = bare_s = pipeline_cpu = bare_cpu = 0.0
    same_text = None
    for i in range(0, len(units), args.block):
        block = units[i : i + args.block]
        started, cpu = time.perf_counter(), time.process_time()
        documents = [pipeline_one(unit, first_run, as_of) for unit in block]
        pipeline_s += time.perf_counter() - started
        pipeline_cpu += time.process_time() - cpu
        contexts = [document.context for document in documents]
        started, cpu = time.perf_counter(), time.process_time()
        bare = [bare_one(template_bytes, context) for context in contexts]
        bare_s += time.perf_counter() - started
        bare_cpu += time.process_time() - cpu
        if same_text is None:
            from cases.storage import blob_read

            same_text = docx_text(blob_read(documents[0].sha256)) == docx_text(bare[0])
    n = len(units)
    pipeline_rate, bare_rate = n / pipeline_s, n / bare_s
    print(
        f"pipeline (legal_doc_generate, notice run): {n:,} documents in {pipeline_s:.1f} s = "
        f"{pipeline_rate:.1f} docs/s"
    )
    print(
        f"bare docxtpl (DocxTemplate(...).render(context) + save, same contexts): {n:,} in "
        f"{bare_s:.1f} s = {bare_rate:.1f} docs/s"
    )
    print(f"same text from both: {'yes' if same_text else 'NO'}")
    print(
        f"CPU of this process per document: pipeline {1000 * pipeline_cpu / n:.1f} ms, bare "
        f"{1000 * bare_cpu / n:.1f} ms (cpu_ratio={bare_cpu / pipeline_cpu:.2f}; the database "
        "server's CPU is not in it)"
    )

    if vendor == "postgresql":
        # The next month's run for the first --parallel-units units, in rounds: a block made
        # by this process alone, then a block twice as large split between two worker
        # processes, so that a drift of the machine's speed affects both alike.
        second_month = (month + dt.timedelta(days=32)).replace(day=1)
        second_run = notice_run(estate, second_month, n)
        todo = units[: min(args.parallel_units, n)]
        one_s = two_s = two_cpu = spin_one = spin_two = 0.0
        one_n = two_n = 0
        step = 3 * args.block
        for i in range(0, len(todo), step):
            alone, shared = todo[i : i + args.block], todo[i + args.block : i + step]
            started = time.perf_counter()
            for unit in alone:
                pipeline_one(unit, second_run, as_of)
            one_s += time.perf_counter() - started
            one_n += len(alone)
            if shared:
                wall, cpu = two_processes(shared, second_run, as_of)
                two_s, two_cpu, two_n = two_s + wall, two_cpu + cpu, two_n + len(shared)
            spun = cpu_parallelism()  # in every round: the machine's load comes and goes
            spin_one, spin_two = spin_one + spun[0], spin_two + spun[1]
        one_rate, two_rate = one_n / one_s, two_n / two_s
        speedup = two_rate / one_rate
        ceiling = spin_one / spin_two
        print(
            f"1 process: {one_n:,} documents = {one_rate:.1f} docs/s; 2 worker processes: "
            f"{two_n:,} documents in {two_s:.1f} s = {two_rate:.1f} docs/s (interleaved blocks); "
            f"the workers were on a CPU {100 * two_cpu / (2 * two_s):.0f}% of the time"
        )
        print(
            f"two busy loops in two processes ran {ceiling:.2f}× one in the same rounds (the "
            "ceiling of the speed-up on this machine while it ran)"
        )
        print(
            f"speed-up={speedup:.2f}× (target ≥ {TARGET_SPEEDUP}×: "
            f"{'met' if speedup >= TARGET_SPEEDUP else 'NOT met'}; "
            f"{100 * speedup / ceiling:.0f}% of the ceiling)"
        )
    else:
        print(
            "2 worker processes: needs PostgreSQL (SQLite serialises writers); set "
            "DATABASE_URL=postgres://postgres@127.0.0.1:5432/fees_bench_docs to measure it"
        )
    ratio = pipeline_rate / bare_rate
    print(f"load average after: {load()} (a shared machine: compare ratios, not seconds)")
    print(
        f"target (pipeline ≥ {TARGET_RATIO} × bare docxtpl): "
        f"{'met' if ratio >= TARGET_RATIO else 'NOT met'}"
    )
    print(f"ratio={ratio:.2f}")
    return 0 if same_text else 1


if __name__ == "__main__":
    raise SystemExit(main())
