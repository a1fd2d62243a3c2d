"""The database cache's table (settings.CACHE_TABLE), created wherever `migrate` runs.

Every app server shares it when DEBUG is off (settings.CACHES). A migration rather than only
`manage.py createcachetable`: the table then exists in every database `migrate` made — the test
databases, a restored backup, a new server — whatever CACHES said when it ran.
"""

from django.core.management.commands.createcachetable import Command as CreateCacheTable
from django.db import migrations

TABLE = "shuzhi_cache"  # settings.CACHE_TABLE, fixed here as a migration must be


def create(apps, schema_editor):
    command = CreateCacheTable()
    command.verbosity = 0
    command.create_table(schema_editor.connection.alias, TABLE, dry_run=False)


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(TABLE)}")


class Migration(migrations.Migration):
    dependencies: list = []
    operations = [migrations.RunPython(create, drop)]
