"""With a real Celery worker on Redis (started and always stopped by the test):

- the reminder task delivered twice (and the hourly dispatch beside it) sends one SMS;
- a notice batch (``workflows.notices_chunk`` over 40 units in chunks of 4) whose worker is
  killed with SIGKILL mid-way and then restarted finishes with every notice exactly once:
  ``acks_late`` + ``reject_on_worker_lost`` leave the unfinished messages on the broker, and
  the unique (notice run, unit) constraint makes re-running a chunk harmless.

Skipped unless Redis answers at ``TEST_REDIS_URL`` (default redis://127.0.0.1:6379/15) and the
database is PostgreSQL: the worker is another process, so it must see the same database
(the test database of this session; the tests commit their data).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from cases.models import Channel, ContactAttempt, Stage
from tests.factories import UnitFactory, charge_for
from tests.workflows.conftest import Desk, ensure_builtin_templates, outbox_lines

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
BASE_DIR = Path(settings.BASE_DIR)


def _redis_problem() -> str:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except Exception as exc:  # any failure means: skip, saying why
        return f"Redis is not reachable at {REDIS_URL} ({exc}); set TEST_REDIS_URL"
    return ""


REDIS_PROBLEM = _redis_problem()

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="a worker process cannot share the test's in-memory SQLite database: "
        "set DATABASE_URL=postgres://…",
    ),
    pytest.mark.skipif(bool(REDIS_PROBLEM), reason=REDIS_PROBLEM or "Redis reachable"),
    # Committed data the worker can read; serialized_rollback restores the migrations' rows
    # (groups, the system user, the beat schedule) that the flush after the test empties.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("system_actor_may_log_contacts"),
]


def _database_url() -> str:
    db = connection.settings_dict
    auth = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    """``celery -A config worker --pool=prefork --concurrency=2 -Q <queue>`` as a subprocess in
    its own process group, pointed at this session's database, evidence store and outbox."""

    def __init__(self, queue: str, *, log: Path, outbox: Path):
        self.queue, self.log, self.outbox = queue, log, outbox
        self.process: subprocess.Popen | None = None

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            # This session's settings (tests.workflows.approvals_settings until base.py has
            # the approvals app); TEST_EVIDENCE_STORE must be honoured by them.
            "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE,
            "DATABASE_URL": _database_url(),
            "CELERY_BROKER_URL": REDIS_URL,
            "CELERY_RESULT_BACKEND": REDIS_URL,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            # Messages of a killed worker come back after 5 s instead of an hour.
            "CELERY_BROKER_TRANSPORT_OPTIONS": json.dumps(
                {
                    "visibility_timeout": 5,
                    "unacked_restore_interval": 1,
                    "unacked_restore_throttle": 1,
                }
            ),
            "TEST_EVIDENCE_STORE": str(settings.EVIDENCE_STORE_ROOT),
            "SMS_OUTBOX": str(self.outbox),
            "SMS_QUIET_HOURS": "",  # whatever the hour the suite runs at
            "PYTHONPATH": str(BASE_DIR),
        }

    def start(self, *, timeout: float = 60) -> None:
        offset = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "--pool=prefork",
                    "--concurrency=2",
                    "-Q",
                    self.queue,
                    "-n",
                    f"{self.queue}@%h",
                    "--loglevel=INFO",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                ],
                cwd=BASE_DIR,
                env=self.env(),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the worker exited:\n{self.tail()}")
            if b" ready." in self.log.read_bytes()[offset:]:
                return
            time.sleep(0.2)
        raise AssertionError(f"the worker did not get ready in {timeout}s:\n{self.tail()}")

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and pool children): no warm shutdown, no
        acknowledgement, no message handed back to the broker."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()

    def tail(self, lines: int = 60) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


@pytest.fixture
def desk(staff) -> Desk:
    """The shared desk without the frozen clock: the worker is another process and runs on the
    real clock, so the test process must too (its dates are all relative to that one today)."""
    ensure_builtin_templates()
    return Desk(staff)


@pytest.fixture
def broker():
    """A producer on the test broker (its own Celery app: the project's stays eager) and a
    queue no other worker listens to; the queue's keys are removed afterwards."""
    import redis
    from celery import Celery

    queue = f"fee-recovery-test-{uuid.uuid4().hex[:10]}"
    producer = Celery("fee-recovery-tests", broker=REDIS_URL, backend=REDIS_URL)
    yield producer, queue
    producer.close()
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=f"*{queue}*"):  # the queue and kombu's bindings
        client.delete(key)


