"""The host console of a session's meeting, under /manage/meeting/ (staff only)."""

from django.urls import path

from scoring.meeting import views

app_name = "meeting"

urlpatterns: list = [
    path("<int:session_id>/", views.console, name="console"),
    path("<int:session_id>/live/", views.console_live, name="live"),
    path("<int:session_id>/reporters/<int:report_id>/start/", views.report_start, name="start"),
    path("<int:session_id>/questions/", views.questions_start, name="questions"),
    path("<int:session_id>/end/", views.report_end, name="end"),
    path("<int:session_id>/next/", views.next_reporter, name="next"),
    path("<int:session_id>/screen/", views.screen_show, name="show"),
    path("<int:session_id>/screen/address/", views.screen_rotate, name="rotate"),
    path("<int:session_id>/scoring/open/", views.scoring_open, name="scoring_open"),
    path("<int:session_id>/scoring/close/", views.scoring_close, name="scoring_close"),
    path("<int:session_id>/reveal/", views.reveal, name="reveal"),
]
