"""Hand-over after a session: per organisation, review the problems and issue the notice; notices PDF."""

from django.urls import path

from reviews.handover import views as views_handover

app_name = "handover"

urlpatterns = [
    path("session/<int:session_id>/", views_handover.session_overview, name="session"),
    path("session/<int:session_id>/notices.pdf", views_handover.session_pdf, name="session_pdf"),
    path(
        "session/<int:session_id>/org/<int:org_id>/",
        views_handover.organisation_handover,
        name="organisation",
    ),
    path("notice/<int:notice_id>/", views_handover.notice_detail, name="notice"),
    path("notice/<int:notice_id>/notice.pdf", views_handover.notice_pdf, name="notice_pdf"),
    path("notice/<int:notice_id>/problems.pdf", views_handover.problems_pdf, name="problems_pdf"),
]
