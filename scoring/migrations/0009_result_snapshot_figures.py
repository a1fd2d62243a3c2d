# The published snapshots' figures the cycle dashboard reads, stored beside the frozen data: reporters per
# grade and without one, and whether the quorum was met. Before, the dashboard unnested every snapshot's
# JSON (190 ms at a province's 150,000 reporters) and de-toasted every snapshot to sort the sessions table.
# `data` and `digest` are left untouched; the figures of existing snapshots are computed here from `data`
# (a frozen copy of scoring.results.models.snapshot_figures, so the migration keeps its meaning).

from django.db import migrations, models

GRADES = ("good", "fairly_good", "average", "poor")
BATCH = 500


def figures_of(data) -> dict:
    """Reporters per grade (n_<grade>) and without one (n_ungraded: a null or empty grade, or a reporter
    that is not an object; an unknown grade counts nowhere), nothing when "reporters" is missing or not a
    list; quorum_met as the data says (None when missing or null, "true"/1 as text count as true)."""
    data = data if isinstance(data, dict) else {}
    reporters = data.get("reporters")
    figures = {f"n_{grade}": 0 for grade in GRADES}
    figures["n_ungraded"] = 0
    for reporter in reporters if isinstance(reporters, list) else []:
        grade = reporter.get("grade") if isinstance(reporter, dict) else None
        if grade is None or grade == "":
            figures["n_ungraded"] += 1
        elif isinstance(grade, str) and grade in GRADES:
            figures[f"n_{grade}"] += 1
    quorum = data.get("quorum_met")
    if quorum is not None and not isinstance(quorum, bool):
        quorum = str(quorum).lower() in ("true", "1")
    figures["quorum_met"] = quorum
    return figures


def fill_figures(apps, schema_editor):
    """Every snapshot's figures from its data, read in chunks and written in batches."""
    ResultSnapshot = apps.get_model("scoring", "ResultSnapshot")
    columns = [f"n_{grade}" for grade in GRADES] + ["n_ungraded", "quorum_met"]
    batch = []
    for snapshot in ResultSnapshot.objects.only("pk", "data").order_by("pk").iterator(chunk_size=BATCH):
        for column, value in figures_of(snapshot.data).items():
            setattr(snapshot, column, value)
        batch.append(snapshot)
        if len(batch) >= BATCH:
            ResultSnapshot.objects.bulk_update(batch, columns)
            batch = []
    if batch:
        ResultSnapshot.objects.bulk_update(batch, columns)


class Migration(migrations.Migration):
    dependencies = [
        ("scoring", "0008_issue_batch_slips_job"),
    ]

    operations = [
        migrations.AddField(
            model_name="resultsnapshot",
            name="n_average",
            field=models.PositiveIntegerField(default=0, verbose_name="reporters graded average"),
        ),
        migrations.AddField(
            model_name="resultsnapshot",
            name="n_fairly_good",
            field=models.PositiveIntegerField(default=0, verbose_name="reporters graded fairly good"),
        ),
        migrations.AddField(
            model_name="resultsnapshot",
            name="n_good",
            field=models.PositiveIntegerField(default=0, verbose_name="reporters graded good"),
        ),
        migrations.AddField(
            model_name="resultsnapshot",
            name="n_poor",
            field=models.PositiveIntegerField(default=0, verbose_name="reporters graded poor"),
        ),
        migrations.AddField(
            model_name="resultsnapshot",
            name="n_ungraded",
            field=models.PositiveIntegerField(default=0, verbose_name="reporters without a grade"),
        ),
        migrations.AddField(
            model_name="resultsnapshot",
            name="quorum_met",
            field=models.BooleanField(null=True, verbose_name="quorum met"),
        ),
        migrations.RunPython(fill_figures, migrations.RunPython.noop),
    ]
