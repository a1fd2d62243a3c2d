from django.db import migrations

# 基层党建 problems as county organisation departments usually group them; staff can edit the list.
DEFAULT_CATEGORIES = [
    "理论学习",
    "组织生活",
    "党员队伍",
    "阵地建设",
    "集体经济",
    "基层治理",
    "作风建设",
    "责任落实",
]


def add_categories(apps, schema_editor):
    ProblemCategory = apps.get_model("reviews", "ProblemCategory")
    for order, name in enumerate(DEFAULT_CATEGORIES, start=1):
        ProblemCategory.objects.get_or_create(name=name, defaults={"order": order})


class Migration(migrations.Migration):
    dependencies = [("reviews", "0007_rectification")]

    operations = [migrations.RunPython(add_categories, migrations.RunPython.noop)]
