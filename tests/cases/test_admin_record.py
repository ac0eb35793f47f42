"""The admin carries the record behind the claims: contracts with their scan (and their fee
standards inline), management rules, fee standards refused when they overlap, a unit's
ownership, a party's identity refused with a bad checksum."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from cases.identity import resident_id_check_char
from cases.models import (
    Charge,
    ChargeItem,
    Estate,
    FeeStandard,
    ManagementRules,
    Party,
    ServiceContract,
    Unit,
)
from cases.services.contract import fee_standard_record, service_contract_record
from cases.services.ledger import charge_issue
from cases.storage import blob_read

pytestmark = pytest.mark.django_db

ID_BODY = "33010619850615031"
MAN_ID = ID_BODY + resident_id_check_char(ID_BODY)


def url(model, view, *args):
    with translation.override("en"):
        return reverse(f"admin:cases_{model._meta.model_name}_{view}", args=args)


@pytest.fixture(autouse=True)
def _keep_active_language():
    with translation.override(translation.get_language()):
        yield


@pytest.fixture
def client_admin(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "r@example.com", "pw"))
    return client


@pytest.fixture
def estate():
    return Estate.objects.create(name="翠湖花园", code="cuihu", city="杭州市")


@pytest.fixture
def contract(estate):
    return service_contract_record(
        estate,
        kind=ServiceContract.Kind.PRELIMINARY,
        number="CH-001",
        party_a_name="杭州翠湖置业有限公司",
        signed_on=dt.date(2020, 3, 1),
        valid_from=dt.date(2020, 6, 1),
        fee_clause="第五条第二款",
    )


@pytest.mark.parametrize("model", [ServiceContract, ManagementRules, FeeStandard])
def test_add_pages_open(client_admin, model):
    assert client_admin.get(url(model, "add")).status_code == 200


def test_a_contract_is_added_with_its_scan_and_shows_on_the_estate(
    client_admin, estate, evidence_store, png
):
    response = client_admin.post(
        url(ServiceContract, "add"),
        {
            "estate": estate.pk,
            "kind": ServiceContract.Kind.PRELIMINARY,
            "number": "CH-WY-001",
            "party_a_kind": ServiceContract.PartyAKind.DEVELOPER,
            "party_a_name": "杭州翠湖置业有限公司",
            "signed_on": "2020-03-01",
            "valid_from": "2020-06-01",
            "fee_clause": "第五条第二款",
            "payment_clause": "第六条",
            "late_fee_clause": "第十二条",
            "scan_upload": SimpleUploadedFile("合同.png", png, content_type="image/png"),
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    contract = ServiceContract.objects.get()
    assert blob_read(contract.scan_id) == png and contract.scan_name == "合同.png"
    # its fee standards are added inline on its page
    page = client_admin.get(url(ServiceContract, "change", contract.pk))
    data = {k: v for k, v in page.context["adminform"].form.initial.items() if v is not None} | {
        "estate": estate.pk,
        "signed_on": "2020-03-01",
        "valid_from": "2020-06-01",
        "fee_standards-TOTAL_FORMS": "1",
        "fee_standards-INITIAL_FORMS": "0",
        "fee_standards-0-item": ChargeItem.MANAGEMENT_FEE,
        "fee_standards-0-segment": Unit.Segment.OCCUPIED,
        "fee_standards-0-unit_price": "2.8000",
        "fee_standards-0-valid_from": "2020-06-01",
    }
    data.pop("scan", None)
    response = client_admin.post(url(ServiceContract, "change", contract.pk), data)
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    standard = FeeStandard.objects.get()
    assert (standard.estate, standard.contract, standard.unit_price) == (
        estate,
        contract,
        Decimal("2.8000"),
    )
    page = client_admin.get(url(Estate, "change", estate.pk)).content.decode()
    assert "CH-WY-001" in page


def test_a_text_file_as_scan_is_refused_on_the_form(client_admin, estate, evidence_store):
    response = client_admin.post(
        url(ManagementRules, "add"),
        {
            "estate": estate.pk,
            "title": "管理规约",
            "adopted_on": "2020-05-01",
            "scan_upload": SimpleUploadedFile(
                "rules.txt", b"plain text", content_type="text/plain"
            ),
        },
    )
    assert response.status_code == 200
    assert "scan_upload" in response.context["adminform"].form.errors
    assert not ManagementRules.objects.exists()


def test_an_overlapping_fee_standard_is_refused_on_the_form(client_admin, estate, contract):
    fee_standard_record(
        estate,
        contract=contract,
        item=ChargeItem.MANAGEMENT_FEE,
        segment=Unit.Segment.OCCUPIED,
        unit_price=Decimal("2.8000"),
        valid_from=dt.date(2020, 6, 1),
    )
    response = client_admin.post(
        url(FeeStandard, "add"),
        {
            "estate": estate.pk,
            "contract": contract.pk,
            "item": ChargeItem.MANAGEMENT_FEE,
            "segment": Unit.Segment.OCCUPIED,
            "unit_price": "3.0000",
            "valid_from": "2024-01-01",
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "2.8000元/㎡/月" in errors["valid_from"][0]
    assert FeeStandard.objects.count() == 1


def test_a_units_ownership_is_saved_from_its_page(client_admin, estate, evidence_store, png):
    response = client_admin.post(
        url(Unit, "add"),
        {
            "estate": estate.pk,
            "building": "3栋",
            "number": "1201",
            "area": "89.36",
            "segment": Unit.Segment.OCCUPIED,
            "title_certificate_no": "浙(2021)杭州市不动产权第0123456号",
            "handed_over_on": "2021-06-30",
            "scan_upload": SimpleUploadedFile("产权证.png", png, content_type="image/png"),
            "unit_parties-TOTAL_FORMS": "0",
            "unit_parties-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    unit = Unit.objects.get()
    assert unit.title_certificate_no == "浙(2021)杭州市不动产权第0123456号"
    assert blob_read(unit.ownership_scan_id) == png


def _party_form(**overrides):
    return {
        "name": "张伟",
        "kind": Party.Kind.PERSON,
        "id_type": Party.IdType.RESIDENT_ID,
        "id_number": MAN_ID,
        "sex": Party.Sex.MALE,
        "born_on": "1985-06-15",
        "ethnicity": "汉族",
        "domicile": "浙江省杭州市西湖区文一西路1号",
        "habitual_residence": "浙江省杭州市余杭区翠湖路88号3栋1201室",
        "address": "浙江省杭州市余杭区翠湖路88号3栋1201室",
        "lives_in_china": "on",
        "unit_links-TOTAL_FORMS": "0",
        "unit_links-INITIAL_FORMS": "0",
        **overrides,
    }


def test_a_party_with_a_bad_id_checksum_is_refused_and_a_good_one_saved(client_admin):
    bad = MAN_ID[:-1] + ("1" if MAN_ID[-1] != "1" else "2")
    response = client_admin.post(url(Party, "add"), _party_form(id_number=bad))
    assert response.status_code == 200
    assert "GB 11643" in response.context["adminform"].form.errors["id_number"][0]
    assert not Party.objects.exists()
    response = client_admin.post(url(Party, "add"), _party_form())
    assert response.status_code == 302
    party = Party.objects.get()
    assert (party.sex, party.born_on, party.ethnicity) == ("male", dt.date(1985, 6, 15), "汉族")


def test_a_charge_page_shows_its_basis(client_admin, estate, contract):
    fee_standard_record(
        estate,
        contract=contract,
        item=ChargeItem.MANAGEMENT_FEE,
        unit_price=Decimal("2.8000"),
        valid_from=dt.date(2020, 6, 1),
    )
    unit = Unit.objects.create(estate=estate, building="3栋", number="1201", area=Decimal("89.36"))
    charge = charge_issue(
        unit,
        item=ChargeItem.MANAGEMENT_FEE,
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 1, 31),
        amount=Decimal("250.21"),
        due_date=dt.date(2026, 1, 15),
        issued_on=dt.date(2026, 1, 1),
    )
    page = client_admin.get(url(Charge, "change", charge.pk)).content.decode()
    assert "89.36㎡ × 2.8000元/㎡/月 × 1个月 = 250.21元" in page


def test_the_charge_add_form_holds_the_amount_to_the_standard_unless_ticked(
    client_admin, estate, contract
):
    fee_standard_record(
        estate,
        contract=contract,
        item=ChargeItem.MANAGEMENT_FEE,
        unit_price=Decimal("2.8000"),
        valid_from=dt.date(2020, 6, 1),
    )
    unit = Unit.objects.create(estate=estate, building="3栋", number="1201", area=Decimal("89.36"))
    form = {
        "unit": unit.pk,
        "item": ChargeItem.MANAGEMENT_FEE,
        "period_start": "2026-01-01",
        "period_end": "2026-01-31",
        "amount": "120.00",
        "due_date": "2026-01-15",
        "issued_on": "2026-01-01",
    }
    response = client_admin.post(url(Charge, "add"), form)
    assert response.status_code == 200
    assert "= 250.21元" in response.context["adminform"].form.errors["amount"][0]
    assert not Charge.objects.exists()
    response = client_admin.post(url(Charge, "add"), form | {"without_standard": "on"})
    assert response.status_code == 302
    assert Charge.objects.get().basis is None


def test_two_overlapping_contracts_submitted_together_are_refused(client_admin, estate):
    def row(i, number, start):
        return {
            f"contracts-{i}-kind": ServiceContract.Kind.REGULAR,
            f"contracts-{i}-number": number,
            f"contracts-{i}-party_a_kind": ServiceContract.PartyAKind.OWNERS_COMMITTEE,
            f"contracts-{i}-party_a_name": "翠湖花园业主委员会",
            f"contracts-{i}-signed_on": start,
            f"contracts-{i}-valid_from": start,
        }

    page = client_admin.get(url(Estate, "change", estate.pk))
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data |= {
        "contracts-TOTAL_FORMS": "2",
        "contracts-INITIAL_FORMS": "0",
        "management_rules-TOTAL_FORMS": "0",
        "management_rules-INITIAL_FORMS": "0",
        **row(0, "A-1", "2023-06-01"),
        **row(1, "A-2", "2024-06-01"),
    }
    response = client_admin.post(url(Estate, "change", estate.pk), data)
    assert response.status_code == 200
    assert "overlapping validity" in str(
        response.context["inline_admin_formsets"][0].formset.non_form_errors()
    )
    assert not ServiceContract.objects.exists()
