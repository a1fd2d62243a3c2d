from django.apps import AppConfig, apps
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _roles_after_migrate(sender, **kwargs):
    """After the last app's permissions exist, bring the role groups up to date (new models included)."""
    if sender is not list(apps.get_app_configs())[-1]:
        return
    from reviews.orgs.permissions import roles_ensure

    roles_ensure()


def _tallies_after_migrate(sender, using="default", **kwargs):
    """A migration that rebuilt a table on SQLite took its triggers along: put them back, recount."""
    from django.db import connections

    from reviews.rectification import tally

    connection = connections[using]
    if tally.TALLY in connection.introspection.table_names():
        tally.ensure(connection)


class ReviewsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reviews"
    verbose_name = _("Duty-report review")

    def ready(self):
        post_migrate.connect(_roles_after_migrate, dispatch_uid="reviews.roles_ensure")
        post_migrate.connect(_tallies_after_migrate, sender=self, dispatch_uid="reviews.tallies_ensure")
        from importlib import import_module

        from django.conf import settings

        from reviews.orgs import jobs as orgs_jobs  # noqa: F401  (the import's check and apply jobs)
        from reviews.rectification import jobs as rectification_jobs  # noqa: F401  (ledger, notices)

        for module in settings.JOBS_EXTRA_MODULES:  # more job kinds (tests register theirs so)
            import_module(module)
        from reviews import sqlite_statistics

        connection_created.connect(sqlite_statistics.refresh, dispatch_uid="reviews.sqlite_statistics")
