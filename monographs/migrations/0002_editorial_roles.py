"""The publish permission and the two editorial groups: Editor and Reviewer.

Editors write and change drafts and send them for review; Reviewers can do all
that and also publish. Permissions are normally created after all migrations
have run, so they are created here first for a fresh database.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITOR_PERMISSIONS = [
    "view_medicine",
    "add_medicine",
    "change_medicine",
    "view_version",
    "add_version",
    "change_version",
]
GROUPS = {
    "Editor": EDITOR_PERMISSIONS,
    "Reviewer": [*EDITOR_PERMISSIONS, "publish_version"],
}


def create_groups(apps, schema_editor):
    app_config = apps.get_app_config("monographs")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0, using=schema_editor.connection.alias)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="monographs", codename__in=codenames)
        )


def delete_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("monographs", "0001_initial"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="version",
            options={
                "ordering": ["medicine", "-number"],
                "permissions": [("publish_version", "Can publish a version")],
            },
        ),
        migrations.RunPython(create_groups, delete_groups),
    ]
