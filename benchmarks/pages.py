"""Benchmark: the workspace pages over the shared 100,000-unit dataset on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fees_bench python -m benchmarks.pages

Uses the dataset of ``benchmarks._data``. Opens the cases once with the daily sweep (as of
the dataset's day) unless there are some, gives them all to one benchmark collector and one
legal officer, runs the nightly limitation snapshot (timed), then requests each page through
Django's test client as the user who sees it — the collector's worklist (every case is
theirs), the legal board, queue and at-risk page, the manager's dashboard and a case page —
``--runs`` times. Prints each page's median time and SQL query count, and its ratio to the
arrears floor (``benchmarks.arrears.FLOOR_SQL``, one hand-written statement over every unit)
measured in the same rounds: pages that aggregate the whole portfolio (the dashboard, the
board) are expected near or above 1, pages of one screen of cases far below.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time

from benchmarks._data import ensure_dataset, setup_django

PAGES = {
    "collector worklist": ("collector", "/en/collector/"),
    "legal board": ("legal", "/en/legal/"),
    "legal queue": ("legal", "/en/legal/queue/"),
    "legal at-risk page": ("legal", "/en/legal/limitation/"),
    "manager dashboard": ("manager", "/en/manager/dashboard/"),
    "case page": ("collector", None),
}


def _user(username: str, role: str):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    user, _created = get_user_model().objects.get_or_create(username=username)
    user.groups.add(Group.objects.get(name=role))
    return user


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed rounds (default 3)")
    args = parser.parse_args(argv)

    setup_django()
    dataset = ensure_dataset()
    as_of = dataset.spec.default_as_of

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from benchmarks.arrears import floor
    from cases.models import Case, Stage, Unit
    from cases.selectors.limitation import at_risk_report, cases_at_risk
    from cases.services.limitation import limitation_snapshot
    from cases.services.sweep import sweep_run

    if not Case.objects.exists():
        started = time.perf_counter()
        report = sweep_run(as_of=as_of)
        print(f"sweep: opened {report.opened} cases in {time.perf_counter() - started:.1f} s")
    users = {
        "collector": _user("bench-collector", "collector"),
        "legal": _user("bench-legal", "legal_officer"),
        "manager": _user("bench-manager", "manager"),
    }
    Case.objects.update(collector=users["collector"], legal_officer=users["legal"])
    # Half the cases one step further, so that the legal queue has its share to page through.
    ids = list(Case.objects.filter(stage=Stage.NEW).order_by("id").values_list("id", flat=True))
    Case.objects.filter(id__in=ids[::2]).update(
        stage=Stage.REMINDING, next_step="issue_demand", next_step_reason="benchmark"
    )
    started = time.perf_counter()
    snapshot = limitation_snapshot()
    snapshot_seconds = time.perf_counter() - started
    print(
        f"limitation snapshot: {snapshot.checked} open cases, {snapshot.changed} written, "
        f"{snapshot_seconds:.1f} s",
        flush=True,
    )
    case = Case.objects.order_by("-principal_snapshot").first()
    clients = {}
    for name, user in users.items():
        clients[name] = Client()
        clients[name].force_login(user)

    times: dict[str, list[float]] = {name: [] for name in PAGES}
    queries: dict[str, int] = {}
    floors = []
    for run in range(args.runs + 1):  # the first round warms up and is not counted
        for name, (who, url) in PAGES.items():
            url = url or f"/en/case/{case.pk}/"
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = clients[who].get(url)
                elapsed = time.perf_counter() - started
            if response.status_code != 200:
                print(f"{name}: HTTP {response.status_code} for {url}")
                return 1
            if run:
                times[name].append(elapsed)
                queries[name] = len(captured)
        started = time.perf_counter()
        floor(as_of)
        if run:
            floors.append(time.perf_counter() - started)
            print(
                f"round {run}: "
                + ", ".join(f"{name} {times[name][-1]:.2f} s" for name in PAGES)
                + f"; arrears floor {floors[-1]:.2f} s",
                flush=True,
            )

    # The at-risk page lists what expires within 90 days of today; the dataset's charges fall
    # due in 2025, so its core is timed here as of the day the first ones near their end.
    late = dt.date(2027, 12, 1)
    limitation_snapshot(as_of=late)
    flagged = Unit.objects.filter(cases__in=cases_at_risk(as_of=late, within_days=90))
    started = time.perf_counter()
    rows = at_risk_report(as_of=late, within_days=90, units=flagged)
    at_risk_seconds = time.perf_counter() - started
    print(f"at-risk report as of {late}: {len(rows)} charges in {at_risk_seconds:.2f} s")
    limitation_snapshot()

    base = statistics.median(floors)
    print(f"open cases: {snapshot.checked}; arrears floor median {base:.2f} s")
    for name in PAGES:
        median = statistics.median(times[name])
        print(
            f"{name:<20} median {median:6.2f} s  {queries[name]:>3} queries  "
            f"ratio {median / base:.2f}"
        )
    print(f"at_risk_ratio={at_risk_seconds / base:.2f}")
    print(f"snapshot_ratio={snapshot_seconds / base:.2f}")
    print(f"ratio={statistics.median(times['manager dashboard']) / base:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
