"""Who a party is, as a court needs it: resident ID numbers checked by their GB 11643 check
digit and against the date of birth and sex, credit codes by their GB 32100 check
character, each error naming its field and nothing written; ID numbers masked like phones."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from cases.identity import (
    credit_code_check_char,
    credit_code_problem,
    mask_id_number,
    resident_id_check_char,
    resident_id_problem,
)
from cases.models import Party
from cases.permissions import may_see_personal_data

pytestmark = pytest.mark.django_db

# 11010519491231002X: the standard's own example (a woman born 1949-12-31).
GOOD_ID = "11010519491231002X"
# A man born 1985-06-15 in Hangzhou's Xihu district: built with the check digit in code.
MAN_BODY = "33010619850615031"
MAN_ID = MAN_BODY + resident_id_check_char(MAN_BODY)
CREDIT_BODY = "91330110MA2H7XQ12"
GOOD_CODE = CREDIT_BODY + credit_code_check_char(CREDIT_BODY)


def _wrong_last(number: str) -> str:
    return number[:-1] + ("1" if number[-1] != "1" else "2")


def test_the_standards_example_passes_and_a_wrong_check_digit_names_the_expected_one():
    assert resident_id_problem(GOOD_ID) == ""
    assert resident_id_problem(GOOD_ID.lower()) == ""  # a lower-case x is the same number
    problem = resident_id_problem("110105194912310021")
    assert "X expected, 1 found" in problem
    assert "18 characters" in resident_id_problem("11010519491231002")
    assert "date of birth" in resident_id_problem("110105194913310029")


def test_credit_code_check_character():
    assert credit_code_problem(GOOD_CODE) == ""
    assert "expected" in credit_code_problem(_wrong_last(GOOD_CODE))
    assert "I, O, S, V and Z" in credit_code_problem("91330110MA2H7XQ1IO")


def test_a_person_with_a_bad_checksum_is_refused_on_id_number_and_nothing_is_written():
    party = Party(name="张伟", id_number=_wrong_last(MAN_ID))
    with pytest.raises(ValidationError) as caught:
        party.full_clean()
    assert set(caught.value.message_dict) == {"id_number"}
    assert "GB 11643" in caught.value.message_dict["id_number"][0]
    assert not Party.objects.exists()


def test_the_id_number_must_agree_with_date_of_birth_and_sex():
    party = Party(
        name="张伟",
        id_number=MAN_ID,
        born_on=dt.date(1985, 6, 16),
        sex=Party.Sex.FEMALE,
        ethnicity="汉族",
    )
    with pytest.raises(ValidationError) as caught:
        party.full_clean()
    errors = caught.value.message_dict
    assert set(errors) == {"born_on", "sex"}
    assert "1985-06-15" in errors["born_on"][0]
    assert "odd" in errors["sex"][0]
    party.born_on, party.sex = dt.date(1985, 6, 15), Party.Sex.MALE
    party.full_clean()
    party.save()
    assert Party.objects.get().id_number == MAN_ID


def test_a_woman_is_even_and_passports_are_not_checksummed():
    woman = Party(
        name="李芳", id_number=GOOD_ID, sex=Party.Sex.FEMALE, born_on=dt.date(1949, 12, 31)
    )
    woman.full_clean()
    visitor = Party(name="John Smith", id_type=Party.IdType.PASSPORT, id_number="E12345678")
    visitor.full_clean()


def test_a_company_needs_a_valid_credit_code_on_id_number():
    company = Party(
        name="杭州某某贸易有限公司",
        kind=Party.Kind.COMPANY,
        id_number=_wrong_last(GOOD_CODE),
        legal_representative="王强",
        legal_representative_title="执行董事",
    )
    with pytest.raises(ValidationError) as caught:
        company.full_clean()
    assert set(caught.value.message_dict) == {"id_number"}
    assert "GB 32100" in caught.value.message_dict["id_number"][0]
    company.id_number = GOOD_CODE
    company.full_clean()
    person = Party(name="张伟", id_type=Party.IdType.CREDIT_CODE, id_number=GOOD_CODE)
    with pytest.raises(ValidationError) as caught:
        person.full_clean()
    assert set(caught.value.message_dict) == {"id_type"}


def test_id_numbers_are_masked_by_the_phone_rule(kit):
    assert mask_id_number(MAN_ID) == MAN_ID[:4] + "*" * 10 + MAN_ID[-4:]
    unit = kit.unit()
    case = kit.case(unit=unit)
    people = kit.people
    assert may_see_personal_data(people.collector, case=case)
    assert may_see_personal_data(people.legal_officer, case=case)
    assert not may_see_personal_data(people.other_collector, case=case)
