from django.db import migrations, models

import reviews.models


def give_each_session_a_token(apps, schema_editor):
    Session = apps.get_model("reviews", "Session")
    for session in Session.objects.filter(screen_token__isnull=True):
        session.screen_token = reviews.models.new_screen_token()
        session.save(update_fields=["screen_token"])


class Migration(migrations.Migration):
    dependencies = [("reviews", "0002_meeting_room")]

    operations = [
        migrations.RunPython(give_each_session_a_token, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="session",
            name="screen_token",
            field=models.CharField(
                default=reviews.models.new_screen_token, editable=False, max_length=64, unique=True
            ),
        ),
    ]
