"""Fill the database with the demo county, its secretaries, the 2025 cycle, two sessions and demo logins."""

import time

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from reviews.demo.before_meeting import SECRETARY_LOGIN, demo_before_meeting_seed
from reviews.demo.county import ADMIN_PASSWORD, DEMO_PASSWORD, demo_seed
from reviews.orgs.models import Organisation


class Command(BaseCommand):
    help = gettext_lazy(
        "Create the demo data (a fictional county with townships, villages, secretaries, the 2025 cycle, "
        "two review sessions and demo logins). Running it again creates nothing new."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help=gettext_lazy("do nothing when any party organisation exists already"),
        )

    def handle(self, *args, if_empty=False, **options):
        if if_empty and Organisation.objects.exists():
            self.stdout.write(_("Party organisations exist already: demo data not loaded."))
            return
        started = time.perf_counter()
        summary = demo_seed(stdout=self.stdout)
        before = demo_before_meeting_seed()
        elapsed = time.perf_counter() - started
        for line in summary.lines():
            self.stdout.write("  " + line)
        self.stdout.write(
            "  "
            + _(
                "Before the meeting: %(suggestions)s topic suggestions, %(topics)s topics adopted, "
                "%(drafts)s report drafts, %(findings)s findings added."
            )
            % vars(before)
        )
        if summary.created:
            done = _("Demo data loaded in %(seconds).1f s.") % {"seconds": elapsed}
        else:
            done = _("Demo data already complete: nothing changed.")
        self.stdout.write(self.style.SUCCESS(done))
        if summary.users.created:
            self.stdout.write(
                _(
                    "Logins: demo / %(demo)s (county staff), shijia / %(demo)s (township staff), "
                    "%(secretary)s / %(demo)s (石匣乡's secretary), admin / %(admin)s"
                )
                % {"demo": DEMO_PASSWORD, "admin": ADMIN_PASSWORD, "secretary": SECRETARY_LOGIN}
            )
