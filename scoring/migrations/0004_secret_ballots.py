# Ballot secrecy against the database (issue 10): marks and satisfaction marks get random keys and are
# copied in random order (a sequence numbered them in submission order, and so did the rows' physical
# order); marks carry their session; ballots received while scoring is open wait in PendingBallot.
# A primary key cannot change from bigint to uuid in place, so each table is rebuilt: create, copy, drop,
# rename.

import random
import uuid

import django.db.models.deletion
from django.db import migrations, models


def copy_shuffled(apps, schema_editor):
    Score, NewScore = apps.get_model("scoring", "Score"), apps.get_model("scoring", "NewScore")
    Mark, NewMark = apps.get_model("scoring", "SatisfactionMark"), apps.get_model("scoring", "NewSatisfactionMark")
    shuffle = random.SystemRandom().shuffle
    scores = list(
        Score.objects.values_list("ballot_id", "ballot__session_id", "report_id", "criterion_id", "grade", "points")
    )
    shuffle(scores)
    NewScore.objects.bulk_create(
        (
            NewScore(
                id=uuid.uuid4(), ballot_id=b, session_id=s, report_id=r, criterion_id=c, grade=g, points=p
            )
            for b, s, r, c, g, p in scores
        ),
        batch_size=2000,
    )
    marks = list(Mark.objects.values_list("ballot_id", "report_id", "value"))
    shuffle(marks)
    NewMark.objects.bulk_create(
        (NewMark(id=uuid.uuid4(), ballot_id=b, report_id=r, value=v) for b, r, v in marks), batch_size=2000
    )


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0007_rectification"),
        ("scoring", "0003_throttle_counter"),
    ]

    operations = [
        migrations.CreateModel(
            name="NewScore",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                (
                    "grade",
                    models.CharField(
                        blank=True,
                        choices=[("good", "Good"), ("fairly_good", "Fairly good"), ("average", "Average"), ("poor", "Poor")],
                        max_length=12,
                    ),
                ),
                ("points", models.DecimalField(blank=True, decimal_places=2, max_digits=6, null=True)),
                (
                    "ballot",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="scoring.ballot"
                    ),
                ),
                (
                    "criterion",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="scoring.criterion"
                    ),
                ),
                (
                    "report",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="reviews.report"
                    ),
                ),
                (
                    "session",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="reviews.session"
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="NewSatisfactionMark",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                (
                    "value",
                    models.CharField(
                        choices=[
                            ("satisfied", "Satisfied"),
                            ("fairly", "Fairly satisfied"),
                            ("unsatisfied", "Not satisfied"),
                        ],
                        max_length=12,
                    ),
                ),
                (
                    "ballot",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="scoring.ballot"
                    ),
                ),
                (
                    "report",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="reviews.report"
                    ),
                ),
            ],
        ),
        migrations.RunPython(copy_shuffled, migrations.RunPython.noop),
        migrations.DeleteModel(name="Score"),
        migrations.DeleteModel(name="SatisfactionMark"),
        migrations.RenameModel(old_name="NewScore", new_name="Score"),
        migrations.RenameModel(old_name="NewSatisfactionMark", new_name="SatisfactionMark"),
        migrations.AlterField(
            model_name="score",
            name="ballot",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="scores", to="scoring.ballot"
            ),
        ),
        migrations.AlterField(
            model_name="satisfactionmark",
            name="ballot",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="satisfaction_marks", to="scoring.ballot"
            ),
        ),
        migrations.AddConstraint(
            model_name="score",
            constraint=models.UniqueConstraint(fields=("ballot", "report", "criterion"), name="score_unique_mark"),
        ),
        migrations.AddConstraint(
            model_name="score",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("grade", ""), ("points__isnull", False)),
                    models.Q(models.Q(("grade", ""), _negated=True), ("points__isnull", True)),
                    _connector="OR",
                ),
                name="score_grade_xor_points",
            ),
        ),
        migrations.AddConstraint(
            model_name="satisfactionmark",
            constraint=models.UniqueConstraint(fields=("ballot", "report"), name="satisfaction_one_per_report"),
        ),
        migrations.CreateModel(
            name="PendingBallot",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ("receipt", models.CharField(max_length=16)),
                ("delegate_name", models.CharField(blank=True, max_length=40)),
                ("content", models.TextField()),
                (
                    "group",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="scoring.evaluatorgroup"
                    ),
                ),
                (
                    "session",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="reviews.session"
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("session", "receipt"), name="pending_ballot_unique_receipt")
                ],
            },
        ),
    ]
