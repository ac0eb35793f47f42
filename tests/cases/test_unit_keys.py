"""One unit, one key: the documented ways of writing a building and a room give one key per
estate, and the database refuses a second record of the same unit."""

import datetime as dt
import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from cases.imports import ledger_import
from cases.models import Charge, Unit
from cases.roles import Role
from cases.unit_keys import unit_key
from tests.factories import EstateFactory, user_in_role

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


# --- the ledger import matches on the key ------------------------------------------------------

HEADERS = ["房号", "费用项目", "所属期间", "应收金额", "应缴日期", "面积"]
TODAY = dt.date(2026, 6, 30)


def _csv(*rows) -> bytes:
    lines = [",".join(HEADERS), *(",".join(row) for row in rows)]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def two_buildings(db):
    estate = EstateFactory()
    units = {
        label: _unit(estate, *label.split("-"))
        for label in ("3栋-1201", "5栋-1201", "3栋-1202", "别墅A区-3号")
    }
    return estate, units


def _import(estate, content, **kwargs):
    finance = user_in_role(Role.FINANCE, username="finance_keys")
    return ledger_import(content, estate=estate, actor=finance, today=TODAY, **kwargs)


def test_the_import_puts_every_variant_on_the_stored_unit_and_creates_none(two_buildings):
    estate, _units = two_buildings
    report = _import(
        estate,
        _csv(
            ("3幢1201", "物业费", "2026-01", "100.00", "2026-01-15", "89.36"),
            ("3号楼-1201室", "物业费", "2026-02", "100.00", "2026-02-15", "89.36"),
            ("３栋１２０２", "物业费", "2026-01", "120.00", "2026-01-15", "96.18"),
            ("5座1201号", "物业费", "2026-01", "130.00", "2026-01-15", ""),
        ),
    )

    assert report.errors == [] and report.units_created == 0
    assert Unit.objects.filter(estate=estate).count() == 4
    charges = sorted(
        (c.unit.label, f"{c.period_start:%Y-%m}", str(c.amount))
        for c in Charge.objects.filter(unit__estate=estate)
    )
    assert charges == [
        ("3栋-1201", "2026-01", "100.00"),
        ("3栋-1201", "2026-02", "100.00"),
        ("3栋-1202", "2026-01", "120.00"),
        ("5栋-1201", "2026-01", "130.00"),
    ]


def test_a_room_without_its_building_matches_its_only_unit(two_buildings):
    estate, units = two_buildings
    report = _import(estate, _csv(("1202", "物业费", "2026-01", "120.00", "2026-01-15", "")))

    assert report.errors == [] and report.units_created == 0
    assert Charge.objects.get(unit__estate=estate).unit == units["3栋-1202"]


def test_an_ambiguous_room_is_a_row_error_naming_the_candidates_and_nothing_is_written(
    two_buildings,
):
    estate, _units = two_buildings
    report = _import(
        estate,
        _csv(
            ("3栋1202", "物业费", "2026-01", "120.00", "2026-01-15", ""),
            ("1201", "物业费", "2026-01", "100.00", "2026-01-15", "89.36"),
        ),
    )

    [error] = report.errors
    assert (error.row, error.column, error.value) == (3, "房号", "1201")
    assert "3栋-1201" in error.message and "5栋-1201" in error.message
    assert "3栋-1202" not in error.message
    assert Charge.objects.filter(unit__estate=estate).count() == 0
    assert Unit.objects.filter(estate=estate).count() == 4


def test_a_room_without_its_building_beside_the_same_unit_in_full_is_a_duplicate_row(
    two_buildings,
):
    estate, _units = two_buildings
    report = _import(
        estate,
        _csv(
            ("3栋1202", "物业费", "2026-01", "120.00", "2026-01-15", ""),
            ("1202", "物业费", "2026-01", "120.00", "2026-01-15", ""),
        ),
    )

    [error] = report.errors
    assert error.row == 3 and "row 2" in error.message
    assert Charge.objects.filter(unit__estate=estate).count() == 0


def test_a_room_no_unit_has_without_its_building_asks_for_the_building(two_buildings):
    estate, _units = two_buildings
    report = _import(estate, _csv(("0808", "物业费", "2026-01", "120.00", "2026-01-15", "90")))

    [error] = report.errors
    assert "has no building" in error.message
    assert Unit.objects.filter(estate=estate).count() == 4


def test_the_admin_refuses_a_second_record_of_a_unit_naming_the_first(
    client, django_user_model, two_buildings
):
    estate, _units = two_buildings
    admin_user = django_user_model.objects.create_superuser("root_keys", "r@example.com", "x")
    client.force_login(admin_user)

    response = client.post(
        "/admin/cases/unit/add/",
        {"estate": estate.pk, "building": "3号楼", "number": "1201室", "area": "89.36",
         "segment": "occupied"},
    )  # fmt: skip

    assert response.status_code == 200  # the form again, with the error
    assert "This is unit 3栋-1201 of the estate, written differently" in response.content.decode()
    assert Unit.objects.filter(estate=estate).count() == 4
