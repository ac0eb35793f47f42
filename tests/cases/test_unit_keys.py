"""One unit, one key: the documented ways of writing a building and a room give one key per
estate, and the database refuses a second record of the same unit."""

import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from cases.models import Unit
from cases.unit_keys import unit_key
from tests.factories import EstateFactory

backfill = importlib.import_module("cases.migrations.0012_unit_key").backfill


@pytest.mark.parametrize(
    ("building", "number"),
    [
        ("3栋", "1201"),
        ("3幢", "1201"),
        ("3号楼", "1201室"),
        ("3座", "1201号"),
        ("3", "1201"),
        ("3#", "1201"),
        ("３栋", "１２０１"),
        (" 3 栋", "1201 室"),
    ],
)
def test_every_documented_variant_is_one_key(building, number):
    assert unit_key(building, number) == "3|1201"


def test_different_units_keep_different_keys():
    assert len({unit_key("3栋", "1201"), unit_key("3栋", "1202"), unit_key("13栋", "1201")}) == 3
    assert unit_key("别墅A区", "5号") == unit_key("别墅Ａ区", "5") == "别墅a区|5"


def _unit(estate, building, number):
    return Unit.objects.create(estate=estate, building=building, number=number, area=Decimal(90))


@pytest.mark.django_db
def test_a_unit_written_differently_is_refused_by_name_and_by_the_database():
    estate = EstateFactory()
    _unit(estate, "3栋", "1201")
    twin = Unit(estate=estate, building="3幢", number="1201室", area=Decimal(90))

    with pytest.raises(ValidationError) as refused:
        twin.full_clean()
    assert "3栋-1201" in str(refused.value.message_dict["number"])
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        Unit.objects.bulk_create([Unit(estate=estate, building="3", number="1201", area=1)])
    assert Unit.objects.get(estate=estate).key == "3|1201"
    # Another estate may have its own 3栋-1201.
    _unit(EstateFactory(), "3幢", "1201")


@pytest.mark.django_db
def test_the_backfill_names_two_existing_units_that_are_one_unit():
    estate = EstateFactory()
    first = _unit(estate, "3栋", "1201")
    second = _unit(estate, "3栋", "1202")
    # As before the key existed: the same unit recorded twice, written differently.
    Unit.objects.filter(pk=second.pk).update(building="3幢", number="1201室", key="old")

    with pytest.raises(RuntimeError) as stopped:
        backfill(apps, None)

    message = str(stopped.value)
    assert f"unit {first.pk} “3栋-1201”" in message
    assert f"unit {second.pk} “3幢-1201室”" in message


@pytest.mark.django_db
def test_the_backfill_fills_the_keys():
    estate = EstateFactory()
    unit = _unit(estate, "5号楼", "0801室")
    Unit.objects.filter(pk=unit.pk).update(key="")

    backfill(apps, None)

    unit.refresh_from_db()
    assert unit.key == "5|0801"
