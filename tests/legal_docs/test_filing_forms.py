"""送达地址确认书 and 授权委托书: generated with the filing, complete, refused when a fact is
missing, packed with the complaint, and laid out so the signature keeps its paragraph."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile

import pytest

from cases.models import EvidenceEntry, LitigationKind, Stage
from cases.storage import blob_read
from legal_docs.contexts import SPECIAL_POWERS, MissingFact
from legal_docs.kinds import DocumentKind as K
from legal_docs.models import LegalDocument
from legal_docs.notices import convert_to_pdf
from legal_docs.package import litigation_package_build
from legal_docs.rendering import docx_text
from legal_docs.services import legal_doc_generate
from tests.legal_docs.conftest import COURT, ESTATE_FIELDS, OWNER_NAME

FORMS = (K.SERVICE_ADDRESS_CONFIRMATION, K.POWER_OF_ATTORNEY)
ZERO_PADDED = re.compile(r"年0\d月|月0\d日")


def text_of(document: LegalDocument) -> str:
    return docx_text(blob_read(document.sha256))


def plain_date(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def test_filing_a_lawsuit_generates_both_forms_from_the_filing(litigation_story):
    story = litigation_story
    filing = story.transition_entry(Stage.LITIGATION)
    for kind in FORMS:
        document = story.document(kind)
        assert document.trigger_id == filing.pk
        # each is on the evidence chain with its file
        assert EvidenceEntry.objects.filter(
            case=story.case, kind="document", body__contains=document.sha256
        ).exists()


def test_the_service_address_confirmation_states_the_company_and_its_service(litigation_story):
    story = litigation_story
    text = text_of(story.document(K.SERVICE_ADDRESS_CONFIRMATION))
    f = ESTATE_FIELDS
    assert "送达地址确认书" in text
    assert f"{f['company_name']}（原告）" in text
    assert f"统一社会信用代码\t{f['company_credit_code']}" in text
    assert f"法定代表人\t{f['company_legal_representative']}" in text
    assert f"送达地址\t{f['company_address']}" in text
    assert f"收件人\t{f['company_legal_representative']}" in text
    assert f"联系电话\t{f['office_phone']}" in text
    assert f"邮政编码\t{f['company_postal_code']}" in text
    assert f"是否接受电子送达\t是。电子邮箱：{f['service_email']}" in text
    assert f"原告{f['company_name']}诉被告{OWNER_NAME}物业服务合同纠纷" in text
    # the form's standard statements
    assert "视为送达" in text and "及时书面告知" in text and "文书退回之日视为送达之日" in text
    assert f"受送达人：{f['company_name']}（盖章）" in text
    assert plain_date(story.days_ago(50)) in text
    assert not ZERO_PADDED.search(text), text


def test_the_power_of_attorney_names_principal_agent_case_and_scope(litigation_story):
    story = litigation_story
    text = text_of(story.document(K.POWER_OF_ATTORNEY))
    f = ESTATE_FIELDS
    assert f"委托人：{f['company_name']}" in text
    assert f"统一社会信用代码：{f['company_credit_code']}" in text
    assert f"法定代表人：{f['company_legal_representative']}　　职务：执行董事" in text
    assert f"受托人：{f['lawyer_name']}" in text
    assert f"工作单位：{f['law_firm_name']}" in text
    assert f"律师执业证号：{f['lawyer_license_no']}" in text
    assert f"联系电话：{f['lawyer_phone']}" in text
    assert f"在{COURT}审理的原告{f['company_name']}诉被告{OWNER_NAME}物业服务合同纠纷一案" in text
    # the estate's default: general authority, the special powers withheld
    assert "代理权限：一般授权" in text
    assert "无权代为承认、放弃、变更诉讼请求" in text
    assert "委托期限：自本委托书签署之日起至本案一审程序终结之日止" in text
    assert plain_date(story.days_ago(50)) in text
    assert not ZERO_PADDED.search(text), text


def test_special_authority_lists_the_special_powers(litigation_story):
    story = litigation_story
    story.estate.attorney_special_authority = True
    story.estate.save()
    document = legal_doc_generate(
        K.POWER_OF_ATTORNEY, unit=story.unit, case=story.fresh(), as_of=story.today
    )
    text = text_of(document)
    assert "代理权限：特别授权" in text
    assert SPECIAL_POWERS in text
    assert "无权" not in text


def test_a_payment_order_names_the_application(story):
    story.walk_to_litigation(LitigationKind.PAYMENT_ORDER)
    f = ESTATE_FIELDS
    for kind in FORMS:
        text = text_of(story.document(kind))
        assert f"申请人{f['company_name']}申请向被申请人{OWNER_NAME}发出支付令" in text
    assert "本案督促程序终结之日止" in text_of(story.document(K.POWER_OF_ATTORNEY))


def test_service_at_the_law_firm_when_the_lawyer_receives_it(litigation_story):
    story = litigation_story
    story.estate.service_via_lawyer = True
    story.estate.save()
    text = text_of(
        legal_doc_generate(
            K.SERVICE_ADDRESS_CONFIRMATION, unit=story.unit, case=story.fresh(), as_of=story.today
        )
    )
    f = ESTATE_FIELDS
    assert f"送达地址\t{f['law_firm_address']}（委托诉讼代理人{f['lawyer_name']}" in text
    assert f"收件人\t{f['lawyer_name']}" in text
    assert f"手机号码（短信）：{f['lawyer_phone']}" in text


def test_no_electronic_service_says_no(litigation_story):
    story = litigation_story
    story.estate.accepts_electronic_service = False
    story.estate.save()
    text = text_of(
        legal_doc_generate(
            K.SERVICE_ADDRESS_CONFIRMATION, unit=story.unit, case=story.fresh(), as_of=story.today
        )
    )
    assert "是否接受电子送达\t否" in text
    assert ESTATE_FIELDS["service_email"] not in text


@pytest.mark.parametrize(
    ("kind", "field", "words"),
    [
        (K.POWER_OF_ATTORNEY, "lawyer_name", "the lawyer"),
        (K.POWER_OF_ATTORNEY, "lawyer_license_no", "licence number"),
        (K.SERVICE_ADDRESS_CONFIRMATION, "company_address", "the company's address"),
        (K.SERVICE_ADDRESS_CONFIRMATION, "company_credit_code", "credit code"),
    ],
)
def test_a_missing_fact_is_refused_naming_it_and_nothing_is_stored(
    litigation_story, kind, field, words
):
    story = litigation_story
    setattr(story.estate, field, "")
    story.estate.save()
    documents = LegalDocument.objects.count()
    entries = EvidenceEntry.objects.filter(case=story.case).count()
    with pytest.raises(MissingFact) as refused:
        legal_doc_generate(kind, unit=story.unit, case=story.fresh(), as_of=story.today)
    assert field in refused.value.message_dict
    assert words in refused.value.message_dict[field][0]
    assert LegalDocument.objects.count() == documents
    assert EvidenceEntry.objects.filter(case=story.case).count() == entries


def test_the_package_holds_both_forms_and_is_byte_identical_twice(litigation_story):
    story = litigation_story
    first = litigation_package_build(story.fresh(), actor=story.legal, as_of=story.today)
    second = litigation_package_build(story.fresh(), actor=story.legal, as_of=story.today)
    assert first.zip_bytes == second.zip_bytes
    names = zipfile.ZipFile(io.BytesIO(first.zip_bytes)).namelist()
    assert "04-service_address_confirmation.docx" in names
    assert "05-power_of_attorney.docx" in names
    roles = {f["path"]: f["role"] for f in first.manifest["files"]}
    assert roles["05-power_of_attorney.docx"] == "filing_form"
    # not packed a second time among the evidence files
    poa = story.document(K.POWER_OF_ATTORNEY).sha256
    assert [f["path"] for f in first.manifest["files"] if f["recorded_sha256"] == poa] == [
        "05-power_of_attorney.docx"
    ]


TOOLS = shutil.which("soffice") or shutil.which("libreoffice")


def pdf_pages(pdf) -> list[str]:
    out = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True, text=True
    ).stdout
    return out.split("\f")


def page_of(pages: list[str], needle: str) -> int:
    squeezed = [re.sub(r"\s+", "", p) for p in pages]
    found = [i for i, p in enumerate(squeezed) if needle in p]
    assert found, f"{needle!r} not in the PDF"
    return found[-1]


@pytest.mark.skipif(
    not (TOOLS and shutil.which("pdftotext")), reason="LibreOffice or pdftotext not installed"
)
@pytest.mark.parametrize(
    ("kind", "last_paragraph", "signature"),
    [
        (K.SERVICE_ADDRESS_CONFIRMATION, "按上述地址或方式送达诉讼文书的", "受送达人："),
        (K.POWER_OF_ATTORNEY, "委托期限：", "受托人："),
    ],
)
def test_the_signature_block_is_on_the_page_of_the_last_paragraph(
    litigation_story, tmp_path, kind, last_paragraph, signature
):
    document = litigation_story.document(kind)
    path = tmp_path / f"{kind}.docx"
    path.write_bytes(blob_read(document.sha256))
    pages = pdf_pages(convert_to_pdf(path, timeout=180))
    pages = [p for p in pages if p.strip()]
    assert page_of(pages, last_paragraph) == page_of(pages, signature.replace(" ", ""))
    assert page_of(pages, "（盖章）") == page_of(pages, last_paragraph)
