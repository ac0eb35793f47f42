"""The role workspaces through Django's test client: what each role sees and may do, the
404 for other people's cases, CSRF, downloads, language, django-axes."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from docx import Document

from cases.models import ContactAttempt, Delivery, EvidenceEntry, Outcome, Stage
from cases.roles import Role
from cases.services.case import case_transition
from tests.factories import deliver_with_proof, user_in_role
from workflows.approvals.models import ApprovalRequest, ApprovalStatus

pytestmark = pytest.mark.django_db

# The smallest valid JPEG: the upload check reads the bytes, not the name.
JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c1912130f141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432"
    "ffc0000b080001000101011100ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b5100002010303020403050504040000017d01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435363738393a434445464748494a535455565758595a636465666768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffda0008010100003f00fbd3ffd9"
)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def case_url(name: str, case, **kwargs) -> str:
    return reverse(f"workspaces:case:{name}", kwargs={"pk": case.pk, **kwargs})


# --- login and landing ---------------------------------------------------------------------


def test_every_page_needs_a_login(desk):
    case = desk.case()
    anonymous = Client()
    for url in [
        "/",
        reverse("workspaces:collector:index"),
        reverse("workspaces:legal:index"),
        reverse("workspaces:manager:index"),
        reverse("workspaces:manager:dashboard"),
        case_url("detail", case),
        case_url("contact", case),
    ]:
        response = anonymous.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


def test_each_role_lands_in_its_workspace(staff):
    expected = {
        staff.collector: reverse("workspaces:collector:index"),
        staff.legal: reverse("workspaces:legal:index"),
        staff.manager: reverse("workspaces:manager:index"),
    }
    for user, url in expected.items():
        response = client_for(user).get("/")
        assert response.status_code == 302
        assert response["Location"] == url


def test_login_with_the_form_then_lands_in_the_workspace(staff):
    client = Client()
    page = client.get(reverse("login"))
    assert page.status_code == 200
    response = client.post(
        reverse("login"), {"username": "collector_li", "password": "pw"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("workspaces:collector:index")
    assert "collector_li" in response.content.decode()


def test_workspaces_refuse_other_roles(staff):
    collector = client_for(staff.collector)
    assert collector.get(reverse("workspaces:legal:index")).status_code == 403
    assert collector.get(reverse("workspaces:manager:index")).status_code == 403
    assert collector.get(reverse("workspaces:manager:dashboard")).status_code == 403
    legal = client_for(staff.legal)
    assert legal.get(reverse("workspaces:manager:index")).status_code == 403
    assert legal.get(reverse("workspaces:collector:index")).status_code == 403


def test_axes_locks_the_account_after_repeated_failures(staff, settings):
    settings.AXES_FAILURE_LIMIT = 3
    client = Client()
    for _attempt in range(3):
        client.post(reverse("login"), {"username": "legal_zhao", "password": "wrong"})
    locked = client.post(reverse("login"), {"username": "legal_zhao", "password": "pw"})
    assert locked.status_code == 429
    assert "locked" in locked.content.decode()
    # The lock is per account: another user still logs in.
    other = Client().post(reverse("login"), {"username": "collector_li", "password": "pw"})
    assert other.status_code == 302


def test_forms_need_the_csrf_token(desk):
    case = desk.case()
    client = Client(enforce_csrf_checks=True)
    client.force_login(desk.staff.collector)
    response = client.post(case_url("contact", case), {"channel": "phone", "outcome": "reached"})
    assert response.status_code == 403
    assert not ContactAttempt.objects.filter(case=case).exists()


# --- the collector ---------------------------------------------------------------------------


def test_worklist_shows_own_cases_in_priority_order_with_filters(desk):
    from cases.models import Case

    mine_low = desk.case(owing="500.00")
    mine_high = desk.case(owing="9000.00")
    other_collector = user_in_role(Role.COLLECTOR, username="collector_wang")
    theirs = desk.case()
    Case.objects.filter(pk=theirs.pk).update(collector=other_collector)
    Case.objects.filter(pk=mine_low.pk).update(priority=10, principal_snapshot=Decimal("500"))
    Case.objects.filter(pk=mine_high.pk).update(
        priority=90, principal_snapshot=Decimal("9000"), days_overdue_snapshot=400
    )

    client = client_for(desk.staff.collector)
    html = client.get(reverse("workspaces:collector:index")).content.decode()
    assert f"#{mine_high.pk}<" in html and f"#{mine_low.pk}<" in html
    assert f"#{theirs.pk}<" not in html
    assert html.index(f"#{mine_high.pk}<") < html.index(f"#{mine_low.pk}<")

    filtered = client.get(reverse("workspaces:collector:index"), {"min_amount": "1000"})
    assert f"#{mine_low.pk}<" not in filtered.content.decode()
    filtered = client.get(reverse("workspaces:collector:index"), {"min_days": "365"})
    assert f"#{mine_high.pk}<" in filtered.content.decode()
    assert f"#{mine_low.pk}<" not in filtered.content.decode()


def test_broken_promise_filter(desk):
    kept, broken = desk.case(), desk.case()
    from cases.services.case import promise_record

    for case in (kept, broken):
        promise_record(
            case,
            actor=desk.staff.collector,
            promised_on=desk.today,
            amount=Decimal("100"),
            channel="phone",
        )
    ContactAttempt.objects.filter(case=broken).update(promise_status="broken")
    html = (
        client_for(desk.staff.collector)
        .get(reverse("workspaces:collector:index"), {"broken_promises": "on"})
        .content.decode()
    )
    assert f"#{broken.pk}<" in html
    assert f"#{kept.pk}<" not in html


def test_collector_opening_another_collectors_case_gets_404(desk):
    from cases.models import Case

    case = desk.case()
    Case.objects.filter(pk=case.pk).update(
        collector=user_in_role(Role.COLLECTOR, username="collector_wang")
    )
    client = client_for(desk.staff.collector)
    for name in ("detail", "contact", "waiver", "plan", "withdrawal", "delivery"):
        assert client.get(case_url(name, case)).status_code == 404, name
    assert client.get(case_url("advance", case, transition="issue_demand")).status_code == 404
    assert client.post(case_url("contact", case), {"channel": "phone"}).status_code == 404
    assert client.get(case_url("detail", case).replace(str(case.pk), "999999")).status_code == 404


def test_case_page_shows_arrears_parties_script_and_chain(desk):
    case = desk.case(owing="1200.00", phone="13812345678")
    client = client_for(desk.staff.collector)
    html = client.get(case_url("detail", case)).content.decode()
    assert "1,200.00" in html  # the arrears table
    assert "13812345678" in html  # unmasked for the assigned collector
    assert 'data-testid="chain-status"' in html and "Verified" in html
    assert "Log contact" in html

    outsider = user_in_role(Role.LEGAL_OFFICER, username="legal_qian")
    other_html = client_for(outsider).get(case_url("detail", case)).content.decode()
    assert "13812345678" not in other_html
    assert "138****5678" in other_html


def test_case_page_names_the_first_broken_evidence_entry(desk):
    from django.db import connection, transaction

    from tests.cases.conftest import evidence_update_triggers_dropped

    case = desk.case()
    entry = EvidenceEntry.objects.filter(case=case).order_by("seq").first()
    client = client_for(desk.staff.collector)
    with transaction.atomic():
        with evidence_update_triggers_dropped(), connection.cursor() as cursor:
            cursor.execute(
                "UPDATE cases_evidenceentry SET summary = 'tampered' WHERE id = %s", [entry.pk]
            )
        html = client.get(case_url("detail", case)).content.decode()
        transaction.set_rollback(True)
    assert f"Broken at entry {entry.seq}" in html


def test_log_contact_with_promise_and_photo(desk):
    case = desk.case()
    client = client_for(desk.staff.collector)
    form = client.get(case_url("contact", case)).content.decode()
    assert 'capture="environment"' in form and 'accept="image/*"' in form
    promise_day = desk.today.isoformat()
    photo = io.BytesIO(JPEG)
    photo.name = "door.jpg"
    response = client.post(
        case_url("contact", case),
        {
            "channel": "phone",
            "outcome": "promised",
            "notes": "业主答应月底前缴清",
            "promised_on": promise_day,
            "promised_amount": "800.00",
            "photo": photo,
        },
    )
    assert response.status_code == 302
    contact = ContactAttempt.objects.get(case=case)
    assert contact.outcome == Outcome.PROMISED
    assert contact.promised_amount == Decimal("800.00")
    assert contact.attachments.count() == 1
    html = client.get(case_url("detail", case)).content.decode()
    assert "Contact logged" in html
    sha = contact.attachments.get().file_id
    download = client.get(case_url("file", case, sha256=sha))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download.content == JPEG


def test_contact_form_errors_name_the_field_and_write_nothing(desk):
    case = desk.case()
    client = client_for(desk.staff.collector)
    entries_before = EvidenceEntry.objects.filter(case=case).count()
    response = client.post(case_url("contact", case), {"channel": "phone", "outcome": "promised"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "A promise needs the date the owner will pay." in html
    assert "A promise needs the amount." in html
    fake = io.BytesIO(b"MZ\x90\x00 not a photo")
    fake.name = "photo.jpg"
    response = client.post(
        case_url("contact", case), {"channel": "phone", "outcome": "reached", "photo": fake}
    )
    assert response.status_code == 200
    assert "ws-error" in response.content.decode() or "ws-errors" in response.content.decode()
    assert not ContactAttempt.objects.filter(case=case).exists()
    assert EvidenceEntry.objects.filter(case=case).count() == entries_before


def test_a_file_of_another_case_is_not_served(desk):
    case, other = desk.case(), desk.case()
    photo = io.BytesIO(JPEG)
    photo.name = "p.jpg"
    client = client_for(desk.staff.collector)
    client.post(
        case_url("contact", other),
        {"channel": "home_visit", "outcome": "no_answer", "photo": photo},
    )
    sha = ContactAttempt.objects.get(case=other).attachments.get().file_id
    assert client.get(case_url("file", case, sha256=sha)).status_code == 404
    assert client.get(case_url("file", other, sha256=sha)).status_code == 200


def test_waiver_and_plan_requests_reach_the_manager_inbox(desk):
    case = desk.case(owing="1200.00", days_overdue=200)
    client = client_for(desk.staff.collector)
    response = client.post(
        case_url("waiver", case),
        {"reason_category": "hardship", "reason": "低保户", "good_faith": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    waiver = ApprovalRequest.objects.get(case=case, kind="waiver")
    inbox = client_for(desk.staff.manager).get(reverse("workspaces:manager:index"))
    assert f"#{case.pk}<" in inbox.content.decode()
    assert reverse("workspaces:manager:decide", kwargs={"request_pk": waiver.pk}) in (
        inbox.content.decode()
    )

    bad = client.post(case_url("plan", case), {"installments": "tomorrow lots", "reason": "x"})
    assert "is not “date amount”" in bad.content.decode()


# --- the legal officer -----------------------------------------------------------------------


def test_board_and_queue_show_counts_and_reasons(desk):
    from cases.models import Case

    eligible, waiting = desk.case(), desk.case()
    Case.objects.filter(pk=eligible.pk).update(
        next_step="issue_demand", next_step_eligible=True, next_step_reason="3 contacts"
    )
    Case.objects.filter(pk=waiting.pk).update(
        next_step="issue_demand",
        next_step_eligible=False,
        next_step_reason="A demand letter needs at least 3 documented contacts",
    )
    client = client_for(desk.staff.legal)
    board = client.get(reverse("workspaces:legal:index")).content.decode()
    assert 'data-stage="reminding">2<' in board
    queue = client.get(reverse("workspaces:legal:queue")).content.decode()
    assert queue.index(f"#{eligible.pk}<") < queue.index(f"#{waiting.pk}<")
    assert "A demand letter needs at least 3 documented contacts" in queue
    only = client.get(reverse("workspaces:legal:queue"), {"eligible": "1"}).content.decode()
    assert f"#{waiting.pk}<" not in only


def test_advance_previews_the_document_then_generates_it(desk, django_capture_on_commit_callbacks):
    case = desk.case(stage=Stage.REMINDING)
    for channel in ("phone", "sms", "home_visit"):
        from cases.services.case import contact_log

        contact_log(case, actor=desk.staff.collector, channel=channel, outcome="no_answer")
    client = client_for(desk.staff.legal)
    url = case_url("advance", case, transition="issue_demand")
    page = client.get(url).content.decode()
    assert "催缴函" in page  # the preview's text
    assert 'data-testid="preview"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"expected_stage": Stage.REMINDING, "note": "三次未果"})
    assert response.status_code == 302
    assert desk.stage(case) == Stage.DEMAND_LETTER
    html = client.get(case_url("detail", case)).content.decode()
    from legal_docs.models import LegalDocument

    document = LegalDocument.objects.get(case=case, kind="demand_letter")
    download = client.get(case_url("document", case, document_pk=document.pk))
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    text = "\n".join(p.text for p in Document(io.BytesIO(download.content)).paragraphs)
    assert "催缴函" in text
    assert document.number in html


def test_advance_refused_by_the_guard_shows_the_reason_and_changes_nothing(desk):
    case = desk.case(stage=Stage.REMINDING)
    client = client_for(desk.staff.legal)
    url = case_url("advance", case, transition="issue_demand")
    page = client.get(url).content.decode()
    assert "Not allowed yet" in page
    response = client.post(url, {"expected_stage": Stage.REMINDING})
    assert response.status_code == 200
    assert "A demand letter needs at least" in response.content.decode()
    assert desk.stage(case) == Stage.REMINDING


def test_a_collector_cannot_open_a_legal_step(desk):
    case = desk.case(stage=Stage.REMINDING)
    client = client_for(desk.staff.collector)
    assert client.get(case_url("advance", case, transition="issue_demand")).status_code == 403
    assert client.get(case_url("advance", case, transition="no_such_step")).status_code == 404


def test_record_delivery_with_proof(desk, django_capture_on_commit_callbacks):
    case = desk.case(stage=Stage.REMINDING)
    from cases.services.case import contact_log

    for channel in ("phone", "sms", "home_visit"):
        contact_log(case, actor=desk.staff.collector, channel=channel, outcome="no_answer")
    with django_capture_on_commit_callbacks(execute=True):
        case_transition(case, "issue_demand", actor=desk.staff.legal)
    from legal_docs.models import LegalDocument

    letter = LegalDocument.objects.get(case=case, kind="demand_letter")
    client = client_for(desk.staff.legal)
    proof = io.BytesIO(JPEG)
    proof.name = "receipt.jpg"
    response = client.post(
        case_url("delivery", case),
        {
            "document": letter.pk,
            "status": "signed",
            "delivered_on": desk.today.isoformat(),
            "method": "registered_mail",
            "proof": proof,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    delivery = Delivery.objects.get(case=case)
    assert delivery.status == "signed" and delivery.proof_id
    assert "Signed for" in client.get(case_url("detail", case)).content.decode()


def test_withdrawal_request_from_the_case_page(desk, django_capture_on_commit_callbacks):
    case = desk.case(stage=Stage.LAWYER_LETTER)
    client = client_for(desk.staff.legal)
    empty = client.post(case_url("withdrawal", case), {"reason": ""})
    assert empty.status_code == 200 and desk.stage(case) == Stage.LAWYER_LETTER
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(case_url("withdrawal", case), {"reason": "业主已和解"})
    assert response.status_code == 302
    assert desk.stage(case) == Stage.WITHDRAWAL_PENDING
    assert ApprovalRequest.objects.filter(case=case, kind="withdrawal").exists()


# --- the manager -----------------------------------------------------------------------------


def test_manager_approves_a_withdrawal_beside_the_evidence(
    desk, django_capture_on_commit_callbacks
):
    case = desk.case(stage=Stage.LAWYER_LETTER)
    desk.pay_in_full(case, capture=django_capture_on_commit_callbacks)
    assert desk.stage(case) == Stage.WITHDRAWAL_PENDING
    request = ApprovalRequest.objects.get(case=case, kind="withdrawal")
    client = client_for(desk.staff.manager)
    url = reverse("workspaces:manager:decide", kwargs={"request_pk": request.pk})
    page = client.get(url).content.decode()
    assert 'data-testid="timeline"' in page and "Withdrawal pending approval" in page
    assert 'data-testid="chain-status"' in page
    rejected_without_reason = client.post(url, {"decision": "reject", "comment": ""})
    assert "Say why the request is rejected." in rejected_without_reason.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"decision": "approve", "comment": "已全额缴清"})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == ApprovalStatus.APPROVED
    assert desk.stage(case) in (Stage.WITHDRAWN, Stage.CLOSED)


def test_a_manager_cannot_approve_their_own_request(desk):
    case = desk.case(stage=Stage.LAWYER_LETTER)
    from workflows.approvals.services import write_off_request

    request = write_off_request(case, actor=desk.staff.manager, reason="无法执行")
    client = client_for(desk.staff.manager)
    url = reverse("workspaces:manager:decide", kwargs={"request_pk": request.pk})
    response = client.post(url, {"decision": "approve", "comment": ""})
    assert response.status_code == 200
    request.refresh_from_db()
    assert request.status == ApprovalStatus.PENDING


def test_dashboard_draws_every_chart(desk):
    desk.case(owing="1000.00", days_overdue=20)
    desk.case(owing="3000.00", days_overdue=400)
    html = client_for(desk.staff.manager).get(reverse("workspaces:manager:dashboard"))
    content = html.content.decode()
    for caption in (
        "Arrears aging",
        "Pipeline by stage",
        "Recovered per month",
        "Recovered per collector",
        "Collection rate per estate",
    ):
        assert caption in content
    assert content.count('class="ws-chart"') == 5
    assert content.count('class="ws-bars"') >= 4  # nothing recovered yet: no collector bars


# --- language --------------------------------------------------------------------------------


@pytest.fixture
def chinese_by_default(settings):
    """The product's default language (the test settings use English). The URL resolver
    caches each language's prefix, so its caches are cleared around the change."""
    from django.urls import clear_url_caches

    settings.LANGUAGE_CODE = "zh-hans"
    clear_url_caches()
    yield
    clear_url_caches()


