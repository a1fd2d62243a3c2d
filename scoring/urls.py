"""Staff pages for a session's scoring, under /manage/scoring/."""

from django.urls import path

from scoring import views_manage as views

app_name = "scoring"

urlpatterns: list = [
    path("<int:session_id>/", views.session_overview, name="session"),
    path("<int:session_id>/default-scheme/", views.scheme_default, name="scheme_default"),
    path("<int:session_id>/copy-scheme/", views.scheme_copy, name="scheme_copy"),
    path("<int:session_id>/open/", views.scoring_open, name="open"),
    path("<int:session_id>/close/", views.scoring_close, name="close"),
    path("<int:session_id>/scheme/", views.scheme_edit, name="scheme"),
    path("<int:session_id>/codes/", views.codes, name="codes"),
    path("<int:session_id>/codes/issue/", views.codes_issue, name="codes_issue"),
    path("<int:session_id>/codes/<int:credential_id>/revoke/", views.code_revoke, name="code_revoke"),
    path("<int:session_id>/codes/paper/<int:group_id>/", views.paper_ballot, name="paper_ballot"),
    path("<int:session_id>/components/", views.component_scores, name="components"),
    path("<int:session_id>/results/", views.results, name="results"),
    path("<int:session_id>/results/publish/", views.results_publish, name="publish"),
    path("<int:session_id>/results/workbook/", views.results_workbook, name="results_xlsx"),
    path("<int:session_id>/results/bulletin/", views.results_bulletin, name="results_pdf"),
]
