"""Write every rectification notice of a cycle (整改通知书, each with its problem list) to one PDF file.

At province scale (~150,000 notices, ~15 KB of PDF each) write one file per county with --under: the
rendering is bounded whatever the size, but the joined PDF is held by PDFium until it is saved."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from reviews.cycles.models import Cycle
from reviews.handover import documents as documents_handover
from reviews.orgs.models import Organisation
from reviews.rectification.models import RectificationNotice


class Command(BaseCommand):
    def add_arguments(self, parser):
        # argparse needs plain strings, so the help is translated here, when the parser is built.
        parser.description = _(
            "Write every rectification notice of a cycle, each with its list of problems, to one PDF file."
        )
        parser.add_argument("cycle", type=int, help=_("the id of the cycle"))
        parser.add_argument("out", help=_("the .pdf file to write"))
        parser.add_argument(
            "--under",
            type=int,
            help=_("only the notices of sessions hosted in this subtree (organisation id), e.g. a county"),
        )

    def handle(self, *args, cycle, out, under=None, **options):
        cycle_obj = Cycle.objects.filter(pk=cycle).first()
        if cycle_obj is None:
            raise CommandError(_("No cycle with id %(id)s.") % {"id": cycle})
        notices = RectificationNotice.objects.filter(session__cycle=cycle_obj)
        if under is not None:
            root = Organisation.objects.filter(pk=under).first()
            if root is None:
                raise CommandError(_("No organisation with id %(id)s.") % {"id": under})
            notices = notices.filter(session__host__path__subtree=root.path)
        count = notices.count()
        if not count:
            raise CommandError(_("No notice has been issued in this cycle yet."))
        path = Path(out)
        partial = path.with_name(path.name + ".part")
        try:
            with partial.open("wb") as file:
                documents_handover.cycle_notices_pdf(
                    cycle_obj, notices=notices, out=file, progress=self._progress
                )
            partial.replace(path)
        finally:
            partial.unlink(missing_ok=True)
        self.stdout.write(_("%(count)s notices written to %(path)s.") % {"count": count, "path": path})

    def _progress(self, done: int, total: int) -> None:
        self.stderr.write(f"{done}/{total}", ending="\r" if done < total else "\n")
