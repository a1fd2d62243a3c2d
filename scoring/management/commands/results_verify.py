"""Recompute every published result from its stored ballots and compare it with what was frozen.

Run by deploy/restore.sh after a restore (and any time as a check): exit status 1 when any published
result no longer matches its digest.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from scoring import selectors
from scoring.results.models import ResultSnapshot


class Command(BaseCommand):
    help = "Recompute every published result from its ballots and compare it with the frozen digest."

    def handle(self, *args, **options):
        mismatched = 0
        snapshots = ResultSnapshot.objects.select_related("session").order_by("pk")
        for snapshot in snapshots:
            computed = selectors.session_tally(snapshot.session).result
            matches = computed.digest == snapshot.digest and computed.to_dict() == snapshot.data
            mismatched += not matches
            values = {"session": snapshot.session, "digest": snapshot.digest[:16]}
            if matches:
                self.stdout.write(_("%(session)s: digest %(digest)s, results match their ballots.") % values)
            else:
                self.stderr.write(
                    _("%(session)s: digest %(digest)s, the ballots no longer give these results.") % values
                )
        if mismatched:
            raise CommandError(
                _("%(count)s published results do not match their ballots.") % {"count": mismatched}
            )
        self.stdout.write(_("Published results checked: %(count)s.") % {"count": len(snapshots)})
