"""Staff pages for a session's scoring, under /manage/scoring/."""

from django.urls import path

from scoring.codes import views as codes_views
from scoring.overview import views as overview_views
from scoring.paper import views as paper_views
from scoring.preflight import urls as preflight_urls
from scoring.rehearsal import views as rehearsal_views
from scoring.results import views as results_views
from scoring.schemes import views as schemes_views

app_name = "scoring"

urlpatterns: list = [
    path("<int:session_id>/", overview_views.session_overview, name="session"),
    path("<int:session_id>/default-scheme/", schemes_views.scheme_default, name="scheme_default"),
    path("<int:session_id>/copy-scheme/", schemes_views.scheme_copy, name="scheme_copy"),
    path("<int:session_id>/open/", overview_views.scoring_open, name="open"),
    path("<int:session_id>/close/", overview_views.scoring_close, name="close"),
    path("<int:session_id>/scheme/", schemes_views.scheme_edit, name="scheme"),
    path("<int:session_id>/codes/", codes_views.codes, name="codes"),
    path("<int:session_id>/codes/issue/", codes_views.codes_issue, name="codes_issue"),
    path("<int:session_id>/codes/<int:credential_id>/revoke/", codes_views.code_revoke, name="code_revoke"),
    path(
        "<int:session_id>/codes/revoke-unused/", codes_views.codes_revoke_unused, name="codes_revoke_unused"
    ),
    path("<int:session_id>/codes/paper/<int:group_id>/", paper_views.paper_ballot, name="paper_ballot"),
    path("<int:session_id>/components/", results_views.component_scores, name="components"),
    path("<int:session_id>/results/", results_views.results, name="results"),
    path("<int:session_id>/results/publish/", results_views.results_publish, name="publish"),
    path(
        "<int:session_id>/results/publish/confirm/",
        results_views.results_publish_confirm,
        name="publish_confirm",
    ),
    path("<int:session_id>/results/workbook/", results_views.results_workbook, name="results_xlsx"),
    path("<int:session_id>/results/bulletin/", results_views.results_bulletin, name="results_pdf"),
    *preflight_urls.urlpatterns,
    path("<int:session_id>/rehearsal/start/", rehearsal_views.start, name="rehearsal_start"),
    path("<int:session_id>/rehearsal/clear/", rehearsal_views.clear, name="rehearsal_clear"),
]
