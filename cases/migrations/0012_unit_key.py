"""Unit.key: building and number normalized (3栋/3幢/3号楼 + 1201/1201室 → "3|1201"), unique
per estate. Existing units are backfilled; two units of one estate with the same key stop the
migration with a message naming them (merging them is a decision for a person, not for code).

The normalization is copied here as it was when this migration was written (a migration must
not import live app code); cases.unit_keys is the living definition.
"""

import re
import unicodedata

from django.db import migrations, models

_BUILDING_SUFFIX = re.compile(r"(?:栋|幢|号楼|座|#)+$")
_ROOM_SUFFIX = re.compile(r"(?:室|号|房)+$")
_ROOM_PREFIX = re.compile(r"^[-#–—]+")
_BLANKS = re.compile(r"\s+")


def _clean(value):
    return _BLANKS.sub("", unicodedata.normalize("NFKC", value or "")).lower()


def _key(building, number):
    b, n = _clean(building), _ROOM_PREFIX.sub("", _clean(number))
    return f"{_BUILDING_SUFFIX.sub('', b) or b}|{_ROOM_SUFFIX.sub('', n) or n}"


def backfill(apps, schema_editor):
    Unit = apps.get_model("cases", "Unit")
    seen = {}
    clashes = []
    units = list(Unit.objects.order_by("pk").values_list("pk", "estate_id", "building", "number"))
    for pk, estate_id, building, number in units:
        key = _key(building, number)
        other = seen.setdefault((estate_id, key), (pk, building, number))
        if other[0] != pk:
            clashes.append(
                f"estate {estate_id}: unit {other[0]} “{other[1]}-{other[2]}” and unit {pk} "
                f"“{building}-{number}” are both {key}"
            )
    if clashes:
        raise RuntimeError(
            "Units that are the same unit written differently; merge or renumber them, then "
            "migrate again:\n" + "\n".join(clashes)
        )
    Unit.objects.bulk_update(
        [Unit(pk=pk, key=key) for (_estate_id, key), (pk, _b, _n) in seen.items()],
        ["key"],
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [("cases", "0011_case_limitation_snapshot")]

    operations = [
        migrations.AddField(
            model_name="unit",
            name="key",
            field=models.CharField(
                default="", editable=False, max_length=45, verbose_name="unit key"
            ),
            preserve_default=False,
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="unit",
            constraint=models.UniqueConstraint(
                fields=("estate", "key"), name="unit_key_unique_per_estate"
            ),
        ),
    ]
