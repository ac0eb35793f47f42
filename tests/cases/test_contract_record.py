"""The contract behind every claim: the service contract with its clauses and scan, the
management rules, fee standards that never overlap, each charge's basis printed as
area × price × months, and a unit's ownership record."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from cases.models import Charge, ChargeItem, FeeStandard, ServiceContract, StoredFile, Unit
from cases.services.contract import (
    fee_standard_record,
    management_rules_record,
    service_contract_record,
    unit_ownership_record,
)
from cases.services.ledger import charge_issue
from cases.storage import blob_read
from tests.factories import EstateFactory, UnitFactory

pytestmark = pytest.mark.django_db

JAN = dt.date(2026, 1, 1)


def _contract(estate, **kwargs) -> ServiceContract:
    return service_contract_record(
        estate,
        **{
            "kind": ServiceContract.Kind.PRELIMINARY,
            "number": "CH-WY-2020-001",
            "party_a_name": "杭州翠湖置业有限公司",
            "signed_on": dt.date(2020, 3, 1),
            "valid_from": dt.date(2020, 6, 1),
            "fee_clause": "第五条第二款",
            "payment_clause": "第六条",
            "late_fee_clause": "第十二条第一款",
            **kwargs,
        },
    )


def _standard(estate, contract, **kwargs) -> FeeStandard:
    return fee_standard_record(
        estate,
        **{
            "contract": contract,
            "item": ChargeItem.MANAGEMENT_FEE,
            "segment": Unit.Segment.OCCUPIED,
            "unit_price": Decimal("2.8000"),
            "valid_from": dt.date(2020, 6, 1),
            **kwargs,
        },
    )


def test_a_contract_is_recorded_with_its_clauses_and_scan(evidence_store, png):
    estate = EstateFactory()
    contract = _contract(estate, scan=png, scan_name="前期物业服务合同.png")
    contract.refresh_from_db()
    assert contract.fee_clause == "第五条第二款"
    assert contract.scan.content_type == "image/png"
    assert blob_read(contract.scan.sha256) == png
    assert contract.scan_name == "前期物业服务合同.png"
    # the same scan again is stored once
    rules = management_rules_record(estate, adopted_on=dt.date(2020, 5, 20), scan=png)
    assert rules.scan_id == contract.scan_id
    assert StoredFile.objects.filter(sha256=contract.scan_id).count() == 1


def test_a_scan_that_is_not_a_pdf_or_image_is_refused_and_nothing_is_written(evidence_store):
    estate = EstateFactory()
    with pytest.raises(ValidationError, match="not an allowed file type"):
        _contract(estate, scan=b"just some text", scan_name="contract.txt")
    assert not ServiceContract.objects.exists()


def test_overlapping_contracts_are_refused_naming_the_other():
    estate = EstateFactory()
    first = _contract(estate, valid_to=dt.date(2023, 5, 31))
    with pytest.raises(ValidationError) as caught:
        _contract(
            estate,
            kind=ServiceContract.Kind.REGULAR,
            number="CH-WY-2023-007",
            party_a_kind=ServiceContract.PartyAKind.OWNERS_COMMITTEE,
            party_a_name="翠湖花园业主委员会",
            signed_on=dt.date(2023, 5, 1),
            valid_from=dt.date(2023, 5, 1),
        )
    assert "CH-WY-2020-001" in caught.value.message_dict["valid_from"][0]
    assert list(ServiceContract.objects.all()) == [first]
    _contract(
        estate,
        kind=ServiceContract.Kind.REGULAR,
        number="CH-WY-2023-007",
        signed_on=dt.date(2023, 5, 1),
        valid_from=dt.date(2023, 6, 1),
    )
    assert ServiceContract.objects.count() == 2


def test_overlapping_fee_standards_are_refused_naming_the_standard_and_nothing_is_written():
    estate = EstateFactory()
    contract = _contract(estate)
    _standard(estate, contract, valid_to=dt.date(2025, 12, 31))
    with pytest.raises(ValidationError) as caught:
        _standard(estate, contract, unit_price=Decimal("3.0000"), valid_from=dt.date(2025, 7, 1))
    message = caught.value.message_dict["valid_from"][0]
    assert "2.8000元/㎡/月" in message and "2020-06-01 – 2025-12-31" in message
    assert FeeStandard.objects.count() == 1
    # the day after: accepted; another segment or item may overlap
    _standard(estate, contract, unit_price=Decimal("3.0000"), valid_from=JAN)
    _standard(estate, contract, segment=Unit.Segment.SHOP, unit_price=Decimal("6.0000"))
    _standard(estate, contract, segment="", item=ChargeItem.PARKING, unit_price=None,
              monthly_amount=Decimal("150.00"))  # fmt: skip
    assert FeeStandard.objects.count() == 4


def test_a_fee_standard_is_a_price_or_a_fixed_amount_not_both():
    estate = EstateFactory()
    contract = _contract(estate)
    with pytest.raises(ValidationError) as caught:
        _standard(estate, contract, monthly_amount=Decimal("100.00"))
    assert "unit_price" in caught.value.message_dict
    assert not FeeStandard.objects.exists()


def _issue(unit, amount, **kwargs) -> Charge:
    return charge_issue(
        unit,
        item=ChargeItem.MANAGEMENT_FEE,
        period_start=JAN,
        period_end=dt.date(2026, 1, 31),
        amount=Decimal(amount),
        due_date=dt.date(2026, 1, 15),
        issued_on=JAN,
        **kwargs,
    )


def test_a_charge_knows_its_basis_and_prints_area_times_price_times_months():
    estate = EstateFactory()
    contract = _contract(estate)
    standard = _standard(estate, contract)
    unit = UnitFactory(estate=estate, area=Decimal("89.36"))
    charge = _issue(unit, "250.21")  # 89.36 × 2.80 = 250.208
    charge = Charge.objects.get(pk=charge.pk)
    assert (charge.fee_standard, charge.billed_area, charge.billed_months) == (
        standard,
        Decimal("89.36"),
        1,
    )
    assert charge.basis_text == "89.36㎡ × 2.8000元/㎡/月 × 1个月 = 250.21元"
    assert charge.fee_standard.cited_clause == "第五条第二款"
    # a quarter billed at once
    quarter = charge_issue(
        unit,
        item=ChargeItem.MANAGEMENT_FEE,
        period_start=dt.date(2026, 2, 1),
        period_end=dt.date(2026, 4, 30),
        amount=Decimal("750.62"),
        due_date=dt.date(2026, 2, 15),
        issued_on=dt.date(2026, 2, 1),
    )
    assert quarter.basis_text == "89.36㎡ × 2.8000元/㎡/月 × 3个月 = 750.62元"


def test_an_amount_that_disagrees_with_the_standard_is_refused_naming_the_expected_figure():
    estate = EstateFactory()
    _standard(estate, _contract(estate))
    unit = UnitFactory(estate=estate, area=Decimal("89.36"))
    with pytest.raises(ValidationError) as caught:
        _issue(unit, "250.23")  # two fen off
    assert "89.36㎡ × 2.8000元/㎡/月 × 1个月 = 250.21元" in caught.value.message_dict["amount"][0]
    assert not Charge.objects.exists()
    _issue(unit, "250.20")  # one fen off: rounding, accepted


def test_a_deliberately_different_amount_is_issued_without_a_standard_and_says_so():
    estate = EstateFactory()
    _standard(estate, _contract(estate))
    unit = UnitFactory(estate=estate, area=Decimal("89.36"))
    charge = _issue(unit, "120.00", fee_standard=None)  # a pro-rated move-in month
    assert charge.basis is None
    assert "no fee standard recorded" in charge.basis_text


def test_a_charge_of_an_estate_without_standards_has_no_basis_and_a_fixed_standard_prints():
    estate = EstateFactory()
    unit = UnitFactory(estate=estate)
    assert _issue(unit, "99.99").basis is None
    standard = _standard(
        estate,
        _contract(estate),
        item=ChargeItem.PARKING,
        segment="",
        unit_price=None,
        monthly_amount=Decimal("150.00"),
    )
    parking = charge_issue(
        unit,
        item=ChargeItem.PARKING,
        period_start=JAN,
        period_end=dt.date(2026, 3, 31),
        amount=Decimal("450.00"),
        due_date=dt.date(2026, 1, 15),
        issued_on=JAN,
    )
    assert parking.fee_standard == standard
    assert parking.basis_text == "150.00元/月 × 3个月 = 450.00元"


def test_the_basis_of_an_issued_charge_cannot_be_changed_even_in_sql():
    from django.db import DatabaseError, transaction

    estate = EstateFactory()
    _standard(estate, _contract(estate))
    unit = UnitFactory(estate=estate, area=Decimal("89.36"))
    charge = _issue(unit, "250.21")
    with pytest.raises(DatabaseError), transaction.atomic():
        Charge.objects.filter(pk=charge.pk).update(billed_area=Decimal("100.00"))


def test_the_ownership_record_of_a_unit(evidence_store, png):
    unit = UnitFactory()
    unit_ownership_record(
        unit,
        title_certificate_no="浙(2021)杭州市不动产权第0123456号",
        handed_over_on=dt.date(2021, 6, 30),
        scan=png,
        scan_name="产权证.png",
    )
    unit.refresh_from_db()
    assert unit.ownership_text == "不动产权证号：浙(2021)杭州市不动产权第0123456号"
    assert unit.handed_over_on == dt.date(2021, 6, 30)
    assert blob_read(unit.ownership_scan.sha256) == png
