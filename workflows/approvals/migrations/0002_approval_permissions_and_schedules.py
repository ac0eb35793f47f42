"""Who may decide approvals, and the periodic tasks of the clocks.

- ``approvals.can_approve`` (decide withdrawals, waivers, plans, write-offs) and the viewflow
  ``manage`` permission go to the manager group; every working role may view the approval
  processes (its own requests in viewflow's lists).
- The periodic tasks of ``workflows.beat.SCHEDULES`` are installed in django-celery-beat.

Both steps create what is missing and leave what exists alone, so running them again (or on
a database an operator has edited in the admin) changes nothing.
"""

from django.db import migrations

GROUP_PERMISSIONS = {
    "manager": [
        "can_approve",
        "view_approvalprocess",
        "manage_approvalprocess",
        "view_approvalrequest",
        "view_reminder",
        "view_systemalert",
        "change_systemalert",
    ],
    "legal_officer": ["view_approvalprocess", "view_approvalrequest", "view_reminder"],
    "collector": ["view_approvalprocess", "view_approvalrequest", "view_reminder"],
}


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after migrate; this data migration needs them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codenames in GROUP_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=group_name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="approvals", codename__in=codenames)
        )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name__in=GROUP_PERMISSIONS):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="approvals")
        )


def install(apps, schema_editor):
    from workflows.beat import install_schedules

    install_schedules(apps)


def uninstall(apps, schema_editor):
    from workflows.beat import uninstall_schedules

    uninstall_schedules(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0001_initial"),
        ("cases", "0005_evidence_triggers_scripts_roles"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(grant, revoke),
        migrations.RunPython(install, uninstall),
    ]
