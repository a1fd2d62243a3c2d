"""Write every rectification notice of a cycle (整改通知书, each with its problem list) to one PDF file."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from reviews.cycles.models import Cycle
from reviews.handover import documents as documents_handover
from reviews.rectification.models import RectificationNotice


class Command(BaseCommand):
    def add_arguments(self, parser):
        # argparse needs plain strings, so the help is translated here, when the parser is built.
        parser.description = _(
            "Write every rectification notice of a cycle, each with its list of problems, to one PDF file."
        )
        parser.add_argument("cycle", type=int, help=_("the id of the cycle"))
        parser.add_argument("out", help=_("the .pdf file to write"))

    def handle(self, *args, cycle, out, **options):
        cycle_obj = Cycle.objects.filter(pk=cycle).first()
        if cycle_obj is None:
            raise CommandError(_("No cycle with id %(id)s.") % {"id": cycle})
        count = RectificationNotice.objects.filter(session__cycle=cycle_obj).count()
        if not count:
            raise CommandError(_("No notice has been issued in this cycle yet."))
        path = Path(out)
        partial = path.with_name(path.name + ".part")
        try:
            with partial.open("wb") as file:
                documents_handover.cycle_notices_pdf(cycle_obj, out=file, progress=self._progress)
            partial.replace(path)
        finally:
            partial.unlink(missing_ok=True)
        self.stdout.write(_("%(count)s notices written to %(path)s.") % {"count": count, "path": path})

    def _progress(self, done: int, total: int) -> None:
        self.stderr.write(f"{done}/{total}", ending="\r" if done < total else "\n")
