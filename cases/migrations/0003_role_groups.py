from django.db import migrations


def create_groups(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    from cases.roles import ROLE_MODEL_PERMISSIONS

    # Permissions are normally created after migrate; this data migration needs them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in ROLE_MODEL_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=str(role))
        perms = Permission.objects.filter(content_type__app_label="cases", codename__in=codenames)
        group.permissions.add(*perms)


def remove_groups(apps, schema_editor):
    from cases.roles import ROLE_MODEL_PERMISSIONS

    apps.get_model("auth", "Group").objects.filter(
        name__in=[str(r) for r in ROLE_MODEL_PERMISSIONS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0002_ledger_triggers"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
