"""Install the periodic task that makes unopposed payment orders effective.

``install_schedules`` creates whatever of ``workflows.beat.SCHEDULES`` is missing (here the
new "payment orders effective" task) and leaves the existing rows, and an operator's edits,
alone. The reverse removes only that task."""

from django.db import migrations

NAME = "fee-recovery: payment orders effective"


def install(apps, schema_editor):
    from workflows.beat import install_schedules

    install_schedules(apps)


def uninstall(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0002_approval_permissions_and_schedules"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
