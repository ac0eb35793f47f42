"""One definition of every guard trigger (cases.db_triggers): allocations can no longer be
deleted, and issued charges, payments and adjustments can no longer be edited, by any
writer."""

from django.db import migrations


def install(apps, schema_editor):
    from cases.db_triggers import install as install_triggers

    install_triggers(schema_editor)


def uninstall(apps, schema_editor):
    from cases.db_triggers import uninstall as uninstall_triggers

    uninstall_triggers(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("cases", "0006_estate_company_address_estate_company_credit_code_and_more")]

    operations = [migrations.RunPython(install, uninstall)]