def test_chinese_by_default_and_english_switchable(staff, chinese_by_default):
    client = client_for(staff.collector)
    chinese = client.get(reverse("workspaces:collector:index"), HTTP_ACCEPT_LANGUAGE="")
    html = chinese.content.decode()
    assert "我的工作清单" in html and "My worklist" not in html
    switched = client.post("/i18n/setlang/", {"language": "en", "next": "/collector/"})
    assert switched["Location"] == "/en/collector/"
    english = client.get(switched["Location"]).content.decode()
    assert "My worklist" in english and "我的工作清单" not in english
    # Links stay in English.
    assert 'href="/en/collector/"' in english


def test_the_login_page_switches_language_and_keeps_it_after_login(staff, chinese_by_default):
    client = Client()
    assert "登录" in client.get("/accounts/login/").content.decode()
    english = client.get("/en/accounts/login/")
    assert "Log in" in english.content.decode()
    response = client.post(
        "/en/accounts/login/", {"username": "collector_li", "password": "pw"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/en/collector/"
    assert "My worklist" in response.content.decode()


# --- the legal intelligence on the pages ------------------------------------------------------


def test_an_expired_charge_is_flagged_on_the_case_the_worklist_and_the_at_risk_page(desk):
    import datetime as dt

    case = desk.case(owing="2400.00", due_date=dt.date(2022, 1, 31))
    fresh = desk.case(owing="300.00", days_overdue=40)
    collector = client_for(desk.staff.collector)
    page = collector.get(case_url("detail", case)).content.decode()
    assert "Time-barred since 2025-01-31" in page
    worklist = collector.get(reverse("workspaces:collector:index")).content.decode()
    row = worklist[worklist.index(f"#{case.pk}<") :]
    assert "Time-barred since 2025-01-31" in row[: row.index("</tr>")]

    legal = client_for(desk.staff.legal)
    manager = client_for(desk.staff.manager)
    before = manager.get(reverse("workspaces:manager:dashboard")).content.decode()
    assert "Not checked yet" in before

    from cases.services.limitation import limitation_snapshot

    assert limitation_snapshot().changed == 2
    assert limitation_snapshot().changed == 0  # the same day again: nothing to write

    report = legal.get(reverse("workspaces:legal:limitation")).content.decode()
    assert "2,400.00" in report and "Time-barred since 2025-01-31" in report
    assert f"#{fresh.pk}<" not in report  # three years to go: not at risk
    html = manager.get(reverse("workspaces:manager:dashboard")).content.decode()
    assert f"as checked on {desk.today:%Y-%m-%d}" in html
    expired_row = html[html.index('data-level="expired"') :]
    expired_row = expired_row[: expired_row.index("</tr>")]
    assert ">1<" in expired_row and "2,400.00" in expired_row


def test_case_page_shows_court_fees_small_claims_and_payment_order_conditions(desk):
    from cases.models import Case

    case = desk.case(stage=Stage.LAWYER_LETTER, owing="12000.00", days_overdue=200)
    client = client_for(desk.staff.legal)
    html = client.get(case_url("detail", case)).content.decode()
    fees = html[html.index('data-testid="court-fees"') :]
    fees = fees[: fees.index("</section>")]
    # The claim includes the late fee; the lawsuit fee is 50 + 2.5% above 10,000, a third
    # of it for a payment order.
    from cases.selectors.legal import court_fee_summary

    summary = court_fee_summary(case)
    assert f"{summary.lawsuit_fee:,.2f}" in fees
    assert f"{summary.payment_order_fee:,.2f}" in fees
    assert summary.payment_order_fee < summary.lawsuit_fee
    assert 'data-testid="small-claims"' in fees
    conditions = html[html.index('data-testid="payment-order"') :]
    assert "The company owes the owner nothing in return." in conditions

    Case.objects.filter(pk=case.pk).update(company_owes_debtor=True)
    refused = client.get(case_url("detail", case)).content.decode()
    block = refused[refused.index('data-testid="payment-order"') :]
    assert 'class="ws-no" data-code="no_counter_obligation"' in block


def test_litigation_package_from_the_case_page(desk, django_capture_on_commit_callbacks):
    import hashlib
    import json
    import zipfile

    case = desk.case(stage=Stage.LAWYER_LETTER, owing="6000.00", days_overdue=200)
    assert client_for(desk.staff.collector).post(case_url("package", case)).status_code == 403
    client = client_for(desk.staff.legal)
    assert 'data-testid="package"' in client.get(case_url("detail", case)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(case_url("package", case))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    manifest = json.loads(archive.read("manifest.json"))
    for item in manifest["files"]:
        assert hashlib.sha256(archive.read(item["path"])).hexdigest() == item["sha256"]
    assert manifest["chain"]["verified"] is True
    assert any(item["path"].endswith(".docx") for item in manifest["files"])


def test_court_steps_through_the_advance_form(desk):
    case = desk.case(stage=Stage.LITIGATION, filed=True)
    client = client_for(desk.staff.legal)
    url = case_url("advance", case, transition="record_summons")
    form = client.get(url).content.decode()
    assert 'name="served_on"' in form and 'name="court_case_number"' in form
    bad = client.post(url, {"expected_stage": Stage.LITIGATION, "served_on": "not a date"})
    assert bad.status_code == 200 and "Enter a valid date." in bad.content.decode()
    response = client.post(
        url,
        {
            "expected_stage": Stage.LITIGATION,
            "served_on": desk.days_ago(3).isoformat(),
            "court_case_number": "(2026)浙0106民初1234号",
        },
    )
    assert response.status_code == 302
    case = desk.fresh(case)
    assert case.summons_served_on == desk.days_ago(3)
    assert case.court_case_number == "(2026)浙0106民初1234号"
    assert "(2026)浙0106民初1234号" in client.get(case_url("detail", case)).content.decode()


def test_filing_previews_either_procedure_and_refuses_an_ineligible_payment_order(
    desk, django_capture_on_commit_callbacks
):
    from cases.models import Case

    case = desk.case(stage=Stage.LAWYER_LETTER, owing="8000.00", days_overdue=300)
    for letter, days_ago in (("demand_letter", 60), ("lawyer_letter", 40)):
        deliver_with_proof(
            case, actor=desk.staff.legal, letter=letter, delivered_on=desk.days_ago(days_ago)
        )
    Case.objects.filter(pk=case.pk).update(company_owes_debtor=True)
    client = client_for(desk.staff.legal)
    url = case_url("advance", case, transition="file_litigation")
    lawsuit = client.get(url, {"kind": "lawsuit"}).content.decode()
    assert "民事起诉状" in lawsuit.replace(" ", "")
    application = client.get(url, {"kind": "payment_order"}).content.decode()
    assert "支付令申请书" in application.replace(" ", "")

    form = {
        "expected_stage": Stage.LAWYER_LETTER,
        "court": "杭州市西湖区人民法院",
        "filed_on": desk.today.isoformat(),
    }
    refused = client.post(url, {**form, "kind": "payment_order"})
    assert refused.status_code == 200
    assert "对待给付" in refused.content.decode()
    assert desk.stage(case) == Stage.LAWYER_LETTER

    with django_capture_on_commit_callbacks(execute=True):
        filed = client.post(url, {**form, "kind": "lawsuit"})
    assert filed.status_code == 302
    case = desk.fresh(case)
    assert case.stage == Stage.LITIGATION and case.litigation_kind == "lawsuit"
    from legal_docs.models import LegalDocument

    assert LegalDocument.objects.filter(case=case, kind="civil_complaint").exists()


def test_waiving_the_whole_late_fee_fits_what_the_ledger_can_waive(
    desk, django_capture_on_commit_callbacks
):
    """Three charges of 1,004.00 one day late accrue 1.004 each: the unit owes 3.012 (3.01
    rounded), but each charge can be settled only to the fen (1.00 each, 3.00). Asking to
    waive "the whole late fee" asks for what the ledger can waive, and the approval goes through."""
    from cases.models import Adjustment, UnitParty
    from cases.selectors.ledger import arrears_for_unit, late_fee_payable
    from cases.services.case import case_open
    from tests.factories import UnitFactory, charge_for

    unit = UnitFactory(estate=desk.estate)
    UnitParty.objects.create(unit=unit, party=desk.case().unit.parties.first(), role="owner")
    for item in ("management_fee", "water", "electricity"):
        charge_for(unit, "1004.00", due_date=desk.days_ago(1), item=item)
    case = case_open(unit, actor=desk.staff.system, collector=desk.staff.collector)
    assert money_of(arrears_for_unit(unit, as_of=desk.today).late_fee) == Decimal("3.01")
    assert late_fee_payable(unit, as_of=desk.today) == Decimal("3.00")

    client = client_for(desk.staff.collector)
    client.post(
        case_url("waiver", case),
        {"reason_category": "hardship", "reason": "低保户", "good_faith": "on"},
    )
    waiver = ApprovalRequest.objects.get(case=case, kind="waiver")
    assert waiver.amount == Decimal("3.00")
    url = reverse("workspaces:manager:decide", kwargs={"request_pk": waiver.pk})
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(desk.staff.manager).post(url, {"decision": "approve"})
    assert response.status_code == 302
    waiver.refresh_from_db()
    assert waiver.status == ApprovalStatus.APPROVED
    assert Adjustment.objects.get(unit=unit).amount == Decimal("3.00")


def test_a_decision_the_flow_refuses_shows_the_reason_and_stays_pending(desk, monkeypatch):
    from django.core.exceptions import ValidationError

    from workflows.approvals.services import applying

    case = desk.case(owing="1200.00", days_overdue=100)
    client_for(desk.staff.collector).post(
        case_url("waiver", case),
        {"reason_category": "hardship", "reason": "低保户", "good_faith": "on"},
    )
    waiver = ApprovalRequest.objects.get(case=case, kind="waiver")

    def refuse(request):
        raise ValidationError({"amount": "the late fee owed is now smaller"})

    monkeypatch.setattr(applying, "adjustment_record", lambda *a, **k: refuse(None))
    url = reverse("workspaces:manager:decide", kwargs={"request_pk": waiver.pk})
    response = client_for(desk.staff.manager).post(url, {"decision": "approve"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "the late fee owed is now smaller" in html
    assert 'data-testid="decide"' in html  # the form is still there
    assert "Waiting for a manager" in html  # and the status is the stored one
    waiver.refresh_from_db()
    assert waiver.status == ApprovalStatus.PENDING


def test_an_untouched_contact_form_writes_nothing(desk):
    case = desk.case()
    client = client_for(desk.staff.collector)
    form = client.get(case_url("contact", case)).content.decode()
    assert "selected" not in form[form.index('name="channel"') : form.index("</select>")]
    response = client.post(case_url("contact", case), {})
    assert response.status_code == 200
    assert not ContactAttempt.objects.filter(case=case).exists()
    text = response.content.decode()
    assert text.count("This field is required.") >= 2


def test_bad_uploads_and_amounts_are_named_under_their_field(desk):
    case = desk.case()
    client = client_for(desk.staff.collector)
    fake = io.BytesIO(b"just some text, not a photo")
    fake.name = "x.jpg"
    response = client.post(
        case_url("contact", case),
        {
            "channel": "phone",
            "outcome": "promised",
            "promised_on": desk.today.isoformat(),
            "promised_amount": "-100",
            "photo": fake,
        },
    )
    html = response.content.decode()
    photo = html[html.index('data-field="photo"') :]
    assert "not an allowed file type" in photo[: photo.index("</div>")]
    amount = html[html.index('data-field="promised_amount"') :]
    amount = amount[: amount.index("</div>")]
    assert "greater than or equal to 0.01" in amount
    assert "A promise needs the amount." not in amount
    assert not ContactAttempt.objects.filter(case=case).exists()
    waiver = client.post(case_url("waiver", case), {"amount": "-50", "reason": "x"})
    assert "greater than or equal to 0.01" in waiver.content.decode()


def test_date_fields_keep_their_value_in_chinese(staff, desk, chinese_by_default):
    case = desk.case(stage=Stage.LITIGATION, filed=True)
    html = (
        client_for(desk.staff.legal)
        .get(case_url("advance", case, transition="record_summons"))
        .content.decode()
    )
    assert f'value="{desk.today:%Y-%m-%d}"' in html


def money_of(value):
    from cases.selectors.ledger import money

    return money(value)


def test_a_manager_cannot_bypass_an_approval_from_the_case_page(desk):
    case = desk.case(stage=Stage.LAWYER_LETTER)
    client = client_for(desk.staff.manager)
    html = client.get(case_url("detail", case)).content.decode()
    assert 'data-action="write_off"' not in html
    assert 'data-action="hold"' in html  # other manager steps are there
    assert client.get(case_url("advance", case, transition="write_off")).status_code == 403
    response = client.post(
        case_url("advance", case, transition="write_off"), {"expected_stage": "lawyer_letter"}
    )
    assert response.status_code == 403
    assert desk.stage(case) == Stage.LAWYER_LETTER


def test_a_fact_the_record_lacks_is_a_visible_gap_in_the_preview(desk):
    case = desk.case(stage=Stage.DEMAND_LETTER, owing="6000.00", days_overdue=200)
    client = client_for(desk.staff.legal)
    page = client.get(case_url("advance", case, transition="issue_lawyer_letter"))
    html = page.content.decode()
    assert "Not allowed yet" in html  # no demand has been proven served
    assert "已于〔未记录〕" in html.replace(" ", "")  # and the letter does not pretend it was
