from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScoringConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "scoring"
    verbose_name = _("Scoring")

    def ready(self) -> None:
        from scoring.codes import jobs  # noqa: F401  (registers the slips job)
        from scoring.dashboard import jobs as dashboard_jobs  # noqa: F401  (the dashboard export)
