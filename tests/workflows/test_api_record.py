"""The API carries the record behind the claims: a party's identity with its ID number masked
for a collector not on the case (the phones' rule), a unit's ownership, an estate's contract
with its fee standards, and each charge's basis."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cases.identity import resident_id_check_char
from cases.models import ChargeItem, Party, ServiceContract, Unit
from cases.roles import Role
from cases.services.case import case_open, system_user
from cases.services.contract import fee_standard_record, service_contract_record
from cases.services.ledger import charge_issue
from tests.factories import EstateFactory, UnitFactory, UnitPartyFactory, user_in_role

pytestmark = pytest.mark.django_db

ID_BODY = "33010619850615031"
MAN_ID = ID_BODY + resident_id_check_char(ID_BODY)


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    cache.clear()
    yield
    cache.clear()


def api(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def world():
    estate = EstateFactory()
    contract = service_contract_record(
        estate,
        kind=ServiceContract.Kind.PRELIMINARY,
        number="CH-001",
        party_a_name="杭州翠湖置业有限公司",
        signed_on=dt.date(2020, 3, 1),
        valid_from=dt.date(2020, 6, 1),
        fee_clause="第五条第二款",
        late_fee_clause="第十二条",
    )
    fee_standard_record(
        estate,
        contract=contract,
        item=ChargeItem.MANAGEMENT_FEE,
        unit_price=Decimal("2.8000"),
        valid_from=dt.date(2020, 6, 1),
    )
    unit = UnitFactory(
        estate=estate,
        area=Decimal("89.36"),
        title_certificate_no="浙(2021)杭州市不动产权第0123456号",
        handed_over_on=dt.date(2021, 6, 30),
    )
    owner = Party.objects.create(
        name="张伟",
        id_number=MAN_ID,
        sex=Party.Sex.MALE,
        born_on=dt.date(1985, 6, 15),
        ethnicity="汉族",
        domicile="浙江省杭州市西湖区文一西路1号",
        phone="13912345678",
    )
    UnitPartyFactory(unit=unit, party=owner)
    charge = charge_issue(
        unit,
        item=ChargeItem.MANAGEMENT_FEE,
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 1, 31),
        amount=Decimal("250.21"),
        due_date=dt.date(2026, 1, 15),
        issued_on=dt.date(2026, 1, 1),
    )
    collector = user_in_role(Role.COLLECTOR, username="collector_li")
    case = case_open(unit, actor=system_user(), on=dt.date(2026, 3, 1), collector=collector)
    return {
        "estate": estate,
        "unit": unit,
        "owner": owner,
        "charge": charge,
        "case": case,
        "collector": collector,
        "other": user_in_role(Role.COLLECTOR, username="collector_wang"),
    }


def _party(user, unit: Unit) -> dict:
    response = api(user).get(f"/api/parties/?unit={unit.pk}")
    assert response.status_code == 200
    [found] = response.json()["results"]
    return found


def test_the_id_number_and_identity_are_masked_for_a_collector_not_on_the_case(world):
    mine = _party(world["collector"], world["unit"])
    assert mine["id_number"] == MAN_ID
    assert (mine["sex"], mine["born_on"], mine["ethnicity"]) == ("male", "1985-06-15", "汉族")
    theirs = _party(world["other"], world["unit"])
    assert theirs["id_number"] == MAN_ID[:4] + "*" * 10 + MAN_ID[-4:]
    assert (theirs["sex"], theirs["born_on"], theirs["ethnicity"], theirs["domicile"]) == (
        "",
        None,
        "",
        "",
    )
    assert theirs["phone"] == "139****5678"


def test_the_case_page_masks_the_id_number_by_the_same_rule(world):
    case = world["case"]
    mine = api(world["collector"]).get(f"/api/cases/{case.pk}/").json()["parties"][0]
    assert mine["id_number"] == MAN_ID


def test_the_estate_carries_its_contract_and_fee_standards(world):
    estate = api(world["collector"]).get(f"/api/estates/{world['estate'].pk}/").json()
    [contract] = estate["contracts"]
    assert (contract["number"], contract["fee_clause"], contract["late_fee_clause"]) == (
        "CH-001",
        "第五条第二款",
        "第十二条",
    )
    [standard] = contract["fee_standards"]
    assert (standard["price"], standard["cited_clause"]) == ("2.8000元/㎡/月", "第五条第二款")


def test_a_unit_shows_its_ownership_and_a_charge_its_basis(world):
    unit = api(world["collector"]).get(f"/api/units/{world['unit'].pk}/").json()
    assert unit["title_certificate_no"] == "浙(2021)杭州市不动产权第0123456号"
    charge = api(world["collector"]).get(f"/api/charges/{world['charge'].pk}/").json()
    assert charge["basis_text"] == "89.36㎡ × 2.8000元/㎡/月 × 1个月 = 250.21元"
    assert charge["billed_months"] == 1
