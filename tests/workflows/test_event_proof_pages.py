"""Issue 12, part 3, at the edges: the delivery and contact forms, the API and the case page
carry the day an event happened and its proof, refuse what the service refuses (naming the
field and the bounding date), and show "claimed, unproven" honestly."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cases.models import ContactAttempt, Delivery, EvidenceEntry, ProofGrade, Stage
from cases.services.case import case_transition, contact_log
from legal_docs.models import LegalDocument
from tests.factories import pdf_file

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = dt.datetime(2026, 6, 15, 10, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def frozen_today(frozen_clock):
    """The shared frozen clock (the desk fixture uses it too), moved to this module's day."""
    frozen_clock.move_to(TODAY)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def case_url(name: str, case) -> str:
    return reverse(f"workspaces:case:{name}", kwargs={"pk": case.pk})


def upload(content: bytes, name: str) -> io.BytesIO:
    file = io.BytesIO(content)
    file.name = name
    return file


def written() -> tuple[int, int]:
    return Delivery.objects.count(), EvidenceEntry.objects.count()


def demand_issued(desk, capture):
    """A case whose demand letter the system generated today (2026-06-15)."""
    case = desk.case(stage=Stage.REMINDING)
    for channel in ("phone", "sms", "home_visit"):
        contact_log(case, actor=desk.staff.collector, channel=channel, outcome="no_answer")
    with capture(execute=True):
        case_transition(case, "issue_demand", actor=desk.staff.legal)
    return desk.fresh(case), LegalDocument.objects.get(case=case, kind="demand_letter")


def test_the_delivery_form_refuses_a_date_before_the_letter_and_shows_proof_honestly(
    desk, django_capture_on_commit_callbacks
):
    case, letter = demand_issued(desk, django_capture_on_commit_callbacks)
    client = client_for(desk.staff.legal)
    form = {"document": letter.pk, "status": "signed", "method": "registered_mail"}

    before = written()
    early = client.post(case_url("delivery", case), {**form, "delivered_on": "2026-06-01"})
    assert early.status_code == 200
    assert "cannot be before the Demand letter (催缴函) of 2026年6月15日" in early.content.decode()
    assert written() == before

    no_scan = client.post(
        case_url("delivery", case),
        {**form, "delivered_on": "2026-06-01", "paper_record": "on", "paper_letter": "other"},
    )
    assert "needs the scan of the paper letter" in no_scan.content.decode()
    assert written() == before

    claimed = client.post(case_url("delivery", case), {**form, "delivered_on": "2026-06-15"})
    assert claimed.status_code == 302
    tracked = client.post(
        case_url("delivery", case),
        {
            **form,
            "delivered_on": "2026-06-15",
            "tracking_number": "EM123456789CN",
            "tracking_status": "delivered",
        },
    )
    assert tracked.status_code == 302
    assert [d.proven_served for d in Delivery.objects.filter(case=case).order_by("id")] == [
        False,
        True,
    ]
    page = client.get(case_url("detail", case)).content.decode()
    assert page.count("Claimed, unproven (声称送达，无凭证)") >= 2  # the document row and timeline
    assert "Proven (有凭证)" in page
    assert "happened 2026-06-15" in page


def test_a_paper_record_from_the_form_needs_no_generated_letter(desk):
    case = desk.case(stage=Stage.DEMAND_LETTER)
    response = client_for(desk.staff.legal).post(
        case_url("delivery", case),
        {
            "status": "signed",
            "method": "registered_mail",
            "delivered_on": "2026-04-20",  # before the case opened (2026-05-16)
            "paper_record": "on",
            "paper_letter": "demand_letter",
            "scan": upload(pdf_file("paper demand letter"), "scan.pdf"),
            "proof": upload(pdf_file("EMS delivered"), "ems.pdf"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    delivery = Delivery.objects.get(case=case)
    assert delivery.paper_record and delivery.scan_id and delivery.proven_served
    assert delivery.delivered_on == dt.date(2026, 4, 20)


def test_a_ticked_sms_contact_is_claimed_unproven_on_the_timeline(desk):
    case = desk.case(stage=Stage.REMINDING)
    client = client_for(desk.staff.collector)
    response = client.post(
        case_url("contact", case),
        {
            "channel": "sms",
            "outcome": "reached",
            "occurred_at": "2026-06-14T09:30",
            "delivery_confirmed": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    contact = ContactAttempt.objects.get(case=case)
    assert contact.proof_grade == ProofGrade.CLAIMED_UNPROVEN
    assert contact.recorded_at == TODAY
    page = client.get(case_url("detail", case)).content.decode()
    assert "Claimed, unproven (声称送达，无凭证)" in page
    assert "happened 2026-06-14" in page


def test_the_api_records_deliveries_with_their_proof_and_refuses_bad_dates(desk):
    case = desk.case(stage=Stage.DEMAND_LETTER)
    client = api(desk.staff.legal)
    url = f"/api/cases/{case.pk}/deliveries/"
    body = {
        "letter": "demand_letter",
        "status": "signed",
        "method": "registered_mail",
        "delivered_on": "2026-04-20",
        "tracking_number": "EM123456789CN",
        "tracking_status": "delivered",
    }
    before = written()
    refused = client.post(url, body, format="json")
    assert refused.status_code == 400
    assert "delivered_on" in str(refused.json())
    future = client.post(url, {**body, "delivered_on": "2026-06-16"}, format="json")
    assert future.status_code == 400 and "future" in str(future.json())
    assert written() == before

    created = client.post(
        url,
        {**body, "paper_record": True, "scan": upload(pdf_file("paper letter"), "scan.pdf")},
        format="multipart",
    )
    assert created.status_code == 201, created.json()
    data = created.json()
    assert (data["delivered_on"], data["paper_record"], data["proven_served"]) == (
        "2026-04-20",
        True,
        True,
    )
    listed = client.get(url).json()["results"]
    assert [d["tracking_status"] for d in listed] == ["delivered"]
