from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from scoring.demo import demo_scoring_seed


class Command(BaseCommand):
    help = "Give the demo sessions the default scoring scheme (idempotent)."

    def handle(self, *args, **options):
        created = demo_scoring_seed()
        self.stdout.write(_("Scoring schemes set up for the demo: %(count)s new.") % {"count": created})
