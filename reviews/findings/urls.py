"""Findings of a cycle, for staff: the list per organisation, a new one, its evidence file."""

from django.urls import path

from reviews.findings import views as views_findings

app_name = "findings"

urlpatterns = [
    path("cycle/<int:cycle_id>/", views_findings.finding_list, name="list"),
    path("cycle/<int:cycle_id>/add/", views_findings.finding_add, name="add"),
    path("<int:finding_id>/evidence/", views_findings.evidence, name="evidence"),
]