@pytest.fixture
def workers(tmp_path):
    started: list[Worker] = []

    def make(queue: str) -> Worker:
        worker = Worker(queue, log=tmp_path / "worker.log", outbox=tmp_path / "sms-outbox.jsonl")
        started.append(worker)
        return worker

    yield make
    for worker in started:  # always, whatever the test did
        worker.stop()


def _received(log: str) -> set[str]:
    """Ids of the tasks a worker log says were received."""
    return set(re.findall(r"Task workflows\.notices_chunk\[([0-9a-f-]+)\] received", log))


def _wait_for(predicate, *, timeout: float, what: str, worker: Worker):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}:\n{worker.tail()}")


def test_reminder_task_delivered_twice_sends_one_sms(desk, broker, workers):
    from workflows.approvals.models import Reminder
    from workflows.reminders import reminders_schedule

    producer, queue = broker
    case = desk.case(stage=Stage.REMINDING, phone="13912345678")
    reminders_schedule()
    reminder = Reminder.objects.get(case=case)
    Reminder.objects.filter(pk=reminder.pk).update(
        not_before=timezone.now() - dt.timedelta(minutes=1)
    )
    worker = workers(queue)
    worker.start()

    results = [
        producer.send_task("workflows.reminder_send", args=[reminder.pk], queue=queue),
        producer.send_task("workflows.reminder_send", args=[reminder.pk], queue=queue),
        producer.send_task("workflows.reminders_dispatch", queue=queue),
    ]
    answers = [result.get(timeout=60) for result in results]
    for result in results:
        result.forget()

    sent_by_send = sum(1 for answer in answers[:2] if answer is True)
    assert sent_by_send + answers[2]["sent"] == 1, (answers, worker.tail())
    lines = outbox_lines(worker.outbox)
    assert len(lines) == 1, worker.tail()
    assert lines[0]["to"] == "13912345678" and lines[0]["reference"] == f"reminder-{reminder.pk}"
    reminder.refresh_from_db()
    assert (reminder.status, reminder.message_id) == ("sent", lines[0]["id"])
    assert ContactAttempt.objects.filter(case=case, channel=Channel.SMS).count() == 1


def test_notice_batch_survives_a_killed_worker_with_every_notice_exactly_once(
    desk, broker, workers
):
    from legal_docs.models import LegalDocument, NoticeRun
    from legal_docs.notices import notice_run_pending, notice_run_start

    producer, queue = broker
    for _ in range(40):
        charge_for(UnitFactory(estate=desk.estate), "880.00", due_date=desk.days_ago(40))
    run = notice_run_start(desk.estate, desk.today)
    pending = notice_run_pending(run)
    assert run.total == len(pending) == 40
    for start in range(0, 40, 4):
        producer.send_task(
            "workflows.notices_chunk", args=[run.pk, pending[start : start + 4]], queue=queue
        )

    def made() -> int:
        return LegalDocument.objects.filter(notice_run=run).count()

    worker = workers(queue)
    worker.start()
    _wait_for(lambda: made() >= 1, timeout=60, what="the first notice", worker=worker)
    worker.kill()
    at_kill = made()
    assert 0 < at_kill < 40, f"not killed mid-way ({at_kill} made)"
    in_flight = _received(worker.log.read_text())

    worker.start()
    _wait_for(lambda: made() == 40, timeout=90, what="all 40 notices", worker=worker)
    time.sleep(6)  # any message restored after the visibility timeout has run by now
    worker.stop()

    documents = LegalDocument.objects.filter(notice_run=run)
    assert documents.count() == 40
    assert documents.values("unit").distinct().count() == 40
    assert not documents.values("unit").annotate(n=Count("id")).filter(n__gt=1).exists()
    run = NoticeRun.objects.get(pk=run.pk)
    assert (run.failed, run.errors) == (0, [])
    # The chunks the killed worker had taken were delivered again, not lost.
    redelivered = in_flight & _received(worker.log.read_text().split(" ready.", 2)[-1])
    assert redelivered, worker.tail(200)
