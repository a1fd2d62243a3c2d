"""Import party organisations and secretaries from an Excel workbook, or write the empty template."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from reviews.orgs.imports import ImportPlan, apply_plan, build_template_workbook, parse_workbook


class Command(BaseCommand):
    def add_arguments(self, parser):
        # argparse needs plain strings, so the help is translated here, when the parser is built.
        parser.description = _(
            "Import party organisations and their secretaries from an Excel workbook "
            "(the sheets 党组织 and 书记). Nothing is written when the file has any problem."
        )
        parser.add_argument("file", nargs="?", help=_("the .xlsx workbook to import"))
        parser.add_argument(
            "--dry-run", action="store_true", help=_("check the file and show the plan; write nothing")
        )
        parser.add_argument(
            "--template", metavar="OUT.xlsx", help=_("write the import template to this file and stop")
        )

    def handle(self, *args, file=None, dry_run=False, template=None, verbosity=1, **options):
        if template:
            Path(template).write_bytes(build_template_workbook())
            self.stdout.write(_("Template written to %(path)s.") % {"path": template})
            return
        if not file:
            raise CommandError(_("Name the workbook to import, or use --template OUT.xlsx."))
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": file})
        plan = parse_workbook(path)
        if plan.problems:
            for problem in plan.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                _("%(count)s problems found; nothing was imported.") % {"count": len(plan.problems)}
            )
        self.stdout.write(plan.summary_text())
        if verbosity >= 2:
            self._write_details(plan)
        if dry_run:
            self.stdout.write(_("Dry run: nothing was written."))
            return
        summary = apply_plan(plan, actor=None)
        self.stdout.write(self.style.SUCCESS(str(summary)))

    def _write_details(self, plan: ImportPlan) -> None:
        for change in plan.to_create:
            self.stdout.write(_("Create %(code)s %(name)s") % {"code": change.code, "name": change.name})
        for change in plan.to_update:
            self.stdout.write(_("Update %(code)s %(name)s") % {"code": change.code, "name": change.name})
            for label, old, new in change.change_lines():
                self.stdout.write(f"    {label}: {old} → {new}")
        for change in plan.to_appoint + plan.secretary_updates:
            line = _("Secretary of %(org)s: %(name)s from %(date)s") % {
                "org": change.organisation_name,
                "name": change.name,
                "date": change.start_date,
            }
            self.stdout.write(line)
            for closure in change.closes:
                self.stdout.write(
                    "    "
                    + _("%(name)s's term from %(start)s ends on %(end)s")
                    % {"name": closure.person_name, "start": closure.start_date, "end": closure.end_date}
                )
            for label, old, new in change.change_lines():
                self.stdout.write(f"    {label}: {old} → {new}")
