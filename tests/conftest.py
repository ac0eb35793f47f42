"""Fixtures shared by the test suite."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from cases.roles import Role
from tests.factories import EstateFactory, UnitFactory, user_in_role

POSTGRES_REASON = "needs PostgreSQL: set DATABASE_URL=postgres://…"


def skip_unless_postgres() -> None:
    """Skip the calling test unless the default database is PostgreSQL."""
    if connection.vendor != "postgresql":
        pytest.skip(POSTGRES_REASON)


def pytest_configure(config) -> None:
    _let_sqlite_flush_pass_the_guard_triggers()


def _let_sqlite_flush_pass_the_guard_triggers() -> None:
    """Transactional tests end with a flush. PostgreSQL flushes with TRUNCATE, which the
    row triggers do not see; SQLite flushes with DELETE, which the append-only triggers
    refuse. For the test suite only, the SQLite flush drops the guard triggers, empties the
    tables and puts the same triggers back in the same transaction."""
    from django.db.backends.sqlite3 import base as sqlite_base

    from cases.db_triggers import SQLITE_CREATE, SQLITE_DROP

    DatabaseOperations = sqlite_base.DatabaseOperations

    original = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        statements = original(
            self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
        if not statements:
            return statements
        return [*SQLITE_DROP, *statements, *SQLITE_CREATE]

    DatabaseOperations.sql_flush = sql_flush


# The instant a test's "now" is frozen at when it computes with today's date (the day issue 12
# was filed, a Friday; all the story fixtures' fee months are due by then). Tests never read
# the wall clock: CI also runs the suite under faketime at a month end and a year ahead.
FROZEN_NOW = dt.datetime(2026, 12, 4, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
FROZEN_TODAY = FROZEN_NOW.date()


def frozen_clock_at(instant: dt.datetime = FROZEN_NOW):
    """A ``time_machine`` traveller that stops the clock at ``instant`` (use with ``with``)."""
    return time_machine.travel(instant, tick=False)


@pytest.fixture
def frozen_clock():
    """Stop the clock at ``FROZEN_NOW`` (Asia/Shanghai) for the whole test."""
    with frozen_clock_at() as traveller:
        yield traveller


@pytest.fixture
def postgres_only() -> None:
    """Request this fixture (or mark the test ``@pytest.mark.postgres``) for a test that needs
    PostgreSQL; on any other database it is skipped with the reason above."""
    skip_unless_postgres()


@pytest.fixture(autouse=True)
def _skip_postgres_marked(request) -> None:
    if request.node.get_closest_marker("postgres") is not None:
        skip_unless_postgres()


@pytest.fixture
def estate(db):
    return EstateFactory()


@pytest.fixture
def unit(estate):
    return UnitFactory(estate=estate)


@pytest.fixture
def collector(db):
    return user_in_role(Role.COLLECTOR)


@pytest.fixture
def legal_officer(db):
    return user_in_role(Role.LEGAL_OFFICER)


@pytest.fixture
def manager(db):
    return user_in_role(Role.MANAGER)


@pytest.fixture
def finance(db):
    return user_in_role(Role.FINANCE)
