"""Every workspace page runs the same number of SQL queries with 10 cases as with 1,000 (and
with 10 or 1,000 evidence entries on a case page): no query per row."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import Case, Charge, EvidenceKind, Party, Stage, Unit, UnitParty
from cases.services.case import case_lock
from cases.services.evidence import evidence_append
from workflows.approvals.models import ApprovalKind, ApprovalRequest

pytestmark = pytest.mark.django_db

SMALL, LARGE = 10, 1000


def _grow(desk, total: int) -> None:
    """Add cases (with a unit, an owner, an overdue charge and a pending waiver request each)
    until the estate has ``total``: bulk inserts, as a data load would."""
    have = Case.objects.count()
    missing = total - have
    if missing <= 0:
        return
    start = Unit.objects.count()
    units = Unit.objects.bulk_create(
        Unit(estate=desk.estate, building="9", number=str(1000 + start + i), area=Decimal("90"))
        for i in range(missing)
    )
    parties = Party.objects.bulk_create(Party(name=f"业主{u.number}") for u in units)
    UnitParty.objects.bulk_create(
        UnitParty(unit=u, party=p, role=UnitParty.Role.OWNER, liable=True)
        for u, p in zip(units, parties, strict=True)
    )
    due = desk.days_ago(120)
    Charge.objects.bulk_create(
        Charge(
            unit=u,
            item="management_fee",
            period_start=due.replace(day=1),
            period_end=due,
            amount=Decimal("300.00"),
            due_date=due,
            issued_on=due.replace(day=1),
        )
        for u in units
    )
    cases = Case.objects.bulk_create(
        Case(
            unit=u,
            stage=Stage.REMINDING if i % 2 else Stage.DEMAND_LETTER,
            collector=desk.staff.collector,
            legal_officer=desk.staff.legal,
            opened_on=desk.days_ago(60),
            principal_snapshot=Decimal("300.00"),
            days_overdue_snapshot=120,
            next_step="issue_demand",
            next_step_reason="needs contacts",
            priority=i,
        )
        for i, u in enumerate(units)
    )
    ApprovalRequest.objects.bulk_create(
        ApprovalRequest(
            kind=ApprovalKind.WAIVER,
            case=c,
            requested_by=desk.staff.collector,
            reason="困难户",
            reason_category="hardship",
            amount=Decimal("10.00"),
        )
        for c in cases
    )


def _count(client: Client, url: str) -> int:
    client.get(url)  # warm caches (session, content types, groups) before counting
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


PAGES = {
    "collector worklist": ("collector", lambda desk, case: reverse("workspaces:collector:index")),
    "legal board": ("legal", lambda desk, case: reverse("workspaces:legal:index")),
    "legal queue": ("legal", lambda desk, case: reverse("workspaces:legal:queue")),
    "manager inbox": ("manager", lambda desk, case: reverse("workspaces:manager:index")),
    "manager dashboard": ("manager", lambda desk, case: reverse("workspaces:manager:dashboard")),
    "case page": (
        "collector",
        lambda desk, case: reverse("workspaces:case:detail", kwargs={"pk": case.pk}),
    ),
    "decision page": (
        "manager",
        lambda desk, case: reverse(
            "workspaces:manager:decide",
            kwargs={"request_pk": ApprovalRequest.objects.filter(case=case).get().pk},
        ),
    ),
}


@pytest.mark.parametrize("page", list(PAGES))
def test_page_queries_do_not_grow_with_the_number_of_cases(desk, page):
    role, url_for = PAGES[page]
    case = desk.case(owing="900.00", days_overdue=100)
    ApprovalRequest.objects.create(
        kind=ApprovalKind.WRITE_OFF, case=case, requested_by=desk.staff.legal, reason="无法执行"
    )
    _grow(desk, SMALL)
    client = Client()
    client.force_login(getattr(desk.staff, role))
    url = url_for(desk, case)
    small = _count(client, url)
    _grow(desk, LARGE)
    assert Case.objects.count() == LARGE
    large = _count(client, url)
    assert large == small, f"{page}: {small} queries with {SMALL} cases, {large} with {LARGE}"


def test_case_page_queries_do_not_grow_with_its_evidence(desk):
    case = desk.case(owing="900.00")
    client = Client()
    client.force_login(desk.staff.collector)
    url = reverse("workspaces:case:detail", kwargs={"pk": case.pk})

    def add_entries(total: int) -> None:
        start = dt.datetime(2026, 1, 1, 9, tzinfo=dt.UTC)
        locked = case_lock(case.pk)
        have = locked.evidence.count()
        for i in range(have, total):
            evidence_append(
                locked,
                kind=EvidenceKind.CONTACT,
                actor=desk.staff.collector,
                summary=f"电话：无人接听 {i}",
                payload={"n": i},
                at=start + dt.timedelta(minutes=i),
            )

    add_entries(SMALL)
    small = _count(client, url)
    add_entries(LARGE)
    large = _count(client, url)
    assert large == small, f"{small} queries with {SMALL} entries, {large} with {LARGE}"
    html = client.get(url).content.decode()
    assert f"Verified ({LARGE} entries)" in html
