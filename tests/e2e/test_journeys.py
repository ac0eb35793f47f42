"""The role workspaces in a real browser (Chromium headless, Playwright for Python): one
journey per role, each ending with a full-page screenshot, plus the 404 a collector gets
for another collector's case. Set-up and checks in the database go through the services
and models in the test body; everything a person does goes through the browser.

Run: ``pytest tests/e2e`` (SQLite) or with ``DATABASE_URL=postgres://…`` (PostgreSQL);
screenshots in ``$E2E_ARTIFACTS`` or ``<basetemp>/e2e-artifacts``.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from tests.e2e.conftest import browser_missing

if browser_missing():
    pytest.skip(browser_missing(), allow_module_level=True)

from docx import Document
from playwright.sync_api import expect

from cases.models import (
    Case,
    Channel,
    ContactAttempt,
    DeliveryStatus,
    Letter,
    Outcome,
    Stage,
    UnitParty,
)
from cases.roles import Role
from cases.storage import blob_read
from legal_docs.models import LegalDocument
from tests.factories import deliver_with_proof, user_in_role
from workflows.approvals.models import ApprovalRequest, ApprovalStatus

# live_server makes every test transactional; serialized_rollback puts back what the
# migrations seeded, so the tests after these ones find it again.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# A valid 1×1 baseline JPEG (Pillow is not installed here); the upload check sniffs bytes.
JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b"
    "0b0c1912130f141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e3334"
    "32ffc0000b080001000101011100ffc4001f0000010501010101010100000000000000000102030405060708"
    "090a0bffc400b5100002010303020403050504040000017d01020300041105122131410613516107227114"
    "328191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435363738393a4344454647"
    "48494a535455565758595a636465666768696a737475767778797a838485868788898a9293949596979899"
    "9aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6"
    "e7e8e9eaf1f2f3f4f5f6f7f8f9faffda0008010100003f00fbd3ffd9"
)


def owner_name(case: Case) -> str:
    return UnitParty.objects.select_related("party").get(unit=case.unit).party.name


def case_link(page, case: Case):
    return page.locator(f'a[href="/case/{case.pk}/"]')


# --- 1. the collector, on a phone ------------------------------------------------------------


def test_collector_logs_a_promise_with_a_photo_from_a_phone(desk, phone_page, login, screenshot):
    page = phone_page
    case = desk.case(owing="1200.00")
    promise_day = desk.days_ago(-7)

    login(page, "collector_li")
    assert page.url.endswith("/collector/")
    worklist = page.get_by_test_id("case-list")
    expect(worklist).to_contain_text(f"#{case.pk}")
    worklist.locator(f'a[href="/case/{case.pk}/"]').click()
    page.wait_for_url(re.compile(rf"/case/{case.pk}/$"))
    expect(page.get_by_test_id("case-summary")).to_contain_text(f"Case #{case.pk}")

    page.get_by_role("link", name="Log contact").click()
    page.wait_for_url(re.compile(rf"/case/{case.pk}/contact/$"))
    photo_input = page.locator("input[type=file][name=photo]")
    expect(photo_input).to_have_attribute("accept", "image/*")
    expect(photo_input).to_have_attribute("capture", "environment")
    page.select_option("select[name=channel]", Channel.PHONE.value)
    page.select_option("select[name=outcome]", Outcome.PROMISED.value)
    page.fill("input[name=promised_on]", promise_day.isoformat())
    page.fill("input[name=promised_amount]", "800.00")
    page.fill("textarea[name=notes]", "业主答应下周缴清 800 元")
    photo_input.set_input_files(
        files=[{"name": "door.jpg", "mimeType": "image/jpeg", "buffer": JPEG}]
    )
    page.get_by_role("button", name="Save contact").click()

    page.wait_for_url(re.compile(rf"/case/{case.pk}/$"))
    expect(page.locator(".ws-message--success")).to_have_text(f"Contact logged on case #{case.pk}.")
    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_contain_text(f"{Channel.PHONE.label}: {Outcome.PROMISED.label}")
    expect(timeline.locator("a.ws-file")).to_have_count(1)  # the photo, downloadable
    screenshot(page)

    contact = ContactAttempt.objects.get(case=case)
    assert contact.outcome == Outcome.PROMISED
    assert contact.channel == Channel.PHONE
    assert contact.promised_on == promise_day
    assert contact.promised_amount == Decimal("800.00")
    assert contact.notes == "业主答应下周缴清 800 元"
    assert contact.actor_id == desk.staff.collector.pk
    attachment = contact.attachments.get()
    assert attachment.kind == "photo"
    assert attachment.original_name == "door.jpg"
    assert blob_read(attachment.file_id) == JPEG


# --- 2. the legal officer --------------------------------------------------------------------


def test_legal_officer_issues_the_lawyer_letter_and_downloads_it(desk, page, login, screenshot):
    from workflows.tasks_clock import deadlines_expire

    case = desk.case(stage=Stage.DEMAND_LETTER, owing="6000.00", days_overdue=120)
    # The demand letter was signed for 40 days ago: its deadline has long passed.
    deliver_with_proof(
        case,
        actor=desk.staff.legal,
        letter=Letter.DEMAND_LETTER,
        status=DeliveryStatus.SIGNED,
        delivered_on=desk.days_ago(40),
    )
    deadlines_expire.apply().get()  # the sweep puts the case in the next-step queue
    name = owner_name(case)

    login(page, "legal_zhao")
    assert page.url.endswith("/legal/")
    page.get_by_role("link", name="Next-step queue").first.click()
    page.wait_for_url(re.compile(r"/legal/queue/$"))
    case_link(page, case).first.click()
    page.wait_for_url(re.compile(rf"/case/{case.pk}/$"))
    expect(page.get_by_test_id("stage")).to_have_text(str(Stage.DEMAND_LETTER.label))

    page.get_by_role("link", name="Issue the lawyer letter").click()
    page.wait_for_url(re.compile(rf"/case/{case.pk}/advance/issue_lawyer_letter/$"))
    expect(page.get_by_test_id("guard")).to_contain_text("Allowed")
    preview = page.get_by_test_id("preview")
    expect(preview).to_contain_text("律师函")
    expect(preview).to_contain_text(name)
    page.get_by_test_id("confirm-advance").click()

    page.wait_for_url(re.compile(rf"/case/{case.pk}/$"))
    expect(page.get_by_test_id("stage")).to_have_text(str(Stage.LAWYER_LETTER.label))
    assert Case.objects.get(pk=case.pk).stage == Stage.LAWYER_LETTER
    document = LegalDocument.objects.get(case=case, kind="lawyer_letter")
    link = page.get_by_test_id("document-download").filter(has_text=document.number)
    expect(link).to_have_count(1)
    screenshot(page)

    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".docx"), download.suggested_filename
    docx = Document(download.path())
    text = "\n".join(
        [p.text for p in docx.paragraphs]
        + [cell.text for table in docx.tables for row in table.rows for cell in row.cells]
    )
    assert "律师函" in re.sub(r"\s", "", text)  # the title is letter-spaced: 律 师 函
    assert name in text
    assert "6,000.00" in text


# --- 3. the manager --------------------------------------------------------------------------


def test_manager_approves_the_withdrawal_after_payment(desk, page, login, url, screenshot):
    case = desk.case(stage=Stage.LAWYER_LETTER, owing="1500.00")
    desk.pay_in_full(case)  # on commit: the case asks for its withdrawal
    assert desk.stage(case) == Stage.WITHDRAWAL_PENDING
    request = ApprovalRequest.objects.get(case=case, kind="withdrawal")

    login(page, "manager_chen")
    assert page.url.endswith("/manager/")
    row = page.get_by_test_id("inbox").locator("tbody tr").filter(has=case_link(page, case))
    expect(row).to_have_count(1)
    row.get_by_role("link", name="Review").click()
    page.wait_for_url(re.compile(rf"/manager/requests/{request.pk}/$"))

    summary, timeline = page.get_by_test_id("case-summary"), page.get_by_test_id("timeline")
    expect(summary).to_contain_text(f"Case #{case.pk}")
    expect(page.get_by_test_id("stage")).to_have_text(str(Stage.WITHDRAWAL_PENDING.label))
    expect(page.get_by_test_id("chain-status")).to_contain_text("Verified")
    # The payment moved the case: its stage change, by the cashier, is the latest entry.
    expect(timeline.locator("li").first).to_contain_text(
        f"{Stage.LAWYER_LETTER.label} → {Stage.WITHDRAWAL_PENDING.label}"
    )
    # The evidence sits beside the decision, not under it.
    form_box = page.get_by_test_id("decide").bounding_box()
    timeline_box = timeline.bounding_box()
    assert timeline_box["x"] > form_box["x"] + form_box["width"], (form_box, timeline_box)

    page.check("input[name=decision][value=approve]")
    page.fill("textarea[name=comment], input[name=comment]", "已全额缴清，同意撤回")
    screenshot(page)
    page.get_by_test_id("decide").click()

    page.wait_for_url(re.compile(r"/manager/$"))
    expect(page.locator(".ws-message--success")).to_contain_text(f"Request #{request.pk} decided")
    expect(case_link(page, case)).to_have_count(0)  # gone from the inbox

    request.refresh_from_db()
    assert request.status == ApprovalStatus.APPROVED
    assert request.approved_by_id == desk.staff.manager.pk
    assert request.comment == "已全额缴清，同意撤回"
    final = desk.stage(case)
    assert final in (Stage.WITHDRAWN, Stage.CLOSED)

    page.goto(url(f"/case/{case.pk}/"))
    expect(page.get_by_test_id("stage")).to_have_text(str(Stage(final).label))
    expect(page.get_by_test_id("approvals")).to_contain_text("Approved")
    screenshot(page, "-case")


# --- another collector's case ----------------------------------------------------------------


def test_collector_typing_another_collectors_case_url_gets_404(desk, page, login, url, screenshot):
    theirs = desk.case(phone="13912345678")
    Case.objects.filter(pk=theirs.pk).update(
        collector=user_in_role(Role.COLLECTOR, username="collector_wang")
    )
    mine = desk.case()

    login(page, "collector_li")
    expect(case_link(page, mine)).to_have_count(1)
    expect(case_link(page, theirs)).to_have_count(0)

    for path in (f"/case/{theirs.pk}/", f"/case/{theirs.pk}/contact/"):
        response = page.goto(url(path))
        assert response.status == 404, path
        expect(page.locator("body")).to_contain_text("Page not found")
        assert "13912345678" not in page.content()
        assert owner_name(theirs) not in page.content()
    screenshot(page)
