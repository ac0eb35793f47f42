"""Seed the small-claims ceilings (小额诉讼标的额上限) of a few provinces.

The ceiling is 50% of the province's previous-year average annual wage of employed persons
(Civil Procedure Law art. 165). The figures below are the 2023 average wages (全口径城镇单位
就业人员平均工资, as used for the 2024 social-insurance bases) and their halves, for filings
in 2024. They are reference data, not law: the legal department must check them against the
provincial high court's announcement and add each new year's row in the admin.

Only missing rows are created; an operator's edits are left alone.
"""

from decimal import Decimal

from django.db import migrations

SOURCE = "2023年全口径城镇单位就业人员平均工资（2024年社保缴费基数公布口径）×50%；每年须核对更新"
# province: 2023 average annual wage (CNY)
WAGES_2023 = {
    "北京": Decimal("141132"),
    "上海": Decimal("149208"),
    "广东": Decimal("105684"),
    "浙江": Decimal("99720"),
    "江苏": Decimal("96168"),
}


def seed(apps, schema_editor):
    Threshold = apps.get_model("cases", "SmallClaimsThreshold")
    for province, wage in WAGES_2023.items():
        Threshold.objects.get_or_create(
            province=province,
            year=2024,
            defaults={
                "amount": (wage / 2).quantize(Decimal("0.01")),
                "average_wage": wage,
                "source": SOURCE,
            },
        )


def unseed(apps, schema_editor):
    Threshold = apps.get_model("cases", "SmallClaimsThreshold")
    Threshold.objects.filter(province__in=WAGES_2023, year=2024, source=SOURCE).delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0009_legal_intelligence")]

    operations = [migrations.RunPython(seed, unseed)]
