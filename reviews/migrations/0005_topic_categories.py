from django.db import migrations

# The categories the county's practice uses; staff can rename, add or remove them.
DEFAULT_CATEGORIES = ["集体经济", "基层治理", "党员管理", "服务群众", "作风建设"]


def add_categories(apps, schema_editor):
    TopicCategory = apps.get_model("reviews", "TopicCategory")
    for order, name in enumerate(DEFAULT_CATEGORIES, start=1):
        TopicCategory.objects.get_or_create(name=name, defaults={"order": order})


class Migration(migrations.Migration):
    dependencies = [("reviews", "0004_topics_drafts")]

    operations = [migrations.RunPython(add_categories, migrations.RunPython.noop)]
