"""The cycle dashboard and an organisation's record across cycles."""

from django.urls import path

from scoring.dashboard import views

app_name = "dashboard"

urlpatterns: list = [
    path("", views.index, name="index"),
    path("cycle/<int:cycle_id>/", views.cycle_dashboard, name="cycle"),
    path("cycle/<int:cycle_id>/export/", views.cycle_export, name="cycle_export"),
    path("org/<int:org_id>/", views.organisation_record, name="organisation"),
]
