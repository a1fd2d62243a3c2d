"""Issue scoring codes (测评码) for one evaluator group; write the slips (PDF) and/or the code list (CSV)."""

import csv
import io
import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from reviews.cycles.models import Session
from reviews.spreadsheets import csv_cell
from scoring import errors as scoring_errors
from scoring.codes import services as codes_services
from scoring.codes.documents import code_slips_pdf, site_url, vote_url
from scoring.schemes.models import EvaluatorGroup


def _write_private(path: Path, content: bytes) -> None:
    """Write a file only its owner can read: slips and lists carry secret codes."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)


def codes_csv(issued: list[codes_services.IssuedCode], base_url: str | None = None) -> bytes:
    """serial, group, short code, link, delegate — UTF-8 with BOM so Excel reads the Chinese."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_("Serial number"), _("Evaluator group"), _("Code"), _("Link"), _("Delegate")])
    for code in issued:
        writer.writerow(
            [
                f"{code.serial:04d}",
                csv_cell(code.group.name),
                code.short_display,
                vote_url(code.token, base_url),
                csv_cell(code.delegate_name),
            ]
        )
    return buffer.getvalue().encode("utf-8-sig")


class Command(BaseCommand):
    def add_arguments(self, parser):
        # argparse needs plain strings, so the help is translated here, when the parser is built.
        parser.description = _(
            "Issue scoring codes for one evaluator group of a review session and write the code slips "
            "(PDF) and/or the list of codes (CSV). Each code is shown only this once. Warning: the CSV "
            "holds the secret codes, and anyone who has it can vote; keep it safe and delete it once "
            "the slips are printed."
        )
        parser.add_argument("session_id", type=int, help=_("the id of the review session"))
        parser.add_argument("--group", required=True, metavar="NAME", help=_("the evaluator group's name"))
        parser.add_argument("--count", type=int, metavar="N", help=_("how many codes to issue"))
        parser.add_argument(
            "--names",
            metavar="FILE.txt",
            help=_(
                "a UTF-8 text file with one delegate name per line (named groups only): one code per name"
            ),
        )
        parser.add_argument("--pdf", metavar="SLIPS.pdf", help=_("write the code slips to this PDF file"))
        parser.add_argument(
            "--csv",
            metavar="CODES.csv",
            help=_("write the codes to this CSV file; it holds the secret codes, keep it safe"),
        )
        parser.add_argument(
            "--base-url", metavar="URL", help=_("the address printed on the slips (default: SITE_URL)")
        )

    def handle(self, *args, **options):
        session_id, group, count = options["session_id"], options["group"], options["count"]
        names, pdf, csv_path, base_url = options["names"], options["pdf"], options["csv"], options["base_url"]
        if not pdf and not csv_path:
            raise CommandError(
                _(
                    "Name where the codes go: --pdf SLIPS.pdf, --csv CODES.csv or both. "
                    "They are shown only once."
                )
            )
        session = Session.objects.filter(pk=session_id).first()
        if session is None:
            raise CommandError(_("No review session with id %(id)s.") % {"id": session_id})
        evaluator_group = self._group(session, group)
        delegate_names = self._names(names) if names else None
        if delegate_names is None and count is None:
            raise CommandError(_("Give the number of codes with --count N, or a list of names with --names."))
        outputs = [Path(p) for p in (pdf, csv_path) if p]
        for path in outputs:
            if not path.parent.is_dir():
                raise CommandError(_("The folder of %(path)s does not exist.") % {"path": path})

        written: list[Path] = []
        try:
            with transaction.atomic():  # no code is issued unless its slips and list are written
                issued = codes_services.credentials_issue(
                    actor=None,
                    session=session,
                    group=evaluator_group,
                    count=count or 0,
                    names=delegate_names,
                )
                if pdf:
                    _write_private(Path(pdf), code_slips_pdf(session, issued, base_url))
                    written.append(Path(pdf))
                if csv_path:
                    _write_private(Path(csv_path), codes_csv(issued, base_url))
                    written.append(Path(csv_path))
        except scoring_errors.ScoringError as error:
            raise CommandError(error.message) from error
        except OSError as error:
            for path in written:
                path.unlink(missing_ok=True)
            raise CommandError(
                _("Could not write %(path)s: %(error)s; no code was issued.")
                % {"path": error.filename, "error": error.strerror}
            ) from error

        self.stdout.write(
            self.style.SUCCESS(
                _("Issued %(count)s codes for %(group)s, slips No. %(first)04d to %(last)04d.")
                % {
                    "count": len(issued),
                    "group": evaluator_group.name,
                    "first": issued[0].serial,
                    "last": issued[-1].serial,
                }
            )
        )
        self.stdout.write(_("Delegates enter the code at %(url)s") % {"url": f"{site_url(base_url)}/vote/"})
        for path in written:
            self.stdout.write(_("Written: %(path)s") % {"path": path})
        if csv_path:
            self.stdout.write(
                self.style.WARNING(
                    _(
                        "%(path)s holds the secret codes: keep it safe and delete it once the slips "
                        "are printed."
                    )
                    % {"path": csv_path}
                )
            )

    def _group(self, session: Session, name: str) -> EvaluatorGroup:
        groups = list(EvaluatorGroup.objects.filter(scheme__session=session))
        if not groups:
            raise CommandError(_("This session has no scoring scheme yet."))
        for group in groups:
            if group.name == name.strip():
                return group
        raise CommandError(
            _("This session has no evaluator group named %(name)s. Its groups: %(groups)s.")
            % {"name": name, "groups": "、".join(g.name for g in groups)}
        )

    def _names(self, file: str) -> list[str]:
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": file})
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as error:
            raise CommandError(_("%(path)s is not a UTF-8 text file.") % {"path": file}) from error
        names = [line.strip() for line in text.splitlines() if line.strip()]
        if not names:
            raise CommandError(_("%(path)s lists no names.") % {"path": file})
        return names
