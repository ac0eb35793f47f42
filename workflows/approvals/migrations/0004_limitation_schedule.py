"""Install the nightly limitation check (``workflows.limitation_snapshot``) and the purge of
old API idempotency keys (``workflows.idempotency_keys_purge``).

``install_schedules`` creates whatever of ``workflows.beat.SCHEDULES`` is missing and leaves
the existing rows, and an operator's edits, alone. The reverse removes only those tasks."""

from django.db import migrations

NAMES = ["fee-recovery: limitation check", "fee-recovery: forget old idempotency keys"]


def install(apps, schema_editor):
    from workflows.beat import install_schedules

    install_schedules(apps)


def uninstall(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=NAMES).delete()


class Migration(migrations.Migration):
    dependencies = [("approvals", "0003_payment_order_schedule")]

    operations = [migrations.RunPython(install, uninstall)]
