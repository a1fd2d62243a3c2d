"""`manage.py jobs_cleanup`: recover interrupted jobs and delete old result files (the worker also does)."""

from django.core.management.base import BaseCommand

from reviews.jobs import services


class Command(BaseCommand):
    help = "Queue again or fail interrupted jobs; delete job results older than JOB_RESULT_HOURS."

    def handle(self, *args, **options):
        requeued, failed = services.job_recover_stale()
        deleted = services.jobs_cleanup()
        self.stdout.write(f"requeued {requeued}, failed {failed}, results deleted {deleted}")
