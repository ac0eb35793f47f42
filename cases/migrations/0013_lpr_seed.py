"""Seed the one-year LPR history (全国银行间同业拆借中心公布的贷款市场报价利率) since the
reform of 2019-08-20. Later publications are added in the admin (Legal reference data)."""

import datetime as dt
from decimal import Decimal

from django.db import migrations

SOURCE = "全国银行间同业拆借中心公布的贷款市场报价利率（LPR）"
ONE_YEAR = [
    ("2019-08-20", "4.25"),
    ("2019-09-20", "4.20"),
    ("2019-11-20", "4.15"),
    ("2020-02-20", "4.05"),
    ("2020-04-20", "3.85"),
    ("2021-12-20", "3.80"),
    ("2022-01-20", "3.70"),
    ("2022-08-22", "3.65"),
    ("2023-06-20", "3.55"),
    ("2023-08-21", "3.45"),
    ("2024-07-22", "3.35"),
    ("2024-10-21", "3.10"),
    ("2025-05-20", "3.00"),
]


def seed(apps, schema_editor):
    LprRate = apps.get_model("cases", "LprRate")
    for day, rate in ONE_YEAR:
        LprRate.objects.update_or_create(
            effective_on=dt.date.fromisoformat(day),
            defaults={"one_year_rate": Decimal(rate), "source": SOURCE},
        )


def unseed(apps, schema_editor):
    LprRate = apps.get_model("cases", "LprRate")
    LprRate.objects.filter(
        effective_on__in=[dt.date.fromisoformat(d) for d, _ in ONE_YEAR], source=SOURCE
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0012_late_fee_claim_policy")]

    operations = [migrations.RunPython(seed, unseed)]
