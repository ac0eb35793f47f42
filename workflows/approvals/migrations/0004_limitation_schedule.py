"""Install the nightly limitation check (``workflows.limitation_snapshot``).

``install_schedules`` creates whatever of ``workflows.beat.SCHEDULES`` is missing and leaves
the existing rows, and an operator's edits, alone. The reverse removes only that task."""

from django.db import migrations

NAME = "fee-recovery: limitation check"


def install(apps, schema_editor):
    from workflows.beat import install_schedules

    install_schedules(apps)


def uninstall(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("approvals", "0003_payment_order_schedule")]

    operations = [migrations.RunPython(install, uninstall)]
