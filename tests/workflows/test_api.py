"""The REST API: what each role may see and do, the HTTP answers to the services' refusals,
idempotent POSTs, uploads, downloads and the evidence chain, over token (and session) auth.

Cases are opened through ``case_open``; a test that needs one further along the state machine
puts it there with a queryset update (setup only, as in ``tests/cases``). The clock is today:
the API takes its steps on today's date."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import os
import struct
import threading
import zlib
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cases.models import (
    Case,
    Channel,
    ContactAttempt,
    DeliveryStatus,
    EvidenceEntry,
    Letter,
    Payment,
    Stage,
)
from cases.roles import Role
from cases.services.case import case_open, contact_log, system_user
from cases.services.ledger import payment_record
from cases.storage import blob_path
from legal_docs.kinds import DocumentKind
from legal_docs.models import LegalDocument
from tests.conftest import FROZEN_TODAY
from tests.factories import (
    EstateFactory,
    PartyFactory,
    UnitFactory,
    UnitPartyFactory,
    charge_for,
    deliver_with_proof,
    user_in_role,
)
from workflows.models import IdempotencyKey

pytestmark = pytest.mark.django_db

TODAY = FROZEN_TODAY
DAY = dt.timedelta(days=1)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture(autouse=True)
def _frozen(frozen_clock):
    """Every test here works on ``TODAY``: the clock stands still at ``FROZEN_NOW``."""


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    """Throttle counters live in the cache, keyed by user id; ids repeat between tests."""
    cache.clear()
    yield
    cache.clear()


# --- helpers ----------------------------------------------------------------------------------


def api(user=None) -> APIClient:
    """A client authenticated with the user's token (anonymous without a user)."""
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def png_image(width: int = 2, height: int = 2) -> bytes:
    """A small, valid PNG (8-bit RGB)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x00\x80\xff" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


class World:
    """One user per role (two collectors), an estate, and a case builder."""

    def __init__(self):
        self.collector = user_in_role(Role.COLLECTOR, username="collector_li")
        self.other_collector = user_in_role(Role.COLLECTOR, username="collector_wang")
        self.legal = user_in_role(Role.LEGAL_OFFICER, username="legal_zhao")
        self.manager = user_in_role(Role.MANAGER, username="manager_chen")
        self.finance = user_in_role(Role.FINANCE, username="finance_sun")
        self.system = system_user()
        self.estate = EstateFactory()

    def case(
        self,
        *,
        stage: str = Stage.NEW,
        owing: str = "1200.00",
        days_overdue: int = 90,
        collector="assigned",
        phone: str = "13812345678",
    ) -> Case:
        unit = UnitFactory(estate=self.estate)
        UnitPartyFactory(unit=unit, party=PartyFactory(phone=phone, email="owner@example.com"))
        charge_for(unit, owing, due_date=TODAY - days_overdue * DAY)
        collector = self.collector if collector == "assigned" else collector
        case = case_open(unit, actor=self.system, collector=collector)
        Case.objects.filter(pk=case.pk).update(stage=stage, legal_officer=self.legal)
        return Case.objects.select_related("unit__estate").get(pk=case.pk)

    def stage(self, case: Case) -> str:
        return Case.objects.values_list("stage", flat=True).get(pk=case.pk)

    def deliver(self, case: Case, letter: str, *, days_ago: int = 40) -> None:
        """``letter`` served ``days_ago`` days ago: its 15-day deadline has passed."""
        deliver_with_proof(
            case,
            actor=self.legal,
            letter=letter,
            status=DeliveryStatus.SERVED,
            delivered_on=TODAY - days_ago * DAY,
        )


@pytest.fixture
def world() -> World:
    return World()


def transition(client, case, name, **body):
    return client.post(f"/api/cases/{case.pk}/transitions/{name}/", body, format="json")


# --- authentication and who sees which case -------------------------------------------------


def test_anonymous_gets_401_as_json_on_reads_and_on_steps(world):
    case = world.case()

    listing = api().get("/api/cases/")
    step = transition(api(), case, "start_reminding")

    assert listing.status_code == 401
    assert listing.json()["detail"]
    assert listing["WWW-Authenticate"].startswith("Token")
    assert step.status_code == 401
    assert world.stage(case) == Stage.NEW


def test_a_collector_lists_only_the_cases_assigned_to_them(world):
    mine = world.case()
    world.case(collector=world.other_collector)

    response = api(world.collector).get("/api/cases/")

    assert response.status_code == 200
    assert [c["id"] for c in response.json()["results"]] == [mine.pk]


@pytest.mark.parametrize("role", ["legal", "manager", "finance"])
def test_legal_officers_managers_and_finance_list_every_case(world, role):
    cases = {world.case().pk, world.case(collector=world.other_collector).pk}

    response = api(getattr(world, role)).get("/api/cases/")

    assert response.status_code == 200
    assert response.json()["count"] == 2
    assert {c["id"] for c in response.json()["results"]} == cases


def test_cases_filter_by_stage_estate_collector_and_eligibility(world):
    reminding = world.case(stage=Stage.REMINDING)
    other = world.case(collector=world.other_collector)
    Case.objects.filter(pk=other.pk).update(next_step_eligible=True)
    elsewhere_estate = EstateFactory()
    client = api(world.manager)

    def ids(query: str) -> set[int]:
        response = client.get(f"/api/cases/?{query}")
        assert response.status_code == 200, response.json()
        return {c["id"] for c in response.json()["results"]}

    assert ids("stage=reminding") == {reminding.pk}
    assert ids(f"estate={world.estate.pk}") == {reminding.pk, other.pk}
    assert ids(f"estate={elsewhere_estate.pk}") == set()
    assert ids(f"collector={world.other_collector.pk}") == {other.pk}
    assert ids("eligible=true") == {other.pk}
    bad = client.get("/api/cases/?stage=nonsense")
    assert bad.status_code == 400
    assert "stage" in bad.json()["detail"]


def test_the_assigned_collector_sees_the_case_with_arrears_scripts_and_unmasked_phones(world):
    case = world.case(stage=Stage.REMINDING, owing="1200.00", phone="13812345678")

    response = api(world.collector).get(f"/api/cases/{case.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == case.pk
    assert body["stage"] == Stage.REMINDING
    assert Decimal(body["arrears"]["principal"]) == Decimal("1200.00")
    assert body["arrears"]["days_overdue"] == 90
    assert body["parties"][0]["phone"] == "13812345678"
    assert body["parties"][0]["masked"] is False
    assert [s["moment"] for s in body["call_scripts"]] == ["demand_step_1", "demand_step_2"]
    assert body["transitions"] == []  # a collector takes no step from reminding
    legal_view = api(world.legal).get(f"/api/cases/{case.pk}/").json()
    assert legal_view["transitions"] == ["issue_demand", "hold"]


def test_a_manager_not_on_the_case_sees_the_owners_phone_masked(world):
    case = world.case(phone="13812345678")

    body = api(world.manager).get(f"/api/cases/{case.pk}/").json()

    assert body["parties"][0]["phone"] == "138****5678"
    assert body["parties"][0]["email"] == ""
    assert body["parties"][0]["masked"] is True


def test_another_collectors_case_is_a_404_everywhere(world):
    case = world.case(collector=world.other_collector)
    client = api(world.collector)

    for url in (
        f"/api/cases/{case.pk}/",
        f"/api/cases/{case.pk}/contacts/",
        f"/api/cases/{case.pk}/documents/",
        f"/api/cases/{case.pk}/evidence/",
        f"/api/cases/{case.pk}/evidence/verify/",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.json()["detail"] == "Not found."
    step = transition(client, case, "start_reminding")
    assert step.status_code == 404
    assert world.stage(case) == Stage.NEW


def test_a_case_that_does_not_exist_is_the_same_404(world):
    response = api(world.manager).get("/api/cases/999999/")
    assert response.status_code == 404
    assert response.json()["detail"] == "Not found."


def test_session_authentication_works_and_a_post_needs_the_csrf_token(world):
    case = world.case()
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.collector)

    assert client.get("/api/cases/").status_code == 200
    refused = client.post(f"/api/cases/{case.pk}/transitions/start_reminding/", {}, format="json")

    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert world.stage(case) == Stage.NEW


# --- parties, charges ---------------------------------------------------------------------------


def test_party_phones_are_unmasked_only_for_those_on_an_open_case_of_their_unit(world):
    case = world.case(phone="13912345678")
    party_id = case.unit.unit_parties.get().party_id

    def party(user) -> dict:
        response = api(user).get(f"/api/parties/?unit={case.unit_id}")
        assert response.status_code == 200
        [found] = response.json()["results"]
        assert found["id"] == party_id
        return found

    assert party(world.collector)["phone"] == "13912345678"
    assert party(world.legal)["email"] == "owner@example.com"
    assert party(world.other_collector)["phone"] == "139****5678"
    assert party(world.other_collector)["email"] == ""
    assert party(world.manager)["masked"] is True

    Case.objects.filter(pk=case.pk).update(stage=Stage.CLOSED)
    assert party(world.collector)["phone"] == "139****5678"  # the case is closed


def test_charges_filter_by_unit_estate_and_overdue_with_what_is_still_owed(world):
    case = world.case(owing="800.00", days_overdue=30)
    charge_for(case.unit, "300.00", due_date=TODAY + 10 * DAY, period_start=TODAY.replace(day=1))
    client = api(world.collector)

    overdue = client.get(f"/api/charges/?unit={case.unit_id}&overdue=true").json()["results"]
    current = client.get(f"/api/charges/?unit={case.unit_id}&overdue=false").json()["results"]
    other_estate = client.get(f"/api/charges/?estate={EstateFactory().pk}").json()["results"]

    assert [(c["amount"], c["outstanding"], c["overdue"]) for c in overdue] == [
        ("800.00", "800.00", True)
    ]
    assert Decimal(overdue[0]["late_fee"]) == Decimal("24.00")  # 800 × 0.001 × 30 days
    assert [c["amount"] for c in current] == ["300.00"]
    assert other_estate == []


# --- transitions --------------------------------------------------------------------------------


def test_the_assigned_collector_starts_reminders_and_gets_the_case_back(world):
    case = world.case()
    before = EvidenceEntry.objects.filter(case=case).count()

    response = transition(api(world.collector), case, "start_reminding")

    assert response.status_code == 200
    assert response.json()["stage"] == Stage.REMINDING
    assert world.stage(case) == Stage.REMINDING
    assert EvidenceEntry.objects.filter(case=case).count() == before + 1


def test_a_refused_demand_is_a_409_with_the_guards_reason_about_contacts(world):
    case = world.case(stage=Stage.REMINDING)

    response = transition(api(world.legal), case, "issue_demand")

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "transition_refused"
    assert "documented contacts" in body["detail"]
    assert "this case has 0 on 0" in body["detail"]
    assert body["stage"] == Stage.REMINDING
    assert world.stage(case) == Stage.REMINDING


def test_a_collector_may_not_issue_the_lawyer_letter_403(world):
    case = world.case(stage=Stage.DEMAND_LETTER)

    response = transition(api(world.collector), case, "issue_lawyer_letter")

    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert "Issue the lawyer letter" in response.json()["detail"]
    assert world.stage(case) == Stage.DEMAND_LETTER


@pytest.mark.parametrize(
    ("role", "name", "stage"),
    [
        ("finance", "start_reminding", Stage.NEW),
        ("manager", "issue_demand", Stage.REMINDING),
        ("legal", "approve_withdrawal", Stage.WITHDRAWAL_PENDING),
        ("collector", "hold", Stage.REMINDING),
    ],
)
def test_a_role_the_state_machine_does_not_allow_gets_403(world, role, name, stage):
    case = world.case(stage=stage)

    response = transition(api(getattr(world, role)), case, name)

    assert response.status_code == 403, response.json()
    assert world.stage(case) == stage


@pytest.mark.parametrize(
    ("name", "stage"),
    [
        ("write_off", Stage.LAWYER_LETTER),
        ("approve_withdrawal", Stage.WITHDRAWAL_PENDING),
        ("start_payment_plan", Stage.DEMAND_LETTER),
    ],
)
def test_a_step_that_applies_an_approval_is_refused_to_a_manager_calling_it(world, name, stage):
    case = world.case(stage=stage)

    response = transition(api(world.manager), case, name)

    assert response.status_code == 409, response.json()
    assert "approval inbox" in response.json()["detail"]
    assert world.stage(case) == stage


def test_a_case_that_moved_since_the_client_saw_it_is_a_409_conflict(world):
    case = world.case(stage=Stage.REMINDING)

    response = transition(api(world.legal), case, "hold", expected_stage=Stage.NEW)

    assert response.status_code == 409
    assert response.json()["code"] == "transition_conflict"
    assert "Reload the case" in response.json()["detail"]
    assert world.stage(case) == Stage.REMINDING


def test_a_step_from_the_wrong_stage_is_a_409_naming_the_stage(world):
    case = world.case(stage=Stage.NEW)

    response = transition(api(world.legal), case, "issue_lawyer_letter")

    assert response.status_code == 409
    assert "not possible while the case is at" in response.json()["detail"]


def test_an_unknown_step_is_a_404(world):
    case = world.case()
    response = transition(api(world.legal), case, "cut_the_water")
    assert response.status_code == 404
    assert "cut_the_water" in response.json()["detail"]


def test_filing_a_lawsuit_takes_its_parameters_and_makes_the_filing_documents(
    world, django_capture_on_commit_callbacks
):
    case = world.case(stage=Stage.LAWYER_LETTER, owing="6000.00", days_overdue=200)
    world.deliver(case, Letter.DEMAND_LETTER, days_ago=60)
    world.deliver(case, Letter.LAWYER_LETTER, days_ago=30)
    client = api(world.legal)

    missing = transition(client, case, "file_litigation", kind="lawsuit")
    assert missing.status_code == 400
    assert set(missing.json()["errors"]) == {"court", "filed_on"}
    wrong = transition(client, case, "file_litigation", kind="lawsuit", served_on="2026-01-01")
    assert wrong.status_code == 400
    assert "served_on" in wrong.json()["errors"]

    with django_capture_on_commit_callbacks(execute=True):
        response = transition(
            client,
            case,
            "file_litigation",
            kind="lawsuit",
            court="杭州市西湖区人民法院",
            filed_on=TODAY.isoformat(),
            expected_stage=Stage.LAWYER_LETTER,
        )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["stage"], body["litigation_kind"], body["court"], body["filed_on"]) == (
        Stage.LITIGATION,
        "lawsuit",
        "杭州市西湖区人民法院",
        TODAY.isoformat(),
    )
    documents = client.get(f"/api/cases/{case.pk}/documents/").json()["results"]
    assert {d["kind"] for d in documents} == {
        DocumentKind.CIVIL_COMPLAINT,
        DocumentKind.EVIDENCE_LIST,
    }


# --- payments -----------------------------------------------------------------------------------


def _pay(client, unit, amount: str, *, key: str | None = None, paid_on=TODAY):
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(
        "/api/payments/",
        {"unit": unit.pk, "amount": amount, "paid_on": paid_on.isoformat(), "method": "wechat"},
        format="json",
        headers=headers,
    )


def test_a_payment_clearing_the_debt_before_a_lawyer_letter_settles_the_case(world):
    case = world.case(stage=Stage.REMINDING, owing="1200.00", days_overdue=10)
    client = api(world.finance)

    response = _pay(client, case.unit, "1212.00")  # 1,200 + 1,200 × 0.001 × 10 days

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["payment"]["amount"] == "1212.00"
    assert body["payment"]["recorded_by"] == "finance_sun"
    assert [(a["target"], a["amount"]) for a in body["payment"]["allocations"]] == [
        ("principal", "1200.00"),
        ("late_fee", "12.00"),
    ]
    assert body["arrears"]["principal"] == "0.00"
    assert body["case"] == {"id": case.pk, "stage": Stage.SETTLED}
    assert client.get(f"/api/cases/{case.pk}/").json()["stage"] == Stage.SETTLED


def test_a_payment_after_the_lawyer_letter_waits_for_a_withdrawal(world):
    case = world.case(stage=Stage.LAWYER_LETTER, owing="6000.00", days_overdue=10)

    body = _pay(api(world.finance), case.unit, "6000.00").json()

    assert body["case"]["stage"] == Stage.WITHDRAWAL_PENDING


def test_a_partial_payment_leaves_the_rest_owing_and_the_case_where_it_was(world):
    case = world.case(stage=Stage.REMINDING, owing="1200.00", days_overdue=10)

    body = _pay(api(world.finance), case.unit, "200.00").json()

    assert body["arrears"]["principal"] == "1000.00"
    assert body["case"]["stage"] == Stage.REMINDING


@pytest.mark.parametrize("role", ["collector", "legal", "manager"])
def test_only_finance_records_payments(world, role):
    case = world.case()

    response = _pay(api(getattr(world, role)), case.unit, "100.00")

    assert response.status_code == 403
    assert response.json()["detail"]
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    ("amount", "paid_on", "field"),
    [("0.00", TODAY, "amount"), ("-5", TODAY, "amount"), ("10.00", TODAY + DAY, "paid_on")],
)
def test_a_bad_payment_is_a_400_naming_the_field_and_nothing_is_recorded(
    world, amount, paid_on, field
):
    case = world.case()

    response = _pay(api(world.finance), case.unit, amount, paid_on=paid_on)

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert response.json()["detail"].startswith(f"{field}: ")
    assert not Payment.objects.exists()


def test_payments_list_shows_their_allocations_and_filters_by_unit(world):
    case = world.case(owing="500.00")
    other = world.case(owing="700.00")
    client = api(world.finance)
    _pay(client, case.unit, "500.00")
    _pay(client, other.unit, "100.00")

    results = api(world.collector).get(f"/api/payments/?unit={case.unit_id}").json()["results"]

    assert [(p["amount"], len(p["allocations"])) for p in results] == [("500.00", 1)]


# --- idempotency --------------------------------------------------------------------------------


def test_the_same_key_and_body_returns_the_stored_response_and_pays_once(world):
    case = world.case(stage=Stage.REMINDING, owing="1200.00")
    client = api(world.finance)

    first = _pay(client, case.unit, "1200.00", key="pay-2026-11-0001")
    again = _pay(client, case.unit, "1200.00", key="pay-2026-11-0001")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert Payment.objects.count() == 1
    row = IdempotencyKey.objects.get()
    assert (row.user, row.key, row.status) == (world.finance, "pay-2026-11-0001", 201)


def test_the_same_key_with_another_body_is_a_422_and_does_nothing(world):
    case = world.case(owing="1200.00")
    client = api(world.finance)
    _pay(client, case.unit, "100.00", key="k-1")

    response = _pay(client, case.unit, "200.00", key="k-1")

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert "k-1" in response.json()["detail"]
    assert "different body" in response.json()["detail"]
    assert Payment.objects.count() == 1


def test_keys_belong_to_a_user_so_two_users_may_use_the_same_key(world):
    case = world.case(stage=Stage.REMINDING)
    other = user_in_role(Role.FINANCE)

    _pay(api(world.finance), case.unit, "100.00", key="shared")
    response = _pay(api(other), case.unit, "100.00", key="shared")

    assert response.status_code == 201
    assert not response.has_header("Idempotent-Replayed")
    assert Payment.objects.count() == 2


def test_a_transition_retried_with_its_key_is_done_once(world):
    case = world.case()
    client = api(world.collector)
    headers = {"Idempotency-Key": "remind-1"}
    url = f"/api/cases/{case.pk}/transitions/start_reminding/"

    first = client.post(url, {}, format="json", headers=headers)
    again = client.post(url, {}, format="json", headers=headers)
    fresh = client.post(url, {}, format="json", headers={"Idempotency-Key": "remind-2"})

    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert fresh.status_code == 409  # without the key, the retry is refused: already reminding
    assert EvidenceEntry.objects.filter(case=case, kind="transition").count() == 1


def test_old_idempotency_keys_are_forgotten_by_the_nightly_purge(world, settings):
    import datetime as dt

    from django.utils import timezone

    from workflows.tasks_clock import idempotency_keys_purge

    case = world.case()
    client = api(world.collector)
    url = f"/api/cases/{case.pk}/transitions/start_reminding/"
    client.post(url, {}, format="json", headers={"Idempotency-Key": "old"})
    client.post(url, {}, format="json", headers={"Idempotency-Key": "new"})
    IdempotencyKey.objects.filter(key="old").update(
        created_at=timezone.now() - dt.timedelta(days=settings.IDEMPOTENCY_KEY_DAYS, minutes=1)
    )
    assert idempotency_keys_purge.delay().get() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]
    # The forgotten key is a fresh request again: refused now, the case already reminding.
    again = client.post(url, {}, format="json", headers={"Idempotency-Key": "old"})
    assert again.status_code == 409


def test_a_key_still_being_processed_is_a_409(world):
    case = world.case()
    client = api(world.finance)
    _pay(client, case.unit, "100.00", key="busy")
    IdempotencyKey.objects.filter(key="busy").update(status=None, response=None)

    response = _pay(client, case.unit, "100.00", key="busy")

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_in_progress"
    assert Payment.objects.count() == 1


def test_a_key_too_long_is_a_400(world):
    case = world.case()
    response = _pay(api(world.finance), case.unit, "100.00", key="x" * 256)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["detail"]
    assert not Payment.objects.exists()


def test_every_post_endpoint_honours_the_idempotency_key():
    """Each POST handler of the API is wrapped by ``idempotent``; the schema says so too."""
    resolver = get_resolver()

    def views(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from views(pattern.url_patterns)
            elif isinstance(pattern, URLPattern):
                yield pattern.callback

    posts = []
    for callback in views(resolver.url_patterns):
        cls = getattr(callback, "cls", None)
        if cls is None or not cls.__module__.startswith("workflows.api"):
            continue
        actions = getattr(callback, "actions", None) or {}
        if actions:
            handler_name = actions.get("post")
            handler = getattr(cls, handler_name) if handler_name else None
        else:
            handler = getattr(cls, "post", None)
        if handler is not None:
            posts.append(cls.__name__)
            assert getattr(handler, "idempotent", False), cls.__name__
    assert set(posts) >= {"PaymentViewSet", "CaseTransitionView", "CaseContactsView"}


# --- contacts -----------------------------------------------------------------------------------


def test_a_collector_logs_a_posted_notice_with_a_png_photo(world):
    case = world.case(stage=Stage.REMINDING)
    photo = png_image(3)
    client = api(world.collector)

    response = client.post(
        f"/api/cases/{case.pk}/contacts/",
        {
            "channel": Channel.NOTICE_POSTED,
            "outcome": "no_answer",
            "notes": "贴在门上",
            "photo": [_upload("门口.png", photo)],
        },
        format="multipart",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["proof_grade"] == 2  # notice posted, with photo
    [attachment] = body["attachments"]
    assert attachment["kind"] == "photo"
    assert attachment["original_name"] == "门口.png"
    assert attachment["sha256"] == hashlib.sha256(photo).hexdigest()
    assert attachment["content_type"] == "image/png"
    assert blob_path(attachment["sha256"]).read_bytes() == photo
    listed = client.get(f"/api/cases/{case.pk}/contacts/").json()["results"]
    assert [c["id"] for c in listed] == [body["id"]]
    entry = EvidenceEntry.objects.filter(case=case).order_by("-seq").first()
    assert entry.file_sha256 == attachment["sha256"]


def _upload(name: str, content: bytes):
    return SimpleUploadedFile(name, content, content_type="image/png")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"MZ\x90\x00\x03" + bytes(300), "not an allowed file type"),
        (b"", "is empty"),
    ],
)
def test_a_refused_upload_is_a_400_with_the_message_and_nothing_is_written(world, content, message):
    case = world.case(stage=Stage.REMINDING)
    evidence = EvidenceEntry.objects.count()

    response = api(world.collector).post(
        f"/api/cases/{case.pk}/contacts/",
        {"channel": "notice_posted", "outcome": "no_answer", "photo": [_upload("x.png", content)]},
        format="multipart",
    )

    assert response.status_code == 400
    assert message in response.json()["detail"]
    assert "x.png" in response.json()["detail"]
    assert not ContactAttempt.objects.exists()
    assert EvidenceEntry.objects.count() == evidence


def test_a_promise_without_a_date_is_a_400(world):
    case = world.case(stage=Stage.REMINDING)

    response = api(world.collector).post(
        f"/api/cases/{case.pk}/contacts/",
        {"channel": "phone", "outcome": "promised"},
        format="json",
    )

    assert response.status_code == 400
    assert "promise" in response.json()["detail"].lower()


def test_finance_may_not_log_contacts(world):
    case = world.case(stage=Stage.REMINDING)
    response = api(world.finance).post(
        f"/api/cases/{case.pk}/contacts/", {"channel": "phone", "outcome": "reached"}
    )
    assert response.status_code == 403
    assert not ContactAttempt.objects.exists()


# --- documents and evidence -----------------------------------------------------------------


@pytest.fixture
def demand_case(world, django_capture_on_commit_callbacks):
    """A case taken to the demand letter through the API: two documented contacts, then
    ``issue_demand``; the demand letter is generated after the commit."""
    case = world.case(stage=Stage.REMINDING, owing="2400.00", days_overdue=120)
    for channel in (Channel.PHONE, Channel.SMS):
        contact_log(case, actor=world.collector, channel=channel, outcome="reached")
    with django_capture_on_commit_callbacks(execute=True):
        response = transition(api(world.legal), case, "issue_demand")
    assert response.status_code == 200, response.json()
    return case


def test_a_document_downloads_as_an_attachment_that_is_not_sniffed(world, demand_case):
    client = api(world.collector)
    [document] = client.get(f"/api/cases/{demand_case.pk}/documents/").json()["results"]
    assert document["kind"] == DocumentKind.DEMAND_LETTER

    response = client.get(document["download_url"])

    assert response.status_code == 200
    assert response["Content-Type"] == DOCX
    assert response["Content-Disposition"] == f'attachment; filename="{document["filename"]}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    content = b"".join(response.streaming_content) if response.streaming else response.content
    assert hashlib.sha256(content).hexdigest() == document["sha256"]
    assert content[:2] == b"PK"


def test_another_collector_cannot_download_the_document(world, demand_case):
    document = LegalDocument.objects.get(case=demand_case)
    response = api(world.other_collector).get(f"/api/documents/{document.pk}/download/")
    assert response.status_code == 404
    assert response.json()["detail"] == "Not found."


def test_the_evidence_chain_is_listed_in_order_and_verifies(world, demand_case):
    client = api(world.collector)

    chain = client.get(f"/api/cases/{demand_case.pk}/evidence/").json()["results"]
    verdict = client.get(f"/api/cases/{demand_case.pk}/evidence/verify/")

    assert [e["seq"] for e in chain] == list(range(1, len(chain) + 1))
    assert [e["kind"] for e in chain] == ["opened", "contact", "contact", "transition", "document"]
    for previous, entry in itertools.pairwise(chain):
        assert entry["prev_hash"] == previous["hash"]
    assert all(hashlib.sha256(e["body"].encode()).hexdigest() == e["hash"] for e in chain)
    assert verdict.status_code == 200
    assert verdict.json() == {"ok": True}


def test_a_damaged_document_file_is_never_served_and_breaks_the_chain(world, demand_case):
    document = LegalDocument.objects.get(case=demand_case)
    path = blob_path(document.sha256)
    os.chmod(path, 0o644)
    path.write_bytes(path.read_bytes() + b"tampered")
    client = api(world.legal)

    download = client.get(f"/api/documents/{document.pk}/download/")
    verdict = client.get(f"/api/cases/{demand_case.pk}/evidence/verify/").json()

    assert download.status_code == 500
    assert "verify_evidence" in download.json()["detail"]
    document_entry = EvidenceEntry.objects.get(case=demand_case, kind="document")
    assert verdict["ok"] is False
    assert verdict["seq"] == document_entry.seq
    assert "no longer matches" in verdict["reason"]


def test_finance_sees_cases_but_not_their_contacts_or_evidence(world):
    case = world.case()
    client = api(world.finance)

    assert client.get(f"/api/cases/{case.pk}/").status_code == 200
    assert client.get(f"/api/cases/{case.pk}/contacts/").status_code == 403
    assert client.get(f"/api/cases/{case.pk}/evidence/").status_code == 403


# --- cross-cutting: pagination, throttling, schema, constant queries ---------------------------


def test_lists_are_paginated_by_50(world):
    for _ in range(51):
        UnitFactory(estate=world.estate)
    client = api(world.manager)

    first = client.get("/api/units/").json()
    second = client.get(first["next"]).json()

    assert (first["count"], len(first["results"]), len(second["results"])) == (51, 50, 1)
    assert client.get("/api/units/?page=9").status_code == 404


def _rates(**rates):
    return override_settings(
        REST_FRAMEWORK={
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"anon": "1000/hour", "user": "1000/hour", **rates},
        }
    )


def test_anonymous_requests_are_throttled_with_a_429():
    """Only what anonymous users may reach counts (the schema): elsewhere the 401 comes
    first, and a token cannot be guessed."""
    with _rates(anon="2/minute"):
        client = api()
        statuses = [client.get("/api/schema/?format=json").status_code for _ in range(3)]
        throttled = client.get("/api/schema/?format=json")

    assert statuses == [200, 200, 429]
    assert throttled.json()["detail"].startswith("Request was throttled")
    assert int(throttled["Retry-After"]) > 0


def test_each_user_is_throttled_on_their_own(world):
    with _rates(user="3/minute"):
        statuses = [api(world.manager).get("/api/estates/").status_code for _ in range(4)]
        other = api(world.legal).get("/api/estates/").status_code

    assert statuses == [200, 200, 200, 429]
    assert other == 200


def test_the_schema_and_the_swagger_ui_are_served():
    client = APIClient()

    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    docs = client.get("/api/docs/")

    assert schema.status_code == 200
    spec = schema.json()
    post = spec["paths"]["/api/payments/"]["post"]
    assert "Idempotency-Key" in [p["name"] for p in post["parameters"]]
    assert "/api/cases/{id}/transitions/{name}/" in spec["paths"]
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()


@pytest.mark.parametrize(
    "url",
    ["/api/cases/", "/api/parties/", "/api/charges/", "/api/payments/", "/api/units/"],
)
def test_list_pages_make_the_same_number_of_queries_whatever_the_data(world, url):
    client = api(world.manager)

    def queries() -> int:
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    def more(n: int) -> None:
        for _ in range(n):
            case = world.case()
            payment_record(case.unit, amount=Decimal("100.00"), paid_on=TODAY, actor=world.finance)

    more(1)
    small = queries()
    more(5)
    assert queries() == small


def test_an_unknown_api_path_is_a_json_404(world):
    response = api(world.manager).get("/api/nothing-here/")
    assert response.status_code == 404
    assert response.json()["detail"] == "There is no API endpoint at /api/nothing-here/."


# --- PostgreSQL: concurrent requests ---------------------------------------------------------

THREADS = 16
# Skipped at collection on SQLite: its in-memory database is not shared between threads, and
# the flush after a transactional test is refused by the append-only triggers.
needs_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
# serialized_rollback: the flush would also empty the role groups of the migrations.
committed = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _at_once(work) -> list:
    """``work()`` in THREADS threads released together, each closing its own connection."""
    barrier = threading.Barrier(THREADS)
    results: list = [None] * THREADS

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work()
        except Exception as exc:  # asserted on by the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results


@needs_postgres
@committed
def test_the_same_key_sent_many_times_at_once_pays_once():
    world = World()
    case = world.case(stage=Stage.REMINDING, owing="1200.00", days_overdue=10)
    api(world.finance)  # the token, before the threads

    # paid in full: 1,200 + 1,200 × 0.001 × 10 days of late fee
    responses = _at_once(lambda: _pay(api(world.finance), case.unit, "1212.00", key="burst"))

    assert Payment.objects.count() == 1
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {201, 409}, statuses
    created = [r for r in responses if r.status_code == 201]
    first = [r for r in created if not r.has_header("Idempotent-Replayed")]
    assert len(first) == 1
    assert all(r.json() == first[0].json() for r in created)
    in_progress = [r.json()["code"] for r in responses if r.status_code == 409]
    assert set(in_progress) <= {"idempotency_key_in_progress"}
    assert world.stage(case) == Stage.SETTLED


@needs_postgres
@committed
def test_many_people_taking_the_same_step_at_once_one_wins_the_others_get_409():
    world = World()
    case = world.case()
    api(world.collector)

    responses = _at_once(lambda: transition(api(world.collector), case, "start_reminding"))

    statuses = [r.status_code for r in responses]
    assert statuses.count(200) == 1, statuses
    assert statuses.count(409) == THREADS - 1, statuses
    assert EvidenceEntry.objects.filter(case=case, kind="transition").count() == 1
