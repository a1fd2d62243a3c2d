"""Write a session's results to an Excel workbook and, optionally, the results bulletin (PDF)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from reviews.cycles.models import Session
from scoring import selectors
from scoring.results.exports import ResultsBulletin, ResultsWorkbook
from scoring.schemes import services
from scoring.schemes.models import Scheme


class Command(BaseCommand):
    def add_arguments(self, parser):
        parser.description = _(
            "Write the results of a review session (ranking, breakdown, turnout) to an Excel workbook, "
            "and optionally the results bulletin as a PDF."
        )
        parser.add_argument("session_id", type=int, help=_("the id of the review session"))
        parser.add_argument("out", metavar="OUT.xlsx", help=_("the workbook to write"))
        parser.add_argument(
            "--pdf", metavar="BULLETIN.pdf", help=_("also write the results bulletin to this PDF")
        )

    def handle(self, *args, session_id, out, pdf, **options):
        session = Session.objects.filter(pk=session_id).first()
        if session is None:
            raise CommandError(_("No review session with id %(id)s.") % {"id": session_id})
        scheme = Scheme.objects.filter(session=session).first()
        if scheme is None:
            raise CommandError(_("This session has no scoring scheme yet."))
        problems = services.scheme_problems(scheme)
        if problems:
            raise CommandError(" ".join(problems))
        targets = [Path(out)] + ([Path(pdf)] if pdf else [])
        for path in targets:
            if not path.parent.is_dir():
                raise CommandError(_("The folder of %(path)s does not exist.") % {"path": path})

        data = selectors.session_tally(session)
        exports = [(Path(out), ResultsWorkbook())] + ([(Path(pdf), ResultsBulletin())] if pdf else [])
        for path, export in exports:
            _filename, _content_type, content = export.render_tally(data)
            try:
                path.write_bytes(content)
            except OSError as error:
                raise CommandError(
                    _("Could not write %(path)s: %(error)s") % {"path": path, "error": error.strerror}
                ) from error
            self.stdout.write(_("Written: %(path)s") % {"path": path})
        if not data.result.quorum_met:
            self.stdout.write(
                self.style.WARNING(_("The quorum is not met: the result of the meeting is not valid."))
            )
