"""Write a cycle's rectification ledger (整改台账) to an Excel file: every organisation, no staff scope."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from reviews.cycles.models import Cycle
from reviews.rectification import exports as exports_rectification
from reviews.rectification import services as services_rectification
from reviews.rectification.forms import YES, ItemFilterForm
from reviews.rectification.models import RectificationItem, RectificationStatus


class Command(BaseCommand):
    def add_arguments(self, parser):
        # argparse needs plain strings, so the help is translated here, when the parser is built.
        parser.description = _(
            "Write the rectification ledger of a cycle to an Excel workbook, for every organisation."
        )
        parser.add_argument("cycle", type=int, help=_("the id of the cycle"))
        parser.add_argument("out", help=_("the .xlsx file to write"))
        parser.add_argument("--session", type=int, help=_("only the items handed over by this session (id)"))
        parser.add_argument(
            "--status", choices=RectificationStatus.values, help=_("only the items in this status")
        )
        parser.add_argument("--overdue", action="store_true", help=_("only the overdue items"))

    def handle(self, *args, cycle, out, session=None, status=None, overdue=False, **options):
        cycle_obj = Cycle.objects.filter(pk=cycle).first()
        if cycle_obj is None:
            raise CommandError(_("No cycle with id %(id)s.") % {"id": cycle})
        data = {"session": session or "", "status": status or "", "overdue": YES if overdue else ""}
        form = ItemFilterForm(data, cycle=cycle_obj)
        if form.errors:
            problems = "; ".join(str(e) for errors in form.errors.values() for e in errors)
            raise CommandError(problems)
        today = services_rectification.today()
        items = exports_rectification.ordered(
            form.apply(RectificationItem.objects.filter(cycle=cycle_obj), today), today
        )
        lines = exports_rectification.ledger_title_lines(cycle_obj, form.description(), today)
        # Streamed into the file (450,000 items at province scale); a half-written file never keeps its name.
        path = Path(out)
        partial = path.with_name(path.name + ".part")
        try:
            with partial.open("wb") as file:
                exports_rectification.ledger_workbook(items, lines, today, out=file)
            partial.replace(path)
        finally:
            partial.unlink(missing_ok=True)
        self.stdout.write(_("%(count)s items written to %(path)s.") % {"count": items.count(), "path": path})
