from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from scoring.demo.history import demo_history_seed
from scoring.demo.scans import demo_scan_seed
from scoring.demo.scheme import demo_scoring_seed


class Command(BaseCommand):
    help = (
        "Give the demo sessions the default scoring scheme, and add the previous year scored, published and "
        "followed through rectification, and a scanned batch of paper forms to review (idempotent)."
    )

    def handle(self, *args, **options):
        created = demo_scoring_seed()
        self.stdout.write(_("Scoring schemes set up for the demo: %(count)s new.") % {"count": created})
        history = demo_history_seed()
        if history.sessions:
            self.stdout.write(
                _(
                    "Previous year: %(sessions)s sessions with %(ballots)s ballots published; "
                    "%(items)s rectification items, %(verified)s verified closed, %(overdue)s overdue."
                )
                % vars(history)
            )
        scanned = demo_scan_seed()
        if scanned:
            self.stdout.write(
                _("A scanned batch on the township session: %(count)s forms waiting for review.")
                % {"count": scanned}
            )
