"""The role groups (系统管理员, 业务人员, 审计员); the old single staff group becomes the operators'.

Their permissions are set after the migration (reviews.apps: post_migrate → roles_ensure), once every model's
permissions exist; `manage.py roles_ensure` does the same by hand.
"""

from django.db import migrations

ROLES = ["系统管理员", "业务人员", "审计员"]
LEGACY = "组织部工作人员"


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    legacy = Group.objects.filter(name=LEGACY).first()
    if legacy is not None and not Group.objects.filter(name="业务人员").exists():
        legacy.name = "业务人员"
        legacy.save(update_fields=["name"])
    for name in ROLES:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("reviews", "0008_problem_categories"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
