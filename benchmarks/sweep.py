"""Benchmark: the daily sweep over the shared 100,000-unit dataset on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fees_bench python -m benchmarks.sweep

Uses the dataset of ``benchmarks._data`` (generated once, shared with ``benchmarks.arrears``).
Before each timed sweep the case tables are emptied with TRUNCATE (the append-only triggers
refuse DELETE, by design; TRUNCATE is how a benchmark starts over), so every run is a
*first* sweep that opens every case. Then it times a *second* sweep on the same day, which
must change nothing (idempotence), and the arrears floor (one hand-written SQL statement,
``benchmarks.arrears.FLOOR_SQL``) in the same process. Prints the times and, last,
``ratio=<first sweep / arrears floor>``. Target: the first sweep under 60 s.
"""

from __future__ import annotations

import argparse
import statistics
import time

from benchmarks._data import ensure_dataset, setup_django

TARGET_SECONDS = 60.0
CASE_TABLES = (
    "legal_docs_legaldocument",
    "legal_docs_noticerun",
    "cases_installment",
    "cases_installmentplan",
    "cases_contactattachment",
    "cases_contactattempt",
    "cases_delivery",
    "cases_evidenceentry",
    "cases_case",
)


def reset_cases() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(CASE_TABLES)} CASCADE")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2, help="timed first sweeps (default 2)")
    args = parser.parse_args(argv)

    setup_django()
    dataset = ensure_dataset()
    as_of = dataset.spec.default_as_of

    from benchmarks.arrears import floor
    from cases.models import Case, EvidenceEntry
    from cases.services.evidence import evidence_verify
    from cases.services.sweep import sweep_run

    firsts, seconds, floors = [], [], []
    report = second = None
    for run in range(args.runs):
        reset_cases()
        start = time.perf_counter()
        report = sweep_run(as_of=as_of)
        firsts.append(time.perf_counter() - start)
        start = time.perf_counter()
        second = sweep_run(as_of=as_of)
        seconds.append(time.perf_counter() - start)
        start = time.perf_counter()
        floor(as_of)
        floors.append(time.perf_counter() - start)
        print(
            f"run {run + 1}: first sweep {firsts[-1]:.2f} s (opened {report.opened}, "
            f"marked {report.marked}, eligible {report.eligible}); second sweep "
            f"{seconds[-1]:.2f} s (changed {second.changed}); arrears floor {floors[-1]:.2f} s\n"
            f"  phases of the first sweep: {report.seconds}\n"
            f"  phases of the second: {second.seconds}",
            flush=True,
        )

    problems = evidence_verify()
    print(
        f"cases: {Case.objects.count()}, evidence entries: {EvidenceEntry.objects.count()}, "
        f"broken chains: {len(problems)}"
    )
    first, again, base = (statistics.median(x) for x in (firsts, seconds, floors))
    print(
        f"first sweep median {first:.2f} s (target < {TARGET_SECONDS:.0f} s: "
        f"{'met' if first < TARGET_SECONDS else 'NOT met'})"
    )
    print(f"second sweep median {again:.2f} s, changed {second.changed} (must be 0)")
    print(f"arrears floor median {base:.2f} s")
    print(f"ratio={first / base:.2f}")
    return 0 if second.changed == 0 and not problems else 1


if __name__ == "__main__":
    raise SystemExit(main())
